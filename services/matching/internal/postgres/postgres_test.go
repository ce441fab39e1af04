package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName("matching", Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, Schema, Migrations())
		return err
	},
}

// newStore returns a store on a fresh database, connected as the app role,
// and the database's event store.
func newStore(t testing.TB) (*Store, *eventstore.Store, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDB(t, template)
	app, err := database.AppURL(url, Schema+"_app")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := database.Connect(ctx, app, Schema, telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	events, err := eventstore.New(pool, Schema, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return New(pool), events, pool
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func date(y, m, d int) *commonv1.Date {
	return &commonv1.Date{Year: int32(y), Month: int32(m), Day: int32(d)}
}

func opened(id, debtor, doc string, amount int64) *ledgerv1.OpenItemOpened {
	return &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: id, DebtorId: debtor, Kind: "invoice", DocumentNumber: doc,
		Amount: eur(amount), DocumentDate: date(2026, 11, 1), DueDate: date(2026, 12, 1), PaymentReference: doc, EntryId: "E-" + id}
}

// TestItemsFollowTheLedger: given the ledger's events of an item (opened,
// classified on a marketplace, cleared, reopened), the read model holds
// what the ledger says is open, with the documents that cleared it; an
// older event redelivered after a newer one changes nothing; the cash
// discount terms of the invoice come with the item.
func TestItemsFollowTheLedger(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t)
	ctx := context.Background()
	if _, ok, err := s.InvoiceTerms(ctx, &ingestionv1.InvoiceIngested{Tenant: "acme", InvoiceNumber: "RE-1", IssueDate: date(2026, 11, 1),
		PaymentTerms: &shopv1.PaymentTerms{NetDays: 30, DiscountDays: 10, DiscountBp: 200}}); err != nil || ok {
		t.Fatalf("terms before the item: %v, %v; want recorded, no item yet", ok, err)
	}
	it, fresh, err := s.OpenItem(ctx, opened("I-1", "D-1", "RE-1", 11900), 10)
	if err != nil || !fresh {
		t.Fatalf("open: %v, %v", fresh, err)
	}
	want := engine.OpenItem{ID: "I-1", Debtor: "D-1", Kind: engine.ItemInvoice, DocumentNumber: "RE-1", PaymentReference: "RE-1",
		Amount: money.MustNew(11900, "EUR"), Open: 11900, IssueDate: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		DueDate: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), CashDiscount: &engine.CashDiscount{Until: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC), PercentBP: 200}}
	if diff := cmp.Diff(want, it); diff != "" {
		t.Errorf("opened item (-want +got):\n%s", diff)
	}
	if _, fresh, err := s.OpenItem(ctx, opened("I-1", "D-1", "RE-1", 11900), 10); err != nil || fresh {
		t.Errorf("opened again: %v, %v; want not fresh", fresh, err)
	}
	it, ok, err := s.ClassifyItem(ctx, &ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: "I-1", Marketplace: "amazon.de",
		Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL,
		Vat:       []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}}}, 11)
	if err != nil || !ok || it.Channel != "amazon.de" {
		t.Fatalf("classify: %v %v channel %q", ok, err, it.Channel)
	}
	vat, err := s.VAT(ctx, "acme", []string{"I-1"})
	if err != nil || len(vat["I-1"]) != 1 || vat["I-1"][0].GetRateBp() != 1900 {
		t.Errorf("VAT = %v, %v", vat, err)
	}
	cleared := &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", OpenAmount: eur(0),
		Settlements: []*ledgerv1.Settlement{
			{SettlementId: "S-1", OpenItemId: "I-1", Amount: eur(11662), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT, Document: "TX-1", EntryId: "PE-1"},
			{SettlementId: "S-2", OpenItemId: "I-1", Amount: eur(238), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CASH_DISCOUNT, Document: "TX-1", EntryId: "PE-1"},
		}}
	ch, err := s.SettleItem(ctx, cleared, 12)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Change{Open: 0, Settled: []string{"TX-1", "TX-1"}, Applied: true}, ch); diff != "" {
		t.Errorf("cleared (-want +got):\n%s", diff)
	}
	if entry, returned, err := s.Booking(ctx, "acme", "TX-1"); err != nil || entry != "PE-1" || returned {
		t.Errorf("booking of TX-1 = %q %v %v, want PE-1", entry, returned, err)
	}
	ch, err = s.ReopenItem(ctx, &ledgerv1.OpenItemReopened{Tenant: "acme", OpenItemId: "I-1", SettlementIds: []string{"S-1", "S-2"},
		Amount: eur(11900), OpenAmount: eur(11900), Reason: "returned debit"}, 13)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Change{Open: 11900, Undone: []string{"TX-1", "TX-1"}, Applied: true}, ch); diff != "" {
		t.Errorf("reopened (-want +got):\n%s", diff)
	}
	// The clearing redelivered after the reopening is older: nothing
	// changes.
	if ch, err := s.SettleItem(ctx, cleared, 12); err != nil || ch.Applied {
		t.Errorf("an older clearing again: %+v, %v; want not applied", ch, err)
	}
	if it, ok, err := s.Item(ctx, "acme", "I-1"); err != nil || !ok || it.Open != 11900 {
		t.Errorf("item after all: open %d ok %v err %v, want 11900", it.Open, ok, err)
	}
	// A credit balance is not for matching, but names its payment's entry.
	cb := opened("C-1", "D-1", "TX-7", -500)
	cb.Kind, cb.EntryId = "credit_balance", "PE-7"
	if _, fresh, err := s.OpenItem(ctx, cb, 14); err != nil || fresh {
		t.Errorf("credit balance: %v %v, want recorded, not for the engine", fresh, err)
	}
	if entry, _, _ := s.Booking(ctx, "acme", "TX-7"); entry != "PE-7" {
		t.Errorf("entry of TX-7 = %q, want PE-7", entry)
	}
}

