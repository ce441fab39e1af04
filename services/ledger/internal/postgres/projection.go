package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"

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
	// InvariantOpenItems: per debtor and currency, the open amounts of the
	// debtor's open items sum to the balance of the debtor's lines on
	// personal accounts in the entries of the debtor streams (the command
	// path). Entries posted with PostJournalEntry have streams of their own
	// and open no items; they are outside this invariant. The check after
	// each batch compares the running totals of debtor_totals, which
	// triggers keep with every change of journal_lines and open_items;
	// VerifyReadModels recomputes them from those tables.
	InvariantOpenItems = "open_items"
)

// DebtorAccountPattern matches numbers that can be debtor personal accounts
// (DATEV: one digit more than the tenant's G/L account length of 4-8, so 5
// to 9 digits, leading digit 1-6). A leg that names a debtor must post to
// such an account (Poster checks). What rolls up into the receivables
// control account, and counts as a personal account in balances, is every
// line that names its debtor: the account length differs per tenant, so the
// number alone cannot tell.
const DebtorAccountPattern = `^[1-6][0-9]{4,8}$`

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
	// Every invariant's series exists from the start at 0, so that the
	// metric is exported before the first breach and a rate over it sees
	// the first one.
	for _, inv := range []string{InvariantEntryBalanced, InvariantTrialBalance, InvariantControlAccount, InvariantOpenItems} {
		c.Add(context.Background(), 0, metric.WithAttributes(attribute.String("invariant", inv)))
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
//
// Open items and settlements follow the events in order: OpenItemOpened
// inserts the item, with its part, dunning flag, marketplace and buyer
// when it carries its classification; OpenItemClassified (older streams)
// sets them on an item opened before, OpenItemCleared inserts its settlement rows and
// lowers the open amount, OpenItemReopened inserts a negative row per
// undone settlement (dated on the undoing entry's effective date) and
// raises the open amount again. Settlement rows are keyed by id, so a
// replayed event changes nothing. PeriodClosed and PeriodReopened set the
// periods table; InvoiceStatusChanged and CustomerStatusChanged replace the
// row of their invoice item or customer and currency in invoice_status and
// customer_status unless a later fact is there; StatementBalanceRecorded
// inserts its statement into bank_statements; the entries and items of
// debtor streams are recorded in command_routes.
//
// The statements are sent to the server together, in the events' order (a
// pipeline; see pipeline), the batch's new open items by one INSERT, each
// with its classification when the batch classifies it, and its status
// facts by one upsert per table: a new invoice's events cost the projection
// no round trip and no statement of their own. Settlements and reopenings,
// whose statements are planned for their arguments (planFresh), run on
// their own after the statements before them.
func Apply(ctx context.Context, tx pgx.Tx, evs []eventstore.Event) error {
	var l lineRows
	l.grow(evs)
	// The effective dates of the batch's entries, for reopenings of the
	// same batch; kept only when the batch has any.
	var dates map[string]time.Time
	if slices.ContainsFunc(evs, func(ev eventstore.Event) bool { _, ok := ev.Payload.(*ledgerv1.OpenItemReopened); return ok }) {
		dates = map[string]time.Time{}
	}
	var q pipeline
	for _, ev := range evs {
		var err error
		switch p := ev.Payload.(type) {
		case *ledgerv1.JournalEntryPosted:
			for i, leg := range p.GetLegs() {
				if err = l.add(p, i, leg, ev.Position, ev.RecordedAt); err != nil {
					break
				}
			}
			if dates != nil {
				dates[p.GetEntryId()] = date(p.GetEffectiveDate())
			}
		case *ledgerv1.OpenItemOpened:
			q.openItem(ev, p)
			if c := p.GetClassification(); c != nil {
				// The item was just queued: its INSERT carries the
				// classification, as a separate OpenItemClassified right
				// after it would.
				q.classifyQueued(c)
			}
		case *ledgerv1.OpenItemClassified:
			if !q.classifyQueued(p) {
				if err = q.flush(ctx, tx); err == nil {
					err = classify(ctx, tx, p)
				}
			}
		case *ledgerv1.OpenItemCleared:
			if err = q.flush(ctx, tx); err == nil {
				err = clear(ctx, tx, ev, p)
			}
		case *ledgerv1.OpenItemReopened:
			if err = q.flush(ctx, tx); err == nil {
				err = reopen(ctx, tx, ev, p, dates)
			}
		case *ledgerv1.PeriodClosed:
			period(&q, ev, p.GetTenant(), p.GetYear(), p.GetMonth(), true, p.GetActor(), p.GetReason(), p.GetClosedAt().AsTime())
		case *ledgerv1.PeriodReopened:
			period(&q, ev, p.GetTenant(), p.GetYear(), p.GetMonth(), false, p.GetActor(), p.GetReason(), p.GetReopenedAt().AsTime())
		case *statusv1.InvoiceStatusChanged:
			err = invoiceStatus(&q, ev, p)
		case *statusv1.CustomerStatusChanged:
			err = customerStatus(&q, ev, p)
		case *ledgerv1.StatementBalanceRecorded:
			statementBalance(&q, ev, p)
		}
		if err != nil {
			return err
		}
	}
	if routes := books.RoutesOf(evs); len(routes) > 0 {
		q.queue(fmt.Sprintf("record the debtors of %d entries and items", len(routes)), insertRoutes, routeColumns(routes)...)
	}
	if len(l.tenants) > 0 {
		q.queue(fmt.Sprintf("project %d journal lines", len(l.tenants)), `
		WITH ins AS (
			INSERT INTO journal_lines (tenant, entry_id, leg_no, account, debtor_id, currency, amount_minor,
			    effective_date, document_number, tax_key, event_position, recorded_at)
			SELECT * FROM unnest($1::text[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bigint[],
			    $8::date[], $9::text[], $10::text[], $11::bigint[], $13::timestamptz[])
			ON CONFLICT DO NOTHING
			RETURNING tenant, account, currency, debtor_id, amount_minor
		), bal AS (
			INSERT INTO account_balances AS b (tenant, account, currency, debtor, debit_minor, credit_minor, balance_minor, lines)
			SELECT tenant, account, currency, bool_or(debtor_id <> ''),
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
		SELECT tenant, $12, currency, sum(amount_minor) FROM ins WHERE debtor_id <> '' GROUP BY tenant, currency
		ON CONFLICT (tenant, account, currency) DO UPDATE SET balance_minor = c.balance_minor + EXCLUDED.balance_minor`,
			l.tenants, l.entries, l.legNos, l.accounts, l.debtors, l.currencies, l.amounts,
			l.dates, l.documents, l.taxKeys, l.positions, books.AccountReceivablesControl, l.recorded)
	}
	return q.flush(ctx, tx)
}

// pipeline collects the statements of a projection batch, in the events'
// order, and sends them to the server together (pgx.Batch within the
// projection's transaction): one round trip for all of them instead of one
// each. A statement's error is returned when the pipeline is flushed,
// prefixed with what the statement projects; the transaction then fails as
// it would have at that statement.
//
// The open items the batch opens are written by multi-row INSERTs at the
// flush, with the classification of each item classified in the same
// batch: one statement, and one run of open_items' statement triggers,
// for all of them instead of one per item. The status facts are written
// likewise, one upsert for the invoices' and one for the customers'. None of the queued statements
// reads or writes open_items, and every statement that does (settlements,
// reopenings, classifications of items of earlier batches) flushes the
// pipeline first, so the items are in place when it runs.
type pipeline struct {
	b    pgx.Batch
	what []string
	// items are the open items opened since the last flush, in order, and
	// their places by tenant and id.
	items []itemRow
	index map[[2]string]int
	// invoices and customers are the status facts since the last flush,
	// written by one upsert each at the flush.
	invoices, customers facts
}

// itemRow is an open item opened in the batch, with its classification
// when the batch classifies it (nil otherwise).
type itemRow struct {
	ev       eventstore.Event
	p        *ledgerv1.OpenItemOpened
	classify *ledgerv1.OpenItemClassified
}

func (q *pipeline) queue(what, sql string, args ...any) {
	q.what = append(q.what, what)
	q.b.Queue(sql, args...)
}

// flush sends what is queued, with the INSERTs of the items opened since
// the last flush, and reads every result.
func (q *pipeline) flush(ctx context.Context, tx pgx.Tx) error {
	q.queueItems()
	q.queueFacts()
	if len(q.what) == 0 {
		return nil
	}
	// The results are read from the batch sent, so the pipeline starts a
	// new one.
	b, what := q.b, q.what
	q.b, q.what = pgx.Batch{}, nil
	br := tx.SendBatch(ctx, &b)
	for _, w := range what {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("%s: %w", w, err)
		}
	}
	return br.Close()
}

