package consumer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// failing is a Commander that answers every command with err.
type failing struct{ err error }

func (f failing) Execute(context.Context, proto.Message, books.Meta) (books.Result, error) {
	return books.Result{}, f.err
}

// relayed returns the message ingestion's relay publishes for payload,
// stored in the stream of invoice RE-1.
func relayed(tb testing.TB, payload proto.Message) bus.Msg {
	tb.Helper()
	evs, err := eventstore.Prepare(eventstore.StreamID{Tenant: "demo", Type: "invoice", ID: "RE-1"},
		[]eventstore.Event{{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: payload}})
	if err != nil {
		tb.Fatal(err)
	}
	m := relay.Message("o2c.demo.ingestion."+bus.EventName(string(payload.ProtoReflect().Descriptor().FullName())), evs[0])
	return bus.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data}
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// twoRates is VAT at 19 % and 7 %, as the shop sends it.
func twoRates(net19, net7 int64) []*shopv1.VatTotal {
	return []*shopv1.VatTotal{
		{RateBp: 1900, Net: eur(net19), Vat: eur(net19 * 19 / 100), TaxCountry: "DE"},
		{RateBp: 700, Net: eur(net7), Vat: eur(net7 * 7 / 100), TaxCountry: "DE"},
	}
}

// TestIngestedSubjectsAreTheRelays checks that the consumer's filters are
// the subjects ingestion's relay publishes the five events on.
func TestIngestedSubjectsAreTheRelays(t *testing.T) {
	t.Parallel()
	var got []string
	for _, m := range []proto.Message{&ingestionv1.InvoiceIngested{}, &ingestionv1.CreditNoteIngested{}, &ingestionv1.InvoiceCancellationIngested{},
		&ingestionv1.BankTransactionReceived{}, &ingestionv1.BankStatementReceived{}} {
		got = append(got, "o2c.*.ingestion."+bus.EventName(string(m.ProtoReflect().Descriptor().FullName())))
	}
	if diff := cmp.Diff(got, IngestedSubjects()); diff != "" {
		t.Errorf("filters (-relay +consumer):\n%s", diff)
	}
}

// TestCreditNotesAndCancellationsBecomeCreditNotes checks, given an
// ingested credit note or cancellation, the IssueCreditNote that reaches
// the books: its key, its debtor (the marketplace's for a marketplace
// invoice, else the buyer), the invoice's open item, the VAT per rate as
// sent, the gross and the issue date.
func TestCreditNotesAndCancellationsBecomeCreditNotes(t *testing.T) {
	t.Parallel()
	item := books.InvoiceItemID("demo", "RE-1")
	date := &commonv1.Date{Year: 2026, Month: 3, Day: 10}
	amazon := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE, Marketplace: "amazon.de"}
	wantVAT := []*ledgerv1.VatAmount{
		{RateBp: 1900, Net: eur(1000), Vat: eur(190), TaxCountry: "DE"},
		{RateBp: 700, Net: eur(500), Vat: eur(35), TaxCountry: "DE"},
	}
	tests := []struct {
		name    string
		payload proto.Message
		want    *ledgerv1.IssueCreditNote
	}{
		{"credit note",
			&ingestionv1.CreditNoteIngested{Tenant: "demo", CreditNoteNumber: "GS-1", InvoiceNumber: "RE-1", DebtorId: "K-1",
				IssueDate: date, Currency: "EUR", Vat: twoRates(1000, 500), Gross: eur(1725)},
			&ledgerv1.IssueCreditNote{Tenant: "demo", IdempotencyKey: "credit-note:GS-1", CreditNoteNumber: "GS-1", DebtorId: "K-1",
				OpenItemId: item, Currency: "EUR", Vat: wantVAT, Gross: eur(1725), IssueDate: date}},
		{"cancellation",
			&ingestionv1.InvoiceCancellationIngested{Tenant: "demo", CancellationNumber: "ST-1", InvoiceNumber: "RE-1", DebtorId: "K-1",
				IssueDate: date, Currency: "EUR", Vat: twoRates(1000, 500), Gross: eur(1725), Reason: "order cancelled"},
			&ledgerv1.IssueCreditNote{Tenant: "demo", IdempotencyKey: "cancellation:ST-1", CreditNoteNumber: "ST-1", DebtorId: "K-1",
				OpenItemId: item, Currency: "EUR", Vat: wantVAT, Gross: eur(1725), IssueDate: date}},
		{"credit note of a marketplace invoice, on the marketplace's debtor",
			&ingestionv1.CreditNoteIngested{Tenant: "demo", CreditNoteNumber: "GS-1", InvoiceNumber: "RE-1", DebtorId: "K-1",
				IssueDate: date, Currency: "EUR", Vat: twoRates(1000, 500), Gross: eur(1725), Channel: amazon},
			&ledgerv1.IssueCreditNote{Tenant: "demo", IdempotencyKey: "credit-note:GS-1", CreditNoteNumber: "GS-1",
				DebtorId: "marketplace:amazon.de:EUR", OpenItemId: item, Currency: "EUR", Vat: wantVAT, Gross: eur(1725), IssueDate: date}},
		{"cancellation of a marketplace invoice, on the marketplace's debtor",
			&ingestionv1.InvoiceCancellationIngested{Tenant: "demo", CancellationNumber: "ST-1", InvoiceNumber: "RE-1", DebtorId: "K-1",
				IssueDate: date, Currency: "EUR", Vat: twoRates(1000, 500), Gross: eur(1725), Channel: amazon},
			&ledgerv1.IssueCreditNote{Tenant: "demo", IdempotencyKey: "cancellation:ST-1", CreditNoteNumber: "ST-1",
				DebtorId: "marketplace:amazon.de:EUR", OpenItemId: item, Currency: "EUR", Vat: wantVAT, Gross: eur(1725), IssueDate: date}},
		{"credit note naming the own shop, on the buyer",
			&ingestionv1.CreditNoteIngested{Tenant: "demo", CreditNoteNumber: "GS-1", InvoiceNumber: "RE-1", DebtorId: "K-1",
				IssueDate: date, Currency: "EUR", Vat: twoRates(1000, 500), Gross: eur(1725),
				Channel: &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP}},
			&ledgerv1.IssueCreditNote{Tenant: "demo", IdempotencyKey: "credit-note:GS-1", CreditNoteNumber: "GS-1", DebtorId: "K-1",
				OpenItemId: item, Currency: "EUR", Vat: wantVAT, Gross: eur(1725), IssueDate: date}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			b := &Booker{Commands: rec, Tenants: tenantstest.File(t, "demo")}
			if err := b.BookIngested(context.Background(), relayed(t, tt.payload)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]proto.Message{tt.want}, rec.cmds, protocmp.Transform()); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIngestedFailuresAreSorted checks how the handler's failures are
