package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/dunning/internal/dunning"
	"github.com/o2c-platform/o2c/services/dunning/internal/run"
)

// ProjectionName is the checkpoint name of the projection of dunning's
// own events.
const ProjectionName = "dunning-decisions"

// Projection returns the projection of dunning's events into decisions,
// debtor_state, notices and blocks, each batch in the transaction that
// moves its checkpoint. poll is how often it looks for new events.
func (s *Store) Projection(poll time.Duration) eventstore.Projection {
	return eventstore.Projection{Name: ProjectionName, Poll: poll, Apply: s.apply}
}

// apply projects a batch with one round trip. Every statement is
// idempotent, so a batch projected again changes nothing.
func (s *Store) apply(ctx context.Context, tx pgx.Tx, evs []eventstore.Event) error {
	b := &pgx.Batch{}
	for _, ev := range evs {
		if ev.Stream.Type != run.StreamType {
			continue
		}
		if err := queue(b, ev); err != nil {
			return err
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

func queue(b *pgx.Batch, ev eventstore.Event) error {
	switch m := ev.Payload.(type) {
	case *dunningv1.DunningDecisionRecorded:
		raw, err := proto.Marshal(m)
		if err != nil {
			return fmt.Errorf("decision %s: %w", ev.EventID, err)
		}
		var st dunning.State
		if len(m.GetStateAfter()) > 0 {
			if err := json.Unmarshal(m.GetStateAfter(), &st); err != nil {
				return fmt.Errorf("decision %s: state: %w", ev.EventID, err)
			}
		}
		d := run.DateOf(m.GetDate()).Time()
		b.Queue(`INSERT INTO decisions (tenant, debtor_id, day, level, notice_id, released, decision) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (tenant, debtor_id, day) DO NOTHING`,
			m.GetTenant(), m.GetDebtorId(), d, m.GetLevel(), m.GetNotice().GetNoticeId(), len(m.GetReleased()) > 0, raw)
		b.Queue(`INSERT INTO debtor_state (tenant, debtor_id, last_day, active) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant, debtor_id) DO UPDATE SET last_day = EXCLUDED.last_day, active = EXCLUDED.active
			WHERE debtor_state.last_day <= EXCLUDED.last_day`,
			m.GetTenant(), m.GetDebtorId(), d, running(st))
	case *dunningv1.NoticeIssued:
		raw, err := proto.Marshal(m)
		if err != nil {
			return fmt.Errorf("notice %s: %w", ev.EventID, err)
		}
		n := m.GetNotice()
		b.Queue(`INSERT INTO notices (tenant, notice_id, debtor_id, day, level, total_minor, currency, item_count, issued)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant, notice_id) DO NOTHING`,
			m.GetTenant(), n.GetNoticeId(), m.GetDebtorId(), run.DateOf(m.GetDate()).Time(), n.GetLevel(), n.GetTotal().GetMinorUnits(),
			n.GetTotal().GetCurrency(), len(n.GetItems()), raw)
	case *dunningv1.BlockSet:
		bl := m.GetBlock()
		b.Queue(`INSERT INTO blocks (tenant, block_id, debtor_id, item_id, reason, set_by, source, set_date, expires)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant, block_id) DO NOTHING`,
			m.GetTenant(), bl.GetBlockId(), bl.GetDebtorId(), bl.GetOpenItemId(), bl.GetReason(), bl.GetSetBy(), bl.GetSource(),
			run.DateOf(bl.GetSetDate()).Time(), sqlDate(run.DateOf(bl.GetExpires())))
	case *dunningv1.BlockLifted:
		b.Queue(`UPDATE blocks SET lifted = true, lifted_on = $3, lifted_by = $4 WHERE tenant = $1 AND block_id = $2 AND NOT lifted`,
			m.GetTenant(), m.GetBlockId(), run.DateOf(m.GetDate()).Time(), m.GetActor())
	}
	return nil
}

// running reports whether a state keeps the debtor's procedure running:
// some item is on a level and it has not ended.
func running(st dunning.State) bool {
	return !st.Ended && len(st.Levels) > 0
}
