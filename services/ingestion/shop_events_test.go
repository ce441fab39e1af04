package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/internal/consumer"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
)

// step is one shop event of shopEvents and what ingestion must answer.
type step struct {
	name    string
	event   proto.Message
	outcome ingestionv1.SubmitOutcome
	code    string // reason code of a rejection
	reason  string // part of the reason of a rejection
}

var (
	accepted  = ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_ACCEPTED
	duplicate = ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_DUPLICATE
	rejected  = ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_REJECTED
	held      = ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_HELD
)

func at(hour int) *timestamppb.Timestamp {
	return timestamppb.New(time.Date(2026, 11, 2, hour, 0, 0, 0, time.UTC))
}

func customer(email string) *shopv1.Customer {
	return &shopv1.Customer{CustomerNumber: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, CustomerGroup: "wholesale",
		Name: "Beispiel GmbH", VatId: "DE123456789", Email: email, PreferredLanguage: "de",
		DirectDebit: &shopv1.DirectDebitMandate{Iban: "DE89370400440532013000", MandateId: "M-1",
			SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 5}, SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_RECURRING}}
}

func order(id string, gross int64) *shopv1.OrderPlaced {
	vat, _ := invoice.VAT(gross*100/119, 1900)
	return &shopv1.OrderPlaced{Tenant: "acme", OrderId: id, Channel: &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		CustomerId: "C-1", PaymentMethod: shopv1.PaymentMethod_PAYMENT_METHOD_CARD, Currency: "EUR",
		Lines:          []*shopv1.InvoiceLine{{Description: "Ware", Quantity: "1", NetAmount: eur(gross - vat), VatRateBp: 1900}},
		ExpectedAmount: eur(gross), PlacedAt: at(9)}
}

func creditNote(number, invoiceNumber, customerID string, net int64) *shopv1.CreditNoteIssued {
	vat, _ := invoice.VAT(net, 1900)
	return &shopv1.CreditNoteIssued{Tenant: "acme", CreditNoteNumber: number, InvoiceNumber: invoiceNumber, CustomerId: customerID,
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 10}, Currency: "EUR",
		Lines: []*shopv1.InvoiceLine{{Description: "Retoure", Quantity: "1", NetAmount: eur(net), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(net), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(net), Vat: eur(vat)}},
			Gross: eur(net + vat)},
		Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN}
}

func cancellation(number, invoiceNumber string) *shopv1.InvoiceCancelled {
	return &shopv1.InvoiceCancelled{Tenant: "acme", CancellationNumber: number, InvoiceNumber: invoiceNumber, CustomerId: "C-1",
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 11}, Reason: "Bestellung storniert"}
}

func capture(ref string, amount int64) *shopv1.PaymentCaptured {
	return &shopv1.PaymentCaptured{Tenant: "acme", Provider: "stripe", ProviderReference: ref, OrderId: "WEB-1",
		Amount: eur(amount), Fee: eur(35), CapturedAt: at(10)}
}

func chargeback(ref string, amount int64) *shopv1.ChargebackNotified {
	return &shopv1.ChargebackNotified{Tenant: "acme", Provider: "stripe", ProviderReference: ref, CaptureReference: "ch_1",
		Kind: shopv1.ChargebackKind_CHARGEBACK_KIND_CHARGEBACK, ReasonCode: "4837", Amount: eur(amount), Fee: eur(1500), NotifiedAt: at(12)}
}

