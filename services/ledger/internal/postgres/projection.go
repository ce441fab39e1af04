package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// BreachMetric is the counter of runtime invariant breaches, with the
// attribute "invariant" set to one of the Invariant* names.
const BreachMetric = "o2c_ledger_invariant_breaches_total"

// Names of the runtime invariants checked after every projection batch.
const (
	// InvariantEntryBalanced: every journal entry sums to zero per currency.
	InvariantEntryBalanced = "entry_balanced"
	// InvariantTrialBalance: the balances of all accounts of a tenant sum
	// to zero per currency (Summen- und Saldenliste).
	InvariantTrialBalance = "trial_balance"
	// InvariantControlAccount: the debtor personal accounts of a tenant sum,
	// per currency, to what the receivables control account reports.
	InvariantControlAccount = "control_account"
)

// DebtorAccountPattern matches the debtor personal accounts (DATEV: five
// digits, 10000 to 69999, with the SKR03 default account length 4). Lines
// on these accounts roll up into the receivables control account, whether
// or not a leg names the debtor; a leg that names a debtor must post to one
// of them (Poster checks).
const DebtorAccountPattern = `^[1-6][0-9]{4}$`

// Projector keeps the ledger's read models (journal lines, account
// balances, the control account roll-up, open items) and checks the
// runtime invariants after every committed batch. Run it with
// eventstore.Store.RunBatchProjection(ctx, projector.Projection(poll)).
type Projector struct {
	pool     *pgxpool.Pool
	log      *slog.Logger
	breaches metric.Int64Counter
}

// NewProjector returns a projector whose invariant checks read through
// store's pool, count breaches on p's meter and log them to log.
func NewProjector(store *Store, p telemetry.Providers, log *slog.Logger) (*Projector, error) {
	c, err := telemetry.NewMeter(p, "github.com/o2c-platform/o2c/services/ledger/internal/postgres").
		Counter(BreachMetric, "Runtime invariant breaches of the ledger's read models, by invariant.", "1")
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Projector{pool: store.pool, log: log, breaches: c}, nil
}

// Projection returns the batched projection of the read models under
// ProjectionName, polling every poll.
func (p *Projector) Projection(poll time.Duration) eventstore.Projection {
	return eventstore.Projection{
		Name:      ProjectionName,
		BatchSize: 1000,
		Poll:      poll,
		Apply:     Apply,
		Committed: p.Check,
	}
}

