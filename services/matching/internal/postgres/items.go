package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// itemColumns select an item with its invoice's cash discount terms
// (aliases i and t).
const itemColumns = `i.item_id, i.debtor_id, i.kind, i.component, i.document_number, i.order_id, i.payment_reference,
	i.currency, i.amount_minor, i.open_minor, i.document_date, i.due_date, i.marketplace, t.discount_until, t.discount_bp`

const itemFrom = `items i LEFT JOIN invoice_terms t ON t.tenant = i.tenant AND t.invoice_number = i.document_number`

// ledgerKinds maps the ledger's item kinds to the engine's; a credit
// balance is left out of matching (the ledger takes no allocations to it:
// it offsets credit balances itself).
var ledgerKinds = map[string]engine.ItemKind{
	"invoice": engine.ItemInvoice, "opening_balance": engine.ItemInvoice,
	"dunning_fee": engine.ItemFee, "returned_debit_fee": engine.ItemFee, "default_interest": engine.ItemInterest,
}

// Matchable reports whether matching matches payments to items of the
// ledger's kind.
func Matchable(kind string) bool {
	_, ok := ledgerKinds[kind]
	return ok
}

func scanItem(row pgx.Row) (engine.OpenItem, error) {
	var it engine.OpenItem
	var kind, cur string
	var component int32
	var amount, open int64
	var docDate, dueDate, until *time.Time
	var bp *int32
	err := row.Scan(&it.ID, &it.Debtor, &kind, &component, &it.DocumentNumber, &it.OrderID, &it.PaymentReference,
		&cur, &amount, &open, &docDate, &dueDate, &it.Channel, &until, &bp)
	if err != nil {
		return engine.OpenItem{}, err
	}
	it.Kind = ledgerKinds[kind]
	switch ledgerv1.OpenItemComponent(component) {
	case ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS:
		it.Kind = engine.ItemFee
	case ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_INTEREST:
		it.Kind = engine.ItemInterest
	}
	it.Amount, it.Open = money.Amount{Minor: amount, Currency: cur}, open
	if docDate != nil {
		it.IssueDate = docDate.UTC()
	}
	if dueDate != nil {
		it.DueDate = dueDate.UTC()
	}
	if until != nil && bp != nil && *bp > 0 {
		it.CashDiscount = &engine.CashDiscount{Until: until.UTC(), PercentBP: *bp}
	}
	return it, nil
}

