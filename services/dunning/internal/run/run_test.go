package run_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/dunning/internal/dunning"
	"github.com/o2c-platform/o2c/services/dunning/internal/notice"
	"github.com/o2c-platform/o2c/services/dunning/internal/postgres"
	"github.com/o2c-platform/o2c/services/dunning/internal/run"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName("dunning", postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
}

// fixture is a runner on a fresh database with the German-law defaults
// for tenant acme, an outbox in a temporary directory and a clock the
// test sets.
type fixture struct {
	r      *run.Runner
	store  *postgres.Store
	events *eventstore.Store
	today  time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDB(t, template)
	app, err := database.AppURL(url, postgres.Schema+"_app")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := database.Connect(ctx, app, postgres.Schema, telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	events, err := eventstore.New(pool, postgres.Schema, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := dunning.ParseConfig(nil, "dunning", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := notice.NewOutbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	proj := store.Projection(time.Millisecond)
	f := &fixture{store: store, events: events}
	f.r = &run.Runner{Store: store, Journal: events, Outbox: outbox, Rates: dunning.DefaultBaseRates(), Zone: time.UTC,
		CatchUp: func(ctx context.Context) error { _, err := events.CatchUpProjection(ctx, proj); return err },
		Tenants: map[string]run.Tenant{"acme": {Config: cfg, Merchant: notice.Party{Name: "ACME GmbH", IBAN: "DE44500105175407324931"},
			Language: "de"}},
		Now: func() time.Time { return f.today }}
	return f
}

func day(y int, m time.Month, d int) dunning.Date { return dunning.MakeDate(y, m, d) }

func pdate(d dunning.Date) *commonv1.Date { return run.DateProto(d) }

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// open records an invoice item of debtor the ledger opened, due on due.
func (f *fixture) open(t testing.TB, id, debtor string, amount int64, due dunning.Date) {
	t.Helper()
	if err := f.store.OpenItem(context.Background(), &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: id, DebtorId: debtor,
		Kind: "invoice", DocumentNumber: "RE-" + id, Amount: eur(amount), DocumentDate: pdate(due.AddDays(-14)), DueDate: pdate(due)}, 0); err != nil {
		t.Fatal(err)
	}
}

// clear records that the ledger cleared item down to open.
func (f *fixture) clear(t testing.TB, id, debtor string, paid, open int64, on dunning.Date, seq uint64) {
	t.Helper()
	if err := f.store.ClearItem(context.Background(), &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: id, DebtorId: debtor,
		Settlements: []*ledgerv1.Settlement{{SettlementId: "S-" + id, OpenItemId: id, Amount: eur(paid),
			Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT, Document: "P-" + id, Date: pdate(on)}},
		OpenAmount: eur(open)}, seq); err != nil {
		t.Fatal(err)
	}
}

// runOn runs acme's dunning on d with the clock at d.
func (f *fixture) runOn(t testing.TB, d dunning.Date) run.Progress {
	t.Helper()
	f.today = d.Time().Add(6 * time.Hour)
	p, err := f.r.Run(context.Background(), "acme", d, false, nil)
	if err != nil {
		t.Fatalf("run on %s: %v", d, err)
	}
	return p
}

// stream returns the payloads of debtor's stream.
func (f *fixture) stream(t testing.TB, debtor string) []proto.Message {
	t.Helper()
	evs, err := f.events.ReadStream(context.Background(), eventstore.StreamID{Tenant: "acme", Type: run.StreamType, ID: debtor}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]proto.Message, len(evs))
	for i, ev := range evs {
		out[i] = ev.Payload
	}
	return out
}

func decisions(msgs []proto.Message) []*dunningv1.DunningDecisionRecorded {
	var out []*dunningv1.DunningDecisionRecorded
	for _, m := range msgs {
		if d, ok := m.(*dunningv1.DunningDecisionRecorded); ok {
			out = append(out, d)
		}
	}
	return out
}

func charges(msgs []proto.Message) []*ledgerv1.AssessCharge {
	var out []*ledgerv1.AssessCharge
	for _, m := range msgs {
		if c, ok := m.(*ledgerv1.AssessCharge); ok {
			out = append(out, c)
		}
	}
	return out
}

func noticeLevel(d *dunningv1.DunningDecisionRecorded) int32 { return d.GetNotice().GetLevel() }

