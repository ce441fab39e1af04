package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/dunning/internal/dunning"
	"github.com/o2c-platform/o2c/services/dunning/internal/run"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName("dunning", Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, Schema, Migrations())
		return err
	},
}

// newStore returns a store on a fresh database, connected as the app role,
// and the database's event store.
func newStore(t testing.TB) (*Store, *eventstore.Store) {
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
	return New(pool), events
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func pdate(y, m, d int) *commonv1.Date {
	return &commonv1.Date{Year: int32(y), Month: int32(m), Day: int32(d)}
}

// TestItemsFollowTheLedgerAndIngestion: given the ledger's events of an
// item and ingestion's invoice and customer, the debtor's input holds what
// the ledger says is open, the part payment's day, the invoice's §286
// notice and delivery date and the customer's kind and language; an older
// clearing redelivered after a newer one changes nothing.
func TestItemsFollowTheLedgerAndIngestion(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.OpenItem(ctx, &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", Kind: "invoice",
		DocumentNumber: "RE-1", Amount: eur(11900), DocumentDate: pdate(2026, 9, 17), DueDate: pdate(2026, 10, 1)}, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.ClassifyItem(ctx, &ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: "I-1", ClaimOpenItemId: "I-1",
		Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, Dunnable: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Invoice(ctx, &ingestionv1.InvoiceIngested{Tenant: "acme", InvoiceNumber: "RE-1", DebtorId: "D-1",
		DebtorKind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, ConsumerDefaultNotice: true, DeliveredOn: pdate(2026, 9, 19),
		Channel: &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Customer(ctx, &ingestionv1.CustomerIngested{Tenant: "acme", DebtorId: "D-1", DebtorKind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS,
		CustomerGroup: "wholesale", PreferredLanguage: "EN"}); err != nil {
		t.Fatal(err)
	}
	part := &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", OpenAmount: eur(9900),
		Settlements: []*ledgerv1.Settlement{{SettlementId: "S-1", Amount: eur(2000), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT,
			Date: pdate(2026, 10, 5)}}}
	if err := s.ClearItem(ctx, part, 3); err != nil {
		t.Fatal(err)
	}
	older := &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", OpenAmount: eur(11000)}
	if err := s.ClearItem(ctx, older, 2); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Debtors(ctx, "acme", "", 10, dunning.MakeDate(2026, 10, 20))
	if err != nil {
		t.Fatal(err)
	}
	want := []run.Debtor{{
		Facts: dunning.Debtor{ID: "D-1", Kind: "b2b", Group: "wholesale", Language: "en", Channel: "shop"},
		Items: []run.Item{{Item: dunning.Item{ID: "I-1", Debtor: "D-1", Claim: "I-1", Component: "principal", Currency: "EUR", Amount: 11900,
			Open: 9900, DocumentDate: dunning.MakeDate(2026, 9, 17), DueDate: dunning.MakeDate(2026, 10, 1),
			DeliveryDate: dunning.MakeDate(2026, 9, 19), ConsumerDefaultNotice: true, Dunnable: true,
			PartPayments: []dunning.Date{dunning.MakeDate(2026, 10, 5)}}, Document: "RE-1"}},
	}}
	if diff := cmp.Diff(want, ds); diff != "" {
		t.Errorf("debtors (-want +got):\n%s", diff)
	}
	if n, err := s.CountDebtors(ctx, "acme"); err != nil || n != 1 {
		t.Errorf("CountDebtors = %d, %v; want 1", n, err)
	}
}

// TestProjectionKeepsOneDecisionPerDebtorAndDay projects a decision, a
// block set and lifted and a notice, then the same events again: the
// read model holds each once, and a second decision of the same day does
// not replace the first.
func TestProjectionKeepsOneDecisionPerDebtorAndDay(t *testing.T) {
	t.Parallel()
	s, events := newStore(t)
	ctx := context.Background()
	day := pdate(2026, 10, 9)
	stream := eventstore.StreamID{Tenant: "acme", Type: run.StreamType, ID: "D-1"}
	first := &dunningv1.DunningDecisionRecorded{Tenant: "acme", DebtorId: "D-1", Date: day, Level: 1,
		Notice: &dunningv1.Notice{NoticeId: "M-1", Level: 1, Total: eur(11900)}}
	second := &dunningv1.DunningDecisionRecorded{Tenant: "acme", DebtorId: "D-1", Date: day, Level: 2}
	block := &dunningv1.Block{BlockId: "B-1", DebtorId: "D-1", Reason: "dispute", SetDate: day}
	msgs := []eventstore.Event{
		{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: first},
		{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: &dunningv1.NoticeIssued{Tenant: "acme",
			DebtorId: "D-1", Date: day, Notice: first.GetNotice()}},
		{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: &dunningv1.BlockSet{Tenant: "acme", Block: block}},
		{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: &dunningv1.BlockLifted{Tenant: "acme",
			DebtorId: "D-1", BlockId: "B-1", Date: pdate(2026, 10, 12), Reason: "manual", Actor: "user:cs"}},
		{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: second},
	}
	if _, err := events.Append(ctx, stream, eventstore.AnyVersion, msgs); err != nil {
		t.Fatal(err)
	}
	proj := s.Projection(time.Millisecond)
	if _, err := events.CatchUpProjection(ctx, proj); err != nil {
		t.Fatal(err)
	}
	// The same batch projected again changes nothing.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := events.ReadStream(ctx, stream, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.apply(ctx, tx, stored); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Decisions(ctx, "acme", "D-1", dunning.Date{}, dunning.MakeDate(2026, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].GetLevel() != 1 {
		t.Errorf("decisions %v, want the first one only", got)
	}
	ns, err := s.Notices(ctx, "acme", "", 10)
	if err != nil || len(ns) != 1 {
		t.Errorf("notices %v, %v; want one", ns, err)
	}
	b, err := s.Block(ctx, "acme", "B-1")
	if err != nil {
		t.Fatal(err)
	}
	if !b.GetLifted() || run.DateOf(b.GetLiftedOn()) != dunning.MakeDate(2026, 10, 12) || b.GetLiftedBy() != "user:cs" {
		t.Errorf("block %v, want lifted on 2026-10-12 by user:cs", b)
	}
	if _, err := s.Block(ctx, "acme", "B-9"); !errors.Is(err, run.ErrBlockNotFound) {
		t.Errorf("an unknown block: %v, want run.ErrBlockNotFound", err)
	}
}
