package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/books/directorytest"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName(postgres.Schema, postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
}

// env is a migrated ledger database: the owner's URL, a pool of the app
// role, the event store and a poster whose committers run until the test
// ends.
type env struct {
	ownerURL string
	pool     *pgxpool.Pool
	events   *eventstore.Store
	store    *postgres.Store
	poster   *postgres.Poster
}

func newEnv(t testing.TB, opt postgres.PosterOptions) env {
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
	poster := postgres.NewPoster(events, opt)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- poster.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("poster.Run = %v", err)
		}
	})
	return env{ownerURL: owner, pool: pool, events: events, store: postgres.New(pool), poster: poster}
}

// apply projects evs in one transaction of their own, as one projection
// batch.
func (e env) apply(t testing.TB, evs ...eventstore.Event) {
	t.Helper()
	ctx := context.Background()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := postgres.Apply(ctx, tx, evs); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// transfer is a two-leg entry: debit `debit`, credit `credit` with amount.
func transfer(key, debit, credit string, amount int64) postgres.Entry {
	return postgres.Entry{
		Tenant: "acme", IdempotencyKey: key,
		EffectiveDate:  &commonv1.Date{Year: 2026, Month: 3, Day: 31},
		DocumentNumber: "B-" + key, Text: "Umbuchung",
		Legs: []*ledgerv1.JournalLeg{
			{Account: debit, Amount: eur(amount)},
			{Account: credit, Amount: eur(-amount)},
		},
	}
}

func TestPostValidates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{})
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(*postgres.Entry)
		want   string
	}{
		{"bad tenant", func(e *postgres.Entry) { e.Tenant = "ACME!" }, "tenant"},
		{"no key", func(e *postgres.Entry) { e.IdempotencyKey = "" }, "idempotency_key"},
		{"no date", func(e *postgres.Entry) { e.EffectiveDate = nil }, "effective_date"},
		{"31 February", func(e *postgres.Entry) { e.EffectiveDate = &commonv1.Date{Year: 2026, Month: 2, Day: 31} }, "effective_date"},
		{"one leg", func(e *postgres.Entry) { e.Legs = e.Legs[:1] }, "2 to 1000 legs"},
		{"unknown currency", func(e *postgres.Entry) {
			e.Legs[0].Amount.Currency, e.Legs[1].Amount.Currency = "EUX", "EUX"
		}, "ISO 4217"},
		{"zero leg", func(e *postgres.Entry) { e.Legs[0].Amount.MinorUnits, e.Legs[1].Amount.MinorUnits = 0, 0 }, "non-zero"},
		{"unbalanced", func(e *postgres.Entry) { e.Legs[1].Amount.MinorUnits = -99 }, "does not balance"},
		{"balanced in sum, not per currency", func(e *postgres.Entry) { e.Legs[1].Amount.Currency = "USD" }, "does not balance"},
		{"no account", func(e *postgres.Entry) { e.Legs[0].Account = "" }, "legs[0].account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			en := transfer("V-1", "1200", "1360", 100)
			tt.change(&en)
			_, err := e.poster.Post(ctx, en)
			if !errors.Is(err, books.ErrInvalidCommand) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Post = %v, want ErrInvalidCommand mentioning %q", err, tt.want)
			}
		})
	}
}

func TestPostIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{})
	ctx := context.Background()
	first, err := e.poster.Post(ctx, transfer("K-1", "1200", "1360", 5000))
	if err != nil || first.Replayed {
		t.Fatalf("first post = %+v, %v", first, err)
	}
	again, err := e.poster.Post(ctx, transfer("K-1", "1200", "1360", 5000))
	if err != nil {
		t.Fatal(err)
	}
	want := first
	want.Replayed = true
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("replay (-want +got):\n%s", diff)
	}
	_, err = e.poster.Post(ctx, transfer("K-1", "1200", "1360", 5001))
	if !errors.Is(err, books.ErrIdempotencyConflict) {
		t.Errorf("same key, other amount: %v, want ErrIdempotencyConflict", err)
	}
	other, err := e.poster.Post(ctx, transfer("K-1", "1200", "1360", 5000))
	if err != nil || other.EntryID != first.EntryID || !other.Replayed {
		t.Errorf("replay after the conflict = %+v, %v; want the original entry", other, err)
	}
}