// insertOpenItems inserts open items; an item stored before is kept as it
// is. insertClassifiedItems inserts items with their classification
// ($15-$18: part, dunning flag, marketplace, buyer); an item stored before
// keeps its columns but takes the classification, as OpenItemClassified's
// UPDATE after insertOpenItems would set it.
const (
	openItemRows = `INSERT INTO open_items AS o (tenant, id, debtor_id, debtor_account, kind, document_number, order_id, currency,
		    amount_minor, open_minor, document_date, due_date, payment_reference, entry_id, recorded_at%s)
		SELECT t, i::uuid, d, a, k, doc, ord, cur, m, m, dd, due, ref, e::uuid, rec%s
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		    $9::bigint[], $10::date[], $11::date[], $12::text[], $13::text[], $14::timestamptz[]%s)
		    AS u(t, i, d, a, k, doc, ord, cur, m, dd, due, ref, e, rec%s)`
)

var (
	insertOpenItems       = fmt.Sprintf(openItemRows, "", "", "", "") + ` ON CONFLICT DO NOTHING`
	insertClassifiedItems = fmt.Sprintf(openItemRows, ", part, dunnable, marketplace, buyer_id", ", part, dunnable, mp, buyer",
		", $15::text[], $16::bool[], $17::text[], $18::text[]", ", part, dunnable, mp, buyer") + `
		ON CONFLICT (tenant, id) DO UPDATE SET part = EXCLUDED.part, dunnable = EXCLUDED.dunnable,
		    marketplace = EXCLUDED.marketplace, buyer_id = EXCLUDED.buyer_id`
)

