// Package postgres is the ledger's storage: the group committer of manual
// journal entries (Poster), the read models (journal lines, account
// balances, the control account roll-up, open items), and the Directory of
// the books' command service (command_routes and the debtor account
// numbers), in the service's PostgreSQL schema. The read models are
// projections of the ledger's event store: they are updated in the same
// transaction as the projection's checkpoint, so they never lose or double
// an event. Deciding is not done here: commands go through
// books.Commander, and the Poster asks the books to check each entry.
//
// # Stream layout
//
// Every journal entry posted through Poster is its own stream (type
// books.StreamTypeEntry, id the entry id), appended with
// eventstore.NoStream. The entry id and the event id derive from (tenant,
// idempotency key), so:
//
//   - entries never contend with each other: unrelated debtors post in
//     parallel, and a hot account (the Amazon clearing account that every
//     payout line touches) serialises nothing, because no account has a
//     stream and no post reads or locks an account;
//   - an entry is one event, so it is atomic across all of its accounts;
//   - a retry with the same key finds the stored event: the same content is
//     a replay, other content a conflict (books.ErrIdempotencyConflict).
//
// Balances are not streams but projections (account_balances,
// control_balances), written per batch of events. The open items of a
// debtor live on the debtor's stream (books.StreamTypeDebtor), which
// books.Commander decides on; command_routes says which debtor's stream
// holds an entry or item, written by the Commander after each append and
// rebuilt by the projection.
//
// # Group commit
//
// Poster hands entries the books checked to committers that collect
// concurrent posts (up to PosterOptions.MaxBatch, waiting at most Window),
// read each tenant's period stream once per batch to reject entries dated
// in a closed period, and store each batch with one eventstore.AppendBatch:
// one INSERT, one transaction, one WAL flush with PostgreSQL's default
// durability. Each caller gets its own result; replays and conflicts are
// decided per entry, and an entry whose write fails on its own is retried
// alone, so it never fails the others of its batch.
//
// # Runtime invariants
//
// After every committed projection batch, Projector.Check verifies that
// every entry of the batch balances per currency, that the trial balance of
// every tenant the batch touched sums to zero per currency, and that the
// debtor personal accounts sum to the receivables control account's
// roll-up, and that, per debtor and currency touched, the open items sum to
// the debtor's personal-account lines of the command path. The last check
// reads the debtor's running totals (debtor_totals, kept by statement
// triggers on journal_lines and open_items), so its cost does not grow with
// the debtor's history. A breach increments BreachMetric with the
// invariant's name and writes one error log line naming the invariant,
// tenant, currency and difference.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is the ledger's PostgreSQL schema.
const Schema = "ledger"

// ProjectionName is the checkpoint name of the read-model projection.
const ProjectionName = "ledger-read-model"

// Migrations returns the ledger's own migrations.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations") // embedded: cannot fail
	return sub
}

