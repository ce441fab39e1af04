package shop

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
)

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// invoiceOf is an accepted invoice of debtor over gross (in cents).
func invoiceOf(debtor string, gross int64) *ingestionv1.InvoiceIngested {
	return &ingestionv1.InvoiceIngested{Tenant: "acme", InvoiceNumber: "RE-1", DebtorId: debtor, Currency: "EUR", Gross: eur(gross),
		Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(gross * 100 / 119), Vat: eur(gross - gross*100/119)}}}
}

func creditNote(number, debtor string, net int64) *shopv1.CreditNoteIssued {
	vat, _ := invoice.VAT(net, 1900)
	return &shopv1.CreditNoteIssued{Tenant: "acme", CreditNoteNumber: number, InvoiceNumber: "RE-1", CustomerId: debtor,
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 10}, Currency: "EUR",
		Lines: []*shopv1.InvoiceLine{{Description: "Retoure", Quantity: "1", NetAmount: eur(net), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(net), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(net), Vat: eur(vat)}},
			Gross: eur(net + vat)},
		Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN}
}

// credited is an accepted credit note of gross against RE-1.
func credited(number string, gross int64) *ingestionv1.CreditNoteIngested {
	return &ingestionv1.CreditNoteIngested{CreditNoteNumber: number, InvoiceNumber: "RE-1", DebtorId: "C-1", Gross: eur(gross)}
}

// TestCreditNoteAgainstItsInvoice: given an invoice stream, when a credit
// note arrives, then it is accepted or refused with the sentinel that
// says why.
func TestCreditNoteAgainstItsInvoice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		given   []proto.Message
		when    *shopv1.CreditNoteIssued
		wantErr error
		reason  string
	}{
		{"within the invoice", []proto.Message{invoiceOf("C-1", 11900)}, creditNote("GS-1", "C-1", 10000), nil, ""},
		{"the rest after an earlier one", []proto.Message{invoiceOf("C-1", 11900), credited("GS-0", 5950)}, creditNote("GS-1", "C-1", 5000), nil, ""},
		{"one cent beyond the rest", []proto.Message{invoiceOf("C-1", 11900), credited("GS-0", 5950)}, creditNote("GS-1", "C-1", 5001), ErrBelowZero,
			"credit note GS-1: document would take the invoice below zero: it credits 59.51 EUR, but invoice RE-1 has 59.50 EUR left of 119.00 EUR"},
		{"itself again does not count twice", []proto.Message{invoiceOf("C-1", 11900), credited("GS-1", 11900)}, creditNote("GS-1", "C-1", 10000), nil, ""},
		{"another debtor's invoice", []proto.Message{invoiceOf("C-2", 11900)}, creditNote("GS-1", "C-1", 100), ErrOtherDebtor, `customer_id "C-1", but invoice RE-1 is for another debtor`},
		{"no invoice yet", nil, creditNote("GS-1", "C-1", 100), ErrUnknownInvoice, "credit note GS-1: invoice not known (yet): invoice RE-1 not known (yet)"},
		{"a cancelled invoice", []proto.Message{invoiceOf("C-1", 11900), &ingestionv1.InvoiceCancellationIngested{CancellationNumber: "ST-1", Gross: eur(11900)}},
			creditNote("GS-1", "C-1", 100), ErrBelowZero, "invoice RE-1 was cancelled by ST-1"},
		{"totals that do not add up", []proto.Message{invoiceOf("C-1", 11900)},
			func() *shopv1.CreditNoteIssued {
				c := creditNote("GS-1", "C-1", 100)
				c.Totals.Gross = eur(1)
				return c
			}(), invoice.ErrInvalid,
			"invalid credit note: totals.gross: 0.01 EUR does not equal net plus VAT, 1.19 EUR"},
		{"no reason", []proto.Message{invoiceOf("C-1", 11900)},
			func() *shopv1.CreditNoteIssued { c := creditNote("GS-1", "C-1", 100); c.Reason = 0; return c }(), invoice.ErrInvalid, "reason: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := CreditNote(tt.when, "acme", Fold(tt.given, tt.when.GetCreditNoteNumber()))
			if !errors.Is(err, tt.wantErr) || tt.wantErr != nil && !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("CreditNote = %v, want %v naming %q", err, tt.wantErr, tt.reason)
			}
			if err != nil {
				return
			}
			got := ev.Payload.(*ingestionv1.CreditNoteIngested)
			if got.GetGross().GetMinorUnits() != tt.when.GetTotals().GetGross().GetMinorUnits() || ev.Stream.ID != "RE-1" || ev.Stream.Type != "invoice" {
				t.Errorf("event %v to %v, want the credit note's gross on invoice/RE-1", got, ev.Stream)
			}
			if ev.ID != EventID("credit_note", "acme", "GS-1") {
				t.Errorf("event id %v is not derived from (tenant, credit note number)", ev.ID)
			}
		})
	}
}

