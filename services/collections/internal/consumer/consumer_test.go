package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/collections/internal/collections"
	"github.com/o2c-platform/o2c/services/collections/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName("collections", postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
}

func newStore(t testing.TB) *postgres.Store {
	t.Helper()
	ctx := context.Background()
	app, err := database.AppURL(pgtest.NewDB(t, template), postgres.Schema+"_app")
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
	return postgres.New(pool, events)
}

// ledgerMsg returns the ledger's relayed event as the consumer receives
// it, at stream sequence seq.
func ledgerMsg(t testing.TB, tenant string, seq uint64, payload proto.Message) bus.Msg {
	t.Helper()
	ev := eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Date(2026, 10, 16, 9, 0, 0, 0, time.UTC)}, Payload: payload}
	prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: tenant, Type: "debtor", ID: "D-1"}, []eventstore.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	name := string(payload.ProtoReflect().Descriptor().FullName())
	m := relay.Message(bus.ServiceSubject(tenant, "ledger", bus.EventName(name)), prepared[0])
	return bus.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data, Stream: "O2C_LEDGER", Sequence: seq}
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// TestLedgerHandlerReadsTheFoldedClassification: given the same items as
// an older ledger stream holds them (OpenItemOpened, then
// OpenItemClassified) for tenant "old" and as the ledger writes them now
// (the classification inside OpenItemOpened) for tenant "new", both
// tenants' items offered for a release are the same: a fee's claim and
// component, an invoice's main VAT rate.
func TestLedgerHandlerReadsTheFoldedClassification(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	h := &Ledger{Tenants: tenantstest.File(t, "old", "new"), Store: s}
	ctx := context.Background()
	day := &commonv1.Date{Year: 2026, Month: 9, Day: 17}
	items := []struct {
		opened *ledgerv1.OpenItemOpened
		class  *ledgerv1.OpenItemClassified
	}{
		{&ledgerv1.OpenItemOpened{OpenItemId: "I-1", DebtorId: "D-1", Kind: "invoice", DocumentNumber: "RE-1", Amount: eur(11900), DocumentDate: day, DueDate: day},
			&ledgerv1.OpenItemClassified{OpenItemId: "I-1", ClaimOpenItemId: "I-1", Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, Dunnable: true,
				Vat: []*ledgerv1.VatAmount{{RateBp: 700, Net: eur(1000), Vat: eur(70)}, {RateBp: 1900, Net: eur(9000), Vat: eur(1710)}}}},
		{&ledgerv1.OpenItemOpened{OpenItemId: "I-2", DebtorId: "D-1", Kind: "invoice", DocumentNumber: "ZINS-1", Amount: eur(500), DocumentDate: day, DueDate: day},
			&ledgerv1.OpenItemClassified{OpenItemId: "I-2", ClaimOpenItemId: "I-1", Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_INTEREST, Dunnable: true}},
	}
	for _, tenant := range []string{"old", "new"} {
		var evs []proto.Message
		for _, it := range items {
			o, c := proto.CloneOf(it.opened), proto.CloneOf(it.class)
			o.Tenant, c.Tenant = tenant, tenant
			if tenant == "new" {
				o.Classification = c
				evs = append(evs, o)
			} else {
				evs = append(evs, o, c)
			}
		}
		for i, m := range evs {
			if err := h.Handle(ctx, ledgerMsg(t, tenant, uint64(i+1), m)); err != nil {
				t.Fatalf("%s event %d: %v", tenant, i+1, err)
			}
		}
	}
	read := func(tenant string) []collections.Candidate {
		t.Helper()
		cs, err := s.Candidates(ctx, tenant, "D-1", nil)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	old, folded := read("old"), read("new")
	if len(old) != 2 || old[0].TaxRateBP != 1900 || old[1].Claim != "I-1" || old[1].Component != collections.Interest {
		t.Errorf("items of the older stream: %+v, want RE-1 at 19 %% and ZINS-1 interest on I-1", old)
	}
	if diff := cmp.Diff(old, folded); diff != "" {
		t.Errorf("items (-older stream +folded classification):\n%s", diff)
	}
}
