package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/report"
)

// Page tokens of the ReportService's reports.
const (
	tokenReportItems    = "report-open-items"
	tokenReportTrial    = "report-trial-balance"
	tokenReportDebtors  = "report-debtor-balances"
	salesHistoryMonths  = 24
	reportDateForbidden = "%s %s is not a date from 1900 to 9999"
)

// ReportQuery asks for one page of a ReportService report. Unlike the
// LedgerQueryService's queries, every time is resolved by the caller: AsOf
// is the key date or the period's last day, KnownAt the recorded-time cut
// (zero counts everything recorded).
type ReportQuery struct {
	Tenant string
	// DebtorID limits the open-item list to one debtor; empty gives all.
	DebtorID string
	// From is the period's first day (zero starts with the first line).
	From    time.Time
	AsOf    time.Time
	KnownAt time.Time
	Page    Page
	// Skip leaves these feed columns of the open-item list empty without
	// reading them (the aging reads only those it groups by); zero reads
	// every one.
	Skip FeedColumns
}

// FeedColumns names columns of the open-item list that come from the
// feeds (see feeds.go).
type FeedColumns uint8

// The feed columns.
const (
	FeedDunningLevel FeedColumns = 1 << iota
	FeedDunningBlock
	FeedCollectionStatus
	FeedCustomerGroup
	// AllFeedColumns is every feed column.
	AllFeedColumns = FeedDunningLevel | FeedDunningBlock | FeedCollectionStatus | FeedCustomerGroup
)

// feedSQL is the SQL of the feed columns of the open-item list: each one's
// expression, or the empty string where skipped.
func (c FeedColumns) feedSQL() string {
	pick := func(col FeedColumns, expr string) string {
		if c&col != 0 {
			return "''"
		}
		return expr
	}
	return pick(FeedDunningLevel, "COALESCE("+sqlDunningLevel+", '')") + ", " +
		pick(FeedDunningBlock, "COALESCE("+sqlDunningBlock+", '')") + ", " +
		pick(FeedCollectionStatus, "COALESCE("+sqlCollectionStatus+", '')") + ", " +
		pick(FeedCustomerGroup, sqlCustomerGroup("$3", "$4"))
}

func (q ReportQuery) check() (from time.Time, limit int, err error) {
	if err := checkTenant(q.Tenant); err != nil {
		return from, 0, err
	}
	if len(q.DebtorID) > maxKeyLen {
		return from, 0, invalidQuery("debtor_id is longer than %d bytes", maxKeyLen)
	}
	if q.AsOf.Before(firstDate) || q.AsOf.After(lastDate) {
		return from, 0, invalidQuery(reportDateForbidden, "as_of", q.AsOf.Format(time.DateOnly))
	}
	from = q.From
	if from.IsZero() {
		from = firstDate
	}
	if from.Before(firstDate) || from.After(q.AsOf) {
		return from, 0, invalidQuery("from %s lies after as_of %s or before 1900", from.Format(time.DateOnly), q.AsOf.Format(time.DateOnly))
	}
	limit, err = q.Page.limit()
	return from, limit, err
}