// openItem adds p's item to the items to insert. An item the batch opened
// before keeps the columns of its first opening, as the INSERT's ON
// CONFLICT DO NOTHING would keep them.
func (q *pipeline) openItem(ev eventstore.Event, p *ledgerv1.OpenItemOpened) {
	key := [2]string{p.GetTenant(), p.GetOpenItemId()}
	if _, ok := q.index[key]; ok {
		return
	}
	if q.index == nil {
		q.index = map[[2]string]int{}
	}
	q.index[key] = len(q.items)
	q.items = append(q.items, itemRow{ev: ev, p: p})
}

// classifyQueued records p with its item when the item is among the items
// to insert and reports whether it was; the last classification counts.
func (q *pipeline) classifyQueued(p *ledgerv1.OpenItemClassified) bool {
	i, ok := q.index[[2]string{p.GetTenant(), p.GetOpenItemId()}]
	if ok {
		q.items[i].classify = p
	}
	return ok
}

// queueItems queues the INSERTs of the items to insert: those without a
// classification, then those with one.
func (q *pipeline) queueItems() {
	if len(q.items) == 0 {
		return
	}
	var plain, classified openItemColumns
	for _, it := range q.items {
		if it.classify == nil {
			plain.add(it)
		} else {
			classified.add(it)
		}
	}
	if n := len(plain.tenants); n > 0 {
		q.queue(fmt.Sprintf("project %d open items", n), insertOpenItems, plain.args()...)
	}
	if n := len(classified.tenants); n > 0 {
		q.queue(fmt.Sprintf("project %d classified open items", n), insertClassifiedItems,
			append(classified.args(), classified.parts, classified.dunnable, classified.marketplaces, classified.buyers)...)
	}
	q.items, q.index = nil, nil
}

// openItemColumns are the column arrays of insertOpenItems and
// insertClassifiedItems.
type openItemColumns struct {
	tenants, ids, debtors, accounts, kinds, docs, orders, currencies, refs, entries eventstore.TextArray
	amounts                                                                         eventstore.Int64Array
	docDates, dueDates                                                              eventstore.DateArray
	recorded                                                                        eventstore.TimeArray
	parts, marketplaces, buyers                                                     eventstore.TextArray
	dunnable                                                                        []bool
}

func (c *openItemColumns) add(it itemRow) {
	p := it.p
	c.tenants = append(c.tenants, p.GetTenant())
	c.ids = append(c.ids, p.GetOpenItemId())
	c.debtors = append(c.debtors, p.GetDebtorId())
	c.accounts = append(c.accounts, p.GetDebtorAccount())
	c.kinds = append(c.kinds, p.GetKind())
	c.docs = append(c.docs, p.GetDocumentNumber())
	c.orders = append(c.orders, p.GetOrderId())
	c.currencies = append(c.currencies, p.GetAmount().GetCurrency())
	c.amounts = append(c.amounts, p.GetAmount().GetMinorUnits())
	c.docDates = append(c.docDates, date(p.GetDocumentDate()))
	c.dueDates = append(c.dueDates, date(p.GetDueDate()))
	c.refs = append(c.refs, p.GetPaymentReference())
	c.entries = append(c.entries, p.GetEntryId())
	c.recorded = append(c.recorded, it.ev.RecordedAt)
	if k := it.classify; k != nil {
		c.parts = append(c.parts, partOf(k))
		c.dunnable = append(c.dunnable, k.GetDunnable())
		c.marketplaces = append(c.marketplaces, k.GetMarketplace())
		c.buyers = append(c.buyers, k.GetBuyerReference())
	}
}