// shopEvents is every shop event type valid, again (a duplicate), changed
// under its natural key (a conflict; for customer data an update) and
// invalid, and the documents that refer to an invoice beyond it, for
// another debtor and before it, in the order a shop sends them.
func shopEvents() []step {
	with := func(m proto.Message, f func(proto.Message)) proto.Message {
		c := proto.Clone(m)
		f(c)
		return c
	}
	inv := testInvoice("RE-1", 10000)             // 119.00 EUR for C-1
	cn := creditNote("GS-1", "RE-1", "C-1", 5000) // 59.50 EUR
	st := cancellation("ST-1", "RE-2")            // cancels RE-2 in full
	reg := &shopv1.CustomerRegistered{Tenant: "acme", Customer: customer("a@example.com"), UpdatedAt: at(8)}
	upd := &shopv1.CustomerUpdated{Tenant: "acme", Customer: customer("b@example.com"), UpdatedAt: at(11)}
	stale := &shopv1.CustomerUpdated{Tenant: "acme", Customer: customer("old@example.com"), UpdatedAt: at(9)}
	return []step{
		{"invoice", inv, accepted, "", ""},
		{"invoice again", inv, duplicate, "", ""},
		{"invoice changed", with(inv, func(m proto.Message) { m.(*shopv1.InvoiceIssued).OrderId = "WEB-9" }), rejected, "conflict", "invoice RE-1: invoice was already accepted with different content: differs in order_id"},
		{"invoice invalid", with(inv, func(m proto.Message) {
			m.(*shopv1.InvoiceIssued).InvoiceNumber = "RE-X"
			m.(*shopv1.InvoiceIssued).Currency = "EURO"
		}), rejected, "invalid", `currency: "EURO" is not an ISO 4217 currency`},

		{"customer registered", reg, accepted, "", ""},
		{"customer registered again", reg, duplicate, "", ""},
		{"customer updated", upd, accepted, "", ""},
		{"customer update older than the one held", stale, duplicate, "", ""},
		{"customer invalid", with(upd, func(m proto.Message) {
			m.(*shopv1.CustomerUpdated).Customer.DirectDebit.Iban = "DE00370400440532013000"
		}), rejected, "invalid",
			"invalid customer: customer.direct_debit.iban: not a valid IBAN"},

		{"order", order("WEB-1", 11900), accepted, "", ""},
		{"order again", order("WEB-1", 11900), duplicate, "", ""},
		{"order changed", order("WEB-1", 12900), rejected, "conflict", "order WEB-1 was already accepted with different content: differs in expected_amount 119.00 EUR → 129.00 EUR"},
		{"order invalid", with(order("WEB-2", 11900), func(m proto.Message) { m.(*shopv1.OrderPlaced).PaymentMethod = 0 }), rejected, "invalid", "invalid order: payment_method: required"},
		{"order of another tenant", with(order("WEB-3", 11900), func(m proto.Message) { m.(*shopv1.OrderPlaced).Tenant = "beta" }), rejected, "tenant_mismatch", `payload says "beta"`},

		{"credit note", cn, accepted, "", ""},
		{"credit note again", cn, duplicate, "", ""},
		{"credit note changed", with(cn, func(m proto.Message) {
			m.(*shopv1.CreditNoteIssued).Reason = shopv1.CreditNoteReason_CREDIT_NOTE_REASON_GOODWILL
		}), rejected, "conflict", "credit note GS-1 was already accepted with different content: differs in reason"},
		{"credit note invalid", with(creditNote("GS-2", "RE-1", "C-1", 1000), func(m proto.Message) { m.(*shopv1.CreditNoteIssued).Totals.Gross = eur(1) }), rejected, "invalid",
			"invalid credit note: totals.gross: 0.01 EUR does not equal net plus VAT, 11.90 EUR"},
		{"credit note beyond the open amount", creditNote("GS-3", "RE-1", "C-1", 5001), rejected, "below_zero",
			"credit note GS-3: document would take the invoice below zero: it credits 59.51 EUR, but invoice RE-1 has 59.50 EUR left of 119.00 EUR"},
		{"credit note for another debtor's invoice", creditNote("GS-4", "RE-1", "C-2", 100), rejected, "other_debtor", `customer_id "C-2", but invoice RE-1 is for another debtor`},
		{"credit note before its invoice", creditNote("GS-5", "RE-404", "C-1", 100), held, "", "invoice RE-404 not known (yet)"},

		{"second invoice", testInvoice("RE-2", 2000), accepted, "", ""},
		{"cancellation", st, accepted, "", ""},
		{"cancellation again", st, duplicate, "", ""},
		{"cancellation changed", with(st, func(m proto.Message) { m.(*shopv1.InvoiceCancelled).Reason = "anders" }), rejected, "conflict", "cancellation ST-1 was already accepted with different content: differs in reason"},
		{"cancellation invalid", with(cancellation("ST-2", "RE-2"), func(m proto.Message) { m.(*shopv1.InvoiceCancelled).CustomerId = "" }), rejected, "invalid", "invalid cancellation: customer_id"},
		{"cancellation of a credited invoice", cancellation("ST-3", "RE-1"), rejected, "below_zero", "cancellation ST-3: document would take the invoice below zero"},
		{"credit note of a cancelled invoice", creditNote("GS-6", "RE-2", "C-1", 100), rejected, "below_zero", "invoice RE-2 was cancelled by ST-1"},

		{"capture", capture("ch_1", 11900), accepted, "", ""},
		{"capture again", capture("ch_1", 11900), duplicate, "", ""},
		{"capture changed", capture("ch_1", 11800), rejected, "conflict", "payment capture stripe/ch_1 was already accepted with different content: differs in amount"},
		{"capture invalid", with(capture("ch_2", 100), func(m proto.Message) { m.(*shopv1.PaymentCaptured).OrderId = "" }), rejected, "invalid", "order_id, invoice_number: at least one is required"},

		{"chargeback", chargeback("dp_1", 11900), accepted, "", ""},
		{"chargeback again", chargeback("dp_1", 11900), duplicate, "", ""},
		{"chargeback changed", chargeback("dp_1", 5000), rejected, "conflict", "chargeback stripe/dp_1 was already accepted with different content: differs in amount"},
		{"chargeback invalid", with(chargeback("dp_2", 100), func(m proto.Message) { m.(*shopv1.ChargebackNotified).ReasonCode = "" }), rejected, "invalid", "reason_code: required"},
	}
}

