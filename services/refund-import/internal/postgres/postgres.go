// Package postgres keeps refund import's storage in the service's
// PostgreSQL schema: every refund with what was decided about it (written
// in the transaction that appends its events and ledger command, so a
// decision and its booking are stored together or not at all), how far
// each seller account's import got, the ledger's open items of orders with
// the credit notes that cleared them (from the ledger's item events), the
// SP-API exchanges kept for audit, and the settlement reports fetched.
package postgres

import (
	"context"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/services/refund-import/internal/job"
	"github.com/o2c-platform/o2c/services/refund-import/internal/refund"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is refund import's PostgreSQL schema.
const Schema = "refund_import"

// Migrations returns refund import's own migrations (applied after the
// event store's and the rejection store's).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations") // embedded: cannot fail
	return sub
}

// ErrBadPageToken means a page token was not one this store issued.
var ErrBadPageToken = errors.New("bad page token")

// Errors classifies the store's own sentinel errors.
var Errors = fault.Table{
	{Err: ErrBadPageToken, Class: fault.Invalid},
}

// Store is refund import's storage.
type Store struct {
	pool   *pgxpool.Pool
	events Appender
}

// New returns a store on pool (connected with search_path = Schema) that
// appends decisions to events (the service's event store, in the same
// database).
func New(pool *pgxpool.Pool, events Appender) *Store { return &Store{pool: pool, events: events} }

// Appender appends groups of events atomically and runs the statements
// queued for the groups it writes in the same transaction
// (eventstore.Store.AppendBatchWith).
type Appender interface {
	AppendBatchWith(ctx context.Context, groups []es.AppendGroup, with eventstore.With) ([]es.GroupResult, error)
}

