package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// InvariantBankReconciliation: for every bank statement the ledger
// recorded, the bank account's G/L account in the statement's currency,
// over every line effective on or before the closing date, equals the
// bank's closing balance. VerifyReadModels reports each statement that
// does not reconcile, naming statement, IBAN, both balances and the
// difference.
const InvariantBankReconciliation = "bank_reconciliation"

func statementBalance(q *pipeline, ev eventstore.Event, p *ledgerv1.StatementBalanceRecorded) {
	var opening *int64
	var openingDate *time.Time
	if m := p.GetOpeningBalance(); m != nil {
		v, d := m.GetMinorUnits(), date(p.GetOpeningDate())
		opening, openingDate = &v, &d
	}
	var entry *string
	if e := p.GetOpeningEntryId(); e != "" {
		entry = &e
	}
	q.queue("project statement balance "+p.GetStatementKey(), `
		INSERT INTO bank_statements (tenant, statement_key, iban, account, currency, closing_minor, closing_date,
		    opening_minor, opening_date, statement_id, sequence, opening_entry_id, recorded_at, event_position)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT DO NOTHING`,
		p.GetTenant(), p.GetStatementKey(), p.GetIban(), p.GetAccount(), p.GetClosingBalance().GetCurrency(),
		p.GetClosingBalance().GetMinorUnits(), date(p.GetClosingDate()), opening, openingDate, p.GetStatementId(),
		p.GetSequence(), entry, ev.RecordedAt, ev.Position)
}

// Postings is the books.Postings of the service. It reads the journal
// lines read model, which trails the event store, so every question first
// brings the read model up to date with every event stored before it
// (eventstore.Store.CatchUpProjection with the service's own projection,
// serialised with the running projection by its lock): an entry stored a
// moment ago on any stream, manual entries included, counts.
type Postings struct {
	store      *Store
	events     *eventstore.Store
	projection eventstore.Projection
}

var _ books.Postings = (*Postings)(nil)

// NewPostings returns the Postings of store, catching up projection (the
// read-model projection, Projector.Projection) on events first.
func NewPostings(store *Store, events *eventstore.Store, projection eventstore.Projection) *Postings {
	return &Postings{store: store, events: events, projection: projection}
}

// FirstPosting implements books.Postings.
func (p *Postings) FirstPosting(ctx context.Context, tenant, account, currency string) (books.Date, bool, error) {
	if _, err := p.events.CatchUpProjection(ctx, p.projection); err != nil {
		return books.Date{}, false, fmt.Errorf("first line on %s: bring the read model up to date: %w", account, err)
	}
	var first *time.Time
	err := p.store.pool.QueryRow(ctx, `SELECT min(effective_date) FROM journal_lines WHERE tenant = $1 AND account = $2 AND currency = $3`,
		tenant, account, currency).Scan(&first)
	if err != nil {
		return books.Date{}, false, fmt.Errorf("first line on %s: %w", account, err)
	}
	if first == nil {
		return books.Date{}, false, nil
	}
	return books.DateAt(*first), true, nil
}

// Reconciliation is one recorded bank statement compared with the books:
// Booked is the G/L account's balance in Currency over every line
// effective on or before ClosingDate, Expected the bank's closing balance.
type Reconciliation struct {
	Tenant, StatementKey, StatementID, Sequence, IBAN, Account, Currency string
	ClosingDate                                                          books.Date
	Expected, Booked                                                     int64
}

// Difference is Booked minus Expected.
func (r Reconciliation) Difference() int64 { return r.Booked - r.Expected }

// Proto returns r as the query service sends it.
func (r Reconciliation) Proto() *ledgerv1.BankReconciliation {
	return &ledgerv1.BankReconciliation{
		StatementKey: r.StatementKey, StatementId: r.StatementID, Sequence: r.Sequence, Iban: r.IBAN, Account: r.Account,
		ClosingDate: r.ClosingDate.Proto(), Expected: mny(r.Expected, r.Currency), Booked: mny(r.Booked, r.Currency),
		Difference: mny(r.Difference(), r.Currency),
	}
}

