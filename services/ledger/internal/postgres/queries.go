package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// Errors of the report queries.
var (
	// ErrInvalidQuery means a report was asked with a malformed argument: a
	// tenant, account or currency that is not one, a date that is not a
	// calendar date, a range whose start lies after its end, or a negative
	// page size. The error names the argument.
	ErrInvalidQuery = errors.New("invalid ledger query")
	// ErrInvalidPageToken means a page token was not issued by the same
	// report of this ledger (or was altered).
	ErrInvalidPageToken = errors.New("invalid page token")
)

// maxKeyLen is the longest debtor id a report accepts.
const maxKeyLen = 200

// Page sizes of the paged reports.
const (
	// DefaultPageSize is the page size when none is asked for.
	DefaultPageSize = 100
	// MaxPageSize is the largest page; larger requests get this many rows.
	MaxPageSize = 1000
)

// Bounds of an unset date: journal entries are dated 1900 to 9999 (Poster
// checks), so these bounds include every line.
var (
	firstDate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	lastDate  = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// Page selects one page of a report: Size rows (0 means DefaultPageSize)
// after the row the Token names (empty for the first page).
type Page struct {
	Size  int
	Token string
}

func (p Page) limit() (int, error) {
	switch {
	case p.Size < 0:
		return 0, invalidQuery("page_size %d is negative", p.Size)
	case p.Size == 0:
		return DefaultPageSize, nil
	case p.Size > MaxPageSize:
		return MaxPageSize, nil
	}
	return p.Size, nil
}

func invalidQuery(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidQuery, fmt.Sprintf(format, args...))
}

// Page tokens are base64url of a JSON array of strings: the report's name,
// then the sort key of the last row returned. The name keeps one report's
// token from being taken for another's.
const (
	tokenOpenItems = "open-items-at-key-date"
	tokenStatement = "statement"
	tokenTrial     = "trial-balance"
	tokenJournal   = "journal"
)

func encodeToken(report string, key ...string) string {
	b, _ := json.Marshal(append([]string{report}, key...)) // strings always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(token, report string, n int) ([]string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	var parts []string
	if err == nil {
		err = json.Unmarshal(raw, &parts)
	}
	if err != nil || len(parts) != n+1 || parts[0] != report {
		return nil, fmt.Errorf("%w: not a %s page token", ErrInvalidPageToken, report)
	}
	return parts[1:], nil
}

// lineKey is the sort key of journal lines in the statement and the
// journal listing: (effective date, event position, leg number). It is
// unique and never changes once a line is projected.
type lineKey struct {
	date     time.Time
	position int64
	leg      int32
}

// keyBefore is the largest key of a line dated before d.
func keyBefore(d time.Time) lineKey {
	return lineKey{date: d.AddDate(0, 0, -1), position: math.MaxInt64, leg: math.MaxInt32}
}

func (k lineKey) token(report string) string {
	return encodeToken(report, k.date.Format(time.DateOnly), fmt.Sprint(k.position), fmt.Sprint(k.leg))
}

func decodeLineKey(token, report string) (lineKey, error) {
	parts, err := decodeToken(token, report, 3)
	if err != nil {
		return lineKey{}, err
	}
	var k lineKey
	k.date, err = time.Parse(time.DateOnly, parts[0])
	if err == nil {
		_, err = fmt.Sscan(parts[1], &k.position)
	}
	if err == nil {
		_, err = fmt.Sscan(parts[2], &k.leg)
	}
	if err != nil {
		return lineKey{}, fmt.Errorf("%w: malformed %s page token", ErrInvalidPageToken, report)
	}
	return k, nil
}

// checkDate converts an optional calendar date; unset gives def.
func checkDate(name string, d *commonv1.Date, def time.Time) (time.Time, error) {
	if d == nil {
		return def, nil
	}
	t := date(d)
	if d.GetYear() < 1900 || d.GetYear() > 9999 || d.GetMonth() < 1 || d.GetDay() < 1 ||
		t.Month() != time.Month(d.GetMonth()) || t.Day() != int(d.GetDay()) {
		return time.Time{}, invalidQuery("%s %04d-%02d-%02d is not a calendar date from 1900 to 9999", name, d.GetYear(), d.GetMonth(), d.GetDay())
	}
	return t, nil
}

