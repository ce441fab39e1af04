package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
)

func vatOf(raw []byte) ([]*ledgerv1.VatAmount, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var m ledgerv1.OpenItemClassified
	if err := proto.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("stored VAT lines: %w", err)
	}
	return m.GetVat(), nil
}

// OpenItem records an item the ledger opened: an order's invoice (a debit
// item with an order id) as an item refunds may credit, and the journal
// entry of a credit balance (what a credit note credited beyond the open
// amount) under its document number. A credit balance of a credit note
// that named an item is also recorded as a credit note on that item, for
// the amount beyond what it cleared there (a row of credit_notes keyed
// "balance:" and the credit balance's id): the order was credited by that
// much more. It returns the orders of the refunds whose credit note that
// entry books (their waiting reversals can now be decided).
func (s *Store) OpenItem(ctx context.Context, ev *ledgerv1.OpenItemOpened) ([]string, error) {
	amount := ev.GetAmount().GetMinorUnits()
	if amount < 0 && ev.GetEntryId() != "" && ev.GetDocumentNumber() != "" {
		_, err := s.pool.Exec(ctx, `INSERT INTO ledger_entries (tenant, document, entry_id) VALUES ($1, $2, $3)
			ON CONFLICT (tenant, document) DO NOTHING`, ev.GetTenant(), ev.GetDocumentNumber(), ev.GetEntryId())
		if err != nil {
			return nil, fmt.Errorf("credit balance %s: %w", ev.GetOpenItemId(), err)
		}
		if credited := ev.GetCreditedOpenItemId(); credited != "" && amount != math.MinInt64 {
			_, err := s.pool.Exec(ctx, `INSERT INTO credit_notes (tenant, settlement_id, item_id, number, amount_minor, entry_id)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, settlement_id) DO NOTHING`,
				ev.GetTenant(), BalanceRow(ev.GetOpenItemId()), credited, ev.GetDocumentNumber(), -amount, ev.GetEntryId())
			if err != nil {
				return nil, fmt.Errorf("credit balance %s of item %s: %w", ev.GetOpenItemId(), credited, err)
			}
		}
		rows, err := s.pool.Query(ctx, `SELECT DISTINCT order_id FROM refunds WHERE tenant = $1 AND credit_note_number = $2`,
			ev.GetTenant(), ev.GetDocumentNumber())
		if err != nil {
			return nil, fmt.Errorf("credit balance %s: %w", ev.GetOpenItemId(), err)
		}
		orders, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("credit balance %s: %w", ev.GetOpenItemId(), err)
		}
		return orders, nil
	}
	if amount <= 0 || ev.GetOrderId() == "" {
		return nil, nil
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO items (tenant, item_id, order_id, debtor_id, currency, amount_minor)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, item_id) DO NOTHING`,
		ev.GetTenant(), ev.GetOpenItemId(), ev.GetOrderId(), ev.GetDebtorId(), ev.GetAmount().GetCurrency(), amount)
	if err != nil {
		return nil, fmt.Errorf("open item %s: %w", ev.GetOpenItemId(), err)
	}
	return nil, nil
}

// ClassifyItem records an item's VAT lines and marketplace, after which
// refunds of its order can be booked; it returns the item's order id, or
// "" for an item that is no order's invoice (or a charge on one).
func (s *Store) ClassifyItem(ctx context.Context, ev *ledgerv1.OpenItemClassified) (string, error) {
	if c := ev.GetClaimOpenItemId(); c != "" && c != ev.GetOpenItemId() {
		return "", nil // a charge assessed on a claim
	}
	vat, err := proto.MarshalOptions{Deterministic: true}.Marshal(&ledgerv1.OpenItemClassified{Vat: ev.GetVat()})
	if err != nil {
		return "", fmt.Errorf("classify item %s: %w", ev.GetOpenItemId(), err)
	}
	var order string
	err = s.pool.QueryRow(ctx, `UPDATE items SET vat = $3, marketplace = $4, classified = true
		WHERE tenant = $1 AND item_id = $2 RETURNING order_id`,
		ev.GetTenant(), ev.GetOpenItemId(), vat, ev.GetMarketplace()).Scan(&order)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("classify item %s: %w", ev.GetOpenItemId(), err)
	}
	return order, nil
}

// SettleItem records the credit notes among an item's settlements and
// their journal entries; it returns the orders whose refunds may now be
// decided (the item's, and those of the refunds whose credit notes it
// names).
func (s *Store) SettleItem(ctx context.Context, ev *ledgerv1.OpenItemCleared) ([]string, error) {
	var orders []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, st := range ev.GetSettlements() {
			if st.GetKind() != ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO credit_notes (tenant, settlement_id, item_id, number, amount_minor, entry_id)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, settlement_id) DO NOTHING`,
				ev.GetTenant(), st.GetSettlementId(), ev.GetOpenItemId(), st.GetDocument(), st.GetAmount().GetMinorUnits(), st.GetEntryId()); err != nil {
				return err
			}
			if st.GetEntryId() != "" {
				if _, err := tx.Exec(ctx, `INSERT INTO ledger_entries (tenant, document, entry_id) VALUES ($1, $2, $3)
					ON CONFLICT (tenant, document) DO NOTHING`, ev.GetTenant(), st.GetDocument(), st.GetEntryId()); err != nil {
					return err
				}
			}
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT order_id FROM items WHERE tenant = $1 AND item_id = $2
			UNION SELECT DISTINCT r.order_id FROM refunds r WHERE r.tenant = $1 AND r.credit_note_number = ANY($3)`,
			ev.GetTenant(), ev.GetOpenItemId(), documents(ev))
		if err != nil {
			return err
		}
		orders, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("settle item %s: %w", ev.GetOpenItemId(), err)
	}
	return orders, nil
}

// BalanceRow is the credit_notes key of credit balance item id: the part
// of a credit note beyond what it cleared of the item it named.
func BalanceRow(id string) string { return "balance:" + id }

func documents(ev *ledgerv1.OpenItemCleared) []string {
	var out []string
	for _, st := range ev.GetSettlements() {
		if strings.TrimSpace(st.GetDocument()) != "" {
			out = append(out, st.GetDocument())
		}
	}
	return out
}

// UndoBalance marks the credit balance ev clears by a reversal (the
// reversal of the credit note that opened it) as no longer crediting the
// item it was recorded on, and returns that item; "" when ev reverses no
// credit balance recorded so. A credit balance used up otherwise (offset,
// paid out) still credited its order and stays.
func (s *Store) UndoBalance(ctx context.Context, ev *ledgerv1.OpenItemCleared) (string, error) {
	if !slices.ContainsFunc(ev.GetSettlements(), func(st *ledgerv1.Settlement) bool {
		return st.GetKind() == ledgerv1.SettlementKind_SETTLEMENT_KIND_REVERSAL
	}) {
		return "", nil
	}
	var item string
	err := s.pool.QueryRow(ctx, `UPDATE credit_notes SET undone = true WHERE tenant = $1 AND settlement_id = $2 RETURNING item_id`,
		ev.GetTenant(), BalanceRow(ev.GetOpenItemId())).Scan(&item)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reversal of credit balance %s: %w", ev.GetOpenItemId(), err)
	}
	return item, nil
}

// ReopenItem marks the credit notes whose settlements a reopening undid
// (a reversal of a credit note): they no longer count as credited.
func (s *Store) ReopenItem(ctx context.Context, ev *ledgerv1.OpenItemReopened) error {
	if len(ev.GetSettlementIds()) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE credit_notes SET undone = true WHERE tenant = $1 AND settlement_id = ANY($2)`,
		ev.GetTenant(), ev.GetSettlementIds())
	if err != nil {
		return fmt.Errorf("reopen item %s: %w", ev.GetOpenItemId(), err)
	}
	return nil
}

// Audit keeps one SP-API exchange of a seller account (secrets already
// redacted by the client).
func (s *Store) Audit(ctx context.Context, tenant, account string, x spapi.Exchange) error {
	headers, err := json.Marshal(x.RequestHeaders)
	if err != nil {
		return fmt.Errorf("audit %s: %w", x.Operation, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO exchanges (tenant, seller_account, operation, method, url, request_headers, status,
		response_body, started, duration_ms, attempt) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		tenant, account, x.Operation, x.Method, x.URL, headers, x.Status, x.ResponseBody, x.Started, x.Duration.Milliseconds(), x.Attempt)
	if err != nil {
		return fmt.Errorf("audit %s: %w", x.Operation, err)
	}
	return nil
}

// Exchanges counts a seller account's audited exchanges of an operation
// (all operations when op is empty).
func (s *Store) Exchanges(ctx context.Context, tenant, account, op string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM exchanges WHERE tenant = $1 AND seller_account = $2 AND ($3 = '' OR operation = $3)`,
		tenant, account, op).Scan(&n)
	return n, err
}