// Item returns tenant's item id as the engine takes it, and false when it
// is not known or not matchable.
func (s *Store) Item(ctx context.Context, tenant, id string) (engine.OpenItem, bool, error) {
	return item(ctx, s.pool, tenant, id)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func item(ctx context.Context, q querier, tenant, id string) (engine.OpenItem, bool, error) {
	it, err := scanItem(q.QueryRow(ctx, `SELECT `+itemColumns+` FROM `+itemFrom+`
		WHERE i.tenant = $1 AND i.item_id = $2 AND i.amount_minor > 0`, tenant, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return engine.OpenItem{}, false, nil
	}
	if err != nil {
		return engine.OpenItem{}, false, fmt.Errorf("item %s: %w", id, err)
	}
	return it, it.Kind != "", nil
}

func dateOf(d *commonv1.Date) *time.Time {
	if d == nil || d.GetYear() == 0 {
		return nil
	}
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	return &t
}

// OpenItem records an item the ledger opened (OpenItemOpened, at ledger
// stream sequence seq; 0 for a replay) and returns it as the engine takes
// it, with false when it is not for matching (a credit balance) or was
// known before. A credit balance opened by a payment matching sent tells
// the payment's journal entry.
func (s *Store) OpenItem(ctx context.Context, ev *ledgerv1.OpenItemOpened, seq uint64) (engine.OpenItem, bool, error) {
	var out engine.OpenItem
	var fresh bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO items (tenant, item_id, debtor_id, kind, document_number, order_id, payment_reference, currency,
			                   amount_minor, open_minor, document_date, due_date, seq, cleared_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint, $9::bigint, $10, $11, $12, CASE WHEN $9::bigint = 0 THEN now() END)
			ON CONFLICT (tenant, item_id) DO NOTHING`,
			ev.GetTenant(), ev.GetOpenItemId(), ev.GetDebtorId(), ev.GetKind(), ev.GetDocumentNumber(), ev.GetOrderId(),
			ev.GetPaymentReference(), ev.GetAmount().GetCurrency(), ev.GetAmount().GetMinorUnits(),
			dateOf(ev.GetDocumentDate()), dateOf(ev.GetDueDate()), int64(seq))
		if err != nil {
			return err
		}
		if ev.GetAmount().GetMinorUnits() < 0 && ev.GetEntryId() != "" {
			if err := entry(ctx, tx, ev.GetTenant(), ev.GetDocumentNumber(), ev.GetEntryId()); err != nil {
				return err
			}
		}
		if tag.RowsAffected() == 0 || !Matchable(ev.GetKind()) {
			return nil
		}
		it, ok, err := item(ctx, tx, ev.GetTenant(), ev.GetOpenItemId())
		out, fresh = it, ok
		return err
	})
	if err != nil {
		return engine.OpenItem{}, false, fmt.Errorf("open item %s: %w", ev.GetOpenItemId(), err)
	}
	return out, fresh, nil
}

// entry records the ledger's journal entry of a document matching may
// have sent (a ledger payment id); other documents are recorded too, and
// never asked for.
func entry(ctx context.Context, tx pgx.Tx, tenant, document, entryID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO ledger_entries (tenant, ledger_payment_id, entry_id) VALUES ($1, $2, $3)
		ON CONFLICT (tenant, ledger_payment_id) DO NOTHING`, tenant, document, entryID)
	return err
}

// ClassifyItem records an item's classification (OpenItemClassified: its
// component, marketplace and VAT lines) and returns the item as the engine
// takes it, with false when it is not for matching.
func (s *Store) ClassifyItem(ctx context.Context, ev *ledgerv1.OpenItemClassified, seq uint64) (engine.OpenItem, bool, error) {
	vat, err := proto.Marshal(&ledgerv1.OpenItemClassified{Vat: ev.GetVat()})
	if err != nil {
		return engine.OpenItem{}, false, fmt.Errorf("classify item %s: %w", ev.GetOpenItemId(), err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE items SET component = $3, marketplace = $4, vat = $5, updated_at = now()
		WHERE tenant = $1 AND item_id = $2`,
		ev.GetTenant(), ev.GetOpenItemId(), int32(ev.GetComponent()), ev.GetMarketplace(), vat)
	if err != nil {
		return engine.OpenItem{}, false, fmt.Errorf("classify item %s: %w", ev.GetOpenItemId(), err)
	}
	if tag.RowsAffected() == 0 {
		return engine.OpenItem{}, false, nil
	}
	return item(ctx, s.pool, ev.GetTenant(), ev.GetOpenItemId())
}

// Change is what a clearing or reopening did to an item.
type Change struct {
	// Open is what the ledger holds open on it now.
	Open int64
	// Settled are the documents of the settlements the clearing made;
	// Undone those of the settlements the reopening undid.
	Settled, Undone []string
	// Applied is false when the event was older than what the item
	// reflects (a redelivery after a newer event), or the item is not
	// known.
	Applied bool
}

// SettleItem records the settlements of an OpenItemCleared (at ledger
// stream sequence seq; 0 for a replay) and the item's new open amount,
// and the journal entry of every document it names.
func (s *Store) SettleItem(ctx context.Context, ev *ledgerv1.OpenItemCleared, seq uint64) (Change, error) {
	ch := Change{Open: ev.GetOpenAmount().GetMinorUnits()}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, st := range ev.GetSettlements() {
			if _, err := tx.Exec(ctx, `
				INSERT INTO ledger_settlements (tenant, settlement_id, item_id, document, entry_id, amount_minor, kind)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant, settlement_id) DO NOTHING`,
				ev.GetTenant(), st.GetSettlementId(), ev.GetOpenItemId(), st.GetDocument(), st.GetEntryId(),
				st.GetAmount().GetMinorUnits(), int32(st.GetKind())); err != nil {
				return err
			}
			if st.GetEntryId() != "" {
				if err := entry(ctx, tx, ev.GetTenant(), st.GetDocument(), st.GetEntryId()); err != nil {
					return err
				}
			}
			ch.Settled = append(ch.Settled, st.GetDocument())
		}
		var err error
		ch.Applied, err = setOpen(ctx, tx, ev.GetTenant(), ev.GetOpenItemId(), ch.Open, seq)
		return err
	})
	if err != nil {
		return Change{}, fmt.Errorf("clear item %s: %w", ev.GetOpenItemId(), err)
	}
	return ch, nil
}

// ReopenItem records an OpenItemReopened: its settlements undone and the
// item's new open amount.
func (s *Store) ReopenItem(ctx context.Context, ev *ledgerv1.OpenItemReopened, seq uint64) (Change, error) {
	ch := Change{Open: ev.GetOpenAmount().GetMinorUnits()}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE ledger_settlements SET undone = true
			WHERE tenant = $1 AND settlement_id = ANY($2) RETURNING document`, ev.GetTenant(), ev.GetSettlementIds())
		if err != nil {
			return err
		}
		docs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		ch.Undone = docs
		ch.Applied, err = setOpen(ctx, tx, ev.GetTenant(), ev.GetOpenItemId(), ch.Open, seq)
		return err
	})
	if err != nil {
		return Change{}, fmt.Errorf("reopen item %s: %w", ev.GetOpenItemId(), err)
	}
	return ch, nil
}

