package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// TestStoreInvoicesSavesDebtorsWithTheirEvents: given an erased debtor and
// a stored invoice, when a batch stores new invoices, the stored one again
// and a debtor twice, then each invoice's event and its debtor commit in
// one transaction, the later data of a debtor named twice is kept, the
// erased debtor stays erased, and the replayed invoice records nothing.
func TestStoreInvoicesSavesDebtorsWithTheirEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	invoices := postgres.NewInvoices(e.events)
	erased := &shopv1.Debtor{CustomerId: "C9", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Max Muster"}
	if err := e.store.SaveDebtor(ctx, "acme", erased); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.EraseDebtor(ctx, "acme", "C9", "clerk", time.Now()); err != nil {
		t.Fatal(err)
	}
	old := e.ingest(t, "RE-0", "C0", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	event := func(number, debtor string) eventstore.Event {
		return eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Actor: "shop:acme"},
			Payload: &ingestionv1.InvoiceIngested{Tenant: "acme", InvoiceNumber: number, DebtorId: debtor, Currency: "EUR"}}
	}
	again := eventstore.Event{Envelope: eventstore.Envelope{EventID: old.EventID, OccurredAt: old.OccurredAt, Actor: old.Actor}, Payload: old.Payload}
	janeMoved := &shopv1.Debtor{CustomerId: "C1", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Jane Roe",
		BillingAddress: &shopv1.Address{City: "Bonn"}}
	st := func(number string) eventstore.StreamID {
		return eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: number}
	}
	res, err := invoices.StoreInvoices(ctx,
		[]eventstore.StreamID{st("RE-1"), st("RE-0"), st("RE-2"), st("RE-3"), st("RE-4")},
		[]eventstore.Event{event("RE-1", "C1"), again, event("RE-2", "C1"), event("RE-3", "C9"), event("RE-4", "C4")},
		[]*shopv1.Debtor{jane, {CustomerId: "C0", Name: "Not saved"}, janeMoved, {CustomerId: "C9", Name: "Max Muster"}, nil})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	txs := map[uint64]bool{}
	for _, r := range res {
		switch {
		case r.Err != nil:
			outcomes = append(outcomes, r.Err.Error())
		case r.Replayed:
			outcomes = append(outcomes, "replay")
		default:
			outcomes = append(outcomes, "ok")
			txs[r.Events[0][0].Cursor.TxID] = true
		}
	}
	if diff := cmp.Diff([]string{"ok", "replay", "ok", "ok", "ok"}, outcomes); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if len(txs) != 1 {
		t.Errorf("four new invoices took %d transactions, want 1", len(txs))
	}
	d, err := e.store.Debtor(ctx, "acme", "C1")
	if err != nil {
		t.Fatal(err)
	}
	var addr map[string]any
	if err := json.Unmarshal(d.Address, &addr); err != nil || addr["city"] != "Bonn" {
		t.Errorf("C1's address %s (%v), want the later invoice's (Bonn)", d.Address, err)
	}
	if d, err := e.store.Debtor(ctx, "acme", "C9"); err != nil || d.Name != "" || d.ErasedAt.IsZero() {
		t.Errorf("erased debtor C9 = %+v, %v; want it still erased", d, err)
	}
	if _, err := e.store.Debtor(ctx, "acme", "C0"); err == nil {
		t.Error("the replayed invoice's debtor C0 was saved")
	}
}

// TestWaitingAny: given holds waiting for two invoices of acme and one of
// another tenant, WaitingAny for one of those invoices and a third finds
// the hold waiting for it alone.
func TestWaitingAny(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for _, h := range []shop.Hold{
		{Tenant: "acme", EventType: "credit_note.issued", Document: "GS-1", WaitsFor: shop.Fact{Kind: shop.AwaitInvoice, Key: "RE-1"}, Message: []byte{1}, HeldAt: at},
		{Tenant: "acme", EventType: "credit_note.issued", Document: "GS-2", WaitsFor: shop.Fact{Kind: shop.AwaitInvoice, Key: "RE-2"}, Message: []byte{2}, HeldAt: at},
		{Tenant: "beta", EventType: "credit_note.issued", Document: "GS-1", WaitsFor: shop.Fact{Kind: shop.AwaitInvoice, Key: "RE-1"}, Message: []byte{3}, HeldAt: at},
	} {
		if err := e.store.Hold(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.store.WaitingAny(ctx, "acme", []shop.Fact{{Kind: shop.AwaitInvoice, Key: "RE-1"}, {Kind: shop.AwaitInvoice, Key: "RE-3"}})
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, h := range got {
		docs = append(docs, h.Tenant+"/"+h.Document)
	}
	if diff := cmp.Diff([]string{"acme/GS-1"}, docs); diff != "" {
		t.Errorf("holds (-want +got):\n%s", diff)
	}
}
