package shop

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
)

// InvoiceState is what an invoice's stream holds: the invoice and what
// was credited or cancelled against it.
type InvoiceState struct {
	Invoice *ingestionv1.InvoiceIngested
	// Credited is the gross amount credited or cancelled, in minor units
	// of the invoice currency, without the document being checked.
	Credited int64
	// Cancelled names the cancellation of the invoice, if any.
	Cancelled string
}

// Fold reads the payloads of an invoice stream, oldest first, skipping
// the document named exclude (the one being checked, when it was stored
// before: a retry must not count itself).
func Fold(payloads []proto.Message, exclude string) InvoiceState {
	var s InvoiceState
	for _, p := range payloads {
		switch e := p.(type) {
		case *ingestionv1.InvoiceIngested:
			s.Invoice = e
		case *ingestionv1.CreditNoteIngested:
			if e.GetCreditNoteNumber() != exclude {
				s.Credited += e.GetGross().GetMinorUnits()
			}
		case *ingestionv1.InvoiceCancellationIngested:
			if e.GetCancellationNumber() != exclude {
				s.Credited += e.GetGross().GetMinorUnits()
				s.Cancelled = e.GetCancellationNumber()
			}
		}
	}
	return s
}

// CreditNote validates a credit note and checks it against the state of
// its invoice's stream (see Fold): the invoice must be there
// (ErrUnknownInvoice), for the same debtor (ErrOtherDebtor) and currency
// (ErrOtherCurrency), and the credit note may not take it below zero
// (ErrBelowZero). Lines and totals are checked as for invoices, with the
// tenant's tax table given in opts. The event carries the invoice's
// channel when a marketplace collects it.
func CreditNote(cn *shopv1.CreditNoteIssued, subjectTenant string, state InvoiceState, opts ...invoice.Option) (Event, error) {
	if err := checkTenant(cn.GetTenant(), subjectTenant); err != nil {
		return Event{}, err
	}
	cn = known(cn)
	v := newValidator("credit note", cn)
	number := cn.GetCreditNoteNumber()
	v.key("credit_note_number", number, 36)
	v.key("invoice_number", cn.GetInvoiceNumber(), 36)
	v.key("customer_id", cn.GetCustomerId(), 64)
	v.check(cn.GetReason() != shopv1.CreditNoteReason_CREDIT_NOTE_REASON_UNSPECIFIED, "reason: required (RETURN, GOODWILL or PRICE_CORRECTION)")
	// Lines and totals follow the invoice rules; an invoice made of them
	// names every problem by the same field path.
	asInvoice := &shopv1.InvoiceIssued{
		Tenant: cn.GetTenant(), InvoiceNumber: "credit-note", OrderId: "credit-note",
		Channel:   &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		Debtor:    &shopv1.Debtor{CustomerId: "credit-note", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "credit-note"},
		IssueDate: cn.GetIssueDate(), DueDate: cn.GetIssueDate(),
		Currency: cn.GetCurrency(), Lines: cn.GetLines(), Totals: cn.GetTotals(),
	}
	if err := invoice.Validate(asInvoice, cn.GetTenant(), opts...); err != nil {
		if ve, ok := err.(*invoice.ValidationError); ok {
			for _, p := range ve.Problems {
				if !strings.HasPrefix(p, "due_date") { // the made-up invoice's, not the credit note's
					v.problem(p)
				}
			}
		} else {
			return Event{}, err
		}
	}
	if err := v.err(); err != nil {
		return Event{}, err
	}
	gross := cn.GetTotals().GetGross()
	if err := checkAgainst(state, cn.GetInvoiceNumber(), cn.GetCustomerId(), gross, "credit note "+number); err != nil {
		return Event{}, err
	}
	h, err := sourceHash(cn)
	if err != nil {
		return Event{}, err
	}
	vat := make([]*shopv1.VatTotal, len(cn.GetTotals().GetVat()))
	for i, t := range cn.GetTotals().GetVat() {
		vat[i] = proto.Clone(t).(*shopv1.VatTotal)
		if vat[i].GetTaxCountry() == "DE" {
			vat[i].TaxCountry = ""
		}
		if vat[i].GetTaxTreatment() == shopv1.TaxTreatment_TAX_TREATMENT_DOMESTIC {
			vat[i].TaxTreatment = shopv1.TaxTreatment_TAX_TREATMENT_UNSPECIFIED
		}
	}
	sortVAT(vat)
	return Event{
		Stream:     es.StreamID{Tenant: cn.GetTenant(), Type: InvoiceStream, ID: cn.GetInvoiceNumber()},
		ID:         EventID("credit_note", cn.GetTenant(), number),
		Kind:       "credit note",
		OccurredAt: occurred(cn.GetIssueDate(), cn.GetIssuedAt().IsValid(), cn.GetIssuedAt().AsTime),
		Document:   number,
		Payload: &ingestionv1.CreditNoteIngested{
			Tenant: cn.GetTenant(), CreditNoteNumber: number, InvoiceNumber: cn.GetInvoiceNumber(),
			DebtorId: cn.GetCustomerId(), IssueDate: cn.GetIssueDate(), Currency: cn.GetCurrency(),
			Vat: vat, Gross: gross, Reason: cn.GetReason(), LineCount: int32(len(cn.GetLines())), SourceHash: h,
			Channel: marketplaceChannel(state.Invoice), RequestId: cn.GetRequestId(),
		},
	}, nil
}

