package consumer

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/memstore"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// memInvoices is Invoices on a memstore: each call one AppendBatch, the
// debtors of the invoices it wrote recorded in the order given.
type memInvoices struct {
	events  *memstore.Store
	calls   [][]string // invoice numbers per call
	debtors []string
}

func (m *memInvoices) StoreInvoices(ctx context.Context, streams []eventstore.StreamID, events []eventstore.Event, debtors []*shopv1.Debtor) ([]eventstore.GroupResult, error) {
	groups := make([]eventstore.AppendGroup, len(streams))
	var numbers []string
	for i := range streams {
		groups[i] = eventstore.AppendGroup{{Stream: streams[i], Expected: eventstore.NoStream, Events: []eventstore.Event{events[i]}}}
		numbers = append(numbers, streams[i].ID)
	}
	m.calls = append(m.calls, numbers)
	res, err := m.events.AppendBatch(ctx, groups)
	if err != nil {
		return nil, err
	}
	for i, r := range res {
		if r.Err == nil && !r.Replayed && debtors[i] != nil {
			m.debtors = append(m.debtors, debtors[i].GetCustomerId())
		}
	}
	return res, nil
}

// batchInvoice is a valid invoice of acme numbered number for customer.
func batchInvoice(number, customer string, net int64) *shopv1.InvoiceIssued {
	vat, _ := invoice.VAT(net, 1900)
	return &shopv1.InvoiceIssued{
		Tenant: "acme", InvoiceNumber: number, OrderId: "WEB-" + number,
		Channel:   &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		Debtor:    &shopv1.Debtor{CustomerId: customer, Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, Name: "Beispiel GmbH"},
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 2}, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 2},
		Currency: "EUR",
		Lines:    []*shopv1.InvoiceLine{{Description: "Ware", Quantity: "1", NetAmount: eur(net), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(net), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(net), Vat: eur(vat)}},
			Gross: eur(net + vat)},
	}
}

// TestProcessBatch: given a batch of shop messages, when it is processed,
// then the invoices are stored together up to the first other message,
// which sees them (a credit note of an invoice of the same batch is
// accepted), each message has its own outcome (a wrong total is rejected,
// a changed invoice is a conflict, the same invoice again is a duplicate)
// and the others are stored all the same.
func TestProcessBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	events := memstore.New(nil)
	inv := &memInvoices{events: events}
	f := tenantstest.File(t, "acme")
	debtors := &store{}
	p := &Processor{Events: events, Debtors: debtors, Tenants: f, Tax: f.Tax, Invoices: inv}
	wrong := batchInvoice("RE-2", "C-2", 10000)
	wrong.Totals.Gross = eur(1)
	cn := &shopv1.CreditNoteIssued{Tenant: "acme", CreditNoteNumber: "GS-1", InvoiceNumber: "RE-1", CustomerId: "C-1",
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 10}, Currency: "EUR",
		Lines: []*shopv1.InvoiceLine{{Description: "Retoure", Quantity: "1", NetAmount: eur(2000), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(2000), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(2000), Vat: eur(380)}},
			Gross: eur(2380)},
		Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN}
	msgs := []struct {
		subject string
		msg     proto.Message
	}{
		{"shop.acme.invoice.issued", batchInvoice("RE-1", "C-1", 10000)},
		{"shop.acme.invoice.issued", wrong},
		{"shop.acme.invoice.issued", batchInvoice("RE-3", "C-3", 10000)},
		{"shop.acme.credit_note.issued", cn},
		{"shop.acme.invoice.issued", batchInvoice("RE-1", "C-1", 10000)},
		{"shop.acme.invoice.issued", batchInvoice("RE-3", "C-3", 20000)},
		{"shop.acme.invoice.issued", batchInvoice("RE-4", "C-1", 10000)},
	}
	batch := make([]bus.Delivery, len(msgs))
	for i, m := range msgs {
		data, err := proto.Marshal(m.msg)
		if err != nil {
			t.Fatal(err)
		}
		batch[i] = bus.Delivery{Ctx: ctx, Msg: bus.Msg{Subject: m.subject, Data: data}}
	}
	errs := p.ProcessBatch(ctx, batch)
	var got []string
	for _, err := range errs {
		code := "ok"
		if err != nil {
			code = fault.DetailOf(err).Code
		}
		got = append(got, code)
	}
	if diff := cmp.Diff([]string{"ok", "invalid", "ok", "ok", "ok", "conflict", "ok"}, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s\nerrors: %v", diff, errs)
	}
	if !errors.Is(errs[5], invoice.ErrChanged) {
		t.Errorf("changed invoice: %v, want invoice.ErrChanged", errs[5])
	}
	if diff := cmp.Diff([][]string{{"RE-1", "RE-3"}, {"RE-1", "RE-3", "RE-4"}}, inv.calls); diff != "" {
		t.Errorf("invoices stored per call (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"C-1", "C-3", "C-1"}, inv.debtors); diff != "" {
		t.Errorf("debtors saved with their invoices (-want +got):\n%s", diff)
	}
	if debtors.saved != 1 {
		t.Errorf("%d debtors saved on their own, want 1 (the duplicate's)", debtors.saved)
	}
	stored, err := events.ReadStream(ctx, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "RE-1"}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range stored {
		types = append(types, string(proto.MessageName(e.Payload).Name()))
	}
	if diff := cmp.Diff([]string{"InvoiceIngested", "CreditNoteIngested"}, types); diff != "" {
		t.Errorf("stream RE-1 (-want +got):\n%s", diff)
	}
	if _, ok := stored[0].Payload.(*ingestionv1.InvoiceIngested); !ok {
		t.Errorf("RE-1 starts with %T", stored[0].Payload)
	}
}

