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
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/dunning/internal/dunning"
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
	return postgres.New(pool)
}

// msg returns the ledger's relayed event as the consumer receives it, at
// stream sequence seq and occurred at.
func msg(t testing.TB, tenant string, seq uint64, at time.Time, payload proto.Message) bus.Msg {
	t.Helper()
	ev := eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: at}, Payload: payload}
	prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: tenant, Type: "debtor", ID: "D-1"}, []eventstore.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	name := string(payload.ProtoReflect().Descriptor().FullName())
	m := relay.Message(bus.ServiceSubject(tenant, "ledger", bus.EventName(name)), prepared[0])
	return bus.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data, Stream: "O2C_LEDGER", Sequence: seq}
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// TestItemsHandlerFollowsAReturnedDebit: given an item opened and paid,
// when the ledger reopens it (a returned direct debit), the item is open
// again with the day it was reopened, which puts it back on its level.
func TestItemsHandlerFollowsAReturnedDebit(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	h := &Items{Tenants: tenantstest.File(t, "acme"), Store: s}
	ctx := context.Background()
	returned := time.Date(2026, 10, 16, 9, 0, 0, 0, time.UTC)
	for i, m := range []proto.Message{
		&ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", Kind: "invoice", DocumentNumber: "RE-1", Amount: eur(11900),
			DocumentDate: &commonv1.Date{Year: 2026, Month: 9, Day: 17}, DueDate: &commonv1.Date{Year: 2026, Month: 10, Day: 1}},
		&ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", OpenAmount: eur(0)},
		&ledgerv1.OpenItemReopened{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", Amount: eur(11900), OpenAmount: eur(11900),
			Reason: "returned debit"},
	} {
		if err := h.Handle(ctx, msg(t, "acme", uint64(i+1), returned, m)); err != nil {
			t.Fatalf("event %d: %v", i+1, err)
		}
	}
	ds, err := s.Debtors(ctx, "acme", "", 10, dunning.MakeDate(2026, 10, 20))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || len(ds[0].Items) != 1 || ds[0].Items[0].Open != 11900 || ds[0].Items[0].ReopenedOn != dunning.MakeDate(2026, 10, 16) {
		t.Errorf("debtors after the returned debit: %+v, want I-1 open again, reopened on 2026-10-16", ds)
	}
}

// TestUnknownTenantIsRejectedWithItsCode: an event of a tenant the tenants
// file does not list is refused with the reason code unknown_tenant.
func TestUnknownTenantIsRejectedWithItsCode(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	h := &Items{Tenants: tenantstest.File(t, "acme"), Store: s}
	err := h.Handle(context.Background(), msg(t, "nobody", 1, time.Now(), &ledgerv1.OpenItemOpened{Tenant: "nobody", OpenItemId: "I-1"}))
	if err == nil || fault.DetailOf(err).Code != "unknown_tenant" {
		t.Errorf("event of an unknown tenant: %v, want the reason code unknown_tenant", err)
	}
}

// TestItemsHandlerReadsTheFoldedClassification: given the same items as an
// older ledger stream holds them (OpenItemOpened, then OpenItemClassified)
// for tenant "old" and as the ledger writes them now (the classification
// inside OpenItemOpened) for tenant "new", the read model holds the same
// items for both: a fee's claim and component, a marketplace item that is
// not dunned.
func TestItemsHandlerReadsTheFoldedClassification(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	h := &Items{Tenants: tenantstest.File(t, "old", "new"), Store: s}
	ctx := context.Background()
	at := time.Date(2026, 10, 16, 9, 0, 0, 0, time.UTC)
	nov := &commonv1.Date{Year: 2026, Month: 9, Day: 17}
	items := []struct {
		opened *ledgerv1.OpenItemOpened
		class  *ledgerv1.OpenItemClassified
	}{
		{&ledgerv1.OpenItemOpened{OpenItemId: "I-1", DebtorId: "D-1", Kind: "invoice", DocumentNumber: "RE-1", Amount: eur(11900), DocumentDate: nov, DueDate: nov},
			&ledgerv1.OpenItemClassified{OpenItemId: "I-1", ClaimOpenItemId: "I-1", Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, Dunnable: true}},
		{&ledgerv1.OpenItemOpened{OpenItemId: "I-2", DebtorId: "D-1", Kind: "dunning_fee", DocumentNumber: "FEE-1", Amount: eur(500), DocumentDate: nov, DueDate: nov},
			&ledgerv1.OpenItemClassified{OpenItemId: "I-2", ClaimOpenItemId: "I-1", Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS, Dunnable: true}},
		{&ledgerv1.OpenItemOpened{OpenItemId: "I-3", DebtorId: "D-1", Kind: "invoice", DocumentNumber: "RE-3", Amount: eur(2990), DocumentDate: nov, DueDate: nov},
			&ledgerv1.OpenItemClassified{OpenItemId: "I-3", ClaimOpenItemId: "I-3", Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, Marketplace: "amazon.de"}},
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
			if err := h.Handle(ctx, msg(t, tenant, uint64(i+1), at, m)); err != nil {
				t.Fatalf("%s event %d: %v", tenant, i+1, err)
			}
		}
	}
	read := func(tenant string) []run.Item {
		t.Helper()
		ds, err := s.Debtors(ctx, tenant, "", 10, dunning.MakeDate(2026, 10, 20))
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 {
			t.Fatalf("tenant %s: debtors %+v, want D-1 alone", tenant, ds)
		}
		return ds[0].Items
	}
	old, folded := read("old"), read("new")
	if len(old) != len(items) || old[1].Claim != "I-1" || old[1].Component != "fee" || old[2].Dunnable || old[2].Marketplace != "amazon.de" {
		t.Errorf("items of the older stream: %+v, want FEE-1 a fee on I-1 and RE-3 Amazon's, not dunned", old)
	}
	if diff := cmp.Diff(old, folded); diff != "" {
		t.Errorf("items (-older stream +folded classification):\n%s", diff)
	}
}