func TestDirectoryContract(t *testing.T) {
	t.Parallel()
	directorytest.Run(t, func(t testing.TB) books.Directory { return newEnv(t, postgres.PosterOptions{}).store })
}

// TestPostRespectsClosedPeriods closes March through the command path and
// posts manual entries: one dated in March is rejected with
// books.ErrPeriodClosed, one in April is stored, one stored before the
// close is still a replay, and after the reopen March takes entries again.
func TestPostRespectsClosedPeriods(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{})
	ctx := context.Background()
	cmds := books.NewCommander(e.events, e.store, books.CommanderOptions{
		Config: func(string) books.Config { return books.Config{PeriodActors: []string{"user:cfo"}} },
	})
	cfo := books.Meta{Actor: "user:cfo"}
	march := func(key string, amount int64) postgres.Entry { return transfer(key, "1200", "1360", amount) }
	april := func(key string) postgres.Entry {
		en := transfer(key, "1200", "1360", 100)
		en.EffectiveDate = &commonv1.Date{Year: 2026, Month: 4, Day: 1}
		return en
	}
	before, err := e.poster.Post(ctx, march("P-before", 100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cmds.Execute(ctx, &ledgerv1.ClosePeriod{Tenant: "acme", IdempotencyKey: "close-2026-03", Year: 2026, Month: 3, Reason: "month end"}, cfo); err != nil {
		t.Fatal(err)
	}

	_, err = e.poster.Post(ctx, march("P-closed", 100))
	var closed *books.PeriodClosedError
	if !errors.As(err, &closed) || closed.Period != (books.Period{Year: 2026, Month: time.March}) {
		t.Errorf("entry dated in closed March: %v, want a PeriodClosedError for 2026-03", err)
	}
	if _, err := e.poster.Post(ctx, april("P-april")); err != nil {
		t.Errorf("entry dated in open April: %v", err)
	}
	again, err := e.poster.Post(ctx, march("P-before", 100))
	if err != nil || !again.Replayed || again.EntryID != before.EntryID {
		t.Errorf("replay of an entry stored before the close = %+v, %v; want the stored entry", again, err)
	}
	if _, err := e.poster.Post(ctx, march("P-before", 200)); !errors.Is(err, books.ErrIdempotencyConflict) {
		t.Errorf("the key of an entry stored before the close, other content: %v, want ErrIdempotencyConflict", err)
	}

	if _, err := cmds.Execute(ctx, &ledgerv1.ReopenPeriod{Tenant: "acme", IdempotencyKey: "reopen-2026-03", Year: 2026, Month: 3, Reason: "late invoice"}, cfo); err != nil {
		t.Fatal(err)
	}
	if p, err := e.poster.Post(ctx, march("P-closed", 100)); err != nil || p.Replayed {
		t.Errorf("entry dated in reopened March = %+v, %v; want a new entry", p, err)
	}
}

// TestPostSeesCloseBehindItsBooks closes March through the command path
// after the poster has read the period stream, then posts March and April
// entries concurrently so that they share group commits: the poster's
// books still have March open, so the batches' period guards fail, and
// the entries are decided again on the stream as stored. Every March entry
// is rejected with a PeriodClosedError and nothing of March is stored;
// every April entry is stored once.
func TestPostSeesCloseBehindItsBooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{Window: 5 * time.Millisecond})
	ctx := context.Background()
	cmds := books.NewCommander(e.events, e.store, books.CommanderOptions{
		Config: func(string) books.Config { return books.Config{PeriodActors: []string{"user:cfo"}} },
	})
	if _, err := e.poster.Post(ctx, transfer("warm-up", "1200", "1360", 100)); err != nil {
		t.Fatal(err)
	}
	if _, err := cmds.Execute(ctx, &ledgerv1.ClosePeriod{Tenant: "acme", IdempotencyKey: "close-2026-03", Year: 2026, Month: 3, Reason: "month end"}, books.Meta{Actor: "user:cfo"}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			en := transfer(fmt.Sprintf("E-%02d", i), "1200", "1360", 100)
			if i%2 == 1 {
				en.EffectiveDate = &commonv1.Date{Year: 2026, Month: 4, Day: 1}
			}
			_, errs[i] = e.poster.Post(ctx, en)
		})
	}
	wg.Wait()
	for i, err := range errs {
		var closed *books.PeriodClosedError
		switch {
		case i%2 == 0 && !errors.As(err, &closed):
			t.Errorf("entry %d dated in closed March: %v, want a PeriodClosedError", i, err)
		case i%2 == 1 && err != nil:
			t.Errorf("entry %d dated in open April: %v", i, err)
		}
	}
	var march, april int
	err := e.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE stream_type = $1 AND occurred_at < '2026-04-01'),
		    count(*) FILTER (WHERE stream_type = $1 AND occurred_at >= '2026-04-01')
		FROM events`, books.StreamTypeEntry).Scan(&march, &april)
	if err != nil {
		t.Fatal(err)
	}
	if march != 1 || april != n/2 {
		t.Errorf("stored entries: %d dated in March, %d in April; want 1 (the warm-up) and %d", march, april, n/2)
	}
}

// TestGroupCommit posts concurrently, with duplicates and conflicts among
// the entries, and checks that every caller gets its own answer, that
// batches carried many entries per transaction, and that the projected
// balances agree with what was accepted.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{Window: 2 * time.Millisecond, Committers: 2})
	ctx := context.Background()
	const n = 200
	type answer struct {
		posted postgres.Posted
		err    error
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			en := transfer(fmt.Sprint("G-", i), "1200", fmt.Sprint(10000+i%7), 100)
			switch {
			case i%10 == 1: // the key of entry i-1, same content: a replay or the original
				en = transfer(fmt.Sprint("G-", i-1), "1200", fmt.Sprint(10000+(i-1)%7), 100)
			case i%10 == 2: // the key of entry i-2, other content: one of the two loses
				en = transfer(fmt.Sprint("G-", i-2), "1200", fmt.Sprint(10000+(i-2)%7), 999)
			}
			p, err := e.poster.Post(ctx, en)
			answers[i] = answer{p, err}
		})
	}
	wg.Wait()
	txs := map[uint64]int{}
	record := func(a answer) {
		if a.err == nil && !a.posted.Replayed {
			txs[a.posted.Cursor.TxID]++
		}
	}
	for i, a := range answers {
		if i%10 >= 3 {
			if a.err != nil || a.posted.Replayed {
				t.Errorf("post %d: %+v, %v; want a new entry", i, a.posted, a.err)
			}
			record(a)
		}
	}
	// Keys G-0, G-10, ...: posts i and i+1 carry content A, post i+2
	// content B. Whichever content was stored first wins; the posts of the
	// other content get ErrIdempotencyConflict, those of the same content
	// the one entry.
	for i := 0; i < n; i += 10 {
		a, a2, b := answers[i], answers[i+1], answers[i+2]
		var ok []answer
		conflicts := 0
		for _, x := range []answer{a, a2, b} {
			switch {
			case errors.Is(x.err, books.ErrIdempotencyConflict):
				conflicts++
			case x.err != nil:
				t.Errorf("post for key G-%d: %v", i, x.err)
			default:
				ok = append(ok, x)
			}
		}
		aWon := a.err == nil || a2.err == nil
		if aWon && (conflicts != 1 || b.err == nil) || !aWon && (conflicts != 2 || b.err != nil) {
			t.Errorf("key G-%d: errors %v, %v, %v; want content A twice or content B once accepted, the rest conflicts", i, a.err, a2.err, b.err)
		}
		created := 0
		for _, x := range ok {
			if x.posted.EntryID != ok[0].posted.EntryID {
				t.Errorf("key G-%d answered with two entry ids", i)
			}
			if !x.posted.Replayed {
				created++
			}
			record(x)
		}
		if created != 1 {
			t.Errorf("key G-%d: %d posts created the entry, want 1", i, created)
		}
	}
	if len(txs) >= n/2 {
		t.Errorf("%d stored entries took %d transactions; want batches of several entries", n, len(txs))
	}

	// The projection books every stored entry once.
	proj, err := postgres.NewProjector(e.store, telemetry.Providers{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.events.CatchUpProjection(ctx, proj.Projection(0)); err != nil {
		t.Fatal(err)
	}
	bal, err := e.store.Balances(ctx, "acme", "1200")
	if err != nil || len(bal) != 1 {
		t.Fatalf("balances of 1200 = %v, %v", bal, err)
	}
	var stored int64
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE stream_type = $1`, books.StreamTypeEntry).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != n*8/10 {
		t.Errorf("%d entries stored, want %d (one per distinct key)", stored, n*8/10)
	}
	var debits int64
	if err := e.pool.QueryRow(ctx, `SELECT sum(amount_minor) FROM journal_lines WHERE account = '1200'`).Scan(&debits); err != nil {
		t.Fatal(err)
	}
	if got := bal[0].GetDebit().GetMinorUnits(); got != debits || bal[0].GetBalance().GetMinorUnits() != debits {
		t.Errorf("1200 debit %d, balance %d; journal lines sum to %d", got, bal[0].GetBalance().GetMinorUnits(), debits)
	}
}

