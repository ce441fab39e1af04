package books

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"
)

// invoiceFact is what a test compares of an InvoiceStatusChanged.
type invoiceFact struct {
	Invoice                                  string
	Status, Previous                         statusv1.InvoiceStatus
	Open, Paid, Credited, WrittenOff, Credit int64
}

// customerFact is what a test compares of a CustomerStatusChanged.
type customerFact struct {
	Debtor       string
	Open, Credit int64
	OpenInvoices int32
}

// facts returns the status facts among msgs.
func facts(msgs []proto.Message) []any {
	var out []any
	for _, m := range msgs {
		switch f := m.(type) {
		case *statusv1.InvoiceStatusChanged:
			out = append(out, invoiceFact{f.GetInvoiceNumber(), f.GetStatus(), f.GetPreviousStatus(), f.GetOpen().GetMinorUnits(),
				f.GetPaid().GetMinorUnits(), f.GetCredited().GetMinorUnits(), f.GetWrittenOff().GetMinorUnits(), f.GetCreditBalance().GetMinorUnits()})
		case *statusv1.CustomerStatusChanged:
			out = append(out, customerFact{f.GetDebtorId(), f.GetOpen().GetMinorUnits(), f.GetCreditBalance().GetMinorUnits(), f.GetOpenInvoices()})
		}
	}
	return out
}

func TestStatusFactsGivenWhenThen(t *testing.T) {
	t.Parallel()
	const (
		open    = statusv1.InvoiceStatus_INVOICE_STATUS_OPEN
		partly  = statusv1.InvoiceStatus_INVOICE_STATUS_PARTLY_PAID
		paid    = statusv1.InvoiceStatus_INVOICE_STATUS_PAID
		credit  = statusv1.InvoiceStatus_INVOICE_STATUS_CREDIT_BALANCE
		written = statusv1.InvoiceStatus_INVOICE_STATUS_WRITTEN_OFF
		none    = statusv1.InvoiceStatus_INVOICE_STATUS_UNSPECIFIED
	)
	gross := gross19(10000) // 11900
	inv := registerInvoice("INV-1", "C-1", 10000)
	tests := []struct {
		name  string
		given []proto.Message
		when  proto.Message
		then  []any
	}{
		{
			name: "invoice booked is open",
			when: inv,
			then: []any{
				invoiceFact{Invoice: "INV-1", Status: open, Previous: none, Open: gross},
				customerFact{Debtor: "C-1", Open: gross, OpenInvoices: 1},
			},
		},
		{
			name:  "partial payment is partly paid",
			given: []proto.Message{inv},
			when:  applyPayment("P-1", "C-1", 5000),
			then: []any{
				invoiceFact{Invoice: "INV-1", Status: partly, Previous: open, Open: gross - 5000, Paid: 5000},
				customerFact{Debtor: "C-1", Open: gross - 5000, OpenInvoices: 1},
			},
		},
		{
			name:  "second partial payment is partly paid with less open",
			given: []proto.Message{inv, applyPayment("P-1", "C-1", 5000)},
			when:  applyPayment("P-2", "C-1", 1000),
			then: []any{
				invoiceFact{Invoice: "INV-1", Status: partly, Previous: partly, Open: gross - 6000, Paid: 6000},
				customerFact{Debtor: "C-1", Open: gross - 6000, OpenInvoices: 1},
			},
		},
		{
			name:  "full payment is paid",
			given: []proto.Message{inv, applyPayment("P-1", "C-1", 5000)},
			when:  applyPayment("P-2", "C-1", gross-5000),
			then: []any{
				invoiceFact{Invoice: "INV-1", Status: paid, Previous: partly, Paid: gross},
				customerFact{Debtor: "C-1"},
			},
		},
		{
			name:  "overpayment leaves a credit balance",
			given: []proto.Message{inv},
			when:  applyPayment("P-1", "C-1", gross+500),
			then: []any{
				invoiceFact{Invoice: "INV-1", Status: credit, Previous: open, Paid: gross, Credit: 500},
				customerFact{Debtor: "C-1", Credit: 500},
			},
		},
		{
			name:  "write-off is written off",
			given: []proto.Message{inv, applyPayment("P-1", "C-1", 1900)},
			when: &ledgerv1.WriteOff{Tenant: tenant, IdempotencyKey: "write-off:W-1", WriteOffId: "W-1", OpenItemId: invoiceItem("INV-1"),
				Amount: eur(gross - 1900), WriteOffDate: date(2026, 11, 19), Reason: "insolvent"},
			then: []any{
				invoiceFact{Invoice: "INV-1", Status: written, Previous: partly, Paid: 1900, WrittenOff: gross - 1900},
				customerFact{Debtor: "C-1"},
			},
		},
		{
			name:  "replay of the same command stores nothing new",
			given: []proto.Message{inv, applyPayment("P-1", "C-1", 5000)},
			when:  applyPayment("P-1", "C-1", 5000),
			then:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.given(t, tt.given...)
			before := len(w.stream(t, DebtorStream(tenant, "C-1")))
			if _, err := w.cmds.Execute(context.Background(), tt.when, Meta{Actor: "user:cfo"}); err != nil {
				t.Fatalf("Execute: %v", err)
			}
			got := facts(w.stream(t, DebtorStream(tenant, "C-1"))[before:])
			if diff := cmp.Diff(tt.then, got); diff != "" {
				t.Errorf("status facts appended (-want +got):\n%s", diff)
			}
			// The books still load and balance with the facts in the stream.
			w.books(t, "C-1")
		})
	}
}

