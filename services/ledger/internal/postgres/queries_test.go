package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// ledgerDB is a migrated ledger database with a running poster and a
// projector the test catches up by hand.
type ledgerDB struct {
	// ownerURL is the database owner's (a superuser's) URL, for tampering.
	ownerURL string
	pool     *pgxpool.Pool
	events   *eventstore.Store
	store    *postgres.Store
	poster   *postgres.Poster
	proj     *postgres.Projector
}

func newLedgerDB(t testing.TB) ledgerDB {
	t.Helper()
	ctx := context.Background()
	owner := pgtest.NewDB(t, template)
	appURL, err := database.AppURL(owner, eventstore.AppRole(postgres.Schema))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := database.Connect(ctx, appURL, postgres.Schema, telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	events, err := eventstore.New(pool, postgres.Schema, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	proj, err := postgres.NewProjector(store, telemetry.Providers{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	poster := postgres.NewPoster(events, postgres.PosterOptions{})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- poster.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("poster.Run = %v", err)
		}
	})
	return ledgerDB{ownerURL: owner, pool: pool, events: events, store: store, poster: poster, proj: proj}
}

// post posts entries in order and returns what was stored.
func (db ledgerDB) post(t testing.TB, entries ...postgres.Entry) []postgres.Posted {
	t.Helper()
	out := make([]postgres.Posted, 0, len(entries))
	for _, e := range entries {
		p, err := db.poster.Post(context.Background(), e)
		if err != nil {
			t.Fatalf("post %s: %v", e.IdempotencyKey, err)
		}
		out = append(out, p)
	}
	return out
}

func (db ledgerDB) catchUp(t testing.TB) {
	t.Helper()
	if _, err := db.events.CatchUpProjection(context.Background(), db.proj.Projection(0)); err != nil {
		t.Fatal(err)
	}
}

// dbNow returns the database's clock, which stamps recorded times.
func (db ledgerDB) dbNow(t testing.TB) time.Time {
	t.Helper()
	var now time.Time
	if err := db.pool.QueryRow(context.Background(), `SELECT clock_timestamp()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

func day(m, d int32) *commonv1.Date { return &commonv1.Date{Year: 2026, Month: m, Day: d} }

func money(m int64, cur string) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: cur} }

// booking is a two-leg entry of tenant acme: debit `debit`, credit
// `credit`, dated d. A leg on a debtor account names debtor (if given).
func booking(key string, d *commonv1.Date, debit, credit string, amount int64, cur, debtor string) postgres.Entry {
	e := postgres.Entry{
		Tenant: "acme", IdempotencyKey: key, EffectiveDate: d,
		DocumentNumber: key, Text: "Text " + key,
		Legs: []*ledgerv1.JournalLeg{
			{Account: debit, Amount: money(amount, cur)},
			{Account: credit, Amount: money(-amount, cur)},
		},
	}
	for _, l := range e.Legs {
		if len(l.Account) == 5 {
			l.DebtorId = debtor
		}
	}
	return e
}

func TestAccountBalanceOnBothTimeAxes(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	db.post(t,
		booking("INV-1", day(3, 15), "10000", "8400", 11900, "EUR", "K-1"),
		booking("INV-2", day(3, 10), "10001", "8400", 700, "EUR", "K-2"),
		booking("PAY-1", day(4, 2), "1200", "10000", 5000, "EUR", "K-1"),
		booking("INV-USD", day(3, 1), "10000", "8400", 300, "USD", "K-1"),
	)
	known := db.dbNow(t) // "as we knew it on 5 April"
	late := db.post(t, booking("INV-LATE", day(3, 20), "10000", "8400", 2000, "EUR", "K-1"))
	if !late[0].RecordedAt.After(known) {
		t.Fatalf("late entry recorded at %v, not after the captured time %v", late[0].RecordedAt, known)
	}
	db.catchUp(t)

	eurBal := func(account string, debit, credit int64, debtor bool) *ledgerv1.AccountBalance {
		return &ledgerv1.AccountBalance{Account: account, Debit: money(debit, "EUR"), Credit: money(credit, "EUR"), Balance: money(debit-credit, "EUR"), Debtor: debtor}
	}
	usdBal := &ledgerv1.AccountBalance{Account: "10000", Debit: money(300, "USD"), Credit: money(0, "USD"), Balance: money(300, "USD"), Debtor: true}
	tests := []struct {
		name string
		q    postgres.BalanceQuery
		want []*ledgerv1.AccountBalance
	}{
		{"as of 31 March, as known now", postgres.BalanceQuery{Account: "10000", AsOf: day(3, 31)},
			[]*ledgerv1.AccountBalance{eurBal("10000", 13900, 0, true), usdBal}},
		{"as of 31 March, as known before the late entry", postgres.BalanceQuery{Account: "10000", AsOf: day(3, 31), KnownAt: known},
			[]*ledgerv1.AccountBalance{eurBal("10000", 11900, 0, true), usdBal}},
		{"as of 30 April, one currency", postgres.BalanceQuery{Account: "10000", Currency: "EUR", AsOf: day(4, 30)},
			[]*ledgerv1.AccountBalance{eurBal("10000", 13900, 5000, true)}},
		{"every date", postgres.BalanceQuery{Account: "8400", Currency: "EUR"},
			[]*ledgerv1.AccountBalance{eurBal("8400", 0, 14600, false)}},
		{"before any line", postgres.BalanceQuery{Account: "10000", AsOf: day(2, 28)}, nil},
		{"control account sums the debtors", postgres.BalanceQuery{Account: "1400", Currency: "EUR", AsOf: day(3, 31)},
			[]*ledgerv1.AccountBalance{eurBal("1400", 14600, 0, false)}},
		{"control account as known before the late entry", postgres.BalanceQuery{Account: "1400", Currency: "EUR", KnownAt: known},
			[]*ledgerv1.AccountBalance{eurBal("1400", 12600, 5000, false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.q.Tenant = "acme"
			got, err := db.store.AccountBalance(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("balance (-want +got):\n%s", diff)
			}
		})
	}

	invalid := []postgres.BalanceQuery{
		{Tenant: "ACME", Account: "10000"},
		{Tenant: "acme"},
		{Tenant: "acme", Account: "10000", Currency: "EUX"},
		{Tenant: "acme", Account: "10000", AsOf: &commonv1.Date{Year: 2026, Month: 2, Day: 30}},
	}
	for _, q := range invalid {
		if _, err := db.store.AccountBalance(ctx, q); !errors.Is(err, postgres.ErrInvalidQuery) {
			t.Errorf("AccountBalance(%+v) = %v, want ErrInvalidQuery", q, err)
		}
	}
}

// openItemsByDoc pages through the key-date report with page size 1 and
// returns the open amount by document number, in order.
func openItemsAtKeyDate(t testing.TB, db ledgerDB, q postgres.KeyDateQuery) []string {
	t.Helper()
	var out []string
	q.Page.Size = 1
	for pages := 0; ; pages++ {
		items, next, err := db.store.OpenItemsAtKeyDate(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			out = append(out, fmt.Sprintf("%s %s %d", it.GetDebtorId(), it.GetDocumentNumber(), it.GetOpenAmount().GetMinorUnits()))
		}
		if next == "" {
			return out
		}
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		q.Page.Token = next
	}
}

func TestOpenItemsAtKeyDate(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	ids := map[string]uuid.UUID{}
	// The command side projects open items and settlements; the test
	// writes the rows it would write.
	for _, it := range []struct {
		debtor, doc      string
		amount           int64
		docDate, dueDate string
		recorded         string
	}{
		{"K-1", "RE-1", 10000, "2026-03-01", "2026-03-15", "2026-03-01T10:00:00Z"},
		{"K-1", "RE-2", 5000, "2026-03-20", "2026-04-03", "2026-03-20T10:00:00Z"},
		{"K-2", "RE-3", 2500, "2026-03-05", "2026-03-19", "2026-03-05T10:00:00Z"},
		{"K-2", "GS-1", -800, "2026-03-06", "2026-03-06", "2026-03-06T10:00:00Z"},
	} {
		ids[it.doc] = uuid.New()
		_, err := db.pool.Exec(ctx, `
			INSERT INTO open_items (tenant, id, debtor_id, debtor_account, kind, document_number, currency,
			    amount_minor, open_minor, document_date, due_date, entry_id, recorded_at)
			VALUES ('acme', $1, $2, '10000', 'invoice', $3, 'EUR', $4, $4, $5, $6, $7, $8)`,
			ids[it.doc], it.debtor, it.doc, it.amount, it.docDate, it.dueDate, uuid.New(), at(it.recorded))
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range []struct {
		doc      string
		amount   int64
		date     string
		recorded string
	}{
		{"RE-1", 4000, "2026-03-10", "2026-03-10T12:00:00Z"},  // partial payment
		{"RE-1", 6000, "2026-04-05", "2026-04-05T12:00:00Z"},  // the rest, after the key date
		{"RE-3", 2500, "2026-03-25", "2026-03-25T12:00:00Z"},  // a direct debit ...
		{"RE-3", -2500, "2026-03-28", "2026-03-29T12:00:00Z"}, // ... returned: reopened
		{"RE-2", 1000, "2026-03-30", "2026-04-10T12:00:00Z"},  // dated in March, learned in April
		{"GS-1", -300, "2026-03-07", "2026-03-07T12:00:00Z"},  // part of a credit balance consumed
	} {
		_, err := db.pool.Exec(ctx, `
			INSERT INTO settlements (tenant, id, open_item_id, debtor_id, kind, currency, amount_minor, effective_date, recorded_at, event_position)
			VALUES ('acme', $1, $2, '', 'payment', 'EUR', $3, $4, $5, $6)`,
			uuid.New(), ids[s.doc], s.amount, s.date, at(s.recorded), i+1)
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		q    postgres.KeyDateQuery
		want []string
	}{
		{"31 March as known now", postgres.KeyDateQuery{KeyDate: day(3, 31)},
			[]string{"K-2 GS-1 -500", "K-1 RE-1 6000", "K-2 RE-3 2500", "K-1 RE-2 4000"}},
		{"31 March as known on 5 April", postgres.KeyDateQuery{KeyDate: day(3, 31), KnownAt: at("2026-04-05T00:00:00Z")},
			[]string{"K-2 GS-1 -500", "K-1 RE-1 6000", "K-2 RE-3 2500", "K-1 RE-2 5000"}},
		{"26 March, between the debit and its return", postgres.KeyDateQuery{KeyDate: day(3, 26)},
			[]string{"K-2 GS-1 -500", "K-1 RE-1 6000", "K-1 RE-2 5000"}},
		{"31 March as known on 28 March: the return is not known yet", postgres.KeyDateQuery{KeyDate: day(3, 31), KnownAt: at("2026-03-28T00:00:00Z")},
			[]string{"K-2 GS-1 -500", "K-1 RE-1 6000", "K-1 RE-2 5000"}},
		{"one debtor, 30 April", postgres.KeyDateQuery{DebtorID: "K-1", KeyDate: day(4, 30)},
			[]string{"K-1 RE-2 4000"}},
		{"before any document", postgres.KeyDateQuery{KeyDate: day(2, 28)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.q.Tenant = "acme"
			if diff := cmp.Diff(tt.want, openItemsAtKeyDate(t, db, tt.q)); diff != "" {
				t.Errorf("open items (-want +got):\n%s", diff)
			}
		})
	}
	if _, _, err := db.store.OpenItemsAtKeyDate(ctx, postgres.KeyDateQuery{Tenant: "acme"}); !errors.Is(err, postgres.ErrInvalidQuery) {
		t.Errorf("no key date: %v, want ErrInvalidQuery", err)
	}
	if _, _, err := db.store.OpenItemsAtKeyDate(ctx, postgres.KeyDateQuery{Tenant: "acme", KeyDate: day(3, 31), Page: postgres.Page{Token: "bm9wZQ"}}); !errors.Is(err, postgres.ErrInvalidPageToken) {
		t.Errorf("bad token: %v, want ErrInvalidPageToken", err)
	}
}

func TestDebtorStatement(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	acct, err := db.store.DebtorAccount(ctx, "acme", "K-1", books.Chart{})
	if err != nil {
		t.Fatal(err)
	}
	db.post(t,
		booking("RE-0", day(2, 20), acct, "8400", 1000, "EUR", "K-1"),
		booking("RE-1", day(3, 5), acct, "8400", 11900, "EUR", "K-1"),
		booking("RE-USD", day(3, 10), acct, "8400", 2000, "USD", "K-1"),
		booking("ZA-1", day(3, 1), "1200", acct, 5000, "EUR", "K-1"),
		booking("RE-2", day(3, 5), acct, "8400", 300, "EUR", "K-1"),
		booking("RE-OTHER", day(3, 5), "10099", "8400", 999, "EUR", "K-9"),
		booking("RE-3", day(4, 2), acct, "8400", 777, "EUR", "K-1"),
	)
	db.catchUp(t)

	line := func(d *commonv1.Date, doc string, amount, running int64, cur string) string {
		return fmt.Sprintf("%02d-%02d %s %q debit %d credit %d balance %d %s", d.GetMonth(), d.GetDay(), doc, "Text "+doc,
			max(amount, 0), max(-amount, 0), running, cur)
	}
	want := []string{
		line(day(3, 1), "ZA-1", -5000, -4000, "EUR"),
		line(day(3, 5), "RE-1", 11900, 7900, "EUR"),
		line(day(3, 5), "RE-2", 300, 8200, "EUR"),
		line(day(3, 10), "RE-USD", 2000, 2000, "USD"),
	}
	q := postgres.StatementQuery{DebtorID: "K-1", PeriodQuery: postgres.PeriodQuery{Tenant: "acme", From: day(3, 1), To: day(3, 31), Page: postgres.Page{Size: 3}}}
	var got []string
	pages := 0
	for {
		resp, err := db.store.DebtorStatement(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if resp.GetDebtorAccount() != acct {
			t.Errorf("debtor account %q, want %q", resp.GetDebtorAccount(), acct)
		}
		wantOpen := []*commonv1.Money{money(1000, "EUR"), money(0, "USD")}
		wantClose := []*commonv1.Money{money(8200, "EUR"), money(2000, "USD")}
		if diff := cmp.Diff(wantOpen, resp.GetOpeningBalances(), protocmp.Transform()); diff != "" {
			t.Errorf("opening balances (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantClose, resp.GetClosingBalances(), protocmp.Transform()); diff != "" {
			t.Errorf("closing balances (-want +got):\n%s", diff)
		}
		for _, l := range resp.GetLines() {
			amount := l.GetDebit().GetMinorUnits() - l.GetCredit().GetMinorUnits()
			got = append(got, line(l.GetEffectiveDate(), l.GetDocumentNumber(), amount, l.GetRunningBalance().GetMinorUnits(), l.GetRunningBalance().GetCurrency()))
			if l.GetText() != "Text "+l.GetDocumentNumber() {
				got[len(got)-1] = "wrong text " + l.GetText()
			}
			// PostJournalEntry books as the ledger itself.
			if l.GetActor() != "service:ledger" {
				got[len(got)-1] = "wrong actor " + l.GetActor()
			}
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		q.Page.Token = resp.GetNextPageToken()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statement lines (-want +got):\n%s", diff)
	}
	if pages != 2 {
		t.Errorf("%d pages of 3 lines for 4 lines, want 2", pages)
	}

	errs := []struct {
		q    postgres.StatementQuery
		want error
	}{
		{postgres.StatementQuery{DebtorID: "K-404", PeriodQuery: postgres.PeriodQuery{Tenant: "acme"}}, books.ErrUnknownDebtor},
		{postgres.StatementQuery{DebtorID: "K-1", PeriodQuery: postgres.PeriodQuery{Tenant: "acme", From: day(4, 1), To: day(3, 1)}}, postgres.ErrInvalidQuery},
		{postgres.StatementQuery{PeriodQuery: postgres.PeriodQuery{Tenant: "acme"}}, postgres.ErrInvalidQuery},
		{postgres.StatementQuery{DebtorID: "K-1", PeriodQuery: postgres.PeriodQuery{Tenant: "acme", Page: postgres.Page{Size: -1}}}, postgres.ErrInvalidQuery},
		{postgres.StatementQuery{DebtorID: "K-1", PeriodQuery: postgres.PeriodQuery{Tenant: "acme", Page: postgres.Page{Token: "!!"}}}, postgres.ErrInvalidPageToken},
	}
	for _, e := range errs {
		if _, err := db.store.DebtorStatement(ctx, e.q); !errors.Is(err, e.want) {
			t.Errorf("DebtorStatement(%+v) = %v, want %v", e.q, err, e.want)
		}
	}
	// A journal token is not a statement token.
	_, next, err := db.store.JournalLines(ctx, postgres.JournalQuery{Tenant: "acme", Page: postgres.Page{Size: 1}})
	if err != nil || next == "" {
		t.Fatalf("journal page: %q, %v", next, err)
	}
	q.Page.Token = next
	if _, err := db.store.DebtorStatement(ctx, q); !errors.Is(err, postgres.ErrInvalidPageToken) {
		t.Errorf("statement with a journal token: %v, want ErrInvalidPageToken", err)
	}
}

// TestDebtorStatementFollowsTheBookedAccount books a debtor on an account
// that has no number in debtor_accounts (as a marketplace debtor is booked
// on the account its chart names), and another whose number was assigned
// but never used (as ledgers did for marketplace debtors before the chart's
// account became their one account): both statements are of the account
// the lines are on.
func TestDebtorStatementFollowsTheBookedAccount(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	if _, err := db.store.DebtorAccount(ctx, "acme", "K-UNUSED", books.Chart{}); err != nil {
		t.Fatal(err)
	}
	db.post(t,
		booking("AMZ-1", day(3, 2), "69001", "8400", 1190, "EUR", "K-CHART"),
		booking("EBAY-1", day(3, 3), "69002", "8400", 2380, "EUR", "K-UNUSED"),
	)
	db.catchUp(t)
	type statement struct {
		Account string
		Docs    []string
		Closing int64
	}
	for _, tc := range []struct {
		debtor string
		want   statement
	}{
		{"K-CHART", statement{"69001", []string{"AMZ-1"}, 1190}},
		{"K-UNUSED", statement{"69002", []string{"EBAY-1"}, 2380}},
	} {
		resp, err := db.store.DebtorStatement(ctx, postgres.StatementQuery{DebtorID: tc.debtor, PeriodQuery: postgres.PeriodQuery{Tenant: "acme"}})
		if err != nil {
			t.Fatalf("statement of %s: %v", tc.debtor, err)
		}
		got := statement{Account: resp.GetDebtorAccount()}
		for _, l := range resp.GetLines() {
			got.Docs = append(got.Docs, l.GetDocumentNumber())
		}
		for _, b := range resp.GetClosingBalances() {
			got.Closing += b.GetMinorUnits()
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("statement of %s (-want +got):\n%s", tc.debtor, diff)
		}
	}
}

func TestTrialBalance(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	db.post(t,
		booking("EB-1", day(1, 1), "1200", "9000", 100000, "EUR", ""),
		booking("RE-1", day(2, 10), "10000", "8400", 11900, "EUR", "K-1"),
		booking("RE-2", day(3, 5), "10001", "8400", 5000, "EUR", "K-2"),
		booking("ZA-1", day(3, 20), "1200", "10000", 11900, "EUR", "K-1"),
		booking("ZA-2", day(3, 25), "1200", "10001", 2000, "EUR", "K-2"),
		booking("RE-USD", day(3, 26), "10001", "8400", 4200, "USD", "K-2"),
		booking("RE-4", day(4, 2), "10001", "8400", 777, "EUR", "K-2"),
	)
	db.catchUp(t)
	type row struct {
		Account                         string
		Cur                             string
		Opening, Debit, Credit, Closing int64
	}
	toRow := func(r *ledgerv1.TrialBalanceRow) row {
		return row{r.GetAccount(), r.GetClosing().GetCurrency(), r.GetOpening().GetMinorUnits(), r.GetDebit().GetMinorUnits(),
			r.GetCredit().GetMinorUnits(), r.GetClosing().GetMinorUnits()}
	}
	q := postgres.PeriodQuery{Tenant: "acme", From: day(3, 1), To: day(3, 31), Page: postgres.Page{Size: 2}}
	var rows []row
	var totals []row
	for pages := 0; ; pages++ {
		resp, err := db.store.TrialBalance(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.GetRows() {
			rows = append(rows, toRow(r))
			if r.GetDebtor() != (len(r.GetAccount()) == 5) {
				t.Errorf("account %s: debtor = %v", r.GetAccount(), r.GetDebtor())
			}
		}
		totals = totals[:0]
		for _, r := range resp.GetTotals() {
			totals = append(totals, toRow(r))
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		if pages > 20 {
			t.Fatal("paging does not end")
		}
		q.Page.Token = resp.GetNextPageToken()
	}
	want := []row{
		{"10000", "EUR", 11900, 0, 11900, 0},
		{"10001", "EUR", 0, 5000, 2000, 3000},
		{"10001", "USD", 0, 4200, 0, 4200},
		{"1200", "EUR", 100000, 13900, 0, 113900},
		{"8400", "EUR", -11900, 0, 5000, -16900},
		{"8400", "USD", 0, 0, 4200, -4200},
		{"9000", "EUR", -100000, 0, 0, -100000},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("trial balance rows (-want +got):\n%s", diff)
	}
	wantTotals := []row{{"", "EUR", 0, 18900, 18900, 0}, {"", "USD", 0, 4200, 4200, 0}}
	if diff := cmp.Diff(wantTotals, totals); diff != "" {
		t.Errorf("trial balance totals (-want +got):\n%s", diff)
	}
	closing := map[string]int64{}
	for _, r := range rows {
		closing[r.Cur] += r.Closing
		if r.Opening+r.Debit-r.Credit != r.Closing {
			t.Errorf("%s %s: opening + debit - credit != closing", r.Account, r.Cur)
		}
	}
	for cur, sum := range closing {
		if sum != 0 {
			t.Errorf("closing balances in %s sum to %d, want 0", cur, sum)
		}
	}
}

func TestJournalLinesFilters(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	db.post(t,
		booking("RE-1", day(3, 5), "10000", "8400", 11900, "EUR", "K-1"),
		booking("RE-2", day(3, 6), "10001", "8400", 5000, "EUR", "K-2"),
	)
	mid := db.dbNow(t)
	db.post(t,
		booking("ZA-1", day(3, 4), "1200", "10000", 11900, "EUR", "K-1"),
		booking("RE-3", day(4, 1), "10000", "8400", 300, "EUR", "K-1"),
	)
	db.catchUp(t)
	tests := []struct {
		name string
		q    postgres.JournalQuery
		want []string
	}{
		{"all", postgres.JournalQuery{}, []string{
			"ZA-1/0 1200 11900", "ZA-1/1 10000 -11900", "RE-1/0 10000 11900", "RE-1/1 8400 -11900",
			"RE-2/0 10001 5000", "RE-2/1 8400 -5000", "RE-3/0 10000 300", "RE-3/1 8400 -300"}},
		{"account", postgres.JournalQuery{Account: "8400"}, []string{"RE-1/1 8400 -11900", "RE-2/1 8400 -5000", "RE-3/1 8400 -300"}},
		{"debtor", postgres.JournalQuery{DebtorID: "K-1"}, []string{"ZA-1/1 10000 -11900", "RE-1/0 10000 11900", "RE-3/0 10000 300"}},
		{"document", postgres.JournalQuery{DocumentNumber: "RE-2"}, []string{"RE-2/0 10001 5000", "RE-2/1 8400 -5000"}},
		{"effective range", postgres.JournalQuery{EffectiveFrom: day(3, 5), EffectiveTo: day(3, 31), Account: "10000"}, []string{"RE-1/0 10000 11900"}},
		{"recorded before", postgres.JournalQuery{RecordedTo: mid, Account: "8400"}, []string{"RE-1/1 8400 -11900", "RE-2/1 8400 -5000"}},
		{"recorded after", postgres.JournalQuery{RecordedFrom: mid, Account: "8400"}, []string{"RE-3/1 8400 -300"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.q.Tenant = "acme"
			tt.q.Page.Size = 3
			var got []string
			for pages := 0; ; pages++ {
				lines, next, err := db.store.JournalLines(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range lines {
					if l.GetText() != "Text "+l.GetDocumentNumber() || l.GetActor() != "service:ledger" {
						t.Errorf("%s text %q, actor %q", l.GetDocumentNumber(), l.GetText(), l.GetActor())
					}
					got = append(got, fmt.Sprintf("%s/%d %s %d", l.GetDocumentNumber(), l.GetLegNo(), l.GetAccount(), l.GetAmount().GetMinorUnits()))
				}
				if next == "" {
					break
				}
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				tt.q.Page.Token = next
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("journal (-want +got):\n%s", diff)
			}
		})
	}
	bad := []postgres.JournalQuery{
		{Tenant: "acme", EffectiveFrom: day(4, 1), EffectiveTo: day(3, 1)},
		{Tenant: "acme", RecordedFrom: mid, RecordedTo: mid.Add(-time.Second)},
	}
	for _, q := range bad {
		if _, _, err := db.store.JournalLines(ctx, q); !errors.Is(err, postgres.ErrInvalidQuery) {
			t.Errorf("JournalLines(%+v) = %v, want ErrInvalidQuery", q, err)
		}
	}
}

// TestJournalPagingWhilePosting pages through more lines than one page
// while other entries are posted and projected, some dated before and some
// after the lines already read. The guarantee: every line that existed
// when paging started is returned exactly once, no line twice; lines
// posted meanwhile appear only when their key lies beyond the cursor.
func TestJournalPagingWhilePosting(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	const before = 120
	var entries []postgres.Entry
	for i := range before {
		entries = append(entries, booking(fmt.Sprint("E-", i), day(3, int32(1+i%28)), "1200", fmt.Sprint(8000+i%5), 100+int64(i), "EUR", ""))
	}
	var wg sync.WaitGroup
	for part := range 4 {
		wg.Go(func() {
			for _, e := range entries[part*before/4 : (part+1)*before/4] {
				if _, err := db.poster.Post(ctx, e); err != nil {
					t.Errorf("post %s: %v", e.IdempotencyKey, err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	db.catchUp(t)
	existing := map[string]bool{}
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM journal_lines`).Scan(&n); err != nil || n != 2*before {
		t.Fatalf("%d journal lines before paging (%v), want %d", n, err, 2*before)
	}
	for _, e := range entries {
		for leg := range 2 {
			existing[fmt.Sprintf("%s/%d", books.JournalEntryID("acme", e.IdempotencyKey), leg)] = true
		}
	}

	stop := make(chan struct{})
	posted := make(chan int, 1)
	stopPosting := func() int {
		select {
		case <-stop:
			return 0
		default:
		}
		close(stop)
		return <-posted
	}
	defer stopPosting()
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		i := 0
		defer func() { posted <- i }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			// Dated anywhere in March or April: before and after the cursor.
			e := booking(fmt.Sprint("LATE-", i), &commonv1.Date{Year: 2026, Month: int32(3 + rng.IntN(2)), Day: int32(1 + rng.IntN(28))}, "1200", "8400", 1, "EUR", "")
			if _, err := db.poster.Post(ctx, e); err != nil {
				t.Errorf("concurrent post: %v", err)
				return
			}
			if _, err := db.events.CatchUpProjection(ctx, db.proj.Projection(0)); err != nil {
				t.Errorf("concurrent projection: %v", err)
				return
			}
			i++
		}
	}()

	seen := map[string]int{}
	q := postgres.JournalQuery{Tenant: "acme", Page: postgres.Page{Size: 13}}
	pages := 0
	for {
		lines, next, err := db.store.JournalLines(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, l := range lines {
			seen[fmt.Sprintf("%s/%d", l.GetEntryId(), l.GetLegNo())]++
		}
		if next == "" {
			break
		}
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		q.Page.Token = next
		// Let the poster in between pages.
		time.Sleep(time.Millisecond)
	}
	late := stopPosting()
	for k, c := range seen {
		if c != 1 {
			t.Errorf("line %s returned %d times", k, c)
		}
	}
	missing := 0
	for k := range existing {
		if seen[k] != 1 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d lines that existed before paging were not returned", missing, len(existing))
	}
	if pages < 2*before/13 {
		t.Errorf("%d pages, want at least %d", pages, 2*before/13)
	}
	t.Logf("%d pages; %d entries posted while paging, %d of their lines returned", pages, late, len(seen)-len(existing))
}