// Save stores each group of writes atomically (job.Store): the events of
// every write of a group with their rows (a refund's decision, a fetched
// settlement report), or nothing. It returns one error per group: nil
// when stored (or stored before with the same events), one wrapping
// es.ErrVersionConflict when a stream moved on since it was loaded, or
// es.ErrContentMismatch when another decision was stored at the same
// version (its events have the same ids). The second result is an error
// of the whole call.
func (s *Store) Save(ctx context.Context, groups [][]job.Write) ([]error, error) {
	if s.events == nil {
		return nil, errors.New("store decisions: no event store")
	}
	gs := make([]es.AppendGroup, len(groups))
	rows := make([][]func(*pgx.Batch), len(groups))
	for i, g := range groups {
		for _, w := range g {
			gs[i] = append(gs[i], es.StreamAppend{Stream: w.Stream, Expected: w.Expected, Events: w.Events})
			r, err := rowsOf(w)
			if err != nil {
				return nil, err
			}
			if r != nil {
				rows[i] = append(rows[i], r)
			}
		}
	}
	res, err := s.events.AppendBatchWith(ctx, gs, func(written []int, b *pgx.Batch) {
		for _, i := range written {
			for _, r := range rows[i] {
				r(b)
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("store decisions: %w", err)
	}
	errs := make([]error, len(groups))
	for i, r := range res {
		errs[i] = r.Err
	}
	return errs, nil
}

// rowsOf is the statement that records a write's row.
func rowsOf(w job.Write) (func(*pgx.Batch), error) {
	switch {
	case w.Refund != nil:
		d := *w.Refund
		tenant, at := w.Stream.Tenant, w.At
		raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(d.Proto(at))
		if err != nil {
			return nil, fmt.Errorf("refund %s: %w", d.Key(), err)
		}
		version := int64(w.Expected) + int64(len(w.Events))
		var posted *time.Time
		if !d.Posted.IsZero() {
			p := d.Posted
			posted = &p
		}
		return func(b *pgx.Batch) {
			b.Queue(`
				INSERT INTO refunds (tenant, key, adjustment_id, order_id, item, reversal, state, seller_account, open_item_id,
				                     credit_note_number, posted, version, refund, decided_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
				ON CONFLICT (tenant, key) DO UPDATE SET state = excluded.state, open_item_id = excluded.open_item_id,
					credit_note_number = excluded.credit_note_number, version = excluded.version, refund = excluded.refund,
					decided_at = excluded.decided_at
				WHERE refunds.version < excluded.version`,
				tenant, d.Key(), d.AdjustmentID, d.OrderID, d.Item(), d.Kind == refund.KindReversal, int16(d.State), d.SellerAccount,
				d.OpenItemID, d.CreditNoteNumber, posted, version, raw, at)
		}, nil
	case w.Fetch != nil:
		ev := w.Fetch
		raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
		if err != nil {
			return nil, err
		}
		return func(b *pgx.Batch) {
			b.Queue(`INSERT INTO settlement_fetches (tenant, seller_account, report_id, created, fetched) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (tenant, seller_account, report_id) DO NOTHING`,
				ev.GetTenant(), ev.GetSellerAccount(), ev.GetReportId(), ev.GetCreated().AsTime(), raw)
		}, nil
	}
	return nil, nil
}

func scanDecided(rows pgx.Rows) ([]refund.Decided, error) {
	var out []refund.Decided
	for rows.Next() {
		var raw []byte
		var version int64
		var entry string
		if err := rows.Scan(&raw, &version, &entry); err != nil {
			return nil, err
		}
		var m refundv1.Refund
		if err := proto.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("stored refund: %w", err)
		}
		d := refund.DecidedOf(&m, version)
		if d.EntryID == "" && d.State == refund.Booked {
			d.EntryID = entry
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Situations returns what is known when each of the refunds of tenant is
// decided, as stored: its prior decision with the shop credit notes that
// credited its order again, its order's classified item
// (the one in its currency when there are several) with the credit notes
// that cleared it, and the other refunds of its order. Three queries for
// all of them.
func (s *Store) Situations(ctx context.Context, tenant string, rs []refund.Refund) ([]refund.Situation, error) {
	out := make([]refund.Situation, len(rs))
	if len(rs) == 0 {
		return out, nil
	}
	keys := make([]string, 0, len(rs))
	orders := make([]string, 0, len(rs))
	seen := map[string]bool{}
	for _, r := range rs {
		keys = append(keys, r.Key())
		if !seen[r.OrderID] {
			seen[r.OrderID] = true
			orders = append(orders, r.OrderID)
		}
	}
	// The stored refunds of the orders (every key among them).
	rows, err := s.pool.Query(ctx, `SELECT r.refund, r.version, coalesce(e.entry_id, '') FROM refunds r
		LEFT JOIN ledger_entries e ON e.tenant = r.tenant AND e.document = r.credit_note_number
		WHERE r.tenant = $1 AND r.order_id = ANY($2) ORDER BY r.posted, r.key`, tenant, orders)
	if err != nil {
		return nil, fmt.Errorf("refunds of %d orders: %w", len(orders), err)
	}
	stored, err := scanDecided(rows)
	if err != nil {
		return nil, fmt.Errorf("refunds of %d orders: %w", len(orders), err)
	}
	byOrder := map[string][]refund.Decided{}
	for _, d := range stored {
		byOrder[d.OrderID] = append(byOrder[d.OrderID], d)
	}
	items, err := s.orderItems(ctx, tenant, orders)
	if err != nil {
		return nil, err
	}
	flags, err := s.creditedAgainBy(ctx, tenant, keys)
	if err != nil {
		return nil, fmt.Errorf("refunds credited again: %w", err)
	}
	for i, r := range rs {
		out[i].CreditedAgain = flags[r.Key()]
		k := r.Key()
		for _, d := range byOrder[r.OrderID] {
			if d.Key() == k {
				p := d
				out[i].Prior = &p
			} else {
				out[i].Others = append(out[i].Others, d)
			}
		}
		var pick *refund.Item
		for _, it := range items[r.OrderID] {
			if pick == nil || it.Currency == r.Currency && pick.Currency != r.Currency {
				pick = it
			}
		}
		if pick != nil {
			c := *pick
			out[i].Item = &c
		}
	}
	return out, nil
}

// orderItems returns the classified items of orders, by order id, each
// with the credit notes that cleared it and were not undone.
func (s *Store) orderItems(ctx context.Context, tenant string, orders []string) (map[string][]*refund.Item, error) {
	rows, err := s.pool.Query(ctx, `SELECT item_id, order_id, debtor_id, currency, amount_minor, marketplace, vat FROM items
		WHERE tenant = $1 AND order_id = ANY($2) AND classified ORDER BY order_id, item_id`, tenant, orders)
	if err != nil {
		return nil, fmt.Errorf("items of %d orders: %w", len(orders), err)
	}
	defer rows.Close()
	out := map[string][]*refund.Item{}
	byID := map[string]*refund.Item{}
	var ids []string
	for rows.Next() {
		it := &refund.Item{}
		var vat []byte
		if err := rows.Scan(&it.ID, &it.OrderID, &it.Debtor, &it.Currency, &it.Amount, &it.Marketplace, &vat); err != nil {
			return nil, fmt.Errorf("items of %d orders: %w", len(orders), err)
		}
		if it.VAT, err = vatOf(vat); err != nil {
			return nil, fmt.Errorf("item %s: %w", it.ID, err)
		}
		out[it.OrderID] = append(out[it.OrderID], it)
		byID[it.ID] = it
		ids = append(ids, it.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("items of %d orders: %w", len(orders), err)
	}
	if len(ids) == 0 {
		return out, nil
	}
	cns, err := s.pool.Query(ctx, `SELECT item_id, number, amount_minor, entry_id FROM credit_notes
		WHERE tenant = $1 AND item_id = ANY($2) AND NOT undone ORDER BY item_id, settlement_id`, tenant, ids)
	if err != nil {
		return nil, fmt.Errorf("credit notes of %d items: %w", len(ids), err)
	}
	defer cns.Close()
	for cns.Next() {
		var id string
		var cn refund.CreditNote
		if err := cns.Scan(&id, &cn.Number, &cn.Amount, &cn.EntryID); err != nil {
			return nil, fmt.Errorf("credit notes of %d items: %w", len(ids), err)
		}
		it := byID[id]
		// One credit note may clear the item in several settlements.
		merged := false
		for j := range it.CreditNotes {
			if it.CreditNotes[j].Number == cn.Number {
				it.CreditNotes[j].Amount += cn.Amount
				merged = true
			}
		}
		if !merged {
			it.CreditNotes = append(it.CreditNotes, cn)
		}
	}
	return out, cns.Err()
}

// OrderItem returns the ledger's classified open item of an order (the
// one in currency when there are several), with the credit notes that
// cleared it and were not undone; nil when there is none.
func (s *Store) OrderItem(ctx context.Context, tenant, orderID, currency string) (*refund.Item, error) {
	items, err := s.orderItems(ctx, tenant, []string{orderID})
	if err != nil {
		return nil, err
	}
	var pick *refund.Item
	for _, it := range items[orderID] {
		if pick == nil || it.Currency == currency && pick.Currency != currency {
			pick = it
		}
	}
	return pick, nil
}

// Waiting returns the refunds of an order that wait (for the order's item
// or, a reversal, for its refund's credit note).
func (s *Store) Waiting(ctx context.Context, tenant, orderID string) ([]refund.Decided, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.refund, r.version, '' FROM refunds r
		WHERE r.tenant = $1 AND r.order_id = $2 AND r.state = $3 ORDER BY r.posted, r.key`, tenant, orderID, int16(refund.Waiting))
	if err != nil {
		return nil, fmt.Errorf("waiting refunds of order %s: %w", orderID, err)
	}
	ds, err := scanDecided(rows)
	if err != nil {
		return nil, fmt.Errorf("waiting refunds of order %s: %w", orderID, err)
	}
	return ds, nil
}

// RefundsOf returns the refunds of tenant with an adjustment id, of the
// order and item (SKU, else order item id) when those are given.
func (s *Store) RefundsOf(ctx context.Context, tenant, adjustmentID, orderID, item string) ([]refund.Decided, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.refund, r.version, '' FROM refunds r
		WHERE r.tenant = $1 AND r.adjustment_id = $2 AND ($3 = '' OR r.order_id = $3) AND ($4 = '' OR r.item = $4)
		ORDER BY r.posted, r.key`, tenant, adjustmentID, orderID, item)
	if err != nil {
		return nil, fmt.Errorf("refunds of adjustment %s: %w", adjustmentID, err)
	}
	ds, err := scanDecided(rows)
	if err != nil {
		return nil, fmt.Errorf("refunds of adjustment %s: %w", adjustmentID, err)
	}
	return ds, nil
}

// WaitingOrders returns the orders of a tenant with waiting refunds.
func (s *Store) WaitingOrders(ctx context.Context, tenant string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT order_id FROM refunds WHERE tenant = $1 AND state = $2 ORDER BY order_id`,
		tenant, int16(refund.Waiting))
	if err != nil {
		return nil, fmt.Errorf("orders with waiting refunds: %w", err)
	}
	orders, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("orders with waiting refunds: %w", err)
	}
	return orders, nil
}

// Progress returns how far a seller account's import got: the
// PostedBefore of its last complete window and the creation time of the
// newest settlement report fetched (zero when none).
func (s *Store) Progress(ctx context.Context, tenant, account string) (completed, reportsSince time.Time, err error) {
	var c, r *time.Time
	err = s.pool.QueryRow(ctx, `SELECT completed_before, reports_since FROM progress WHERE tenant = $1 AND seller_account = $2`,
		tenant, account).Scan(&c, &r)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("progress of %s: %w", account, err)
	}
	if c != nil {
		completed = c.UTC()
	}
	if r != nil {
		reportsSince = r.UTC()
	}
	return completed, reportsSince, nil
}

// Completed records that a seller account's window up to before was
// imported completely; an earlier instant never moves it back.
func (s *Store) Completed(ctx context.Context, tenant, account string, before time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO progress (tenant, seller_account, completed_before) VALUES ($1, $2, $3)
		ON CONFLICT (tenant, seller_account) DO UPDATE SET completed_before = greatest(progress.completed_before, excluded.completed_before),
			updated_at = now()`, tenant, account, before)
	if err != nil {
		return fmt.Errorf("progress of %s: %w", account, err)
	}
	return nil
}

// ReportsFetched records that a seller account's settlement reports
// created up to since were fetched.
func (s *Store) ReportsFetched(ctx context.Context, tenant, account string, since time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO progress (tenant, seller_account, reports_since) VALUES ($1, $2, $3)
		ON CONFLICT (tenant, seller_account) DO UPDATE SET reports_since = greatest(progress.reports_since, excluded.reports_since),
			updated_at = now()`, tenant, account, since)
	if err != nil {
		return fmt.Errorf("progress of %s: %w", account, err)
	}
	return nil
}

// Fetched reports whether a settlement report was fetched and handed over.
func (s *Store) Fetched(ctx context.Context, tenant, account, reportID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM settlement_fetches WHERE tenant = $1 AND seller_account = $2 AND report_id = $3)`,
		tenant, account, reportID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("settlement report %s: %w", reportID, err)
	}
	return ok, nil
}

// MaxPageSize bounds a listing's page.
const MaxPageSize = 1000

func pageSize(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, MaxPageSize)
}

func token(t time.Time, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixNano(), 10) + "\x00" + key))
}