func TestInvoiceStatusOf(t *testing.T) {
	t.Parallel()
	paidBefore := &statusv1.InvoiceStatusChanged{Status: statusv1.InvoiceStatus_INVOICE_STATUS_CREDIT_BALANCE}
	for _, c := range []struct {
		name     string
		f        invoiceFigures
		overpaid bool
		prev     *statusv1.InvoiceStatusChanged
		want     statusv1.InvoiceStatus
	}{
		{"nothing settled", invoiceFigures{open: 100}, false, nil, statusv1.InvoiceStatus_INVOICE_STATUS_OPEN},
		{"credited in part", invoiceFigures{open: 60, credited: 40}, false, nil, statusv1.InvoiceStatus_INVOICE_STATUS_PARTLY_PAID},
		{"credited in full", invoiceFigures{credited: 100}, false, nil, statusv1.InvoiceStatus_INVOICE_STATUS_CANCELLED},
		{"paid and written off", invoiceFigures{paid: 50, writtenOff: 50}, false, nil, statusv1.InvoiceStatus_INVOICE_STATUS_WRITTEN_OFF},
		{"paid", invoiceFigures{paid: 100}, false, nil, statusv1.InvoiceStatus_INVOICE_STATUS_PAID},
		{"overpaid now", invoiceFigures{paid: 100}, true, nil, statusv1.InvoiceStatus_INVOICE_STATUS_CREDIT_BALANCE},
		{"overpaid before, touched again", invoiceFigures{paid: 100}, false, paidBefore, statusv1.InvoiceStatus_INVOICE_STATUS_CREDIT_BALANCE},
	} {
		if got := invoiceStatusOf(100, c.f, c.overpaid, c.prev.GetStatus()); got != c.want {
			t.Errorf("%s: status = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestMergedInvoiceIsNotCancelled merges a debtor with a partly paid
// invoice into another: the duplicate's stream gets no invoice fact (the
// move is no cancellation) and its customer status drops to nothing open,
// while the survivor's stream publishes the same invoice number as open
// under the survivor with what was still open.
func TestMergedInvoiceIsNotCancelled(t *testing.T) {
	t.Parallel()
	const (
		open = statusv1.InvoiceStatus_INVOICE_STATUS_OPEN
		none = statusv1.InvoiceStatus_INVOICE_STATUS_UNSPECIFIED
	)
	gross := gross19(10000)
	w := newWorld(t)
	w.given(t, registerInvoice("INV-1", "C-1", 10000), applyPayment("P-1", "C-1", 5000), registerInvoice("INV-2", "C-2", 10000))
	dupBefore := len(w.stream(t, DebtorStream(tenant, "C-1")))
	intoBefore := len(w.stream(t, DebtorStream(tenant, "C-2")))
	if _, err := w.cmds.Execute(context.Background(), mergeDebtor("C-1", "C-2", 20), Meta{Actor: "user:cfo"}); err != nil {
		t.Fatalf("Execute MergeDebtor: %v", err)
	}
	gotDup := facts(w.stream(t, DebtorStream(tenant, "C-1"))[dupBefore:])
	wantDup := []any{customerFact{Debtor: "C-1"}}
	if diff := cmp.Diff(wantDup, gotDup); diff != "" {
		t.Errorf("status facts on the duplicate's stream (-want +got):\n%s", diff)
	}
	var into []*statusv1.InvoiceStatusChanged
	for _, m := range w.stream(t, DebtorStream(tenant, "C-2"))[intoBefore:] {
		if f, ok := m.(*statusv1.InvoiceStatusChanged); ok {
			into = append(into, f)
		}
	}
	if len(into) != 1 {
		t.Fatalf("survivor's stream has %d invoice facts, want 1: %v", len(into), into)
	}
	got := invoiceFact{into[0].GetInvoiceNumber(), into[0].GetStatus(), into[0].GetPreviousStatus(), into[0].GetOpen().GetMinorUnits(),
		into[0].GetPaid().GetMinorUnits(), into[0].GetCredited().GetMinorUnits(), into[0].GetWrittenOff().GetMinorUnits(), into[0].GetCreditBalance().GetMinorUnits()}
	want := invoiceFact{Invoice: "INV-1", Status: open, Previous: none, Open: gross - 5000}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("survivor's invoice fact (-want +got):\n%s", diff)
	}
	if into[0].GetDebtorId() != "C-2" {
		t.Errorf("survivor's invoice fact names debtor %q, want C-2", into[0].GetDebtorId())
	}
	w.books(t, "C-1")
	w.books(t, "C-2")
}

// TestLastInvoiceKeepsWhatTheNextFactNeeds checks that the plain values the
// books keep of the last invoice status fact give the status, the
// comparison and the credit balance a later fact takes over as the message
// itself did: a credit balance of zero is kept as one, a missing one as
// none.
func TestLastInvoiceKeepsWhatTheNextFactNeeds(t *testing.T) {
	t.Parallel()
	for _, credit := range []*commonv1.Money{nil, statusMoney(0, "EUR"), statusMoney(500, "CHF")} {
		fact := &statusv1.InvoiceStatusChanged{Status: statusv1.InvoiceStatus_INVOICE_STATUS_CREDIT_BALANCE,
			Open: statusMoney(0, "EUR"), Paid: statusMoney(11900, "EUR"), Credited: statusMoney(100, "EUR"),
			WrittenOff: statusMoney(7, "EUR"), CreditBalance: credit}
		last := lastInvoiceOf(fact)
		if last.status != fact.GetStatus() || !last.same(fact) {
			t.Errorf("credit %v: %+v is not the same as the fact it was taken from", credit, last)
		}
		var kept *commonv1.Money
		if last.hasCredit {
			kept = statusMoney(last.creditBalance, last.creditCurrency)
		}
		if !proto.Equal(kept, credit) {
			t.Errorf("credit balance kept as %v, want %v", kept, credit)
		}
		for _, changed := range []func(*statusv1.InvoiceStatusChanged){
			func(f *statusv1.InvoiceStatusChanged) { f.Status = statusv1.InvoiceStatus_INVOICE_STATUS_PAID },
			func(f *statusv1.InvoiceStatusChanged) { f.Open = statusMoney(1, "EUR") },
			func(f *statusv1.InvoiceStatusChanged) { f.Paid = statusMoney(11899, "EUR") },
			func(f *statusv1.InvoiceStatusChanged) { f.Credited = statusMoney(101, "EUR") },
			func(f *statusv1.InvoiceStatusChanged) { f.WrittenOff = statusMoney(8, "EUR") },
		} {
			next := proto.CloneOf(fact)
			changed(next)
			if last.same(next) {
				t.Errorf("credit %v: %v counted the same as %+v", credit, next, last)
			}
		}
	}
}