func (c *openItemColumns) args() []any {
	return []any{c.tenants, c.ids, c.debtors, c.accounts, c.kinds, c.docs, c.orders, c.currencies,
		c.amounts, c.docDates, c.dueDates, c.refs, c.entries, c.recorded}
}

// planFresh, as a statement's first argument, has pgx send it as an
// unnamed statement, which PostgreSQL plans for its arguments every time.
// The projection's lookups of one open item or entry use it: a prepared
// statement first executed on a small table caches a generic plan that
// scans every row of the tenant (an index on the tenant alone is as cheap
// as the primary key while the table is small), and keeps it as the table
// grows until the next ANALYZE. Planning costs some tens of microseconds.
const planFresh = pgx.QueryExecModeCacheDescribe

// parts are the open_items.part values of the open item components.
var parts = map[ledgerv1.OpenItemComponent]string{
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL: "principal",
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_INTEREST:  "interest",
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS:     "costs",
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_CREDIT:    "credit",
}

// partOf is the open_items.part of p's component.
func partOf(p *ledgerv1.OpenItemClassified) string {
	if part, ok := parts[p.GetComponent()]; ok {
		return part
	}
	return "principal"
}

func classify(ctx context.Context, tx pgx.Tx, p *ledgerv1.OpenItemClassified) error {
	_, err := tx.Exec(ctx, `UPDATE open_items SET part = $3, dunnable = $4, marketplace = $5, buyer_id = $6
		WHERE tenant = $1 AND id = $2`, planFresh,
		p.GetTenant(), p.GetOpenItemId(), partOf(p), p.GetDunnable(), p.GetMarketplace(), p.GetBuyerReference())
	if err != nil {
		return fmt.Errorf("project classification of open item %s: %w", p.GetOpenItemId(), err)
	}
	return nil
}

func clear(ctx context.Context, tx pgx.Tx, ev eventstore.Event, p *ledgerv1.OpenItemCleared) error {
	for _, st := range p.GetSettlements() {
		var entry *string
		if e := st.GetEntryId(); e != "" {
			entry = &e
		}
		_, err := tx.Exec(ctx, `
			WITH ins AS (
				INSERT INTO settlements (tenant, id, open_item_id, debtor_id, entry_id, kind, currency, amount_minor,
				    effective_date, recorded_at, rule, actor, event_position)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
				ON CONFLICT DO NOTHING
				RETURNING tenant, open_item_id, amount_minor
			)
			UPDATE open_items o SET open_minor = o.open_minor - ins.amount_minor
			FROM ins WHERE o.tenant = ins.tenant AND o.id = ins.open_item_id`, planFresh,
			p.GetTenant(), st.GetSettlementId(), p.GetOpenItemId(), p.GetDebtorId(), entry, settlementKind(st.GetKind()),
			st.GetAmount().GetCurrency(), st.GetAmount().GetMinorUnits(), date(st.GetDate()), ev.RecordedAt,
			st.GetRule(), st.GetActor(), ev.Position)
		if err != nil {
			return fmt.Errorf("project settlement %s of open item %s: %w", st.GetSettlementId(), p.GetOpenItemId(), err)
		}
	}
	return nil
}

// settlementKind is the settlements.kind of k: "payment", "credit_note", ...
func settlementKind(k ledgerv1.SettlementKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "SETTLEMENT_KIND_"))
}

// reopenedID is the id of the negative settlement row that undoes
// settlement id.
func reopenedID(id string) uuid.UUID {
	return uuid.NewSHA1(eventNamespace, []byte("reopened\x00"+id))
}