// noticeItems returns the items a decision's notice lists.
func noticeItems(d *dunningv1.DunningDecisionRecorded) []string {
	var out []string
	for _, it := range d.GetNotice().GetItems() {
		out = append(out, it.GetOpenItemId())
	}
	return out
}

// TestSecondRunOnTheSameDateSendsNothing: given an overdue item, when the
// run of a date runs twice, then the second stores nothing and issues no
// notice, and the notice is in the outbox once.
func TestSecondRunOnTheSameDateSendsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	first := f.runOn(t, day(2026, 10, 9))
	if first.Notices != 1 || first.Done != 1 {
		t.Fatalf("first run: %+v, want one debtor with a notice", first)
	}
	before := len(f.stream(t, "D-1"))
	again := f.runOn(t, day(2026, 10, 9))
	if again.Notices != 0 || again.Charges != 0 || again.Already != 1 {
		t.Errorf("second run: %+v, want nothing sent, one debtor already decided", again)
	}
	if after := len(f.stream(t, "D-1")); after != before {
		t.Errorf("the second run stored %d events", after-before)
	}
	ns, err := f.store.Notices(context.Background(), "acme", "D-1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 {
		t.Fatalf("%d notices, want 1", len(ns))
	}
	got, err := f.r.GetNotice(context.Background(), "acme", ns[0].GetNotice().GetNoticeId())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetPdf()) == 0 {
		t.Error("the notice's PDF is empty")
	}
}

// TestDryRunStoresNothing: a dry run reports the notice it would send and
// stores nothing; the real run afterwards sends it.
func TestDryRunStoresNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	f.today = day(2026, 10, 9).Time()
	p, err := f.r.Run(context.Background(), "acme", day(2026, 10, 9), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Notices != 1 {
		t.Errorf("dry run: %+v, want one notice it would send", p)
	}
	if n := len(f.stream(t, "D-1")); n != 0 {
		t.Errorf("the dry run stored %d events", n)
	}
	if p := f.runOn(t, day(2026, 10, 9)); p.Notices != 1 {
		t.Errorf("the run after the dry run: %+v, want one notice", p)
	}
}

// TestDisputedItemIsExcludedWhileTheOthersAreDunned: given two overdue
// items of a debtor and a dispute block set on one through SetBlock, the
// run reminds of the other and records the blocked one as skipped, with
// the block among the blocks it saw.
func TestDisputedItemIsExcludedWhileTheOthersAreDunned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	f.open(t, "I-2", "D-1", 5000, day(2026, 10, 1))
	f.today = day(2026, 10, 5).Time()
	b, err := f.r.SetBlock(context.Background(), "acme", "user:clara", dunning.Block{Debtor: "D-1", Item: "I-1", Reason: "dispute", Source: "ticket-7"})
	if err != nil {
		t.Fatal(err)
	}
	f.runOn(t, day(2026, 10, 9))
	ds := decisions(f.stream(t, "D-1"))
	if len(ds) != 1 {
		t.Fatalf("%d decisions, want 1", len(ds))
	}
	d := ds[0]
	if diff := cmp.Diff([]string{"I-2"}, noticeItems(d)); diff != "" {
		t.Errorf("notice items (-want +got):\n%s", diff)
	}
	skipped := map[string]string{}
	for _, s := range d.GetSkipped() {
		skipped[s.GetOpenItemId()] = s.GetReason()
	}
	if skipped["I-1"] != "blocked:dispute" {
		t.Errorf("I-1 skipped as %q, want blocked:dispute (skips %v)", skipped["I-1"], skipped)
	}
	if len(d.GetBlocksSeen()) != 1 || d.GetBlocksSeen()[0].GetBlockId() != b.GetBlockId() || d.GetBlocksSeen()[0].GetSetBy() != "user:clara" {
		t.Errorf("blocks seen %v, want the dispute block set by user:clara", d.GetBlocksSeen())
	}
	// Lifted, the item is dunned on the next run.
	if _, err := f.r.LiftBlock(context.Background(), "acme", "D-1", b.GetBlockId(), "user:clara"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.LiftBlock(context.Background(), "acme", "D-1", b.GetBlockId(), "user:clara"); err == nil {
		t.Error("lifting a lifted block again succeeded")
	}
	f.runOn(t, day(2026, 10, 10))
	ds = decisions(f.stream(t, "D-1"))
	if len(ds[1].GetBlocksSeen()) != 0 {
		t.Errorf("the run after lifting saw blocks %v", ds[1].GetBlocksSeen())
	}
}