// classified: a credit note whose invoice the books do not hold waits for
// it (transient, invoice_not_booked), also when they do not know its
// debtor, unless another debtor holds the invoice, what the books refuse is theirs to
// classify with the credit note's number as document, an unknown tenant is
// rejected, and an event the ledger does not book is invalid.
func TestIngestedFailuresAreSorted(t *testing.T) {
	t.Parallel()
	classify := fault.Chain(books.Errors.Classify, tenants.Errors.Classify)
	credit := func(tenant string) proto.Message {
		return &ingestionv1.CreditNoteIngested{Tenant: tenant, CreditNoteNumber: "GS-1", InvoiceNumber: "RE-1", DebtorId: "K-1",
			Currency: "EUR", Vat: twoRates(1000, 0), Gross: eur(1190)}
	}
	tests := []struct {
		name    string
		payload proto.Message
		books   error
		class   fault.Class
		code    string
		doc     string
	}{
		{"invoice not booked", credit("demo"), fmt.Errorf("open_item_id: %w", books.ErrUnknownOpenItem), fault.Transient, "invoice_not_booked", "GS-1"},
		// The books' verdict on a credit note of a debtor they do not know:
		// its item is booked nowhere (the invoice is still to come) or on
		// another debtor (the credit note names the wrong one).
		{"debtor and invoice not booked", credit("demo"), fmt.Errorf("%w \"K-1\"; %w x: no debtor holds it", books.ErrUnknownDebtor, books.ErrUnknownOpenItem),
			fault.Transient, "invoice_not_booked", "GS-1"},
		{"invoice booked on another debtor", credit("demo"), fmt.Errorf("%w \"K-1\"", books.ErrUnknownDebtor), fault.NotFound, "", "GS-1"},
		{"refused by the books", credit("demo"), fmt.Errorf("allocation: %w", books.ErrInvalidAllocation), fault.Invalid, "", "GS-1"},
		{"unknown tenant", credit("acme"), nil, fault.NotFound, "unknown_tenant", "GS-1"},
		{"cancellation not booked", &ingestionv1.InvoiceCancellationIngested{Tenant: "demo", CancellationNumber: "ST-1", InvoiceNumber: "RE-1",
			DebtorId: "K-1", Currency: "EUR", Gross: eur(1190)}, fmt.Errorf("%w", books.ErrUnknownOpenItem), fault.Transient, "invoice_not_booked", "ST-1"},
		{"order", &ingestionv1.OrderIngested{Tenant: "demo", OrderId: "O-1"}, nil, fault.Invalid, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &Booker{Commands: failing{tt.books}, Tenants: tenantstest.File(t, "demo")}
			err := b.BookIngested(context.Background(), relayed(t, tt.payload))
			if err == nil {
				t.Fatal("booked, want a failure")
			}
			if c := classify(err); c != tt.class {
				t.Errorf("class %v (%v), want %v", c, err, tt.class)
			}
			if d := fault.DetailOf(err); d.Code != tt.code || d.Document != tt.doc {
				t.Errorf("detail %+v, want code %q and document %q", d, tt.code, tt.doc)
			}
		})
	}
}

// TestIngestedBookingsNameIngestionsActor: a document ingestion recorded
// with an actor (the shop that sent it, the person who requested it) is
// booked under that actor, so the ledger's statement and audit name who
// did it; one without is booked as the ledger.
func TestIngestedBookingsNameIngestionsActor(t *testing.T) {
	t.Parallel()
	for _, actor := range []string{"shop:demo", "user:cs", ""} {
		evs, err := eventstore.Prepare(eventstore.StreamID{Tenant: "demo", Type: "invoice", ID: "RE-1"},
			[]eventstore.Event{{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now(), Actor: actor},
				Payload: &ingestionv1.CreditNoteIngested{Tenant: "demo", CreditNoteNumber: "GS-1", InvoiceNumber: "RE-1", DebtorId: "K-1",
					Currency: "EUR", Vat: twoRates(1000, 0), Gross: eur(1190)}}})
		if err != nil {
			t.Fatal(err)
		}
		m := relay.Message("o2c.demo.ingestion."+bus.EventName("o2c.ingestion.v1.CreditNoteIngested"), evs[0])
		rec := &recorder{}
		b := &Booker{Commands: rec, Tenants: tenantstest.File(t, "demo")}
		if err := b.BookIngested(context.Background(), bus.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data}); err != nil {
			t.Fatal(err)
		}
		want := actor
		if want == "" {
			want = IngestedActor
		}
		if len(rec.metas) != 1 || rec.metas[0].Actor != want {
			t.Errorf("ingested by %q: booked with %+v, want actor %q", actor, rec.metas, want)
		}
	}
}