// memPending keeps holds in memory and counts its look-ups.
type memPending struct {
	holds          []shop.Hold
	waiting, anyOf int
}

func (m *memPending) Hold(_ context.Context, h shop.Hold) error {
	for _, o := range m.holds {
		if o.Tenant == h.Tenant && o.EventType == h.EventType && o.Document == h.Document {
			return nil
		}
	}
	m.holds = append(m.holds, h)
	return nil
}

func (m *memPending) Waiting(_ context.Context, tenant string, fact shop.Fact) ([]shop.Hold, error) {
	m.waiting++
	var out []shop.Hold
	for _, h := range m.holds {
		if h.Tenant == tenant && h.WaitsFor == fact {
			out = append(out, h)
		}
	}
	return out, nil
}

func (m *memPending) WaitingAny(ctx context.Context, tenant string, facts []shop.Fact) ([]shop.Hold, error) {
	m.anyOf++
	var out []shop.Hold
	for _, f := range facts {
		hs, _ := m.Waiting(ctx, tenant, f)
		m.waiting--
		out = append(out, hs...)
	}
	return out, nil
}

func (m *memPending) Pending(context.Context, string) ([]shop.Hold, error) { return m.holds, nil }

func (m *memPending) Release(_ context.Context, tenant, eventType, document string) error {
	for i, h := range m.holds {
		if h.Tenant == tenant && h.EventType == eventType && h.Document == document {
			m.holds = append(m.holds[:i], m.holds[i+1:]...)
			return nil
		}
	}
	return nil
}

// TestProcessBatchReleasesHolds: given a credit note held for its
// invoice, when a batch stores that invoice and two others, then the
// holds of all three are looked up at once, and the credit note is
// released and stored.
func TestProcessBatchReleasesHolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	events := memstore.New(nil)
	f := tenantstest.File(t, "acme")
	pending := &memPending{}
	p := &Processor{Events: events, Debtors: &store{}, Tenants: f, Tax: f.Tax, Invoices: &memInvoices{events: events}, Pending: pending,
		Rejections: &rejections{}}
	cn := &shopv1.CreditNoteIssued{Tenant: "acme", CreditNoteNumber: "GS-1", InvoiceNumber: "RE-2", CustomerId: "C-2",
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 10}, Currency: "EUR",
		Lines: []*shopv1.InvoiceLine{{Description: "Retoure", Quantity: "1", NetAmount: eur(2000), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(2000), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(2000), Vat: eur(380)}},
			Gross: eur(2380)},
		Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN}
	if res, err := p.Handle(ctx, "acme", cn); err != nil || res.Outcome != Held {
		t.Fatalf("credit note before its invoice: %+v, %v; want it held", res, err)
	}
	var batch []bus.Delivery
	for _, n := range []string{"RE-1", "RE-2", "RE-3"} {
		data, err := proto.Marshal(batchInvoice(n, "C-2", 10000))
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, bus.Delivery{Ctx: ctx, Msg: bus.Msg{Subject: "shop.acme.invoice.issued", Data: data}})
	}
	for i, err := range p.ProcessBatch(ctx, batch) {
		if err != nil {
			t.Errorf("invoice %d: %v", i, err)
		}
	}
	if pending.anyOf != 1 || len(pending.holds) != 0 {
		t.Errorf("%d look-ups for many facts, %d holds left; want 1 and none", pending.anyOf, len(pending.holds))
	}
	stored, err := events.ReadStream(ctx, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "RE-2"}, 1, 0)
	if err != nil || len(stored) != 2 {
		t.Fatalf("RE-2 holds %d events (%v), want the invoice and its released credit note", len(stored), err)
	}
}

// rejections is a bus.Recorder that keeps what it is given.
type rejections struct{ got []bus.Rejected }

func (r *rejections) Record(_ context.Context, rej bus.Rejected) error {
	r.got = append(r.got, rej)
	return nil
}
