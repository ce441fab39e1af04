package service

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/identity"
)

// ingestedMsgs returns the messages ingestion's relay publishes for the
// events of one invoice's stream (invoice, then its credit notes or
// cancellation), in that order.
func ingestedMsgs(t *testing.T, tenant, invoice string, payloads ...proto.Message) []*nats.Msg {
	t.Helper()
	var evs []eventstore.Event
	for _, p := range payloads {
		evs = append(evs, eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: p})
	}
	prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: tenant, Type: "invoice", ID: invoice}, evs)
	if err != nil {
		t.Fatal(err)
	}
	var out []*nats.Msg
	for i, ev := range prepared {
		name := string(payloads[i].ProtoReflect().Descriptor().FullName())
		out = append(out, relay.Message("o2c."+tenant+".ingestion."+bus.EventName(name), ev))
	}
	return out
}

// shopVAT returns the shop's VAT line of net at rate (basis points).
func shopVAT(rateBp int32, net int64) *shopv1.VatTotal {
	return &shopv1.VatTotal{RateBp: rateBp, Net: eur(net), Vat: eur(net * int64(rateBp) / 10000), TaxCountry: "DE"}
}

// TestShopCorrectionsAreBooked publishes, as ingestion's relay does, an
// invoice at 19 % and 7 % with a partial credit note, and an invoice with
// its cancellation: the first invoice's open amount is reduced by the
// credit note and revenue and output VAT are corrected per rate as sent;
// the cancelled invoice ends with nothing open and its revenue and VAT
// undone. The same for two invoices amazon.de collects: their items sit on
// the marketplace's debtor, where the partial credit note reduces the one
// and the cancellation clears the other, none on the buyer. The same
// events published again book nothing; a credit note the
// books refuse (a debtor they do not know) is recorded as a rejection, not
// redelivered; and o2c verify finds the read models and invariants clean.
func TestShopCorrectionsAreBooked(t *testing.T) {
	t.Parallel()
	s := startService(t)
	ctx := context.Background()
	const tn = "acme"
	invoice := func(number string, vat ...*shopv1.VatTotal) *ingestionv1.InvoiceIngested {
		inv := &ingestionv1.InvoiceIngested{Tenant: tn, InvoiceNumber: number, DebtorId: "K-1", Currency: "EUR",
			IssueDate: day(2026, 3, 1), DueDate: day(2026, 4, 1), Vat: vat}
		var gross int64
		for _, v := range vat {
			gross += v.GetNet().GetMinorUnits() + v.GetVat().GetMinorUnits()
		}
		inv.Gross = eur(gross)
		return inv
	}
	first := []proto.Message{
		invoice("RE-1", shopVAT(1900, 10000), shopVAT(700, 5000)), // 11900 + 5350
		&ingestionv1.CreditNoteIngested{Tenant: tn, CreditNoteNumber: "GS-1", InvoiceNumber: "RE-1", DebtorId: "K-1",
			IssueDate: day(2026, 3, 10), Currency: "EUR", Vat: []*shopv1.VatTotal{shopVAT(1900, 1000), shopVAT(700, 2000)}, Gross: eur(3330),
			Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN, LineCount: 2},
	}
	second := []proto.Message{
		invoice("RE-2", shopVAT(1900, 4000)), // 4760
		&ingestionv1.InvoiceCancellationIngested{Tenant: tn, CancellationNumber: "ST-2", InvoiceNumber: "RE-2", DebtorId: "K-1",
			IssueDate: day(2026, 3, 12), Currency: "EUR", Vat: []*shopv1.VatTotal{shopVAT(1900, 4000)}, Gross: eur(4760), Reason: "order cancelled"},
	}
	// Two invoices amazon.de collects from buyer K-1, one partly
	// credited, one cancelled; the corrections name the buyer and, as
	// ingestion copies it from the invoice, the marketplace.
	amazon := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE, Marketplace: "amazon.de"}
	onAmazon := func(inv *ingestionv1.InvoiceIngested) *ingestionv1.InvoiceIngested {
		inv.Channel = amazon
		return inv
	}
	third := []proto.Message{
		onAmazon(invoice("RE-3", shopVAT(1900, 20000))), // 23800
		&ingestionv1.CreditNoteIngested{Tenant: tn, CreditNoteNumber: "GS-3", InvoiceNumber: "RE-3", DebtorId: "K-1",
			IssueDate: day(2026, 3, 14), Currency: "EUR", Vat: []*shopv1.VatTotal{shopVAT(1900, 5000)}, Gross: eur(5950),
			Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN, LineCount: 1, Channel: amazon},
	}
	fourth := []proto.Message{
		onAmazon(invoice("RE-4", shopVAT(700, 3000))), // 3210
		&ingestionv1.InvoiceCancellationIngested{Tenant: tn, CancellationNumber: "ST-4", InvoiceNumber: "RE-4", DebtorId: "K-1",
			IssueDate: day(2026, 3, 15), Currency: "EUR", Vat: []*shopv1.VatTotal{shopVAT(700, 3000)}, Gross: eur(3210), Channel: amazon},
	}
	const marketplace = "marketplace:amazon.de:EUR"
	msgs := func() []*nats.Msg {
		var out []*nats.Msg
		for _, st := range []struct {
			invoice  string
			payloads []proto.Message
		}{{"RE-1", first}, {"RE-2", second}, {"RE-3", third}, {"RE-4", fourth}} {
			out = append(out, ingestedMsgs(t, tn, st.invoice, st.payloads...)...)
		}
		return out
	}
	publish := func(ms []*nats.Msg) {
		t.Helper()
		for _, m := range ms {
			if _, err := s.js.PublishMsg(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(msgs())
	s.waitConsumed(t, "ledger-invoices")

	wantItems := map[string]int64{"RE-1": 17250 - 3330}
	wantMarketplace := map[string]int64{"RE-3": 23800 - 5950}
	s.expect(t, "booked", tn, "K-1", wantItems, nil)
	s.expect(t, "booked on the marketplace", tn, marketplace, wantMarketplace, nil)
	revenueAndVAT := func() map[string]int64 {
		bal := s.balances(t, tn)
		out := map[string]int64{}
		for _, a := range []string{"8400", "8300", "1776", "1771"} {
			out[a] = bal[a]
		}
		return out
	}
	// Revenue and VAT are credit balances (negative): RE-1 less GS-1 and
	// RE-3 less GS-3 per rate; RE-2 and RE-4 and their cancellations
	// cancel out.
	wantRevenue := map[string]int64{"8400": -(10000 - 1000 + 20000 - 5000), "8300": -(5000 - 2000),
		"1776": -(1900 - 190 + 3800 - 950), "1771": -(350 - 140)}
	if diff := cmp.Diff(wantRevenue, revenueAndVAT()); diff != "" {
		t.Errorf("revenue and VAT after the credit note and cancellation (-want +got):\n%s", diff)
	}
	count := func() int {
		t.Helper()
		var n int
		if err := s.l.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE tenant = $1`, tn).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	stored := count()

	// The same events again under new event ids, so that JetStream's
	// duplicate window does not drop them and only the ledger's
	// idempotency keys stand between them and a second booking.
	publish(msgs())
	s.waitConsumed(t, "ledger-invoices")
	if n := count(); n != stored {
		t.Errorf("%d events after the same events again, want %d: nothing new", n, stored)
	}
	s.expect(t, "again", tn, "K-1", wantItems, nil)
	s.expect(t, "again on the marketplace", tn, marketplace, wantMarketplace, nil)
	if diff := cmp.Diff(wantRevenue, revenueAndVAT()); diff != "" {
		t.Errorf("revenue and VAT after the same events again (-want +got):\n%s", diff)
	}

	// A credit note the books refuse: its debtor is not theirs.
	publish(ingestedMsgs(t, tn, "RE-1", &ingestionv1.CreditNoteIngested{Tenant: tn, CreditNoteNumber: "GS-9", InvoiceNumber: "RE-1",
		DebtorId: "K-9", IssueDate: day(2026, 3, 11), Currency: "EUR", Vat: []*shopv1.VatTotal{shopVAT(1900, 100)}, Gross: eur(119)}))
	s.waitConsumed(t, "ledger-invoices")
	operator := identity.Principal{Actor: "user:olga", Tenants: []string{tn}, Roles: []identity.Role{identity.Operator}}
	conn, err := grpc.NewClient(s.l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), testAuth.DialAs(operator))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := rejectionv1grpc.NewRejectionServiceClient(conn).ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: tn})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetRejections(); len(got) != 1 || got[0].GetDocument() != "GS-9" || got[0].GetConsumer() != "ledger-invoices" ||
		got[0].GetDeliveries() != 1 {
		t.Errorf("rejections = %v, want one of GS-9 by ledger-invoices after one delivery", got)
	}
	if n := count(); n != stored {
		t.Errorf("%d events after the refused credit note, want %d", n, stored)
	}
	if rep := s.verify(t); !rep.OK() {
		t.Errorf("verify: %+v", rep)
	}
}

// waitConsumed waits until the ledger's durable consumer on ingestion's
// stream has acknowledged or terminated every message the stream holds
// (waitDrained).
func (s *svc) waitConsumed(t *testing.T, durable string) {
	t.Helper()
	s.waitDrained(t, bus.ServiceStream("ingestion"), durable)
}
