package postgres

import (
	"context"
	"fmt"
	"time"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/services/collections/internal/collections"
)

func sqlDate(d *commonv1.Date) any {
	t := collections.DateOf(d)
	if t.IsZero() {
		return nil
	}
	return t
}

// kindComponents are the components of the ledger's item kinds before
// the item is classified.
var kindComponents = map[string]string{"dunning_fee": collections.Costs, "returned_debit_fee": collections.Costs,
	"default_interest": collections.Interest}

var components = map[ledgerv1.OpenItemComponent]string{
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL: collections.Principal,
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS:     collections.Costs,
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_INTEREST:  collections.Interest,
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_CREDIT:    "credit",
}

// OpenItem records an item the ledger opened (at ledger stream sequence
// seq). A known item is left as it is.
func (s *Store) OpenItem(ctx context.Context, ev *ledgerv1.OpenItemOpened, seq uint64) error {
	component := kindComponents[ev.GetKind()]
	if component == "" {
		component = collections.Principal
	}
	if ev.GetAmount().GetMinorUnits() < 0 {
		component = "credit"
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO items (tenant, item_id, debtor_id, claim_id, component, document_number, currency, amount_minor, open_minor,
		                   document_date, due_date, seq)
		VALUES ($1, $2, $3, $2, $4, $5, $6, $7::bigint, $7::bigint, $8, $9, $10)
		ON CONFLICT (tenant, item_id) DO NOTHING`,
		ev.GetTenant(), ev.GetOpenItemId(), ev.GetDebtorId(), component, ev.GetDocumentNumber(), ev.GetAmount().GetCurrency(),
		ev.GetAmount().GetMinorUnits(), sqlDate(ev.GetDocumentDate()), sqlDate(ev.GetDueDate()), int64(seq))
	if err != nil {
		return fmt.Errorf("open item %s: %w", ev.GetOpenItemId(), err)
	}
	return nil
}

// ClassifyItem records an item's claim, component and main VAT rate.
func (s *Store) ClassifyItem(ctx context.Context, ev *ledgerv1.OpenItemClassified) error {
	component := components[ev.GetComponent()]
	if component == "" {
		component = collections.Principal
	}
	claim := ev.GetClaimOpenItemId()
	if claim == "" {
		claim = ev.GetOpenItemId()
	}
	rate, top := int32(0), int64(-1)
	for _, v := range ev.GetVat() {
		if n := v.GetNet().GetMinorUnits(); n > top {
			rate, top = v.GetRateBp(), n
		}
	}
	_, err := s.pool.Exec(ctx, `UPDATE items SET claim_id = $3, component = $4, tax_rate_bp = $5 WHERE tenant = $1 AND item_id = $2`,
		ev.GetTenant(), ev.GetOpenItemId(), claim, component, rate)
	if err != nil {
		return fmt.Errorf("classify item %s: %w", ev.GetOpenItemId(), err)
	}
	return nil
}

// SetOpen records an item's open amount after a clearing or reopening at
// ledger stream sequence seq (0 for a replay); an older event never undoes
// a newer one.
func (s *Store) SetOpen(ctx context.Context, tenant, itemID string, open int64, seq uint64) error {
	_, err := s.pool.Exec(ctx, `UPDATE items SET open_minor = $3::bigint, seq = GREATEST(seq, $4::bigint)
		WHERE tenant = $1 AND item_id = $2 AND ($4::bigint = 0 OR seq < $4::bigint)`, tenant, itemID, open, int64(seq))
	if err != nil {
		return fmt.Errorf("item %s: %w", itemID, err)
	}
	return nil
}

// Block records a dunning block.
func (s *Store) Block(ctx context.Context, ev *dunningv1.BlockSet) error {
	b := ev.GetBlock()
	_, err := s.pool.Exec(ctx, `INSERT INTO blocks (tenant, block_id, debtor_id, item_id, reason, lifted) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant, block_id) DO NOTHING`, ev.GetTenant(), b.GetBlockId(), b.GetDebtorId(), b.GetOpenItemId(), b.GetReason(), b.GetLifted())
	if err != nil {
		return fmt.Errorf("block %s: %w", b.GetBlockId(), err)
	}
	return nil
}

// LiftBlock records that a block was lifted.
func (s *Store) LiftBlock(ctx context.Context, ev *dunningv1.BlockLifted) error {
	_, err := s.pool.Exec(ctx, `UPDATE blocks SET lifted = true WHERE tenant = $1 AND block_id = $2`, ev.GetTenant(), ev.GetBlockId())
	if err != nil {
		return fmt.Errorf("lift block %s: %w", ev.GetBlockId(), err)
	}
	return nil
}

// Customer records a debtor's kind and group (never the name).
func (s *Store) Customer(ctx context.Context, ev *ingestionv1.CustomerIngested) error {
	kind := "b2c"
	if ev.GetDebtorKind() == shopv1.DebtorKind_DEBTOR_KIND_BUSINESS {
		kind = "b2b"
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO debtors (tenant, debtor_id, kind, grp) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant, debtor_id) DO UPDATE SET kind = EXCLUDED.kind, grp = EXCLUDED.grp`,
		ev.GetTenant(), ev.GetDebtorId(), kind, ev.GetCustomerGroup())
	if err != nil {
		return fmt.Errorf("customer %s: %w", ev.GetDebtorId(), err)
	}
	return nil
}