// ReportOpenItems returns one page of the open-item list at q.AsOf, per
// debtor: the items dated on or before AsOf whose amount less their
// settlements effective on or before AsOf (as recorded by KnownAt) is not
// zero, ordered by debtor id, due date, document number and id, and the
// token of the next page (empty on the last). The feeds' columns are read
// on the same two axes (see feeds.go): the dunning level of the latest
// dunning decision dated by AsOf that listed the item; the reasons of the
// dunning blocks on the item or its debtor set by AsOf and neither expired
// nor lifted by then, sorted and comma-separated; the latest step of the
// collection case holding the item; the debtor's customer group in the
// latest version of its data changed by AsOf. Each counts only as recorded
// by KnownAt, and is empty when nothing is known or q.Skip names it. It
// returns an error wrapping ErrInvalidQuery or ErrInvalidPageToken, or a
// storage error.
func (s *Store) ReportOpenItems(ctx context.Context, q ReportQuery) ([]*ledgerv1.OpenItemRow, string, error) {
	_, limit, err := q.check()
	if err != nil {
		return nil, "", err
	}
	// The first page starts after a key below every row (debtor ids are
	// never empty), so that the keyset condition is always the index's
	// range and never an OR a generic plan could not use.
	afterDebtor, afterDoc, afterDue, afterID := "", "", firstDate.AddDate(0, 0, -1), uuid.Nil
	if q.Page.Token != "" {
		parts, err := decodeToken(q.Page.Token, tokenReportItems, 4)
		if err != nil {
			return nil, "", err
		}
		afterDue, err = time.Parse(time.DateOnly, parts[1])
		if err == nil {
			afterID, err = uuid.Parse(parts[3])
		}
		if err != nil {
			return nil, "", fmt.Errorf("%w: malformed %s page token", ErrInvalidPageToken, tokenReportItems)
		}
		afterDebtor, afterDoc = parts[0], parts[2]
	}
	rows, err := s.pool.Query(ctx, `
		SELECT o.id, o.debtor_id, o.debtor_account, o.kind, o.document_number, o.currency, o.amount_minor,
		       o.amount_minor - COALESCE(st.settled, 0), o.document_date, o.due_date, o.payment_reference, o.marketplace,
		       `+q.Skip.feedSQL()+`
		FROM open_items o
		LEFT JOIN LATERAL (
			SELECT sum(s.amount_minor)::bigint AS settled FROM settlements s
			WHERE s.tenant = o.tenant AND s.open_item_id = o.id AND s.effective_date <= $3
			  AND ($4::timestamptz IS NULL OR s.recorded_at <= $4)
		) st ON true
		WHERE o.tenant = $1 AND ($2 = '' OR o.debtor_id = $2) AND o.document_date <= $3
		  AND ($4::timestamptz IS NULL OR o.recorded_at <= $4)
		  AND o.amount_minor - COALESCE(st.settled, 0) <> 0
		  AND (o.debtor_id, o.due_date, o.document_number, o.id) > ($5, $6, $7, $8)
		ORDER BY o.debtor_id, o.due_date, o.document_number, o.id
		LIMIT $9`,
		q.Tenant, q.DebtorID, q.AsOf, knownAt(q.KnownAt), afterDebtor, afterDue, afterDoc, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("open-item list of %s at %s: %w", q.Tenant, q.AsOf.Format(time.DateOnly), err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*ledgerv1.OpenItemRow, error) {
		var (
			id           uuid.UUID
			it           ledgerv1.OpenItemRow
			cur, mkt     string
			amount, open int64
			doc, due     time.Time
		)
		if err := r.Scan(&id, &it.DebtorId, &it.DebtorAccount, &it.ItemKind, &it.DocumentNumber, &cur, &amount, &open,
			&doc, &due, &it.PaymentReference, &mkt, &it.DunningLevel, &it.DunningBlock, &it.CollectionStatus, &it.CustomerGroup); err != nil {
			return nil, err
		}
		it.OpenItemId = id.String()
		it.Amount, it.OpenAmount = mny(amount, cur), mny(open, cur)
		it.DocumentDate, it.DueDate = toDate(doc), toDate(due)
		it.DaysOverdue = int32(report.DaysOverdue(due, q.AsOf))
		it.Channel = report.Channel(mkt)
		return &it, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("open-item list of %s at %s: %w", q.Tenant, q.AsOf.Format(time.DateOnly), err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeToken(tokenReportItems, last.GetDebtorId(), date(last.GetDueDate()).Format(time.DateOnly), last.GetDocumentNumber(), last.GetOpenItemId())
	}
	return out, next, nil
}

// BalanceRow is one account in one currency of a trial balance or debtor
// balance list, or (Account empty) the totals of a currency: the opening
// balance before the period, the debit and credit turnover (both positive)
// of the period and the closing balance, in minor units.
type BalanceRow struct {
	Account, DebtorID, Currency     string
	Opening, Debit, Credit, Closing int64
}

// ReportBalances returns one page of the trial balance (debtors false) or
// of the debtor balance list (debtors true: the accounts of lines that
// name a debtor) of the period q.From to q.AsOf as recorded by q.KnownAt,
// by account then currency, and the token of the next page. Accounts
// without lines up to AsOf are left out. It returns an error wrapping
// ErrInvalidQuery or ErrInvalidPageToken, or a storage error.
func (s *Store) ReportBalances(ctx context.Context, q ReportQuery, debtors bool) ([]BalanceRow, string, error) {
	from, limit, err := q.check()
	if err != nil {
		return nil, "", err
	}
	name := tokenReportTrial
	if debtors {
		name = tokenReportDebtors
	}
	// The first page starts after ("", ""), below every account.
	var afterAccount, afterCurrency string
	if q.Page.Token != "" {
		parts, err := decodeToken(q.Page.Token, name, 2)
		if err != nil {
			return nil, "", err
		}
		afterAccount, afterCurrency = parts[0], parts[1]
	}
	rows, err := s.pool.Query(ctx, `
		SELECT account, currency, min(debtor_id), `+balanceSums+`
		  AND (NOT $5 OR debtor_id <> '')
		  AND (account, currency) > ($6, $7)
		GROUP BY account, currency ORDER BY account, currency LIMIT $8`,
		q.Tenant, from, q.AsOf, knownAt(q.KnownAt), debtors, afterAccount, afterCurrency, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("%s of %s: %w", name, q.Tenant, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BalanceRow, error) {
		var b BalanceRow
		err := r.Scan(&b.Account, &b.Currency, &b.DebtorID, &b.Opening, &b.Debit, &b.Credit, &b.Closing)
		return b, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("%s of %s: %w", name, q.Tenant, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeToken(name, out[limit-1].Account, out[limit-1].Currency)
	}
	return out, next, nil
}

// ReportBalanceTotals returns the totals per currency, by currency, of the
// trial balance (debtors false) or the debtor balance list (debtors true)
// of q's period: the sums over every account of ReportBalances. It returns
// an error wrapping ErrInvalidQuery, or a storage error.
func (s *Store) ReportBalanceTotals(ctx context.Context, q ReportQuery, debtors bool) ([]BalanceRow, error) {
	q.Page = Page{}
	from, _, err := q.check()
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT currency, `+balanceSums+` AND (NOT $5 OR debtor_id <> '')
		GROUP BY currency ORDER BY currency`, q.Tenant, from, q.AsOf, knownAt(q.KnownAt), debtors)
	if err != nil {
		return nil, fmt.Errorf("balance totals of %s: %w", q.Tenant, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BalanceRow, error) {
		var b BalanceRow
		err := r.Scan(&b.Currency, &b.Opening, &b.Debit, &b.Credit, &b.Closing)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("balance totals of %s: %w", q.Tenant, err)
	}
	return out, nil
}

// balanceSums are the opening, debit, credit and closing sums of the lines
// of tenant $1 up to $3 recorded by $4 (NULL: all), the period starting at
// $2; the WHERE clause is left open for more conditions.
const balanceSums = `
		COALESCE(sum(amount_minor) FILTER (WHERE effective_date < $2), 0)::bigint,
		COALESCE(sum(amount_minor) FILTER (WHERE effective_date >= $2 AND amount_minor > 0), 0)::bigint,
		COALESCE(-sum(amount_minor) FILTER (WHERE effective_date >= $2 AND amount_minor < 0), 0)::bigint,
		sum(amount_minor)::bigint
		FROM journal_lines
		WHERE tenant = $1 AND effective_date <= $3 AND ($4::timestamptz IS NULL OR recorded_at <= $4)`

// DSORow is the DSO family of one group at one key date.
type DSORow struct {
	Group report.Group
	Month report.Month
	report.Figures
}

// ReportDSO returns the DSO family of q.Tenant at every key date (one per
// month, report.KeyDates) per group of dims, as recorded by q.KnownAt,
// ordered by key date then group. Receivables are the open amounts of
// every item at the key date, sales the amounts of the invoices (open
// items of kind invoice) dated in the key date's month up to it, cleared
// the payment settlements effective in that month up to it; the count-back
// looks back over the sales of the 24 months before. A debtor counts in
// the customer group its data had at the last key date (as recorded by
// KnownAt), in every month of the series, so that a group's months add
// up. Of the cleared amount, the part matching decided (its PaymentDecided
// AUTO or PaymentMatched on the settling payment recorded by KnownAt) and
// the part it decided without a person give the match rate. Memory grows
// with months x groups, never with items. It returns an error wrapping
// ErrInvalidQuery, or a storage error.
func (s *Store) ReportDSO(ctx context.Context, q ReportQuery, keyDates []time.Time, dims []report.Dimension) ([]DSORow, error) {
	if err := checkTenant(q.Tenant); err != nil {
		return nil, err
	}
	if len(keyDates) == 0 {
		return nil, invalidQuery("no key dates")
	}
	known := knownAt(q.KnownAt)
	type gkey struct {
		group report.Group
		month time.Time // first day
	}
	monthOf := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC) }
	groupOf := func(cur, mkt, grp string) report.Group {
		return report.GroupOf(dims, cur, report.Channel(mkt), grp, "")
	}
	first := monthOf(keyDates[0]).AddDate(0, -salesHistoryMonths, 0)
	last := keyDates[len(keyDates)-1]
	// The customer group is looked up only when grouped by: at the
	// parameter at (the last key date, passed as the extra argument only
	// then) as recorded by the parameter known.
	// Each debtor's group is read once per query (grp, a hash join), not
	// per item.
	byGroup := slices.Contains(dims, report.ByCustomerGroup)
	group := func(at, known string) (with, join, col string) {
		if !byGroup {
			return "", "", "''"
		}
		return `WITH grp AS (
				SELECT DISTINCT ON (debtor_id) debtor_id, customer_group FROM report_customer_groups
				WHERE tenant = $1 AND effective_date <= ` + at + ` AND (` + known + `::timestamptz IS NULL OR recorded_at <= ` + known + `)
				ORDER BY debtor_id, effective_date DESC, updated_at DESC, seq DESC)`,
			`LEFT JOIN grp g ON g.debtor_id = o.debtor_id`, `COALESCE(g.customer_group, '')`
	}
	salesWith, salesJoin, salesGroup := group("$3", "$4")
	recWith, recJoin, recGroup := group("$4::date", "$3")
	clrWith, clrJoin, clrGroup := group("$5::date", "$4")
	withLast := func(args ...any) []any {
		if byGroup {
			return append(args, last)
		}
		return args
	}

	// Sales per calendar month and group, up to the last key date. A key
	// date inside its month (the last) counts that month up to it.
	sales := map[gkey]int64{}
	rows, err := s.pool.Query(ctx, salesWith+`
		SELECT date_trunc('month', o.document_date)::date, o.currency, o.marketplace, `+salesGroup+`, sum(o.amount_minor)::bigint
		FROM open_items o `+salesJoin+`
		WHERE o.tenant = $1 AND o.kind = 'invoice' AND o.document_date >= $2 AND o.document_date <= $3
		  AND ($4::timestamptz IS NULL OR o.recorded_at <= $4)
		GROUP BY 1, 2, 3, 4`, q.Tenant, first, last, known)
	if err != nil {
		return nil, fmt.Errorf("sales of %s: %w", q.Tenant, err)
	}
	groups := map[report.Group]bool{}
	err = forEachRow(rows, func(r pgx.Rows) error {
		var m time.Time
		var cur, mkt, grp string
		var v int64
		if err := r.Scan(&m, &cur, &mkt, &grp, &v); err != nil {
			return err
		}
		g := groupOf(cur, mkt, grp)
		sales[gkey{g, monthOf(m)}] += v
		groups[g] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sales of %s: %w", q.Tenant, err)
	}

	var out []DSORow
	for _, key := range keyDates {
		month := monthOf(key)
		figures := map[report.Group]*report.Month{}
		at := func(g report.Group) *report.Month {
			m := figures[g]
			if m == nil {
				m = &report.Month{KeyDate: key, Sales: sales[gkey{g, month}]}
				figures[g] = m
			}
			return m
		}
		var b pgx.Batch
		b.Queue(recWith+`
			SELECT o.currency, o.marketplace, `+recGroup+`, sum(o.amount_minor - COALESCE(st.settled, 0))::bigint,
			       COALESCE(sum(o.amount_minor - COALESCE(st.settled, 0)) FILTER (WHERE o.due_date >= $2), 0)::bigint
			FROM open_items o `+recJoin+`
			LEFT JOIN LATERAL (
				SELECT sum(s.amount_minor)::bigint AS settled FROM settlements s
				WHERE s.tenant = o.tenant AND s.open_item_id = o.id AND s.effective_date <= $2
				  AND ($3::timestamptz IS NULL OR s.recorded_at <= $3)
			) st ON true
			WHERE o.tenant = $1 AND o.document_date <= $2 AND ($3::timestamptz IS NULL OR o.recorded_at <= $3)
			GROUP BY 1, 2, 3`, withLast(q.Tenant, key, known)...).
			Query(func(rows pgx.Rows) error {
				return forEachRow(rows, func(r pgx.Rows) error {
					var cur, mkt, grp string
					var rec, current int64
					if err := r.Scan(&cur, &mkt, &grp, &rec, &current); err != nil {
						return err
					}
					m := at(groupOf(cur, mkt, grp))
					m.Receivables += rec
					m.Current += current
					return nil
				})
			})
		b.Queue(clrWith+`
			SELECT o.currency, o.marketplace, `+clrGroup+`, sum(s.amount_minor)::bigint,
			       sum(s.amount_minor * (s.effective_date - o.document_date))::bigint,
			       COALESCE(sum(s.amount_minor) FILTER (WHERE pd.auto IS NOT NULL), 0)::bigint,
			       COALESCE(sum(s.amount_minor) FILTER (WHERE pd.auto), 0)::bigint
			FROM settlements s JOIN open_items o ON o.tenant = s.tenant AND o.id = s.open_item_id `+clrJoin+`
			LEFT JOIN LATERAL (
				SELECT bool_or(d.auto) AS auto FROM report_payment_decisions d
				WHERE d.tenant = s.tenant AND d.entry_id = s.entry_id AND ($4::timestamptz IS NULL OR d.recorded_at <= $4)
			) pd ON true
			WHERE s.tenant = $1 AND s.kind = 'payment' AND s.effective_date >= $2 AND s.effective_date <= $3
			  AND ($4::timestamptz IS NULL OR (s.recorded_at <= $4 AND o.recorded_at <= $4))
			GROUP BY 1, 2, 3`, withLast(q.Tenant, month, key, known)...).
			Query(func(rows pgx.Rows) error {
				return forEachRow(rows, func(r pgx.Rows) error {
					var cur, mkt, grp string
					var cleared, days, decided, auto int64
					if err := r.Scan(&cur, &mkt, &grp, &cleared, &days, &decided, &auto); err != nil {
						return err
					}
					m := at(groupOf(cur, mkt, grp))
					m.Cleared += cleared
					m.ClearedDays += days
					m.Decided += decided
					m.Auto += auto
					return nil
				})
			})
		if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
			return nil, fmt.Errorf("DSO of %s at %s: %w", q.Tenant, key.Format(time.DateOnly), err)
		}
		for g := range groups {
			if sales[gkey{g, month}] != 0 {
				at(g)
			}
		}
		keys := make([]report.Group, 0, len(figures))
		for g := range figures {
			keys = append(keys, g)
		}
		slices.SortFunc(keys, report.Group.Compare)
		for _, g := range keys {
			m := *figures[g]
			var earlier []report.MonthSales
			for i := 1; i <= salesHistoryMonths; i++ {
				p := month.AddDate(0, -i, 0)
				earlier = append(earlier, report.MonthSales{Days: p.AddDate(0, 1, -1).Day(), Sales: sales[gkey{g, p}]})
			}
			out = append(out, DSORow{Group: g, Month: m, Figures: report.ComputeDSO(m, earlier)})
		}
	}
	return out, nil
}

func forEachRow(rows pgx.Rows, f func(pgx.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Reporter serves the ReportService's reads that must see every event
// recorded up to their recorded-time cut: it brings the read model up to
// date before it answers.
type Reporter struct {
	*Store
	events     *eventstore.Store
	projection eventstore.Projection
}

// NewReporter returns the Reporter of store, catching up projection (the
// read-model projection, Projector.Projection) on events.
func NewReporter(store *Store, events *eventstore.Store, projection eventstore.Projection) *Reporter {
	return &Reporter{Store: store, events: events, projection: projection}
}

// Settle returns the database's clock, the recorded-time cut of a report
// asked without one, after bringing the read model up to date with every
// event committed by then. An event whose transaction began before the cut
// and commits after Settle returns is not seen (the ledger's transactions
// take milliseconds); a report issued with an explicit known_at some
// seconds in the past does not have even that gap.
func (r *Reporter) Settle(ctx context.Context) (time.Time, error) {
	var now time.Time
	if err := r.pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&now); err != nil {
		return time.Time{}, fmt.Errorf("database clock: %w", err)
	}
	if err := r.CatchUp(ctx); err != nil {
		return time.Time{}, err
	}
	return now, nil
}

// CatchUp brings the read model up to date with every committed event.
func (r *Reporter) CatchUp(ctx context.Context) error {
	if _, err := r.events.CatchUpProjection(ctx, r.projection); err != nil {
		return fmt.Errorf("bring the read model up to date: %w", err)
	}
	return nil
}
