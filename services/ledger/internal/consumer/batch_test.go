package consumer

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore/memstore"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// TestBookIngestedBatch: given a batch of ingested events, when it is
// booked, then each message gets the error BookIngested gives it alone:
// the invoice is booked, an unknown tenant's is rejected, a credit note of
// the batch's invoice is booked after it, one of an invoice not booked is
// waited for, and the invoice again books nothing new.
func TestBookIngestedBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	events := memstore.New(nil)
	cmds := books.NewCommander(events, books.NewMemoryDirectory(), books.CommanderOptions{})
	b := &Booker{Commands: cmds, Tenants: tenantstest.File(t, "demo")}
	issued := &commonv1.Date{Year: 2026, Month: 11, Day: 2}
	inv := func(tenant, number string) *ingestionv1.InvoiceIngested {
		return &ingestionv1.InvoiceIngested{Tenant: tenant, InvoiceNumber: number, DebtorId: "K-1", Currency: "EUR",
			Gross: eur(11900), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(10000), Vat: eur(1900), TaxCountry: "DE"}},
			IssueDate: issued, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 2}}
	}
	cn := func(number, invoice string) *ingestionv1.CreditNoteIngested {
		return &ingestionv1.CreditNoteIngested{Tenant: "demo", CreditNoteNumber: number, InvoiceNumber: invoice, DebtorId: "K-1",
			Currency: "EUR", Gross: eur(1190), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(1000), Vat: eur(190), TaxCountry: "DE"}},
			IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 5}}
	}
	payloads := []proto.Message{inv("demo", "RE-1"), inv("acme", "RE-2"), cn("GS-1", "RE-1"), cn("GS-2", "RE-9"), inv("demo", "RE-1")}
	batch := make([]bus.Delivery, len(payloads))
	for i, p := range payloads {
		batch[i] = bus.Delivery{Ctx: ctx, Msg: relayed(t, p)}
	}
	errs := b.BookIngestedBatch(ctx, batch)
	var got []string
	for _, err := range errs {
		got = append(got, fault.DetailOf(err).Code)
	}
	if diff := cmp.Diff([]string{"", "unknown_tenant", "", "invoice_not_booked", ""}, got); diff != "" {
		t.Errorf("reason codes (-want +got):\n%s\nerrors: %v", diff, errs)
	}
	for i, want := range []bool{true, false, true, false, true} {
		if (errs[i] == nil) != want {
			t.Errorf("message %d: %v", i, errs[i])
		}
	}
	stored, err := events.ReadStream(ctx, books.DebtorStream("demo", "K-1"), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for _, ev := range stored {
		if _, ok := ev.Payload.(interface{ GetIdempotencyKey() string }); ok && ev.Type == "o2c.ledger.v1.CommandAccepted" {
			accepted++
		}
	}
	if accepted != 2 {
		t.Errorf("%d commands accepted on K-1's stream, want 2 (the invoice and its credit note)", accepted)
	}
}