// Cancellation validates a cancellation (Storno) and checks it against
// the state of its invoice's stream as CreditNote does: it cancels the
// invoice's whole gross amount, so anything credited or cancelled before
// makes it ErrBelowZero. Its event carries the invoice's VAT and gross,
// and its channel when a marketplace collects it.
func Cancellation(c *shopv1.InvoiceCancelled, subjectTenant string, state InvoiceState) (Event, error) {
	if err := checkTenant(c.GetTenant(), subjectTenant); err != nil {
		return Event{}, err
	}
	c = known(c)
	v := newValidator("cancellation", c)
	number := c.GetCancellationNumber()
	v.key("cancellation_number", number, 36)
	v.key("invoice_number", c.GetInvoiceNumber(), 36)
	v.key("customer_id", c.GetCustomerId(), 64)
	v.date(c.GetIssueDate(), "issue_date")
	if err := v.err(); err != nil {
		return Event{}, err
	}
	inv := state.Invoice
	if err := checkAgainst(state, c.GetInvoiceNumber(), c.GetCustomerId(), inv.GetGross(), "cancellation "+number); err != nil {
		return Event{}, err
	}
	h, err := sourceHash(c)
	if err != nil {
		return Event{}, err
	}
	return Event{
		Stream:     es.StreamID{Tenant: c.GetTenant(), Type: InvoiceStream, ID: c.GetInvoiceNumber()},
		ID:         EventID("invoice.cancelled", c.GetTenant(), number),
		Kind:       "cancellation",
		OccurredAt: occurred(c.GetIssueDate(), c.GetIssuedAt().IsValid(), c.GetIssuedAt().AsTime),
		Document:   number,
		Payload: &ingestionv1.InvoiceCancellationIngested{
			Tenant: c.GetTenant(), CancellationNumber: number, InvoiceNumber: c.GetInvoiceNumber(),
			DebtorId: c.GetCustomerId(), IssueDate: c.GetIssueDate(), Currency: inv.GetCurrency(),
			Vat: inv.GetVat(), Gross: inv.GetGross(), Reason: c.GetReason(), SourceHash: h,
			Channel: marketplaceChannel(inv),
		},
	}, nil
}

// marketplaceChannel is the sales channel a correction of inv carries: a
// copy of inv's when a marketplace collects it (its open item sits on the
// marketplace's debtor, which the ledger must book the correction
// against), else nil, so that a correction of an own-shop invoice encodes
// as it did before the field existed and a re-sent one stays a duplicate.
func marketplaceChannel(inv *ingestionv1.InvoiceIngested) *shopv1.SalesChannel {
	if inv.GetChannel().GetKind() != shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE {
		return nil
	}
	return proto.Clone(inv.GetChannel()).(*shopv1.SalesChannel)
}

// checkAgainst checks a document of debtor crediting gross against the
// state of invoice number.
func checkAgainst(state InvoiceState, number, debtorID string, gross *commonv1.Money, doc string) error {
	inv := state.Invoice
	if inv == nil {
		return &WaitError{Fact: Fact{AwaitInvoice, number},
			Err: fmt.Errorf("%s: %w: invoice %s not known (yet)", doc, ErrUnknownInvoice, number)}
	}
	if inv.GetDebtorId() != debtorID {
		return fmt.Errorf("%s: %w: customer_id %q, but invoice %s is for another debtor", doc, ErrOtherDebtor, debtorID, number)
	}
	cur := inv.GetCurrency()
	if gross.GetCurrency() != cur {
		return fmt.Errorf("%s: %w: currency %s, invoice %s is in %s", doc, ErrOtherCurrency, gross.GetCurrency(), number, cur)
	}
	exp, _ := money.Exponent(cur)
	amount := func(m int64) string { return money.FormatMinor(m, exp) + " " + cur }
	if state.Cancelled != "" {
		return fmt.Errorf("%s: %w: invoice %s was cancelled by %s", doc, ErrBelowZero, number, state.Cancelled)
	}
	open := inv.GetGross().GetMinorUnits() - state.Credited
	if gross.GetMinorUnits() > open {
		return fmt.Errorf("%s: %w: it credits %s, but invoice %s has %s left of %s", doc, ErrBelowZero,
			amount(gross.GetMinorUnits()), number, amount(open), amount(inv.GetGross().GetMinorUnits()))
	}
	return nil
}

// occurred is the document's issue time when given, else its issue date.
func occurred(d *commonv1.Date, hasTime bool, at func() time.Time) time.Time {
	if hasTime {
		return at()
	}
	return invoice.ToTime(d)
}