// Notice records a dunning notice's date and level.
func (s *Store) Notice(ctx context.Context, ev *dunningv1.NoticeIssued) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO notices (tenant, notice_id, debtor_id, day, level) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant, notice_id) DO NOTHING`, ev.GetTenant(), ev.GetNotice().GetNoticeId(), ev.GetDebtorId(),
		collections.DateOf(ev.GetDate()), ev.GetNotice().GetLevel())
	if err != nil {
		return fmt.Errorf("notice %s: %w", ev.GetNotice().GetNoticeId(), err)
	}
	return nil
}

// Notices returns the date and level of the notices named that dunning
// reported (NoticeIssued), by id.
func (s *Store) Notices(ctx context.Context, tenant string, ids []string) (map[string]*collectionsv1.DunningStep, error) {
	out := map[string]*collectionsv1.DunningStep{}
	rows, err := s.pool.Query(ctx, `SELECT notice_id, day, level FROM notices WHERE tenant = $1 AND notice_id = ANY($2::text[])`,
		tenant, append([]string{}, ids...))
	if err != nil {
		return nil, fmt.Errorf("notices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var day time.Time
		var level int32
		if err := rows.Scan(&id, &day, &level); err != nil {
			return nil, fmt.Errorf("notices: %w", err)
		}
		out[id] = &collectionsv1.DunningStep{NoticeId: id, Date: collections.DateProto(day), Level: level}
	}
	return out, rows.Err()
}

// ItemFacts are what the ledger said of an item beyond what a release
// carries.
type ItemFacts struct {
	TaxRateBP    int
	DocumentDate time.Time
}

// Facts returns the facts of the items named that the ledger's events
// described, by id.
func (s *Store) Facts(ctx context.Context, tenant string, ids []string) (map[string]ItemFacts, error) {
	out := map[string]ItemFacts{}
	rows, err := s.pool.Query(ctx, `SELECT item_id, tax_rate_bp, document_date FROM items WHERE tenant = $1 AND item_id = ANY($2::text[])`,
		tenant, append([]string{}, ids...))
	if err != nil {
		return nil, fmt.Errorf("item facts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var f ItemFacts
		var doc *time.Time
		if err := rows.Scan(&id, &f.TaxRateBP, &doc); err != nil {
			return nil, fmt.Errorf("item facts: %w", err)
		}
		if doc != nil {
			f.DocumentDate = *doc
		}
		out[id] = f
	}
	return out, rows.Err()
}