// TestReturnedDebitRestoresTheLevel: an item reminded at level 1, then
// paid by a direct debit that is returned, goes back to level 1: its next
// notice is level 2, not a first reminder again.
func TestReturnedDebitRestoresTheLevel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	f.runOn(t, day(2026, 10, 9))
	f.clear(t, "I-1", "D-1", 11900, 0, day(2026, 10, 12), 2)
	f.runOn(t, day(2026, 10, 13))
	if err := f.store.ReopenItem(context.Background(), &ledgerv1.OpenItemReopened{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1",
		SettlementIds: []string{"S-I-1"}, Amount: eur(11900), OpenAmount: eur(11900), Reason: "returned debit"}, 3,
		day(2026, 10, 16).Time()); err != nil {
		t.Fatal(err)
	}
	f.runOn(t, day(2026, 10, 24))
	ds := decisions(f.stream(t, "D-1"))
	var levels []int32
	for _, d := range ds {
		levels = append(levels, noticeLevel(d))
	}
	if diff := cmp.Diff([]int32{1, 0, 2}, levels); diff != "" {
		t.Errorf("notice levels by run (0: none) (-want +got):\n%s\nrules of the last: %v", diff, ds[len(ds)-1].GetRules())
	}
}

// TestPaymentSettlingEverythingEndsTheProcedure: once a payment settles
// every item, the next run records the end and later runs decide nothing
// for the debtor.
func TestPaymentSettlingEverythingEndsTheProcedure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	f.runOn(t, day(2026, 10, 9))
	f.clear(t, "I-1", "D-1", 11900, 0, day(2026, 10, 12), 2)
	f.runOn(t, day(2026, 10, 13))
	later := f.runOn(t, day(2026, 10, 30))
	if later.Done != 0 || later.Notices != 0 {
		t.Errorf("run after the end: %+v, want no debtor decided", later)
	}
	st, err := f.r.Status(context.Background(), "acme", "D-1", day(2026, 10, 30))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range st.GetItems() {
		if it.GetLevel() != 0 {
			t.Errorf("item %s still on level %d after the end", it.GetOpenItemId(), it.GetLevel())
		}
	}
	if n := len(st.GetDecisions()); n != 2 {
		t.Errorf("status: %d decisions, want 2 (the notice and the end)", n)
	}
}

// TestFeesAreBookedAsAssessCharge: a consumer's second notice charges the
// material costs and default interest; each is an AssessCharge command in
// the decision's append, keyed by the decision, with the notice as its
// document; running the date again sends no second command.
func TestFeesAreBookedAsAssessCharge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	f.runOn(t, day(2026, 10, 9))
	f.runOn(t, day(2026, 10, 23))
	f.runOn(t, day(2026, 10, 23))
	cs := charges(f.stream(t, "D-1"))
	kinds := map[ledgerv1.ChargeKind]int64{}
	keys, docs := map[string]bool{}, map[string]bool{}
	for _, c := range cs {
		kinds[c.GetKind()] += c.GetAmount().GetMinorUnits()
		if keys[c.GetIdempotencyKey()] {
			t.Errorf("idempotency key %s sent twice", c.GetIdempotencyKey())
		}
		keys[c.GetIdempotencyKey()] = true
		if c.GetClaimOpenItemId() != "I-1" || c.GetDebtorId() != "D-1" || !strings.HasPrefix(c.GetDocumentNumber(), run.NoticeID("D-1", day(2026, 10, 23))+"-") {
			t.Errorf("charge %v: want claim I-1 of D-1 on the notice of 2026-10-23", c)
		}
		if docs[c.GetDocumentNumber()] {
			t.Errorf("document number %s used twice", c.GetDocumentNumber())
		}
		docs[c.GetDocumentNumber()] = true
	}
	if kinds[ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE] != 250 {
		t.Errorf("fees %d, want the material costs of 250", kinds[ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE])
	}
	if kinds[ledgerv1.ChargeKind_CHARGE_KIND_DEFAULT_INTEREST] <= 0 {
		t.Errorf("interest %d, want some", kinds[ledgerv1.ChargeKind_CHARGE_KIND_DEFAULT_INTEREST])
	}
}