// TestCancellationCancelsTheWholeInvoice: a cancellation carries the
// invoice's gross and VAT, and refuses a credited invoice.
func TestCancellationCancelsTheWholeInvoice(t *testing.T) {
	t.Parallel()
	c := &shopv1.InvoiceCancelled{Tenant: "acme", CancellationNumber: "ST-1", InvoiceNumber: "RE-1", CustomerId: "C-1",
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 11}}
	inv := invoiceOf("C-1", 11900)
	ev, err := Cancellation(c, "acme", Fold([]proto.Message{inv}, "ST-1"))
	if err != nil {
		t.Fatal(err)
	}
	got := ev.Payload.(*ingestionv1.InvoiceCancellationIngested)
	if diff := cmp.Diff(inv.GetVat(), got.GetVat(), protocmp.Transform()); diff != "" || got.GetGross().GetMinorUnits() != 11900 {
		t.Errorf("cancellation of %v, VAT (-invoice +cancellation):\n%s", got.GetGross(), diff)
	}
	_, err = Cancellation(c, "acme", Fold([]proto.Message{inv, credited("GS-1", 100)}, "ST-1"))
	if !errors.Is(err, ErrBelowZero) {
		t.Errorf("cancellation of a credited invoice = %v, want ErrBelowZero", err)
	}
}