func checkPeriod(from, to *commonv1.Date) (time.Time, time.Time, error) {
	f, err := checkDate("from", from, firstDate)
	if err != nil {
		return f, f, err
	}
	t, err := checkDate("to", to, lastDate)
	if err != nil {
		return f, t, err
	}
	if f.After(t) {
		return f, t, invalidQuery("from %s lies after to %s", f.Format(time.DateOnly), t.Format(time.DateOnly))
	}
	return f, t, nil
}

func checkTenant(tenant string) error {
	if !bus.ValidTenant(tenant) {
		return invalidQuery("tenant %q is not a tenant id (lowercase letters, digits, dashes)", tenant)
	}
	return nil
}

// knownAt is the SQL argument for an optional recorded time: NULL (no
// limit) when unset.
func knownAt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func mny(minor int64, cur string) *commonv1.Money {
	return &commonv1.Money{MinorUnits: minor, Currency: cur}
}

// BalanceQuery asks for an account's balance on both time axes.
type BalanceQuery struct {
	Tenant  string
	Account string
	// Currency limits the answer to one ISO 4217 currency; empty gives all.
	Currency string
	// AsOf counts lines with an effective date on or before it; nil counts all.
	AsOf *commonv1.Date
	// KnownAt counts lines recorded at or before it; zero counts all.
	KnownAt time.Time
}