// TestReleasedToCollectionsAtTheFinalLevel: an item that goes through
// every level is released to collections with its open amount and the
// notices sent.
func TestReleasedToCollectionsAtTheFinalLevel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	for _, d := range []dunning.Date{day(2026, 10, 9), day(2026, 10, 23), day(2026, 11, 6), day(2026, 11, 20)} {
		f.runOn(t, d)
	}
	var rel *dunningv1.ReleasedToCollections
	for _, m := range f.stream(t, "D-1") {
		if r, ok := m.(*dunningv1.ReleasedToCollections); ok {
			rel = r
		}
	}
	if rel == nil {
		var levels []int32
		for _, d := range decisions(f.stream(t, "D-1")) {
			levels = append(levels, noticeLevel(d))
		}
		t.Fatalf("no release to collections; notice levels %v", levels)
	}
	if len(rel.GetItems()) != 1 || rel.GetItems()[0].GetOpenItemId() != "I-1" || rel.GetItems()[0].GetOpen().GetMinorUnits() != 11900 {
		t.Errorf("released items %v, want I-1 with 11900 open", rel.GetItems())
	}
	if len(rel.GetNoticeIds()) < 3 {
		t.Errorf("released with notices %v, want the three sent", rel.GetNoticeIds())
	}
}

// TestStatusAsOfADate answers from the stored decisions: before the first
// notice nothing, after it level 1 and the decision that set it.
func TestStatusAsOfADate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	f.runOn(t, day(2026, 10, 9))
	before, err := f.r.Status(context.Background(), "acme", "D-1", day(2026, 10, 8))
	if err != nil {
		t.Fatal(err)
	}
	if len(before.GetDecisions()) != 0 || len(before.GetItems()) != 0 {
		t.Errorf("status before the run: %v", before)
	}
	after, err := f.r.Status(context.Background(), "acme", "D-1", day(2026, 10, 10))
	if err != nil {
		t.Fatal(err)
	}
	if len(after.GetItems()) != 1 || after.GetItems()[0].GetLevel() != 1 || after.GetLastDecision().GetNotice() == nil {
		t.Errorf("status after the run: %v", after)
	}
}

// TestSimulateListsWhatWouldDiffer: replayed under the same procedure the
// stored history differs nowhere; under one whose only reminder comes 30
// days after the due date, the notices sent earlier are differences.
func TestSimulateListsWhatWouldDiffer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	f.runOn(t, day(2026, 10, 9))
	f.runOn(t, day(2026, 10, 23))
	same, err := f.r.Simulate(context.Background(), "acme", []byte(`{}`), day(2026, 10, 1), day(2026, 10, 31))
	if err != nil {
		t.Fatal(err)
	}
	if len(same.GetDifferences()) != 0 || same.GetDecisions() != 2 {
		t.Errorf("replay under the same procedure: %d decisions, differences %v; want 2, none", same.GetDecisions(), same.GetDifferences())
	}
	later := []byte(`{"procedures": [{"id": "consumer", "version": 2, "valid_from": "2002-01-01", "groups": ["b2c"], "levels": [
		{"days_past_due": 30, "fee": {"kind": "none"}, "template": "reminder-1", "creates_default": true}]}]}`)
	diff, err := f.r.Simulate(context.Background(), "acme", later, day(2026, 10, 1), day(2026, 10, 31))
	if err != nil {
		t.Fatal(err)
	}
	if len(diff.GetDifferences()) == 0 || diff.GetNoticesWas() != 2 {
		t.Errorf("replay with the first reminder after 30 days: notices %d -> %d, differences %v", diff.GetNoticesWas(), diff.GetNoticesWould(),
			diff.GetDifferences())
	}
}

// TestNothingDueStoresNothing: a debtor whose items are not due yet is
// decided and leaves no event; once an item is overdue the decision is
// stored with its inputs even before a notice is due.
func TestNothingDueStoresNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	if p := f.runOn(t, day(2026, 9, 20)); p.Done != 1 || p.Notices != 0 {
		t.Errorf("run before the due date: %+v, want one debtor decided, no notice", p)
	}
	if n := len(f.stream(t, "D-1")); n != 0 {
		t.Errorf("%d events stored for a debtor with nothing due", n)
	}
	f.runOn(t, day(2026, 10, 3))
	ds := decisions(f.stream(t, "D-1"))
	if len(ds) != 1 || ds[0].GetNotice() != nil || len(ds[0].GetItems()) != 1 || ds[0].GetItems()[0].GetDaysOverdue() != 2 {
		t.Errorf("decision two days past due: %v, want one without a notice, its item 2 days overdue", ds)
	}
}

