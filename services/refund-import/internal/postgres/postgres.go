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

// Prior returns what was decided under the refund's key, or nil.
func (s *Store) Prior(ctx context.Context, tenant, key string) (*refund.Decided, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.refund, r.version, coalesce(e.entry_id, '') FROM refunds r
		LEFT JOIN ledger_entries e ON e.tenant = r.tenant AND e.document = r.credit_note_number
		WHERE r.tenant = $1 AND r.key = $2`, tenant, key)
	if err != nil {
		return nil, fmt.Errorf("refund %s: %w", key, err)
	}
	ds, err := scanDecided(rows)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	return &ds[0], nil
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

// Situation returns what is known when refund r of tenant is decided.
func (s *Store) Situation(ctx context.Context, tenant string, r refund.Refund) (refund.Situation, error) {
	var out refund.Situation
	prior, err := s.Prior(ctx, tenant, r.Key())
	if err != nil {
		return out, err
	}
	out.Prior = prior
	if out.Item, err = s.OrderItem(ctx, tenant, r.OrderID, r.Currency); err != nil {
		return out, err
	}
	rows, err := s.pool.Query(ctx, `SELECT r.refund, r.version, coalesce(e.entry_id, '') FROM refunds r
		LEFT JOIN ledger_entries e ON e.tenant = r.tenant AND e.document = r.credit_note_number
		WHERE r.tenant = $1 AND r.order_id = $2 AND r.key <> $3 ORDER BY r.posted, r.key`, tenant, r.OrderID, r.Key())
	if err != nil {
		return out, fmt.Errorf("refunds of order %s: %w", r.OrderID, err)
	}
	if out.Others, err = scanDecided(rows); err != nil {
		return out, fmt.Errorf("refunds of order %s: %w", r.OrderID, err)
	}
	return out, nil
}

// OrderItem returns the ledger's classified open item of an order (the
// one in currency when there are several), with the credit notes that
// cleared it and were not undone; nil when there is none.
func (s *Store) OrderItem(ctx context.Context, tenant, orderID, currency string) (*refund.Item, error) {
	var it refund.Item
	var vat []byte
	err := s.pool.QueryRow(ctx, `SELECT item_id, order_id, debtor_id, currency, amount_minor, marketplace, vat FROM items
		WHERE tenant = $1 AND order_id = $2 AND classified ORDER BY currency = $3 DESC, item_id LIMIT 1`,
		tenant, orderID, currency).Scan(&it.ID, &it.OrderID, &it.Debtor, &it.Currency, &it.Amount, &it.Marketplace, &vat)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("item of order %s: %w", orderID, err)
	}
	if it.VAT, err = vatOf(vat); err != nil {
		return nil, fmt.Errorf("item %s: %w", it.ID, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT number, amount_minor, entry_id FROM credit_notes
		WHERE tenant = $1 AND item_id = $2 AND NOT undone ORDER BY settlement_id`, tenant, it.ID)
	if err != nil {
		return nil, fmt.Errorf("credit notes of item %s: %w", it.ID, err)
	}
	it.CreditNotes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (refund.CreditNote, error) {
		var cn refund.CreditNote
		err := r.Scan(&cn.Number, &cn.Amount, &cn.EntryID)
		return cn, err
	})
	if err != nil {
		return nil, fmt.Errorf("credit notes of item %s: %w", it.ID, err)
	}
	// One credit note may clear the item in several settlements.
	merged := it.CreditNotes[:0]
	at := map[string]int{}
	for _, cn := range it.CreditNotes {
		if i, ok := at[cn.Number]; ok {
			merged[i].Amount += cn.Amount
			continue
		}
		at[cn.Number] = len(merged)
		merged = append(merged, cn)
	}
	it.CreditNotes = merged
	return &it, nil
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
// newest posted first.
func (s *Store) Refunds(ctx context.Context, tenant, orderID string, size int, tok string) ([]*refundv1.Refund, string, error) {
	after, afterKey := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ""
	if tok != "" {
		var err error
		if after, afterKey, err = untoken(tok); err != nil {
			return nil, "", err
		}
	}
	n := pageSize(size)
	rows, err := s.pool.Query(ctx, `SELECT refund, coalesce(posted, 'epoch'::timestamptz), key FROM refunds
		WHERE tenant = $1 AND ($2 = '' OR order_id = $2)
		  AND (coalesce(posted, 'epoch'::timestamptz) < $3 OR (coalesce(posted, 'epoch'::timestamptz) = $3 AND key > $4))
		ORDER BY coalesce(posted, 'epoch'::timestamptz) DESC, key LIMIT $5`, tenant, orderID, after, afterKey, n+1)
	if err != nil {
		return nil, "", fmt.Errorf("list refunds: %w", err)
	}
	defer rows.Close()
	var out []*refundv1.Refund
	var last time.Time
	var lastKey string
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw, &last, &lastKey); err != nil {
			return nil, "", fmt.Errorf("list refunds: %w", err)
		}
		if len(out) == n {
			return out, token(prevPosted(out), out[len(out)-1].GetKey()), nil
		}
		m := &refundv1.Refund{}
		if err := proto.Unmarshal(raw, m); err != nil {
			return nil, "", fmt.Errorf("list refunds: %w", err)
		}
		m.EntryId = ""
		out = append(out, m)
	}
	return out, "", rows.Err()
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