// AccountBalance returns the debit and credit turnover and the balance of
// an account per currency (by currency) over the lines with effective date
// <= q.AsOf and recorded time <= q.KnownAt. For the receivables control
// account (books.AccountReceivablesControl) it counts every line on a
// debtor personal account (the lines that carry a debtor id) plus the lines on the
// control account itself. It returns an error wrapping ErrInvalidQuery or a
// storage error.
func (s *Store) AccountBalance(ctx context.Context, q BalanceQuery) ([]*ledgerv1.AccountBalance, error) {
	if err := checkTenant(q.Tenant); err != nil {
		return nil, err
	}
	if q.Account == "" || len(q.Account) > 20 || !utf8.ValidString(q.Account) {
		return nil, invalidQuery("account %q must be 1 to 20 characters", q.Account)
	}
	if _, ok := money.Exponent(q.Currency); q.Currency != "" && !ok {
		return nil, invalidQuery("currency %q is not an ISO 4217 currency", q.Currency)
	}
	asOf, err := checkDate("as_of", q.AsOf, lastDate)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT currency,
		       COALESCE(sum(amount_minor) FILTER (WHERE amount_minor > 0), 0)::bigint,
		       COALESCE(-sum(amount_minor) FILTER (WHERE amount_minor < 0), 0)::bigint,
		       sum(amount_minor)::bigint
		FROM journal_lines
		WHERE tenant = $1 AND (account = $2 OR ($3 AND debtor_id <> ''))
		  AND ($4 = '' OR currency = $4)
		  AND effective_date <= $5 AND ($6::timestamptz IS NULL OR recorded_at <= $6)
		GROUP BY currency ORDER BY currency`,
		q.Tenant, q.Account, q.Account == books.AccountReceivablesControl,
		q.Currency, asOf, knownAt(q.KnownAt))
	if err != nil {
		return nil, fmt.Errorf("balance of %s/%s: %w", q.Tenant, q.Account, err)
	}
	isDebtor := books.IsDebtorAccount(q.Account)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*ledgerv1.AccountBalance, error) {
		var cur string
		var debit, credit, balance int64
		if err := r.Scan(&cur, &debit, &credit, &balance); err != nil {
			return nil, err
		}
		return &ledgerv1.AccountBalance{Account: q.Account, Debtor: isDebtor,
			Debit: mny(debit, cur), Credit: mny(credit, cur), Balance: mny(balance, cur)}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("balance of %s/%s: %w", q.Tenant, q.Account, err)
	}
	return out, nil
}

// KeyDateQuery asks for the open items at a key date.
type KeyDateQuery struct {
	Tenant string
	// DebtorID limits the answer to one debtor; empty gives all.
	DebtorID string
	// KeyDate is the key date (Stichtag); required.
	KeyDate *commonv1.Date
	// KnownAt counts items and settlements recorded at or before it; zero
	// counts all.
	KnownAt time.Time
	Page    Page
}

// OpenItemsAtKeyDate returns one page of the items open at q.KeyDate, by
// due date, document number and id, and the token of the next page (empty
// on the last). An item counts when its document date is on or before the
// key date; its open amount (OpenAmount) is its amount less its
// settlements effective on or before the key date (settlements carry the
// item's sign; a reopening is negative); items whose open amount is zero
// are left out. It returns an error wrapping ErrInvalidQuery or
// ErrInvalidPageToken, or a storage error.
func (s *Store) OpenItemsAtKeyDate(ctx context.Context, q KeyDateQuery) ([]*ledgerv1.OpenItem, string, error) {
	if err := checkTenant(q.Tenant); err != nil {
		return nil, "", err
	}
	if q.KeyDate == nil {
		return nil, "", invalidQuery("key_date is required")
	}
	key, err := checkDate("key_date", q.KeyDate, lastDate)
	if err != nil {
		return nil, "", err
	}
	limit, err := q.Page.limit()
	if err != nil {
		return nil, "", err
	}
	after := false
	var afterDue time.Time
	var afterDoc string
	var afterID uuid.UUID
	if q.Page.Token != "" {
		parts, err := decodeToken(q.Page.Token, tokenOpenItems, 3)
		if err != nil {
			return nil, "", err
		}
		afterDue, err = time.Parse(time.DateOnly, parts[0])
		if err == nil {
			afterID, err = uuid.Parse(parts[2])
		}
		if err != nil {
			return nil, "", fmt.Errorf("%w: malformed %s page token", ErrInvalidPageToken, tokenOpenItems)
		}
		after, afterDoc = true, parts[1]
	}
	rows, err := s.pool.Query(ctx, `
		SELECT o.id, o.debtor_id, o.debtor_account, o.document_number, o.order_id, o.currency, o.amount_minor,
		       o.amount_minor - COALESCE(st.settled, 0), o.document_date, o.due_date, o.payment_reference
		FROM open_items o
		LEFT JOIN LATERAL (
			SELECT sum(s.amount_minor)::bigint AS settled FROM settlements s
			WHERE s.tenant = o.tenant AND s.open_item_id = o.id AND s.effective_date <= $3
			  AND ($4::timestamptz IS NULL OR s.recorded_at <= $4)
		) st ON true
		WHERE o.tenant = $1 AND ($2 = '' OR o.debtor_id = $2) AND o.document_date <= $3
		  AND ($4::timestamptz IS NULL OR o.recorded_at <= $4)
		  AND o.amount_minor - COALESCE(st.settled, 0) <> 0
		  AND (NOT $5 OR (o.due_date, o.document_number, o.id) > ($6, $7, $8))
		ORDER BY o.due_date, o.document_number, o.id
		LIMIT $9`,
		q.Tenant, q.DebtorID, key, knownAt(q.KnownAt), after, afterDue, afterDoc, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("open items of %s/%s at %s: %w", q.Tenant, q.DebtorID, key.Format(time.DateOnly), err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*ledgerv1.OpenItem, error) {
		var (
			id           uuid.UUID
			it           ledgerv1.OpenItem
			cur          string
			amount, open int64
			doc, due     time.Time
		)
		if err := r.Scan(&id, &it.DebtorId, &it.DebtorAccount, &it.DocumentNumber, &it.OrderId, &cur, &amount, &open,
			&doc, &due, &it.PaymentReference); err != nil {
			return nil, err
		}
		it.Id = id.String()
		it.Amount, it.OpenAmount = mny(amount, cur), mny(open, cur)
		it.DocumentDate, it.DueDate = toDate(doc), toDate(due)
		return &it, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("open items of %s/%s at %s: %w", q.Tenant, q.DebtorID, key.Format(time.DateOnly), err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeToken(tokenOpenItems, date(last.GetDueDate()).Format(time.DateOnly), last.GetDocumentNumber(), last.GetId())
	}
	return out, next, nil
}

// PeriodQuery asks for a report over a period of effective dates.
type PeriodQuery struct {
	Tenant string
	// From is the first day of the period; nil starts with the first line.
	From *commonv1.Date
	// To is the last day of the period; nil runs to the last line.
	To *commonv1.Date
	// KnownAt counts lines recorded at or before it; zero counts all.
	KnownAt time.Time
	Page    Page
}

// StatementQuery asks for a debtor's account statement.
type StatementQuery struct {
	PeriodQuery
	DebtorID string
}

// DebtorStatement returns one page of a debtor's account statement
// (Kontoauszug) over the lines of the debtor's personal account (the one
// its lines are on; see personalAccount): opening balances per currency
// (lines before From), the lines of the period ordered by (effective date,
// event position, leg) each with the running balance of its currency, and
// closing balances (lines up to To). The running balance counts every line
// whose key is at or before the line's, so it continues across pages. It
// returns an error wrapping ErrInvalidQuery, ErrInvalidPageToken or
// books.ErrUnknownDebtor (the ledger never booked anything for the debtor
// and assigned it no number), or a storage error.
func (s *Store) DebtorStatement(ctx context.Context, q StatementQuery) (*ledgerv1.GetDebtorStatementResponse, error) {
	if err := checkTenant(q.Tenant); err != nil {
		return nil, err
	}
	if q.DebtorID == "" || len(q.DebtorID) > maxKeyLen {
		return nil, invalidQuery("debtor_id must be 1 to %d bytes", maxKeyLen)
	}
	from, to, err := checkPeriod(q.From, q.To)
	if err != nil {
		return nil, err
	}
	limit, err := q.Page.limit()
	if err != nil {
		return nil, err
	}
	cursor := keyBefore(from)
	if q.Page.Token != "" {
		if cursor, err = decodeLineKey(q.Page.Token, tokenStatement); err != nil {
			return nil, err
		}
	}
	account, err := s.personalAccount(ctx, q.Tenant, q.DebtorID)
	if err != nil {
		return nil, fmt.Errorf("statement of %s/%s: %w", q.Tenant, q.DebtorID, err)
	}
	known := knownAt(q.KnownAt)
	resp := &ledgerv1.GetDebtorStatementResponse{DebtorAccount: account}

	var b pgx.Batch
	b.Queue(`
		SELECT currency, COALESCE(sum(amount_minor) FILTER (WHERE effective_date < $3), 0)::bigint, sum(amount_minor)::bigint
		FROM journal_lines
		WHERE tenant = $1 AND account = $2 AND effective_date <= $4 AND ($5::timestamptz IS NULL OR recorded_at <= $5)
		GROUP BY currency ORDER BY currency`, q.Tenant, account, from, to, known).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var cur string
				var opening, closing int64
				if err := rows.Scan(&cur, &opening, &closing); err != nil {
					return err
				}
				resp.OpeningBalances = append(resp.OpeningBalances, mny(opening, cur))
				resp.ClosingBalances = append(resp.ClosingBalances, mny(closing, cur))
			}
			return rows.Err()
		})
	type row struct {
		key      lineKey
		line     *ledgerv1.StatementLine
		position int64
	}
	var page []row
	b.Queue(`
		WITH page AS (
			SELECT entry_id, leg_no, currency, amount_minor, effective_date, document_number, event_position, recorded_at
			FROM journal_lines
			WHERE tenant = $1 AND account = $2 AND effective_date >= $3 AND effective_date <= $4
			  AND ($5::timestamptz IS NULL OR recorded_at <= $5)
			  AND (effective_date, event_position, leg_no) > ($6, $7, $8)
			ORDER BY effective_date, event_position, leg_no
			LIMIT $9
		), before AS (
			SELECT currency, sum(amount_minor)::bigint AS total
			FROM journal_lines
			WHERE tenant = $1 AND account = $2 AND ($5::timestamptz IS NULL OR recorded_at <= $5)
			  AND (effective_date, event_position, leg_no) <= ($6, $7, $8)
			GROUP BY currency
		)
		SELECT p.entry_id, p.leg_no, p.currency, p.amount_minor, p.effective_date, p.document_number, p.event_position, p.recorded_at,
		       (COALESCE(b.total, 0) + sum(p.amount_minor) OVER (PARTITION BY p.currency
		           ORDER BY p.effective_date, p.event_position, p.leg_no))::bigint
		FROM page p LEFT JOIN before b ON b.currency = p.currency
		ORDER BY p.effective_date, p.event_position, p.leg_no`,
		q.Tenant, account, from, to, known, cursor.date, cursor.position, cursor.leg, limit+1).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var (
					r        row
					entry    uuid.UUID
					cur      string
					amount   int64
					running  int64
					recorded time.Time
					l        ledgerv1.StatementLine
				)
				if err := rows.Scan(&entry, &r.key.leg, &cur, &amount, &r.key.date, &l.DocumentNumber, &r.key.position, &recorded, &running); err != nil {
					return err
				}
				l.EntryId = entry.String()
				l.EffectiveDate = toDate(r.key.date)
				l.RecordedAt = timestamppb.New(recorded)
				l.Debit, l.Credit = mny(max(amount, 0), cur), mny(max(-amount, 0), cur)
				l.RunningBalance = mny(running, cur)
				r.line, r.position = &l, r.key.position
				page = append(page, r)
			}
			return rows.Err()
		})
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, fmt.Errorf("statement of %s/%s: %w", q.Tenant, q.DebtorID, err)
	}
	if len(page) > limit {
		page = page[:limit]
		resp.NextPageToken = page[limit-1].key.token(tokenStatement)
	}
	positions := make([]int64, len(page))
	for i, r := range page {
		positions[i] = r.position
		resp.Lines = append(resp.Lines, r.line)
	}
	texts, err := s.entryTexts(ctx, positions)
	if err != nil {
		return nil, fmt.Errorf("statement of %s/%s: %w", q.Tenant, q.DebtorID, err)
	}
	for i, r := range page {
		resp.Lines[i].Text, resp.Lines[i].Actor = texts[r.position].text, texts[r.position].actor
	}
	return resp, nil
}

// personalAccount returns the personal account a debtor's lines are booked
// on. That is the number assigned to the debtor in debtor_accounts, except
// for a marketplace debtor whose account the chart names: it has no
// number there, and its lines are on the chart's account. A debtor with
// no lines yet has its assigned number, and one with neither is
// books.ErrUnknownDebtor. Should a debtor's lines be on two accounts (which
// VerifyReadModels reports), the account of its latest line counts.
func (s *Store) personalAccount(ctx context.Context, tenant, debtorID string) (string, error) {
	var account *string
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(
		(SELECT account FROM journal_lines WHERE tenant = $1 AND debtor_id = $2
		 ORDER BY effective_date DESC, event_position DESC, leg_no DESC LIMIT 1),
		(SELECT account_no::text FROM debtor_accounts WHERE tenant = $1 AND debtor_id = $2))`, tenant, debtorID).Scan(&account)
	if err != nil {
		return "", err
	}
	if account == nil {
		return "", books.ErrUnknownDebtor
	}
	return *account, nil
}

