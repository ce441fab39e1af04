package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/collections/internal/collections"
)

// ProjectionName is the checkpoint name of the projection of the cases.
const ProjectionName = "collections-cases"

// Projection returns the projection of the case streams into cases,
// case_items and changes, each batch in the transaction that moves its
// checkpoint. poll is how often it looks for new events.
func (s *Store) Projection(poll time.Duration) eventstore.Projection {
	return eventstore.Projection{Name: ProjectionName, Poll: poll, Apply: s.apply}
}

// apply folds every case the batch touches from its whole stream (a case
// has few events) and writes it; every statement is idempotent, so a
// batch projected again changes nothing.
func (s *Store) apply(ctx context.Context, tx pgx.Tx, evs []eventstore.Event) error {
	b := &pgx.Batch{}
	folded := map[string]*collections.Case{}
	for _, ev := range evs {
		if ev.Stream.Type != collections.StreamType {
			continue
		}
		key := ev.Stream.Tenant + "\x00" + ev.Stream.ID
		c, ok := folded[key]
		if !ok {
			var err error
			if c, err = s.Load(ctx, ev.Stream.Tenant, ev.Stream.ID); err != nil {
				return err
			}
			folded[key] = c
			if err := queueCase(b, c); err != nil {
				return err
			}
		}
		if ev.Payload == nil {
			continue
		}
		name := string(ev.Payload.ProtoReflect().Descriptor().Name())
		if strings.HasPrefix(string(ev.Payload.ProtoReflect().Descriptor().FullName()), "o2c.ledger.") {
			continue
		}
		b.Queue(`INSERT INTO changes (tenant, agency, case_id, version, change) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant, case_id, version) DO NOTHING`, ev.Stream.Tenant, c.Agency, c.ID, ev.Version, name)
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

func queueCase(b *pgx.Batch, c *collections.Case) error {
	if c.ID == "" {
		return nil
	}
	p := c.Proto()
	raw, err := proto.Marshal(p)
	if err != nil {
		return fmt.Errorf("case %s: %w", c.ID, err)
	}
	t := p.GetTotals()
	b.Queue(`INSERT INTO cases (tenant, case_id, agency, debtor_id, status, released_on, currency, handed_over, open_minor, collected,
			recovered, paid_directly, written_off, commission, version, snapshot)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (tenant, case_id) DO UPDATE SET agency = EXCLUDED.agency, status = EXCLUDED.status,
			handed_over = EXCLUDED.handed_over, open_minor = EXCLUDED.open_minor, collected = EXCLUDED.collected,
			recovered = EXCLUDED.recovered, paid_directly = EXCLUDED.paid_directly, written_off = EXCLUDED.written_off,
			commission = EXCLUDED.commission, version = EXCLUDED.version, snapshot = EXCLUDED.snapshot
		WHERE cases.version <= EXCLUDED.version`,
		c.Tenant, c.ID, c.Agency, c.DebtorID, StatusName(c.Status), c.ReleasedOn, c.Currency, t.GetHandedOver().GetMinorUnits(),
		t.GetOpen().GetMinorUnits(), t.GetCollected().GetMinorUnits(), t.GetRecovered().GetMinorUnits(),
		t.GetPaidDirectly().GetMinorUnits(), t.GetWrittenOff().GetMinorUnits(), t.GetCommission().GetMinorUnits(), c.Version, raw)
	for _, it := range c.Items {
		b.Queue(`INSERT INTO case_items (tenant, item_id, case_id, active) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant, item_id, case_id) DO UPDATE SET active = EXCLUDED.active`,
			c.Tenant, it.ID, c.ID, c.Active() && !it.Recalled)
	}
	return nil
}

// StatusName is a status's word in the cases table and the report:
// "submitted", "accepted", "rejected", "recalled", "closed".
func StatusName(s collectionsv1.CaseStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "CASE_STATUS_"))
}