// TestCorrectionsCarryTheMarketplaceOfTheirInvoice: given an invoice a
// marketplace collects, when a credit note or cancellation of it arrives,
// then its event names the invoice's channel (the ledger books it on the
// marketplace's debtor); a correction of an own-shop invoice names none,
// so it encodes as before the field existed.
func TestCorrectionsCarryTheMarketplaceOfTheirInvoice(t *testing.T) {
	t.Parallel()
	amazon := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE, Marketplace: "amazon.de"}
	onChannel := func(ch *shopv1.SalesChannel) *ingestionv1.InvoiceIngested {
		inv := invoiceOf("C-1", 11900)
		inv.Channel = ch
		return inv
	}
	cancel := &shopv1.InvoiceCancelled{Tenant: "acme", CancellationNumber: "ST-1", InvoiceNumber: "RE-1", CustomerId: "C-1",
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 11}}
	tests := []struct {
		name    string
		invoice *ingestionv1.InvoiceIngested
		want    *shopv1.SalesChannel
	}{
		{"marketplace", onChannel(amazon), amazon},
		{"own shop", onChannel(&shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP}), nil},
		{"stored without a channel", onChannel(nil), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cn, err := CreditNote(creditNote("GS-1", "C-1", 5000), "acme", Fold([]proto.Message{tt.invoice}, "GS-1"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, cn.Payload.(*ingestionv1.CreditNoteIngested).GetChannel(), protocmp.Transform()); diff != "" {
				t.Errorf("credit note's channel (-want +got):\n%s", diff)
			}
			st, err := Cancellation(cancel, "acme", Fold([]proto.Message{tt.invoice}, "ST-1"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, st.Payload.(*ingestionv1.InvoiceCancellationIngested).GetChannel(), protocmp.Transform()); diff != "" {
				t.Errorf("cancellation's channel (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCustomerEventHoldsNoPersonalData: the event of a customer carries
// its id and non-personal attributes only, and each distinct version has
// its own id.
func TestCustomerEventHoldsNoPersonalData(t *testing.T) {
	t.Parallel()
	c := &shopv1.Customer{CustomerNumber: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, CustomerGroup: "retail", Name: "Erika Mustermann",
		Email: "erika@example.com", PreferredLanguage: "de", BillingAddress: &shopv1.Address{City: "Köln"},
		DirectDebit: &shopv1.DirectDebitMandate{Iban: "DE89370400440532013000", MandateId: "M-1",
			SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 5}, SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_FIRST}}
	at := timestamppb.New(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	ev, err := Customer("acme", "acme", c, at, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := sourceHash(c)
	want := &ingestionv1.CustomerIngested{Tenant: "acme", DebtorId: "C-1", DebtorKind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER,
		CustomerGroup: "retail", PreferredLanguage: "de", DirectDebit: true, UpdatedAt: at, SourceHash: h}
	if diff := cmp.Diff(want, ev.Payload, protocmp.Transform()); diff != "" {
		t.Errorf("customer event (-want +got):\n%s", diff)
	}
	c2 := proto.Clone(c).(*shopv1.Customer)
	c2.Email = "neu@example.com"
	ev2, err := Customer("acme", "acme", c2, at, nil)
	if err != nil || ev2.ID == ev.ID || ev2.Stream != ev.Stream {
		t.Errorf("changed customer: %v, id %v (first %v), stream %v; want a new event in the same stream", err, ev2.ID, ev.ID, ev2.Stream)
	}
}

// TestValidateNamesTheField: an invalid message of each kind is refused
// naming the field.
func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	at := timestamppb.New(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"customer without name", func() error {
			_, err := Customer("acme", "acme", &shopv1.Customer{CustomerNumber: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER}, at, nil)
			return err
		}, "invalid customer: customer.name: required"},
		{"customer with a bad IBAN", func() error {
			_, err := Customer("acme", "acme", &shopv1.Customer{CustomerNumber: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "E",
				DirectDebit: &shopv1.DirectDebitMandate{Iban: "DE89 3704 0044 0532 0130 00", MandateId: "M", SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 1},
					SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_FIRST}}, at, nil)
			return err
		}, "customer.direct_debit.iban"},
		{"customer without updated_at", func() error {
			_, err := Customer("acme", "acme", &shopv1.Customer{CustomerNumber: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "E"}, nil, nil)
			return err
		}, "updated_at: required"},
		{"marketplace order without its id", func() error {
			_, err := Order(&shopv1.OrderPlaced{Tenant: "acme", OrderId: "O-1", CustomerId: "C-1", Currency: "EUR",
				Channel:       &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE, Marketplace: "amazon.de"},
				PaymentMethod: shopv1.PaymentMethod_PAYMENT_METHOD_MARKETPLACE, ExpectedAmount: eur(100), PlacedAt: at,
				Lines: []*shopv1.InvoiceLine{{Description: "x", NetAmount: eur(84), VatRateBp: 1900}}}, "acme")
			return err
		}, "marketplace_order_id: required for a marketplace order"},
		{"capture with a negative fee", func() error {
			_, err := Capture(&shopv1.PaymentCaptured{Tenant: "acme", Provider: "paypal", ProviderReference: "P-1", InvoiceNumber: "RE-1",
				Amount: eur(100), Fee: eur(-1), CapturedAt: at}, "acme")
			return err
		}, "fee.minor_units: must not be negative"},
		{"chargeback without its capture", func() error {
			_, err := Chargeback(&shopv1.ChargebackNotified{Tenant: "acme", Provider: "paypal", ProviderReference: "R-1", ReasonCode: "MD06",
				Kind: shopv1.ChargebackKind_CHARGEBACK_KIND_DIRECT_DEBIT_RETURN, Amount: eur(100), NotifiedAt: at}, "acme")
			return err
		}, "capture_reference: must be 1 to 128 characters"},
		{"payload of another tenant", func() error {
			_, err := Capture(&shopv1.PaymentCaptured{Tenant: "beta"}, "acme")
			return err
		}, `tenant in subject and payload differ: subject says "acme", payload says "beta"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.run(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func TestValidIBAN(t *testing.T) {
	t.Parallel()
	for iban, want := range map[string]bool{
		"DE89370400440532013000":      true,
		"GB82WEST12345698765432":      true,
		"DE88370400440532013000":      false, // check digits
		"de89370400440532013000":      false, // lower case
		"DE89 3704 0044 0532 0130 00": false, // spaces
		"DE89":                        false,
	} {
		if got := ValidIBAN(iban); got != want {
			t.Errorf("ValidIBAN(%q) = %v, want %v", iban, got, want)
		}
	}
}