// entryText is what a journal entry's event holds beyond its lines: the
// posting text and the actor who booked it.
type entryText struct{ text, actor string }

// entryTexts returns the posting texts and actors of the journal entries
// stored at the given event positions. The journal lines keep neither; the
// entry's event does.
func (s *Store) entryTexts(ctx context.Context, positions []int64) (map[int64]entryText, error) {
	out := map[int64]entryText{}
	if len(positions) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT position, payload, actor FROM events WHERE position = ANY($1) AND event_type = $2`,
		positions, string((&ledgerv1.JournalEntryPosted{}).ProtoReflect().Descriptor().FullName()))
	if err != nil {
		return nil, fmt.Errorf("posting texts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pos int64
		var payload []byte
		var actor string
		if err := rows.Scan(&pos, &payload, &actor); err != nil {
			return nil, fmt.Errorf("posting texts: %w", err)
		}
		var e ledgerv1.JournalEntryPosted
		if err := proto.Unmarshal(payload, &e); err != nil {
			return nil, fmt.Errorf("posting text of the event at %d: %w", pos, err)
		}
		out[pos] = entryText{text: e.GetText(), actor: actor}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("posting texts: %w", err)
	}
	return out, nil
}

// TrialBalance returns one page of the trial balance (Summen- und
// Saldenliste) of q's period: per account and currency, ordered by account
// then currency, the opening balance (lines before From), the debit and
// credit turnover of the period and the closing balance, and the totals
// per currency over all accounts (computed with every page). Every account
// is listed as booked, debtor personal accounts one by one, so the closing
// balances of a currency sum to zero; the control account's roll-up is not
// added again. Accounts without lines up to To are left out. It returns an
// error wrapping ErrInvalidQuery or ErrInvalidPageToken, or a storage
// error.
func (s *Store) TrialBalance(ctx context.Context, q PeriodQuery) (*ledgerv1.GetTrialBalanceResponse, error) {
	if err := checkTenant(q.Tenant); err != nil {
		return nil, err
	}
	from, to, err := checkPeriod(q.From, q.To)
	if err != nil {
		return nil, err
	}
	limit, err := q.Page.limit()
	if err != nil {
		return nil, err
	}
	after := false
	var afterAccount, afterCurrency string
	if q.Page.Token != "" {
		parts, err := decodeToken(q.Page.Token, tokenTrial, 2)
		if err != nil {
			return nil, err
		}
		after, afterAccount, afterCurrency = true, parts[0], parts[1]
	}
	known := knownAt(q.KnownAt)
	resp := &ledgerv1.GetTrialBalanceResponse{}
	scanRow := func(rows pgx.Rows, withAccount bool) (*ledgerv1.TrialBalanceRow, error) {
		var r ledgerv1.TrialBalanceRow
		var cur string
		var opening, debit, credit, closing int64
		dest := []any{&cur, &opening, &debit, &credit, &closing}
		if withAccount {
			dest = append([]any{&r.Account}, dest...)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		r.Debtor = withAccount && books.IsDebtorAccount(r.Account)
		r.Opening, r.Debit, r.Credit, r.Closing = mny(opening, cur), mny(debit, cur), mny(credit, cur), mny(closing, cur)
		return &r, nil
	}
	const sums = `
		COALESCE(sum(amount_minor) FILTER (WHERE effective_date < $2), 0)::bigint,
		COALESCE(sum(amount_minor) FILTER (WHERE effective_date >= $2 AND amount_minor > 0), 0)::bigint,
		COALESCE(-sum(amount_minor) FILTER (WHERE effective_date >= $2 AND amount_minor < 0), 0)::bigint,
		sum(amount_minor)::bigint
		FROM journal_lines
		WHERE tenant = $1 AND effective_date <= $3 AND ($4::timestamptz IS NULL OR recorded_at <= $4)`
	var b pgx.Batch
	b.Queue(`SELECT account, currency, `+sums+`
		  AND (NOT $5 OR (account, currency) > ($6, $7))
		GROUP BY account, currency ORDER BY account, currency LIMIT $8`,
		q.Tenant, from, to, known, after, afterAccount, afterCurrency, limit+1).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				r, err := scanRow(rows, true)
				if err != nil {
					return err
				}
				resp.Rows = append(resp.Rows, r)
			}
			return rows.Err()
		})
	b.Queue(`SELECT currency, `+sums+` GROUP BY currency ORDER BY currency`, q.Tenant, from, to, known).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				r, err := scanRow(rows, false)
				if err != nil {
					return err
				}
				resp.Totals = append(resp.Totals, r)
			}
			return rows.Err()
		})
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, fmt.Errorf("trial balance of %s: %w", q.Tenant, err)
	}
	if len(resp.Rows) > limit {
		resp.Rows = resp.Rows[:limit]
		last := resp.Rows[limit-1]
		resp.NextPageToken = encodeToken(tokenTrial, last.GetAccount(), last.GetClosing().GetCurrency())
	}
	return resp, nil
}

// JournalQuery filters journal lines; zero fields match everything.
type JournalQuery struct {
	Tenant         string
	Account        string
	DebtorID       string
	DocumentNumber string
	// EffectiveFrom and EffectiveTo bound the effective date (inclusive).
	EffectiveFrom, EffectiveTo *commonv1.Date
	// RecordedFrom and RecordedTo bound the recorded time (inclusive).
	RecordedFrom, RecordedTo time.Time
	Page                     Page
}

// JournalLines returns one page of the journal lines matching q, ordered
// by (effective date, event position, leg), and the token of the next page
// (empty on the last). It returns an error wrapping ErrInvalidQuery or
// ErrInvalidPageToken, or a storage error.
func (s *Store) JournalLines(ctx context.Context, q JournalQuery) ([]*ledgerv1.JournalListingLine, string, error) {
	if err := checkTenant(q.Tenant); err != nil {
		return nil, "", err
	}
	from, err := checkDate("effective_from", q.EffectiveFrom, firstDate)
	if err != nil {
		return nil, "", err
	}
	to, err := checkDate("effective_to", q.EffectiveTo, lastDate)
	if err != nil {
		return nil, "", err
	}
	if from.After(to) {
		return nil, "", invalidQuery("effective_from %s lies after effective_to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	if !q.RecordedFrom.IsZero() && !q.RecordedTo.IsZero() && q.RecordedFrom.After(q.RecordedTo) {
		return nil, "", invalidQuery("recorded_from %s lies after recorded_to %s", q.RecordedFrom.Format(time.RFC3339Nano), q.RecordedTo.Format(time.RFC3339Nano))
	}
	limit, err := q.Page.limit()
	if err != nil {
		return nil, "", err
	}
	cursor := keyBefore(from)
	if q.Page.Token != "" {
		if cursor, err = decodeLineKey(q.Page.Token, tokenJournal); err != nil {
			return nil, "", err
		}
	}
	rows, err := s.pool.Query(ctx, `
		SELECT entry_id, leg_no, account, debtor_id, currency, amount_minor, effective_date, document_number, tax_key,
		       recorded_at, event_position
		FROM journal_lines
		WHERE tenant = $1 AND ($2 = '' OR account = $2) AND ($3 = '' OR debtor_id = $3) AND ($4 = '' OR document_number = $4)
		  AND effective_date >= $5 AND effective_date <= $6
		  AND ($7::timestamptz IS NULL OR recorded_at >= $7) AND ($8::timestamptz IS NULL OR recorded_at <= $8)
		  AND (effective_date, event_position, leg_no) > ($9, $10, $11)
		ORDER BY effective_date, event_position, leg_no
		LIMIT $12`,
		q.Tenant, q.Account, q.DebtorID, q.DocumentNumber, from, to, knownAt(q.RecordedFrom), knownAt(q.RecordedTo),
		cursor.date, cursor.position, cursor.leg, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("journal of %s: %w", q.Tenant, err)
	}
	var keys []lineKey
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*ledgerv1.JournalListingLine, error) {
		var (
			l        ledgerv1.JournalListingLine
			entry    uuid.UUID
			cur      string
			amount   int64
			k        lineKey
			recorded time.Time
		)
		if err := r.Scan(&entry, &k.leg, &l.Account, &l.DebtorId, &cur, &amount, &k.date, &l.DocumentNumber, &l.TaxKey,
			&recorded, &k.position); err != nil {
			return nil, err
		}
		l.EntryId, l.LegNo = entry.String(), k.leg
		l.Amount = mny(amount, cur)
		l.EffectiveDate = toDate(k.date)
		l.RecordedAt = timestamppb.New(recorded)
		keys = append(keys, k)
		return &l, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("journal of %s: %w", q.Tenant, err)
	}
	next := ""
	if len(out) > limit {
		out, keys = out[:limit], keys[:limit]
		next = keys[limit-1].token(tokenJournal)
	}
	positions := make([]int64, len(keys))
	for i, k := range keys {
		positions[i] = k.position
	}
	texts, err := s.entryTexts(ctx, positions)
	if err != nil {
		return nil, "", fmt.Errorf("journal of %s: %w", q.Tenant, err)
	}
	for i, k := range keys {
		out[i].Text, out[i].Actor = texts[k.position].text, texts[k.position].actor
	}
	return out, next, nil
}