func reopen(ctx context.Context, tx pgx.Tx, ev eventstore.Event, p *ledgerv1.OpenItemReopened, dates map[string]time.Time) error {
	var entry *string
	day := ev.OccurredAt.UTC().Truncate(24 * time.Hour)
	if e := p.GetEntryId(); e != "" {
		entry = &e
		if d, ok := dates[e]; ok {
			day = d
		} else {
			err := tx.QueryRow(ctx, `SELECT effective_date FROM journal_lines WHERE tenant = $1 AND entry_id = $2 AND leg_no = 0`, planFresh,
				p.GetTenant(), e).Scan(&day)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("project reopening of open item %s: date of entry %s: %w", p.GetOpenItemId(), e, err)
			}
		}
	}
	for _, id := range p.GetSettlementIds() {
		_, err := tx.Exec(ctx, `
			WITH ins AS (
				INSERT INTO settlements (tenant, id, open_item_id, debtor_id, entry_id, kind, currency, amount_minor,
				    effective_date, recorded_at, rule, actor, event_position)
				SELECT tenant, $3, open_item_id, debtor_id, $4, kind, currency, -amount_minor, $5, $6, $7, actor, $8
				FROM settlements WHERE tenant = $1 AND id = $2
				ON CONFLICT DO NOTHING
				RETURNING tenant, open_item_id, amount_minor
			)
			UPDATE open_items o SET open_minor = o.open_minor - ins.amount_minor
			FROM ins WHERE o.tenant = ins.tenant AND o.id = ins.open_item_id`, planFresh,
			p.GetTenant(), id, reopenedID(id).String(), entry, day, ev.RecordedAt, strings.TrimSpace("reopened "+p.GetReason()), ev.Position)
		if err != nil {
			return fmt.Errorf("project reopening of settlement %s of open item %s: %w", id, p.GetOpenItemId(), err)
		}
	}
	return nil
}

func period(q *pipeline, ev eventstore.Event, tenant string, year, month int32, closed bool, actor, reason string, at time.Time) {
	q.queue(fmt.Sprintf("project period %04d-%02d of %s", year, month, tenant), `
		INSERT INTO periods (tenant, year, month, closed, actor, reason, changed_at, event_position)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant, year, month) DO UPDATE SET closed = EXCLUDED.closed, actor = EXCLUDED.actor,
		    reason = EXCLUDED.reason, changed_at = EXCLUDED.changed_at, event_position = EXCLUDED.event_position
		WHERE periods.event_position < EXCLUDED.event_position`,
		tenant, year, month, closed, actor, reason, at, ev.Position)
}

// lineRows are the column arrays of a batch of journal lines.
// lineRows are the column arrays of the journal lines of a batch, as
// parameters that pgx encodes without copying each element to the heap.
type lineRows struct {
	tenants, accounts, debtors, currencies, documents, taxKeys eventstore.TextArray
	entries                                                    eventstore.UUIDArray
	legNos, amounts, positions                                 eventstore.Int64Array
	dates                                                      eventstore.DateArray
	recorded                                                   eventstore.TimeArray
}

// grow makes room for the legs of the journal entries of evs.
func (l *lineRows) grow(evs []eventstore.Event) {
	n := 0
	for _, ev := range evs {
		if p, ok := ev.Payload.(*ledgerv1.JournalEntryPosted); ok {
			n += len(p.GetLegs())
		}
	}
	l.tenants, l.accounts, l.debtors = make(eventstore.TextArray, 0, n), make(eventstore.TextArray, 0, n), make(eventstore.TextArray, 0, n)
	l.currencies, l.documents, l.taxKeys = make(eventstore.TextArray, 0, n), make(eventstore.TextArray, 0, n), make(eventstore.TextArray, 0, n)
	l.entries = make(eventstore.UUIDArray, 0, n)
	l.legNos, l.amounts, l.positions = make(eventstore.Int64Array, 0, n), make(eventstore.Int64Array, 0, n), make(eventstore.Int64Array, 0, n)
	l.dates, l.recorded = make(eventstore.DateArray, 0, n), make(eventstore.TimeArray, 0, n)
}