// shopRun is a running ingestion reached over NATS and gRPC.
type shopRun struct {
	js         jetstream.JetStream
	dbURL      string
	ingest     ingestionv1grpc.IngestionServiceClient
	rejections rejectionv1grpc.RejectionServiceClient
}

func startShopRun(t *testing.T) *shopRun {
	t.Helper()
	ns := natsembed.Test(t)
	dbURL := pgtest.NewDB(t, template)
	addr := freeAddr(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MIGRATE_DATABASE_URL": dbURL, "NATS_URL": ns.ClientURL(), "GRPC_ADDR": addr,
		"O2C_TENANTS": tenantstest.Write(t, tenantstest.JSON("acme")), "O2C_AUTH": "dev"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	eventually(t, "health SERVING", func() bool {
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	return &shopRun{js: js, dbURL: dbURL, ingest: ingestionv1grpc.NewIngestionServiceClient(conn),
		rejections: rejectionv1grpc.NewRejectionServiceClient(conn)}
}

// storedEvents returns the ids of the events ingestion stored, sorted.
func (r *shopRun) storedEvents(t *testing.T) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT event_id::text FROM ingestion.events ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// shopEvent wraps a shop message for SubmitShopEvents.
func shopEvent(t *testing.T, m proto.Message) *ingestionv1.ShopEvent {
	t.Helper()
	switch m := m.(type) {
	case *shopv1.InvoiceIssued:
		return &ingestionv1.ShopEvent{Event: &ingestionv1.ShopEvent_InvoiceIssued{InvoiceIssued: m}}
	case *shopv1.InvoiceCancelled:
		return &ingestionv1.ShopEvent{Event: &ingestionv1.ShopEvent_InvoiceCancelled{InvoiceCancelled: m}}
	case *shopv1.CreditNoteIssued:
		return &ingestionv1.ShopEvent{Event: &ingestionv1.ShopEvent_CreditNoteIssued{CreditNoteIssued: m}}
	case *shopv1.CustomerRegistered:
		return &ingestionv1.ShopEvent{Event: &ingestionv1.ShopEvent_CustomerRegistered{CustomerRegistered: m}}
	case *shopv1.CustomerUpdated:
		return &ingestionv1.ShopEvent{Event: &ingestionv1.ShopEvent_CustomerUpdated{CustomerUpdated: m}}
	case *shopv1.OrderPlaced:
		return &ingestionv1.ShopEvent{Event: &ingestionv1.ShopEvent_OrderPlaced{OrderPlaced: m}}
	case *shopv1.PaymentCaptured:
		return &ingestionv1.ShopEvent{Event: &ingestionv1.ShopEvent_PaymentCaptured{PaymentCaptured: m}}
	case *shopv1.ChargebackNotified:
		return &ingestionv1.ShopEvent{Event: &ingestionv1.ShopEvent_ChargebackNotified{ChargebackNotified: m}}
	}
	t.Fatalf("no ShopEvent field for %T", m)
	return nil
}

// subjectOf is the subject a shop publishes m on, from the consumer's own
// table.
func subjectOf(t *testing.T, m proto.Message) string {
	t.Helper()
	for event, newMsg := range consumer.EventTypes {
		if newMsg().ProtoReflect().Descriptor() == m.ProtoReflect().Descriptor() {
			return "shop.acme." + event
		}
	}
	t.Fatalf("no event type carries %T", m)
	return ""
}

// TestShopEventsOverGRPCAndNATS sends every shop event type, valid,
// again, changed and invalid, and the documents that refer to an invoice
// beyond its amount, for another debtor and before it: as one
// SubmitShopEvents batch, whose answers must be those of shopEvents, and
// published on their subjects to a second ingestion, which must store
// exactly the same events (by their deterministic ids) and record exactly
// the rejections the batch answered, with the same reason codes and
// reasons.
func TestShopEventsOverGRPCAndNATS(t *testing.T) {
	t.Parallel()
	steps := shopEvents()
	ctx := context.Background()

	overGRPC := startShopRun(t)
	req := &ingestionv1.SubmitShopEventsRequest{Tenant: "acme"}
	for _, s := range steps {
		req.Events = append(req.Events, shopEvent(t, s.event))
	}
	resp, err := overGRPC.ingest.SubmitShopEvents(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetResults()) != len(steps) {
		t.Fatalf("%d results for %d events", len(resp.GetResults()), len(steps))
	}
	var acceptedIDs, wantRejections []string
	for i, s := range steps {
		r := resp.GetResults()[i]
		if r.GetIndex() != int32(i) || r.GetOutcome() != s.outcome || r.GetReasonCode() != s.code || !strings.Contains(r.GetReason(), s.reason) {
			t.Errorf("%s: #%d %s %s %q, want %s %s %q", s.name, r.GetIndex(), r.GetOutcome(), r.GetReasonCode(), r.GetReason(), s.outcome, s.code, s.reason)
		}
		switch r.GetOutcome() {
		case accepted:
			acceptedIDs = append(acceptedIDs, r.GetEventId())
		case rejected:
			wantRejections = append(wantRejections, fmt.Sprintf("%s %s: %s", subjectOf(t, s.event), r.GetReasonCode(), r.GetReason()))
		}
	}
	sort.Strings(acceptedIDs)
	if diff := cmp.Diff(acceptedIDs, overGRPC.storedEvents(t)); diff != "" {
		t.Errorf("events stored over gRPC differ from those answered accepted (-answered +stored):\n%s", diff)
	}
	// Rejected over gRPC means answered, not recorded.
	open, err := overGRPC.rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(open.GetRejections()); n != 0 {
		t.Errorf("%d rejections recorded for a gRPC batch, want none (the caller has the answers)", n)
	}
	// A second batch of the same events is answered as duplicates, except
	// the rejected ones, which are rejected again.
	again, err := overGRPC.ingest.SubmitShopEvents(ctx, &ingestionv1.SubmitShopEventsRequest{Tenant: "acme", Events: req.Events[:1]})
	if err != nil || again.GetResults()[0].GetOutcome() != duplicate {
		t.Errorf("the invoice submitted again: %v, %v; want a duplicate", again, err)
	}

	overNATS := startShopRun(t)
	for _, s := range steps {
		data, err := protojson.Marshal(s.event)
		if err != nil {
			t.Fatal(err)
		}
		msg := nats.NewMsg(subjectOf(t, s.event))
		msg.Header.Set("Content-Type", "application/json")
		msg.Data = data
		if _, err := overNATS.js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	eventually(t, "every rejection recorded", func() bool {
		open, err := overNATS.rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, x := range open.GetRejections() {
			got = append(got, fmt.Sprintf("%s %s: %s", x.GetSubject(), x.GetReasonCode(), x.GetReason()))
		}
		return len(got) >= len(wantRejections)
	})
	sort.Strings(got)
	sort.Strings(wantRejections)
	if diff := cmp.Diff(wantRejections, got); diff != "" {
		t.Errorf("rejections over NATS differ from the answers over gRPC (-gRPC +NATS):\n%s", diff)
	}
	// The consumer handles messages in stream order, so every accepted
	// event is stored once the last rejection is recorded.
	if diff := cmp.Diff(acceptedIDs, overNATS.storedEvents(t)); diff != "" {
		t.Errorf("events stored over NATS differ from those over gRPC (-gRPC +NATS):\n%s", diff)
	}
}
