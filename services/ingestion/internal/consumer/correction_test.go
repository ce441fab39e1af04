package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/memstore"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// TestConcurrentCreditNotesNeverGoBelowZero sends ten credit notes of
// 23.80 EUR each at once against an invoice of 119.00 EUR: the appends at
// the version read let exactly five through, and the invoice's stream
// holds no more credit than its gross.
func TestConcurrentCreditNotesNeverGoBelowZero(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	events := memstore.New(nil)
	f := tenantstest.File(t, "acme")
	p := &Processor{Events: events, Debtors: &store{}, Tenants: f, Tax: f.Tax}
	vat, _ := invoice.VAT(10000, 1900)
	inv := &shopv1.InvoiceIssued{
		Tenant: "acme", InvoiceNumber: "RE-1", OrderId: "WEB-1",
		Channel:   &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		Debtor:    &shopv1.Debtor{CustomerId: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, Name: "Beispiel GmbH"},
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 2}, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 2},
		Currency: "EUR",
		Lines:    []*shopv1.InvoiceLine{{Description: "Ware", Quantity: "1", NetAmount: eur(10000), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(10000), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(10000), Vat: eur(vat)}},
			Gross: eur(10000 + vat)},
	}
	if res, err := p.Handle(ctx, "acme", inv); err != nil || res.Outcome != Accepted {
		t.Fatalf("invoice: %v, %v", res, err)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
		refused  int
	)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cn := &shopv1.CreditNoteIssued{Tenant: "acme", CreditNoteNumber: fmt.Sprintf("GS-%d", i), InvoiceNumber: "RE-1", CustomerId: "C-1",
				IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 10}, Currency: "EUR",
				Lines: []*shopv1.InvoiceLine{{Description: "Retoure", Quantity: "1", NetAmount: eur(2000), VatRateBp: 1900}},
				Totals: &shopv1.InvoiceTotals{Net: eur(2000), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(2000), Vat: eur(380)}},
					Gross: eur(2380)},
				Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_GOODWILL}
			_, err := p.Handle(ctx, "acme", cn)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, shop.ErrBelowZero):
				refused++
			default:
				t.Errorf("%s: %v", cn.GetCreditNoteNumber(), err)
			}
		}()
	}
	wg.Wait()
	if accepted != 5 || refused != 5 {
		t.Errorf("%d accepted, %d below zero; want 5 and 5", accepted, refused)
	}
	stored, err := events.ReadStream(ctx, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "RE-1"}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	payloads := make([]proto.Message, len(stored))
	for i, e := range stored {
		payloads[i] = e.Payload
	}
	if st := shop.Fold(payloads, ""); st.Credited != 11900 || st.Invoice == nil {
		t.Errorf("stream credits %d of 11900", st.Credited)
	}
	if _, ok := stored[0].Payload.(*ingestionv1.InvoiceIngested); !ok {
		t.Errorf("the stream starts with %T, want the invoice", stored[0].Payload)
	}
}

// TestMarketplaceCorrectionsNameTheMarketplace: given two marketplace
// invoices taken through Handle, a credit note of the one and a
// cancellation of the other are stored with the invoice's channel, which
// the ledger needs to find the invoice's item on the marketplace's
// debtor; the credit note sent again is a duplicate.
func TestMarketplaceCorrectionsNameTheMarketplace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	events := memstore.New(nil)
	f := tenantstest.File(t, "acme")
	p := &Processor{Events: events, Debtors: &store{}, Tenants: f, Tax: f.Tax}
	amazon := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE, Marketplace: "amazon.de"}
	vat, _ := invoice.VAT(10000, 1900)
	inv := func(number string) *shopv1.InvoiceIssued {
		return &shopv1.InvoiceIssued{
			Tenant: "acme", InvoiceNumber: number, OrderId: "AMZ-" + number, Channel: amazon,
			Debtor:    &shopv1.Debtor{CustomerId: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Erika Mustermann"},
			IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 2}, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 2},
			Currency: "EUR",
			Lines:    []*shopv1.InvoiceLine{{Description: "Ware", Quantity: "1", NetAmount: eur(10000), VatRateBp: 1900}},
			Totals: &shopv1.InvoiceTotals{Net: eur(10000), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(10000), Vat: eur(vat)}},
				Gross: eur(10000 + vat)},
		}
	}
	cn := &shopv1.CreditNoteIssued{Tenant: "acme", CreditNoteNumber: "GS-1", InvoiceNumber: "RE-1", CustomerId: "C-1",
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 10}, Currency: "EUR",
		Lines: []*shopv1.InvoiceLine{{Description: "Retoure", Quantity: "1", NetAmount: eur(2000), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(2000), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(2000), Vat: eur(380)}},
			Gross: eur(2380)},
		Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN}
	st := &shopv1.InvoiceCancelled{Tenant: "acme", CancellationNumber: "ST-1", InvoiceNumber: "RE-2", CustomerId: "C-1",
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 12}}
	for _, m := range []proto.Message{inv("RE-1"), inv("RE-2"), cn, st} {
		if res, err := p.Handle(ctx, "acme", m); err != nil || res.Outcome != Accepted {
			t.Fatalf("%T: %v, %v", m, res, err)
		}
	}
	if res, err := p.Handle(ctx, "acme", cn); err != nil || res.Outcome != Duplicate {
		t.Errorf("credit note sent again: %v, %v; want a duplicate", res, err)
	}
	var got []*shopv1.SalesChannel
	for _, number := range []string{"RE-1", "RE-2"} {
		stored, err := events.ReadStream(ctx, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: number}, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range stored {
			switch p := e.Payload.(type) {
			case *ingestionv1.CreditNoteIngested:
				got = append(got, p.GetChannel())
			case *ingestionv1.InvoiceCancellationIngested:
				got = append(got, p.GetChannel())
			}
		}
	}
	if diff := cmp.Diff([]*shopv1.SalesChannel{amazon, amazon}, got, protocmp.Transform()); diff != "" {
		t.Errorf("channels of the stored credit note and cancellation (-want +got):\n%s", diff)
	}
}