// add adds leg i of p; it fails when p's entry id is not a UUID, as the
// INSERT would.
func (l *lineRows) add(p *ledgerv1.JournalEntryPosted, i int, leg *ledgerv1.JournalLeg, pos int64, recorded time.Time) error {
	id, err := uuid.Parse(p.GetEntryId())
	if err != nil {
		return fmt.Errorf("project journal entry %q: entry id: %w", p.GetEntryId(), err)
	}
	l.recorded = append(l.recorded, recorded)
	l.tenants = append(l.tenants, p.GetTenant())
	l.entries = append(l.entries, id)
	l.legNos = append(l.legNos, int64(i))
	l.accounts = append(l.accounts, leg.GetAccount())
	l.debtors = append(l.debtors, leg.GetDebtorId())
	l.currencies = append(l.currencies, leg.GetAmount().GetCurrency())
	l.amounts = append(l.amounts, leg.GetAmount().GetMinorUnits())
	l.dates = append(l.dates, date(p.GetEffectiveDate()))
	l.documents = append(l.documents, p.GetDocumentNumber())
	l.taxKeys = append(l.taxKeys, leg.GetTaxKey())
	l.positions = append(l.positions, pos)
	return nil
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
	// DebtorID names the debtor for InvariantOpenItems and the invariants
	// of debtors that VerifyReadModels checks.
	DebtorID string
	// Detail says what is wrong where no amount can (the invariants of
	// debtors and merges that VerifyReadModels checks); "" otherwise.
	Detail string
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
		if b.DebtorID != "" {
			attrs = append(attrs, "debtor_id", b.DebtorID)
		}
		p.log.ErrorContext(ctx, "ledger invariant breached", attrs...)
	}
	return nil
}

// currencySum is the sum of an entry's legs in one currency.
type currencySum struct {
	currency string
	sum      int64
}

// Breaches returns the invariant breaches visible after the batch evs: the
// entries of the batch that do not balance, the trial balance and control
// account of every tenant the batch touched, and the open items against the
// personal account lines of every debtor it touched.
func (p *Projector) Breaches(ctx context.Context, evs []eventstore.Event) ([]Breach, error) {
	var out []Breach
	seen := map[string]bool{}
	var tenants []string
	addTenant := func(t string) {
		if !seen[t] {
			seen[t] = true
			tenants = append(tenants, t)
		}
	}
	seenDebtor := map[[2]string]bool{}
	var dTenants, debtors []string
	addDebtor := func(t, d string) {
		if d != "" && !seenDebtor[[2]string{t, d}] {
			seenDebtor[[2]string{t, d}] = true
			dTenants, debtors = append(dTenants, t), append(debtors, d)
		}
	}
	for _, ev := range evs {
		switch x := ev.Payload.(type) {
		case *ledgerv1.OpenItemOpened:
			addTenant(x.GetTenant())
			addDebtor(x.GetTenant(), x.GetDebtorId())
		case *ledgerv1.OpenItemCleared:
			addTenant(x.GetTenant())
			addDebtor(x.GetTenant(), x.GetDebtorId())
		case *ledgerv1.OpenItemReopened:
			addTenant(x.GetTenant())
			addDebtor(x.GetTenant(), x.GetDebtorId())
		}
		e, ok := ev.Payload.(*ledgerv1.JournalEntryPosted)
		if !ok {
			continue
		}
		addTenant(e.GetTenant())
		// An entry has few currencies: a short list in order of first
		// appearance, not a map.
		var arr [4]currencySum
		sums := arr[:0]
		for _, l := range e.GetLegs() {
			addDebtor(e.GetTenant(), l.GetDebtorId())
			c := l.GetAmount().GetCurrency()
			i := slices.IndexFunc(sums, func(x currencySum) bool { return x.currency == c })
			if i < 0 {
				sums, i = append(sums, currencySum{currency: c}), len(sums)
			}
			sums[i].sum += l.GetAmount().GetMinorUnits()
		}
		for _, x := range sums {
			if x.sum != 0 {
				out = append(out, Breach{Invariant: InvariantEntryBalanced, Tenant: e.GetTenant(), Currency: x.currency, Difference: x.sum, EntryID: e.GetEntryId()})
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
	if len(debtors) > 0 {
		// debtor_totals holds each debtor's running totals (see migration
		// 00007): one row per touched debtor and currency, whatever the
		// length of the debtor's history.
		b.Queue(`SELECT $3::text, t.tenant, t.currency, t.lines_minor - t.open_minor, t.debtor_id
			FROM debtor_totals t
			JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS d(tenant, debtor_id)) d
			  ON t.tenant = d.tenant AND t.debtor_id = d.debtor_id
			WHERE t.lines_minor <> t.open_minor
			ORDER BY 2, 5, 3`, dTenants, debtors, InvariantOpenItems)
	}
	br := p.pool.SendBatch(ctx, &b)
	defer br.Close()
	for q := range b.Len() {
		rows, err := br.Query()
		if err != nil {
			return nil, fmt.Errorf("check ledger invariants: %w", err)
		}
		found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Breach, error) {
			var x Breach
			if q == 2 {
				return x, r.Scan(&x.Invariant, &x.Tenant, &x.Currency, &x.Difference, &x.DebtorID)
			}
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