// TestExpiredBlockIsLiftedByTheRun: a debtor block that expired before
// the run is lifted by it (a BlockLifted "expired" in the decision's
// append), the debtor is dunned, and the block no longer holds.
func TestExpiredBlockIsLiftedByTheRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	f.today = day(2026, 10, 2).Time()
	b, err := f.r.SetBlock(context.Background(), "acme", "user:clara", dunning.Block{Debtor: "D-1", Reason: "promise-to-pay",
		Expires: day(2026, 10, 6)})
	if err != nil {
		t.Fatal(err)
	}
	f.runOn(t, day(2026, 10, 9))
	var lifted *dunningv1.BlockLifted
	for _, m := range f.stream(t, "D-1") {
		if l, ok := m.(*dunningv1.BlockLifted); ok {
			lifted = l
		}
	}
	if lifted == nil || lifted.GetBlockId() != b.GetBlockId() || lifted.GetReason() != "expired" || lifted.GetActor() != run.Actor {
		t.Fatalf("block lifted: %v, want %s lifted as expired by the run", lifted, b.GetBlockId())
	}
	if ds := decisions(f.stream(t, "D-1")); ds[0].GetNotice() == nil {
		t.Errorf("no notice once the block expired; rules %v", ds[0].GetRules())
	}
	held, err := f.store.Blocks(context.Background(), "acme", "D-1", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 0 {
		t.Errorf("blocks still holding: %v", held)
	}
}

// TestMarketplaceItemIsNeverDunned: an item a marketplace collects is
// skipped while the debtor's own item is dunned.
func TestMarketplaceItemIsNeverDunned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	f.open(t, "I-2", "D-1", 5000, day(2026, 10, 1))
	if err := f.store.ClassifyItem(context.Background(), &ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: "I-2", ClaimOpenItemId: "I-2",
		Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, Marketplace: "amazon", Dunnable: false}); err != nil {
		t.Fatal(err)
	}
	f.runOn(t, day(2026, 10, 9))
	d := decisions(f.stream(t, "D-1"))[0]
	if diff := cmp.Diff([]string{"I-1"}, noticeItems(d)); diff != "" {
		t.Errorf("notice items (-want +got):\n%s", diff)
	}
	reason := ""
	for _, s := range d.GetSkipped() {
		if s.GetOpenItemId() == "I-2" {
			reason = s.GetReason()
		}
	}
	if reason != "marketplace" {
		t.Errorf("I-2 skipped as %q, want marketplace", reason)
	}
}

// profiles is a fake of ingestion's profiles that counts its calls.
type profiles struct {
	byID  map[string]run.Profile
	calls int
}

func (p *profiles) Profiles(_ context.Context, _ string, ids []string) (map[string]run.Profile, error) {
	p.calls++
	out := map[string]run.Profile{}
	for _, id := range ids {
		if pr, ok := p.byID[id]; ok {
			out[id] = pr
		}
	}
	return out, nil
}

// TestNoticeNamesTheDebtorFromIngestion: the notices of a batch ask
// ingestion once for the debtors' names, which the notice prints and the
// events never carry; its payment reference quotes the customer number.
func TestNoticeNamesTheDebtorFromIngestion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fake := &profiles{byID: map[string]run.Profile{"D-1": {Name: "Erika Mustermann", CustomerNumber: "K-1001"},
		"D-2": {Name: "Max Muster", CustomerNumber: "K-1002"}}}
	f.r.Profiles = fake
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	f.open(t, "I-2", "D-2", 5000, day(2026, 10, 1))
	if p := f.runOn(t, day(2026, 10, 9)); p.Notices != 2 {
		t.Fatalf("run: %+v, want two notices", p)
	}
	if fake.calls != 1 {
		t.Errorf("ingestion asked %d times, want once for the batch", fake.calls)
	}
	got, err := f.r.GetNotice(context.Background(), "acme", run.NoticeID("D-1", day(2026, 10, 9)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.GetText(), "Erika Mustermann") {
		t.Errorf("the notice does not name the debtor:\n%s", got.GetText())
	}
	if ref := got.GetNotice().GetNotice().GetPaymentReference(); !strings.Contains(ref, "K-1001") || !strings.Contains(ref, "RE-I-1") {
		t.Errorf("payment reference %q, want the customer number and the invoice", ref)
	}
	for _, m := range f.stream(t, "D-1") {
		if b, err := proto.Marshal(m); err != nil || strings.Contains(string(b), "Mustermann") {
			t.Errorf("event %T carries the debtor's name (or does not encode: %v)", m, err)
		}
	}
}