// BankReconciliations reconciles the tenant's recorded bank statements,
// of one IBAN when iban is not empty, ordered by IBAN, closing date and
// statement key. Its errors wrap ErrInvalidQuery, or are the context's or
// storage failures.
func (s *Store) BankReconciliations(ctx context.Context, tenant, iban string) ([]Reconciliation, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if len(iban) > 34 {
		return nil, invalidQuery("iban %q is longer than an IBAN", iban)
	}
	return reconcile(ctx, s.pool, tenant, books.NormalIBAN(iban))
}

// querier runs a query; a pool and a transaction are both one.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// reconcile compares each statement of bank_statements (of tenant, every
// tenant when ""; of iban, every IBAN when "") with the journal lines of
// its bank account: the lines of the accounts concerned are summed per
// day once, and each statement takes the running balance of its closing
// date.
func reconcile(ctx context.Context, q querier, tenant, iban string) ([]Reconciliation, error) {
	rows, err := q.Query(ctx, `
		WITH st AS (
			SELECT * FROM bank_statements WHERE ($1 = '' OR tenant = $1) AND ($2 = '' OR iban = $2)
		), daily AS (
			SELECT l.tenant, l.account, l.currency, l.effective_date, sum(l.amount_minor) AS amount
			FROM journal_lines l
			WHERE (l.tenant, l.account, l.currency) IN (SELECT tenant, account, currency FROM st)
			GROUP BY 1, 2, 3, 4
		), running AS (
			SELECT tenant, account, currency, effective_date,
			       sum(amount) OVER (PARTITION BY tenant, account, currency ORDER BY effective_date) AS balance
			FROM daily
		)
		SELECT st.tenant, st.statement_key, st.statement_id, st.sequence, st.iban, st.account, st.currency,
		       st.closing_date, st.closing_minor,
		       COALESCE((SELECT r.balance FROM running r
		                 WHERE r.tenant = st.tenant AND r.account = st.account AND r.currency = st.currency
		                   AND r.effective_date <= st.closing_date
		                 ORDER BY r.effective_date DESC LIMIT 1), 0)::bigint
		FROM st
		ORDER BY st.tenant, st.iban, st.closing_date, st.statement_key`, tenant, iban)
	if err != nil {
		return nil, fmt.Errorf("reconcile bank statements: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Reconciliation, error) {
		var rec Reconciliation
		var closing time.Time
		err := r.Scan(&rec.Tenant, &rec.StatementKey, &rec.StatementID, &rec.Sequence, &rec.IBAN, &rec.Account, &rec.Currency,
			&closing, &rec.Expected, &rec.Booked)
		rec.ClosingDate = books.DateAt(closing)
		return rec, err
	})
	if err != nil {
		return nil, fmt.Errorf("reconcile bank statements: %w", err)
	}
	return out, nil
}

// reconciliationBreaches returns a breach of InvariantBankReconciliation
// for every recorded statement of every tenant that does not reconcile.
func reconciliationBreaches(ctx context.Context, q querier) ([]Breach, error) {
	recs, err := reconcile(ctx, q, "", "")
	if err != nil {
		return nil, err
	}
	var out []Breach
	for _, r := range recs {
		if r.Difference() == 0 {
			continue
		}
		out = append(out, Breach{
			Invariant: InvariantBankReconciliation, Tenant: r.Tenant, Currency: r.Currency, Difference: r.Difference(),
			Detail: fmt.Sprintf("statement %s of %s (account %s) closes %s at %s, the books say %s: difference %s",
				r.StatementKey, r.IBAN, r.Account, r.ClosingDate, amountText(r.Expected, r.Currency),
				amountText(r.Booked, r.Currency), amountText(r.Difference(), r.Currency)),
		})
	}
	return out, nil
}

// amountText writes minor units of cur as a clerk reads them: "119.00 EUR".
func amountText(minor int64, cur string) string {
	exp, ok := money.Exponent(cur)
	if !ok {
		return fmt.Sprintf("%d minor units of %s", minor, cur)
	}
	return money.FormatMinor(minor, exp) + " " + cur
}