// Apply writes a batch of ledger events to the read models inside tx: all
// journal lines of the batch with one statement that also adds them to the
// account balances and the control account roll-up (the lines on accounts
// that match DebtorAccountPattern). A line already
// projected (same tenant, entry and leg) is skipped and not added twice.
func Apply(ctx context.Context, tx pgx.Tx, evs []eventstore.Event) error {
	var l lineRows
	for _, ev := range evs {
		switch p := ev.Payload.(type) {
		case *ledgerv1.JournalEntryPosted:
			for i, leg := range p.GetLegs() {
				l.add(p, i, leg, ev.Position, ev.RecordedAt)
			}
		case *ledgerv1.OpenItemOpened:
			if err := Project(ctx, tx, ev); err != nil {
				return err
			}
		}
	}
	if len(l.tenants) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		WITH ins AS (
			INSERT INTO journal_lines (tenant, entry_id, leg_no, account, debtor_id, currency, amount_minor,
			    effective_date, document_number, tax_key, event_position, recorded_at)
			SELECT * FROM unnest($1::text[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bigint[],
			    $8::date[], $9::text[], $10::text[], $11::bigint[], $14::timestamptz[])
			ON CONFLICT DO NOTHING
			RETURNING tenant, account, currency, debtor_id, amount_minor
		), bal AS (
			INSERT INTO account_balances AS b (tenant, account, currency, debtor, debit_minor, credit_minor, balance_minor, lines)
			SELECT tenant, account, currency, account ~ $13,
			       COALESCE(sum(amount_minor) FILTER (WHERE amount_minor > 0), 0),
			       COALESCE(-sum(amount_minor) FILTER (WHERE amount_minor < 0), 0),
			       sum(amount_minor), count(*)
			FROM ins GROUP BY tenant, account, currency
			ON CONFLICT (tenant, account, currency) DO UPDATE SET
			    debit_minor = b.debit_minor + EXCLUDED.debit_minor,
			    credit_minor = b.credit_minor + EXCLUDED.credit_minor,
			    balance_minor = b.balance_minor + EXCLUDED.balance_minor,
			    lines = b.lines + EXCLUDED.lines
		)
		INSERT INTO control_balances AS c (tenant, account, currency, balance_minor)
		SELECT tenant, $12, currency, sum(amount_minor) FROM ins WHERE account ~ $13 GROUP BY tenant, currency
		ON CONFLICT (tenant, account, currency) DO UPDATE SET balance_minor = c.balance_minor + EXCLUDED.balance_minor`,
		l.tenants, l.entries, l.legNos, l.accounts, l.debtors, l.currencies, l.amounts,
		l.dates, l.documents, l.taxKeys, l.positions, books.AccountReceivablesControl, DebtorAccountPattern, l.recorded)
	if err != nil {
		return fmt.Errorf("project %d journal lines: %w", len(l.tenants), err)
	}
	return nil
}

// lineRows are the column arrays of a batch of journal lines.
type lineRows struct {
	tenants, entries, accounts, debtors, currencies, documents, taxKeys []string
	legNos                                                              []int32
	amounts, positions                                                  []int64
	dates, recorded                                                     []time.Time
}

func (l *lineRows) add(p *ledgerv1.JournalEntryPosted, i int, leg *ledgerv1.JournalLeg, pos int64, recorded time.Time) {
	l.recorded = append(l.recorded, recorded)
	l.tenants = append(l.tenants, p.GetTenant())
	l.entries = append(l.entries, p.GetEntryId())
	l.legNos = append(l.legNos, int32(i))
	l.accounts = append(l.accounts, leg.GetAccount())
	l.debtors = append(l.debtors, leg.GetDebtorId())
	l.currencies = append(l.currencies, leg.GetAmount().GetCurrency())
	l.amounts = append(l.amounts, leg.GetAmount().GetMinorUnits())
	l.dates = append(l.dates, date(p.GetEffectiveDate()))
	l.documents = append(l.documents, p.GetDocumentNumber())
	l.taxKeys = append(l.taxKeys, leg.GetTaxKey())
	l.positions = append(l.positions, pos)
}

// Breach is one violated invariant: Difference is the amount (minor units
// of Currency) by which it fails.
type Breach struct {
	Invariant  string
	Tenant     string
	Currency   string
	Difference int64
	// EntryID names the entry for InvariantEntryBalanced.
	EntryID string
}

// Check runs the runtime invariants for the tenants of a committed batch
// and reports every breach: the counter BreachMetric goes up by one with
// the invariant's name and one error line is logged naming the invariant,
// tenant, currency and difference. It returns an error only when the
// checks cannot run; a breach does not stop the projection, which must keep
// the read models current while someone looks.
func (p *Projector) Check(ctx context.Context, evs []eventstore.Event) error {
	breaches, err := p.Breaches(ctx, evs)
	if err != nil {
		return err
	}
	for _, b := range breaches {
		p.breaches.Add(ctx, 1, metric.WithAttributes(attribute.String("invariant", b.Invariant)))
		attrs := []any{"invariant", b.Invariant, "tenant", b.Tenant, "currency", b.Currency, "difference_minor", b.Difference}
		if b.EntryID != "" {
			attrs = append(attrs, "entry_id", b.EntryID)
		}
		p.log.ErrorContext(ctx, "ledger invariant breached", attrs...)
	}
	return nil
}

// Breaches returns the invariant breaches visible after the batch evs: the
// entries of the batch that do not balance, and the trial balance and
// control account of every tenant the batch touched.
func (p *Projector) Breaches(ctx context.Context, evs []eventstore.Event) ([]Breach, error) {
	var out []Breach
	seen := map[string]bool{}
	var tenants []string
	for _, ev := range evs {
		e, ok := ev.Payload.(*ledgerv1.JournalEntryPosted)
		if !ok {
			continue
		}
		if !seen[e.GetTenant()] {
			seen[e.GetTenant()] = true
			tenants = append(tenants, e.GetTenant())
		}
		sums := map[string]int64{}
		var order []string
		for _, l := range e.GetLegs() {
			c := l.GetAmount().GetCurrency()
			if _, ok := sums[c]; !ok {
				order = append(order, c)
			}
			sums[c] += l.GetAmount().GetMinorUnits()
		}
		for _, c := range order {
			if sums[c] != 0 {
				out = append(out, Breach{Invariant: InvariantEntryBalanced, Tenant: e.GetTenant(), Currency: c, Difference: sums[c], EntryID: e.GetEntryId()})
			}
		}
	}
	if len(tenants) == 0 {
		return out, nil
	}
	var b pgx.Batch
	b.Queue(`SELECT $2::text, tenant, currency, sum(balance_minor)::bigint
		FROM account_balances WHERE tenant = ANY($1)
		GROUP BY tenant, currency HAVING sum(balance_minor) <> 0
		ORDER BY tenant, currency`, tenants, InvariantTrialBalance)
	b.Queue(`SELECT $3::text, COALESCE(d.tenant, c.tenant), COALESCE(d.currency, c.currency),
		    (COALESCE(d.total, 0) - COALESCE(c.balance_minor, 0))::bigint
		FROM (SELECT tenant, currency, sum(balance_minor) AS total FROM account_balances
		      WHERE debtor AND tenant = ANY($1) GROUP BY tenant, currency) d
		FULL JOIN (SELECT tenant, currency, balance_minor FROM control_balances
		      WHERE account = $2 AND tenant = ANY($1)) c
		  ON c.tenant = d.tenant AND c.currency = d.currency
		WHERE COALESCE(d.total, 0) <> COALESCE(c.balance_minor, 0)
		ORDER BY 2, 3`, tenants, books.AccountReceivablesControl, InvariantControlAccount)
	br := p.pool.SendBatch(ctx, &b)
	defer br.Close()
	for range 2 {
		rows, err := br.Query()
		if err != nil {
			return nil, fmt.Errorf("check ledger invariants: %w", err)
		}
		found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Breach, error) {
			var x Breach
			err := r.Scan(&x.Invariant, &x.Tenant, &x.Currency, &x.Difference)
			return x, err
		})
		if err != nil {
			return nil, fmt.Errorf("check ledger invariants: %w", err)
		}
		out = append(out, found...)
	}
	return out, nil
}