// TestProjectionAndSnapshot: given decisions stored as a payment's events
// (the Desk on the PostgreSQL event store), the projection lists the
// queue, and a snapshot holds the open items, the allocations the ledger
// has not reported back, the payments decided and the payer learned.
func TestProjectionAndSnapshot(t *testing.T) {
	t.Parallel()
	s, events, _ := newStore(t)
	ctx := context.Background()
	for _, ev := range []*ledgerv1.OpenItemOpened{opened("I-1", "D-1", "RE-1", 11900), opened("I-2", "D-2", "RE-2", 5000)} {
		if _, _, err := s.OpenItem(ctx, ev, 0); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	proj := s.Projection(time.Millisecond)
	load := func() Snapshot {
		t.Helper()
		if _, err := events.CatchUpProjection(ctx, proj); err != nil {
			t.Fatal(err)
		}
		snap, err := s.Snapshot(ctx, "acme", now.AddDate(0, 0, -70), now.AddDate(0, 0, -8), now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	loader := loaderFunc(func(ctx context.Context, tenant string) (queue.Snapshot, error) {
		snap := load()
		return queue.Snapshot{Config: engine.DefaultConfig(), Items: snap.Items, Pending: snap.Pending, Decided: snap.Decided}, nil
	})
	desk := &queue.Desk{Streams: events, Ledger: s, VATs: s, Loader: loader, Now: func() time.Time { return now }}
	arrive := func(id string, amount int64, remittance string) queue.Arrival {
		return queue.Arrival{Tenant: "acme", Payment: &matchingv1.Payment{PaymentId: id, TransactionId: id, Amount: eur(amount),
			BookingDate: date(2026, 11, 20), Remittance: remittance, CounterpartyId: "CP-" + id}}
	}
	for _, err := range desk.Decide(ctx, []queue.Arrival{arrive("TX-1", 4000, "Zahlung"), arrive("TX-2", 999, "Spende")}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := desk.MatchManually(ctx, "acme", "TX-1", queue.Manual{Debtor: "D-1", Allocations: []engine.Allocation{{Item: "I-1", Amount: 4000}}},
		"", "", 0, "user:clara"); err != nil {
		t.Fatal(err)
	}
	snap := load()
	if diff := cmp.Diff([]queue.Pending{{Item: "I-1", Document: "TX-1", Amount: 4000, Sent: now}}, snap.Pending); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Learned{{Counterparty: "CP-TX-1", Debtor: "D-1", Confirmations: 1}}, snap.Learned); diff != "" {
		t.Errorf("learned (-want +got):\n%s", diff)
	}
	if len(snap.Decided) != 2 || len(snap.Recent) != 1 || snap.Recent[0].Decision.Payment.ID != "TX-1" {
		t.Errorf("decided %v, recent %+v", snap.Decided, snap.Recent)
	}
	// The ledger books it: nothing is pending any more.
	if _, err := s.SettleItem(ctx, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-1", OpenAmount: eur(7900),
		Settlements: []*ledgerv1.Settlement{{SettlementId: "S-1", Amount: eur(4000), Document: "TX-1", EntryId: "PE-1",
			Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT}}}, 0); err != nil {
		t.Fatal(err)
	}
	if snap := load(); len(snap.Pending) != 0 {
		t.Errorf("pending after the ledger booked it: %v", snap.Pending)
	}
	list, next, err := s.List(ctx, "acme", Filter{})
	if err != nil || next != "" || len(list) != 1 || list[0].GetPayment().GetPaymentId() != "TX-2" {
		t.Fatalf("open queue = %v, %q, %v; want TX-2 alone", list, next, err)
	}
	matched, _, err := s.List(ctx, "acme", Filter{States: []queue.State{queue.Matched}, Debtor: "D-1"})
	if err != nil || len(matched) != 1 || matched[0].GetActor() != "user:clara" || matched[0].GetMatch().GetDebtorId() != "D-1" {
		t.Errorf("matched for D-1 = %v, %v", matched, err)
	}
	if err := s.FillDocumentNumbers(ctx, "acme", matched...); err != nil {
		t.Fatal(err)
	}
	if got := matched[0].GetMatch().GetAllocations(); len(got) != 1 || got[0].GetDocumentNumber() != "RE-1" {
		t.Errorf("allocations of TX-1 with their documents = %v, want I-1 as RE-1", got)
	}
	min := int64(1000)
	if big, _, err := s.List(ctx, "acme", Filter{MinAmount: &min, Currency: "EUR"}); err != nil || len(big) != 0 {
		t.Errorf("open from 10.00 EUR = %v, %v; want none", big, err)
	}
	page, tok, err := s.List(ctx, "acme", Filter{States: []queue.State{queue.Open, queue.Matched}, Limit: 1})
	if err != nil || len(page) != 1 || tok == "" {
		t.Fatalf("first page = %v, %q, %v", page, tok, err)
	}
	rest, tok2, err := s.List(ctx, "acme", Filter{States: []queue.State{queue.Open, queue.Matched}, Limit: 1, PageToken: tok})
	if err != nil || len(rest) != 1 || tok2 != "" || rest[0].GetPayment().GetPaymentId() == page[0].GetPayment().GetPaymentId() {
		t.Errorf("second page = %v, %q, %v", rest, tok2, err)
	}
	if _, _, err := s.List(ctx, "acme", Filter{PageToken: "garbage!"}); err == nil {
		t.Error("a bad page token was accepted")
	}
	// Unmatched, the match no longer teaches the payer, and the reversal
	// is pending until the ledger reports it.
	if _, err := desk.Unmatch(ctx, "acme", "TX-1", "wrong customer", 0, "user:clara"); err != nil {
		t.Fatal(err)
	}
	snap = load()
	if len(snap.Learned) != 0 {
		t.Errorf("learned after the unmatch: %v, want nothing", snap.Learned)
	}
	if diff := cmp.Diff([]queue.Pending{{Item: "I-1", Document: "TX-1", Amount: -4000, Sent: now}}, snap.Pending); diff != "" {
		t.Errorf("pending after the unmatch (-want +got):\n%s", diff)
	}
}

type loaderFunc func(ctx context.Context, tenant string) (queue.Snapshot, error)

func (f loaderFunc) Load(ctx context.Context, tenant string) (queue.Snapshot, error) {
	return f(ctx, tenant)
}