// TestNoticeIsAddressedFromIngestion: given a debtor whose master data
// holds a billing address and an e-mail, the notice's PDF prints the
// address block (street, postal code and town, country) under the name,
// and no event carries the address or the e-mail.
func TestNoticeIsAddressedFromIngestion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.r.Profiles = &profiles{byID: map[string]run.Profile{"D-1": {Name: "Erika Mustermann", CustomerNumber: "K-1001",
		Email: "erika@example.org", Address: run.AddressLines([]string{"Heidestrasse 17"}, "51147", "Koeln", "DE")}}}
	f.open(t, "I-1", "D-1", 11900, day(2026, 10, 1))
	if p := f.runOn(t, day(2026, 10, 9)); p.Notices != 1 {
		t.Fatalf("run: %+v, want one notice", p)
	}
	got, err := f.r.GetNotice(context.Background(), "acme", run.NoticeID("D-1", day(2026, 10, 9)))
	if err != nil {
		t.Fatal(err)
	}
	// The PDF's content stream is not compressed: each line of the
	// address block is one string shown with Tj, in this order.
	pdf := string(got.GetPdf())
	at := 0
	for _, line := range []string{"Erika Mustermann", "Heidestrasse 17", "51147 Koeln", "DE"} {
		i := strings.Index(pdf[at:], "("+line+") Tj")
		if i < 0 {
			t.Fatalf("the notice's PDF does not print %q after the lines before it in the address block", line)
		}
		at += i
	}
	for _, m := range f.stream(t, "D-1") {
		if b, err := proto.Marshal(m); err != nil || strings.Contains(string(b), "Heidestrasse") || strings.Contains(string(b), "erika@") {
			t.Errorf("event %T carries the debtor's address or e-mail (or does not encode: %v)", m, err)
		}
	}
}

func TestAddressLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		street              []string
		postal, town, cntry string
		want                []string
	}{
		{name: "full", street: []string{"c/o Beispiel GmbH", "Heidestraße 17"}, postal: "51147", town: "Köln", cntry: "DE",
			want: []string{"c/o Beispiel GmbH", "Heidestraße 17", "51147 Köln", "DE"}},
		{name: "town without postal code", street: []string{" Weg 1 ", ""}, town: "Vaduz", cntry: "LI",
			want: []string{"Weg 1", "Vaduz", "LI"}},
		{name: "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, run.AddressLines(tt.street, tt.postal, tt.town, tt.cntry)); diff != "" {
				t.Errorf("AddressLines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProgressComesOnceTheNoticesAreInTheOutbox: given five debtors due a
// reminder and batches of two, when the run reports a batch, then every
// notice it reports is already in the outbox, and the batches come in the
// debtors' order.
func TestProgressComesOnceTheNoticesAreInTheOutbox(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.r.BatchSize = 2
	for i := range 5 {
		f.open(t, "I-"+strconv.Itoa(i), "D-"+strconv.Itoa(i), 11900, day(2026, 10, 1))
	}
	date := day(2026, 10, 9)
	f.today = date.Time().Add(6 * time.Hour)
	var done []int
	var reported []string
	p, err := f.r.Run(context.Background(), "acme", date, false, func(p run.Progress) error {
		done = append(done, p.Done)
		for _, d := range p.Decisions {
			id := d.GetNotice().GetNoticeId()
			if _, err := f.r.Outbox.Get("acme", d.GetDebtorId(), id); err != nil {
				t.Errorf("notice %s reported before it was in the outbox: %v", id, err)
			}
			reported = append(reported, d.GetDebtorId())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Notices != 5 {
		t.Errorf("%d notices, want 5", p.Notices)
	}
	if diff := cmp.Diff([]int{2, 4, 5}, done); diff != "" {
		t.Errorf("debtors done per report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"D-0", "D-1", "D-2", "D-3", "D-4"}, reported); diff != "" {
		t.Errorf("debtors reported (-want +got):\n%s", diff)
	}
}