func untoken(tok string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return time.Time{}, "", ErrBadPageToken
	}
	ns, key, ok := strings.Cut(string(raw), "\x00")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil {
		return time.Time{}, "", ErrBadPageToken
	}
	return time.Unix(0, n).UTC(), key, nil
}

// Refunds lists a tenant's refunds, of one order when orderID is set,
// newest posted first. With toReview it lists only the refunds that wait
// for a person: held ones, and booked ones flagged as credited again
// whose flags a reviewer has not all kept. The kept flags are in the
// refund's bytes, so those are left out after the page is read: a page
// may then be shorter than size and still have a next one.
func (s *Store) Refunds(ctx context.Context, tenant, orderID string, toReview bool, size int, tok string) ([]*refundv1.Refund, string, error) {
	after, afterKey := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ""
	if tok != "" {
		var err error
		if after, afterKey, err = untoken(tok); err != nil {
			return nil, "", err
		}
	}
	n := pageSize(size)
	rows, err := s.pool.Query(ctx, `SELECT refund, coalesce(posted, 'epoch'::timestamptz), key FROM refunds r
		WHERE tenant = $1 AND ($2 = '' OR order_id = $2)
		  AND (coalesce(posted, 'epoch'::timestamptz) < $3 OR (coalesce(posted, 'epoch'::timestamptz) = $3 AND key > $4))
		  AND (NOT $6 OR state = $7 OR (state = $8 AND EXISTS (
		      SELECT 1 FROM credited_again c WHERE c.tenant = r.tenant AND c.refund_key = r.key)))
		ORDER BY coalesce(posted, 'epoch'::timestamptz) DESC, key LIMIT $5`,
		tenant, orderID, after, afterKey, n+1, toReview, int16(refund.Held), int16(refund.Booked))
	if err != nil {
		return nil, "", fmt.Errorf("list refunds: %w", err)
	}
	defer rows.Close()
	var out []*refundv1.Refund
	next := ""
	for rows.Next() {
		var raw []byte
		var posted time.Time
		var key string
		if err := rows.Scan(&raw, &posted, &key); err != nil {
			return nil, "", fmt.Errorf("list refunds: %w", err)
		}
		if len(out) == n {
			next = token(prevPosted(out), out[len(out)-1].GetKey())
			break
		}
		m := &refundv1.Refund{}
		if err := proto.Unmarshal(raw, m); err != nil {
			return nil, "", fmt.Errorf("list refunds: %w", err)
		}
		m.EntryId = ""
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list refunds: %w", err)
	}
	if err := s.flagged(ctx, tenant, out); err != nil {
		return nil, "", err
	}
	if toReview {
		out = slices.DeleteFunc(out, func(m *refundv1.Refund) bool {
			return m.GetState() == refundv1.RefundState_REFUND_STATE_BOOKED && len(m.GetCreditedAgainBy()) == 0
		})
	}
	return out, next, nil
}