// collectBreaches returns the counter's values by invariant attribute,
// leaving out the invariants that were never breached.
func collectBreaches(t testing.TB, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			if md.Name != postgres.BreachMetric {
				continue
			}
			for _, dp := range md.Data.(metricdata.Sum[int64]).DataPoints {
				if dp.Value == 0 {
					continue // every invariant's series starts at 0
				}
				v, _ := dp.Attributes.Value(attribute.Key("invariant"))
				got[v.AsString()] += dp.Value
			}
		}
	}
	return got
}

// TestInvariantBreachIsCountedAndLogged corrupts the read model as its
// owner would and checks that the next projected batch reports it: once in
// the metric and in one error line per breach.
func TestInvariantBreachIsCountedAndLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{})
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	proj, err := postgres.NewProjector(e.store, telemetry.Providers{Meter: mp}, log)
	if err != nil {
		t.Fatal(err)
	}
	catchUp := func() {
		t.Helper()
		if _, err := e.events.CatchUpProjection(ctx, proj.Projection(0)); err != nil {
			t.Fatal(err)
		}
	}
	debtorEntry := transfer("INV-1", "10001", "8400", 11900)
	debtorEntry.Legs[0].DebtorId = "C-1"
	payment := transfer("T-1", "1200", "10001", 5000)
	payment.Legs[1].DebtorId = "C-1" // a posting on a personal account names its debtor
	for _, en := range []postgres.Entry{debtorEntry, payment} {
		if _, err := e.poster.Post(ctx, en); err != nil {
			t.Fatal(err)
		}
	}
	catchUp()
	if got := collectBreaches(t, reader); len(got) != 0 || logs.Len() != 0 {
		t.Fatalf("breaches on a sound ledger: %v, log %s", got, logs.String())
	}
	bal, err := e.store.Balances(ctx, "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	wantBal := []*ledgerv1.AccountBalance{
		{Account: "10001", Debit: eur(11900), Credit: eur(5000), Balance: eur(6900), Debtor: true},
		{Account: "1200", Debit: eur(5000), Credit: eur(0), Balance: eur(5000)},
		{Account: "8400", Debit: eur(0), Credit: eur(11900), Balance: eur(-11900)},
	}
	if diff := cmp.Diff(wantBal, bal, protocmp.Transform()); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}

	// Corrupt the debtor's balance as the owner: both the trial balance and
	// the control account no longer add up.
	owner, err := pgx.Connect(ctx, e.ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	if _, err := owner.Exec(ctx, `UPDATE ledger.account_balances SET balance_minor = balance_minor + 7 WHERE account = '10001'`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.poster.Post(ctx, transfer("T-2", "1200", "1360", 100)); err != nil {
		t.Fatal(err)
	}
	catchUp()
	want := map[string]int64{postgres.InvariantTrialBalance: 1, postgres.InvariantControlAccount: 1}
	if diff := cmp.Diff(want, collectBreaches(t, reader)); diff != "" {
		t.Errorf("breach counter (-want +got):\n%s", diff)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log has %d lines, want one per breach (2):\n%s", len(lines), logs.String())
	}
	for i, inv := range []string{postgres.InvariantTrialBalance, postgres.InvariantControlAccount} {
		for _, part := range []string{`"level":"ERROR"`, `"invariant":"` + inv + `"`, `"tenant":"acme"`, `"currency":"EUR"`, `"difference_minor":7`} {
			if !strings.Contains(lines[i], part) {
				t.Errorf("log line %d lacks %s: %s", i, part, lines[i])
			}
		}
	}
}

// TestDebtorAccountFollowsAccountLength assigns personal accounts on first
// sight from the tenant's DATEV range: five digits for account length 4, six
// for length 5, and the same number again for a debtor seen before.
func TestDebtorAccountFollowsAccountLength(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{})
	ctx := context.Background()
	for _, tc := range []struct {
		tenant, debtor string
		length         int
		want           string
	}{
		{"acme", "K-1", 0, "10000"},
		{"acme", "K-2", 4, "10001"},
		{"acme", "K-1", 4, "10000"},
		{"big", "K-1", 5, "100000"},
		{"big", "K-2", 5, "100001"},
		{"huge", "K-1", 8, "100000000"},
	} {
		got, err := e.store.DebtorAccount(ctx, tc.tenant, tc.debtor, books.Chart{AccountLength: tc.length})
		if err != nil || got != tc.want {
			t.Errorf("DebtorAccount(%s, %s, length %d) = %q, %v; want %q", tc.tenant, tc.debtor, tc.length, got, err, tc.want)
		}
	}
}