// Store is the ledger's storage besides the event store.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool (search_path = Schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// DebtorAccount returns the personal account of the debtor, assigning the
// next free number of the tenant's debtor range (books.DebtorRange of the
// chart's account length: 10000-69999 for length 4, one digit more per
// step) on first sight. Concurrent first sights of different debtors retry
// on the unique number; of one debtor, both get the same number. A full
// range is an error, never a number outside it.
func (s *Store) DebtorAccount(ctx context.Context, tenant, debtorID string, chart books.Chart) (string, error) {
	first, last, err := books.DebtorRange(chart.AccountLength)
	if err != nil {
		return "", fmt.Errorf("debtor account %s: %w", debtorID, err)
	}
	for attempt := 0; attempt < 20; attempt++ {
		var n int64
		err := s.pool.QueryRow(ctx, `SELECT account_no FROM debtor_accounts WHERE tenant = $1 AND debtor_id = $2`, tenant, debtorID).Scan(&n)
		if err == nil {
			return books.DebtorAccount(n), nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("debtor account %s: %w", debtorID, err)
		}
		var next int64
		if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(account_no) + 1, $2) FROM debtor_accounts
			WHERE tenant = $1 AND account_no BETWEEN $2 AND $3`, tenant, first, last).Scan(&next); err != nil {
			return "", fmt.Errorf("assign debtor account %s: %w", debtorID, err)
		}
		if next > last {
			return "", fmt.Errorf("assign debtor account %s: the debtor accounts %d-%d of tenant %s are all taken; raise the account length", debtorID, first, last, tenant)
		}
		_, err = s.pool.Exec(ctx, `
			INSERT INTO debtor_accounts (tenant, debtor_id, account_no) VALUES ($1, $2, $3)
			ON CONFLICT (tenant, debtor_id) DO NOTHING`, tenant, debtorID, next)
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "23505") {
			return "", fmt.Errorf("assign debtor account %s: %w", debtorID, err)
		}
	}
	return "", fmt.Errorf("assign debtor account %s: too much contention", debtorID)
}

// Project applies one ledger event to the read models inside tx (the
// projection's transaction). Unknown event types are skipped.
func Project(ctx context.Context, tx pgx.Tx, ev eventstore.Event) error {
	switch p := ev.Payload.(type) {
	case *ledgerv1.JournalEntryPosted:
		for i, l := range p.GetLegs() {
			_, err := tx.Exec(ctx, `
				INSERT INTO journal_lines (tenant, entry_id, leg_no, account, debtor_id, currency, amount_minor,
				    effective_date, document_number, tax_key, event_position)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT DO NOTHING`,
				p.GetTenant(), p.GetEntryId(), i, l.GetAccount(), l.GetDebtorId(), l.GetAmount().GetCurrency(),
				l.GetAmount().GetMinorUnits(), date(p.GetEffectiveDate()), p.GetDocumentNumber(), l.GetTaxKey(), ev.Position)
			if err != nil {
				return fmt.Errorf("project journal entry %s: %w", p.GetEntryId(), err)
			}
		}
	case *ledgerv1.OpenItemOpened:
		_, err := tx.Exec(ctx, `
			INSERT INTO open_items (tenant, id, debtor_id, debtor_account, kind, document_number, order_id, currency,
			    amount_minor, open_minor, document_date, due_date, payment_reference, entry_id, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14)
			ON CONFLICT DO NOTHING`,
			p.GetTenant(), p.GetOpenItemId(), p.GetDebtorId(), p.GetDebtorAccount(), p.GetKind(), p.GetDocumentNumber(),
			p.GetOrderId(), p.GetAmount().GetCurrency(), p.GetAmount().GetMinorUnits(), date(p.GetDocumentDate()),
			date(p.GetDueDate()), p.GetPaymentReference(), p.GetEntryId(), ev.RecordedAt)
		if err != nil {
			return fmt.Errorf("project open item %s: %w", p.GetOpenItemId(), err)
		}
	}
	return nil
}

func date(d *commonv1.Date) time.Time {
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
}

func toDate(t time.Time) *commonv1.Date {
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// OpenItems returns the tenant's open items with a non-zero open amount,
// of one debtor when debtorID is not empty, by due date then document number.
func (s *Store) OpenItems(ctx context.Context, tenant, debtorID string) ([]*ledgerv1.OpenItem, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, debtor_id, debtor_account, document_number, order_id, currency, amount_minor, open_minor,
		       document_date, due_date, payment_reference
		FROM open_items
		WHERE tenant = $1 AND ($2 = '' OR debtor_id = $2) AND open_minor <> 0
		ORDER BY due_date, document_number, id`, tenant, debtorID)
	if err != nil {
		return nil, fmt.Errorf("open items of %s/%s: %w", tenant, debtorID, err)
	}
	defer rows.Close()
	var out []*ledgerv1.OpenItem
	for rows.Next() {
		var (
			id           uuid.UUID
			it           ledgerv1.OpenItem
			cur          string
			amount, open int64
			doc, due     time.Time
		)
		if err := rows.Scan(&id, &it.DebtorId, &it.DebtorAccount, &it.DocumentNumber, &it.OrderId, &cur, &amount, &open,
			&doc, &due, &it.PaymentReference); err != nil {
			return nil, fmt.Errorf("open items: %w", err)
		}
		it.Id = id.String()
		it.Amount = &commonv1.Money{MinorUnits: amount, Currency: cur}
		it.OpenAmount = &commonv1.Money{MinorUnits: open, Currency: cur}
		it.DocumentDate, it.DueDate = toDate(doc), toDate(due)
		out = append(out, &it)
	}
	return out, rows.Err()
}