// setOpen sets an item's open amount unless a newer event set it.
func setOpen(ctx context.Context, tx pgx.Tx, tenant, id string, open int64, seq uint64) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE items SET open_minor = $3::bigint, seq = GREATEST(seq, $4::bigint),
		cleared_at = CASE WHEN $3::bigint = 0 THEN now() END, updated_at = now()
		WHERE tenant = $1 AND item_id = $2 AND ($4::bigint = 0 OR seq < $4::bigint)`, tenant, id, open, int64(seq))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

// InvoiceTerms records an invoice's cash discount terms (ingestion's
// InvoiceIngested: discount_days after the issue date, discount_bp) and
// returns the invoice's item as the engine takes it when the ledger opened
// it already, with false otherwise. An invoice without a cash discount
// records nothing.
func (s *Store) InvoiceTerms(ctx context.Context, inv *ingestionv1.InvoiceIngested) (engine.OpenItem, bool, error) {
	terms := inv.GetPaymentTerms()
	issue := dateOf(inv.GetIssueDate())
	if terms.GetDiscountBp() <= 0 || terms.GetDiscountDays() <= 0 || issue == nil {
		return engine.OpenItem{}, false, nil
	}
	until := issue.AddDate(0, 0, int(terms.GetDiscountDays()))
	if _, err := s.pool.Exec(ctx, `INSERT INTO invoice_terms (tenant, invoice_number, discount_until, discount_bp)
		VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, invoice_number) DO UPDATE
		SET discount_until = EXCLUDED.discount_until, discount_bp = EXCLUDED.discount_bp`,
		inv.GetTenant(), inv.GetInvoiceNumber(), until, terms.GetDiscountBp()); err != nil {
		return engine.OpenItem{}, false, fmt.Errorf("terms of invoice %s: %w", inv.GetInvoiceNumber(), err)
	}
	it, err := scanItem(s.pool.QueryRow(ctx, `SELECT `+itemColumns+` FROM `+itemFrom+`
		WHERE i.tenant = $1 AND i.document_number = $2 AND i.kind = 'invoice' LIMIT 1`, inv.GetTenant(), inv.GetInvoiceNumber()))
	if errors.Is(err, pgx.ErrNoRows) {
		return engine.OpenItem{}, false, nil
	}
	if err != nil {
		return engine.OpenItem{}, false, fmt.Errorf("terms of invoice %s: %w", inv.GetInvoiceNumber(), err)
	}
	return it, true, nil
}

// VAT returns the VAT lines of tenant's items (queue.VATs).
func (s *Store) VAT(ctx context.Context, tenant string, ids []string) (map[string][]*ledgerv1.VatAmount, error) {
	rows, err := s.pool.Query(ctx, `SELECT item_id, vat FROM items WHERE tenant = $1 AND item_id = ANY($2) AND vat IS NOT NULL`, tenant, ids)
	if err != nil {
		return nil, fmt.Errorf("VAT of items: %w", err)
	}
	defer rows.Close()
	out := map[string][]*ledgerv1.VatAmount{}
	for rows.Next() {
		var id string
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return nil, fmt.Errorf("VAT of items: %w", err)
		}
		var c ledgerv1.OpenItemClassified
		if err := proto.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("VAT of item %s: %w", id, err)
		}
		out[id] = c.GetVat()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("VAT of items: %w", err)
	}
	return out, nil
}

// Booking returns the ledger's journal entry of a ledger payment id ("" while
// none was reported) and whether a return of it was booked (queue.Ledger).
func (s *Store) Booking(ctx context.Context, tenant, ledgerPaymentID string) (string, bool, error) {
	var entryID string
	var returned bool
	err := s.pool.QueryRow(ctx, `SELECT
		COALESCE((SELECT entry_id FROM ledger_entries WHERE tenant = $1 AND ledger_payment_id = $2), ''),
		EXISTS (SELECT 1 FROM returns WHERE tenant = $1 AND ledger_payment_id = $2)`, tenant, ledgerPaymentID).Scan(&entryID, &returned)
	if err != nil {
		return "", false, fmt.Errorf("booking of %s: %w", ledgerPaymentID, err)
	}
	return entryID, returned, nil
}