// TestApplyClassifiesItems projects open items and their classifications
// through Apply: in the batch that opens the item (written with the
// item's INSERT), in a later batch (an UPDATE), and again for an item
// stored before (a replay: the item keeps its columns and takes the
// classification), and an item opened twice in one batch. Each item's row
// must be what one statement per event would have left.
func TestApplyClassifiesItems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{})
	ctx := context.Background()
	day := &commonv1.Date{Year: 2026, Month: 3, Day: 31}
	opened := func(id, doc string, amount int64) *ledgerv1.OpenItemOpened {
		return &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: id, DebtorId: "D-1", DebtorAccount: "10001", Kind: "invoice",
			DocumentNumber: doc, Amount: eur(amount), DocumentDate: day, DueDate: day, EntryId: "00000000-0000-0000-0000-0000000000e1"}
	}
	const a, b, c = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b", "00000000-0000-0000-0000-00000000000c"
	pos := int64(0)
	apply := func(payloads ...proto.Message) {
		t.Helper()
		evs := make([]eventstore.Event, len(payloads))
		for i, p := range payloads {
			pos++
			evs[i] = eventstore.Event{Payload: p, Envelope: eventstore.Envelope{Position: pos, RecordedAt: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}}
		}
		e.apply(t, evs...)
	}
	apply(
		opened(a, "R-A", 100),
		&ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: a, Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_INTEREST, Marketplace: "amazon.de", BuyerReference: "buyer-1"},
		opened(b, "R-B", 200),
		opened(c, "R-C", 300),
		opened(b, "R-B2", 222), // opened twice in a batch: the first opening counts
		&ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: c, Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS, Dunnable: true},
		&ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: c, Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, Dunnable: true, Marketplace: "ebay"},
	)
	apply(&ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: b, Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_CREDIT, Dunnable: true})
	// A replay of a's events with another amount and classification: the
	// stored item keeps its amount and takes the classification.
	apply(opened(a, "R-A", 999),
		&ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: a, Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, Dunnable: true, BuyerReference: "buyer-2"})

	type row struct {
		ID, Doc, Part, Marketplace, Buyer string
		Amount, Open                      int64
		Dunnable                          bool
	}
	rows, err := e.pool.Query(ctx, `SELECT id::text, document_number, part, marketplace, buyer_id, amount_minor, open_minor, dunnable
		FROM open_items WHERE tenant = 'acme' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.ID, &x.Doc, &x.Part, &x.Marketplace, &x.Buyer, &x.Amount, &x.Open, &x.Dunnable)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{ID: a, Doc: "R-A", Part: "principal", Buyer: "buyer-2", Amount: 100, Open: 100, Dunnable: true},
		{ID: b, Doc: "R-B", Part: "credit", Amount: 200, Open: 200, Dunnable: true},
		{ID: c, Doc: "R-C", Part: "principal", Marketplace: "ebay", Amount: 300, Open: 300, Dunnable: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("open items (-want +got):\n%s", diff)
	}
}

// TestApplyKeepsLatestStatus projects status facts through Apply, several
// for one invoice and one customer in a batch and out of position order:
// each row must hold the fact with the highest event position, also
// against a later fact stored by an earlier batch, as one upsert per fact
// in log order would have left it.
func TestApplyKeepsLatestStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{})
	ctx := context.Background()
	const item, other = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
	inv := func(id string, st statusv1.InvoiceStatus, pos int64) eventstore.Event {
		return eventstore.Event{Envelope: eventstore.Envelope{Position: pos},
			Payload: &statusv1.InvoiceStatusChanged{Tenant: "acme", OpenItemId: id, InvoiceNumber: "R-" + id[len(id)-1:], DebtorId: "D-1", Status: st}}
	}
	cust := func(open int64, pos int64) eventstore.Event {
		return eventstore.Event{Envelope: eventstore.Envelope{Position: pos},
			Payload: &statusv1.CustomerStatusChanged{Tenant: "acme", DebtorId: "D-1", Open: eur(open)}}
	}
	apply := func(evs ...eventstore.Event) { e.apply(t, evs...) }
	apply(inv(other, statusv1.InvoiceStatus_INVOICE_STATUS_PAID, 100))
	apply(
		inv(item, statusv1.InvoiceStatus_INVOICE_STATUS_PARTLY_PAID, 12),
		inv(item, statusv1.InvoiceStatus_INVOICE_STATUS_OPEN, 11),
		inv(other, statusv1.InvoiceStatus_INVOICE_STATUS_OPEN, 13), // older than the stored fact at 100
		cust(500, 15),
		cust(300, 16),
		cust(700, 14),
	)
	type row struct {
		ID, Status string
		Position   int64
	}
	rows, err := e.pool.Query(ctx, `SELECT open_item_id, status, event_position FROM invoice_status
		UNION ALL SELECT debtor_id || '/' || currency, '', event_position FROM customer_status ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.ID, &x.Status, &x.Position)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{ID: item, Status: "INVOICE_STATUS_PARTLY_PAID", Position: 12},
		{ID: other, Status: "INVOICE_STATUS_PAID", Position: 100},
		{ID: "D-1/EUR", Position: 16},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status rows (-want +got):\n%s", diff)
	}
}