// flagged sets CreditedAgainBy on the booked refunds of out: the shop
// credit notes flagged, less those a reviewer kept.
func (s *Store) flagged(ctx context.Context, tenant string, out []*refundv1.Refund) error {
	var keys []string
	for _, m := range out {
		if m.GetState() == refundv1.RefundState_REFUND_STATE_BOOKED {
			keys = append(keys, m.GetKey())
		}
	}
	by, err := s.creditedAgainBy(ctx, tenant, keys)
	if err != nil {
		return fmt.Errorf("list refunds: credited again: %w", err)
	}
	for _, m := range out {
		if m.GetState() != refundv1.RefundState_REFUND_STATE_BOOKED {
			continue
		}
		for _, n := range by[m.GetKey()] {
			if !slices.Contains(m.GetCreditedAgainKept(), n) {
				m.CreditedAgainBy = append(m.CreditedAgainBy, n)
			}
		}
	}
	return nil
}

func prevPosted(out []*refundv1.Refund) time.Time {
	p := out[len(out)-1].GetPosted()
	if p == nil {
		return time.Unix(0, 0).UTC()
	}
	return p.AsTime()
}

// Fetches lists a tenant's fetched settlement reports, newest first.
func (s *Store) Fetches(ctx context.Context, tenant, account string, size int, tok string) ([]*refundv1.SettlementReportFetched, string, error) {
	after, afterKey := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ""
	if tok != "" {
		var err error
		if after, afterKey, err = untoken(tok); err != nil {
			return nil, "", err
		}
	}
	n := pageSize(size)
	rows, err := s.pool.Query(ctx, `SELECT fetched, created, seller_account || '/' || report_id FROM settlement_fetches
		WHERE tenant = $1 AND ($2 = '' OR seller_account = $2)
		  AND (created < $3 OR (created = $3 AND seller_account || '/' || report_id > $4))
		ORDER BY created DESC, seller_account || '/' || report_id LIMIT $5`, tenant, account, after, afterKey, n+1)
	if err != nil {
		return nil, "", fmt.Errorf("list settlement fetches: %w", err)
	}
	defer rows.Close()
	var out []*refundv1.SettlementReportFetched
	var created, prev time.Time
	var key, prevKey string
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw, &created, &key); err != nil {
			return nil, "", fmt.Errorf("list settlement fetches: %w", err)
		}
		if len(out) == n {
			return out, token(prev, prevKey), nil
		}
		m := &refundv1.SettlementReportFetched{}
		if err := proto.Unmarshal(raw, m); err != nil {
			return nil, "", fmt.Errorf("list settlement fetches: %w", err)
		}
		out = append(out, m)
		prev, prevKey = created, key
	}
	return out, "", rows.Err()
}
