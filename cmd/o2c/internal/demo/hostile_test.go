package demo

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/chains"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// shopMsg is one message a shop publishes in the mixed stream.
type shopMsg struct {
	what    string // the class it stands for
	subject string
	header  nats.Header
	data    []byte
	number  string // the invoice number, when the message carries one
}

func asJSON(t *testing.T, what string, inv *shopv1.InvoiceIssued) shopMsg {
	t.Helper()
	data, err := protojson.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	return shopMsg{what: what, subject: "shop." + Tenant + ".invoice.issued", header: nats.Header{"Content-Type": {"application/json"}},
		data: data, number: inv.GetInvoiceNumber()}
}

func asProto(t *testing.T, what string, inv *shopv1.InvoiceIssued) shopMsg {
	t.Helper()
	data, err := proto.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	return shopMsg{what: what, subject: "shop." + Tenant + ".invoice.issued", header: nats.Header{"Content-Type": {"application/protobuf"}},
		data: data, number: inv.GetInvoiceNumber()}
}

// hostileStream returns valid invoices and, between them, one or more
// members of every class of hostile or careless message found so far.
func hostileStream(t *testing.T) []shopMsg {
	own := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP}
	debtor := func(id string) *shopv1.Debtor {
		return &shopv1.Debtor{CustomerId: id, Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Kunde " + id}
	}
	issue := date(2026, 11, 2)
	net14 := &shopv1.PaymentTerms{NetDays: 14}
	good := func(n int) *shopv1.InvoiceIssued {
		return invoice(fmt.Sprintf("MIX-%03d", n), fmt.Sprintf("O-%03d", n), own, debtor(fmt.Sprintf("K-%d", 5000+n%7)), issue, net14,
			line{"Ware", "1", int64(1000 + n), 1900})
	}
	var out []shopMsg
	for i := 0; i < 12; i++ {
		out = append(out, asJSON(t, "valid", good(i)))
	}
	// Text PostgreSQL cannot store.
	nulOrder := good(100)
	nulOrder.OrderId = "ORD\x00X"
	nulName := good(101)
	nulName.Debtor.Name = "Evil\x00Corp"
	nulDesc := good(102)
	nulDesc.Lines[0].Description = "a\x00b"
	out = append(out, asJSON(t, "NUL in order_id", nulOrder), asJSON(t, "NUL in debtor.name", nulName), asProto(t, "NUL in a line", nulDesc))
	// Bytes that are no message at all, a header with a NUL, a huge id, a
	// subject whose tenant is too long or not UTF-8.
	out = append(out, shopMsg{what: "invalid JSON bytes", subject: "shop." + Tenant + ".invoice.issued",
		header: nats.Header{"Content-Type": {"application/json"}}, data: []byte("\xff\xfe{\x00")})
	badHdr := good(103)
	badHdr.Totals.Net = eur(1)
	m := asJSON(t, "header with NUL on an invalid invoice", badHdr)
	m.header.Set("X-Trace", "a\x00b")
	out = append(out, m)
	long := good(104)
	long.Debtor.CustomerId = strings.Repeat("k", 8000)
	out = append(out, asJSON(t, "8,000-character customer id", long))
	out = append(out, shopMsg{what: "3,000-character tenant", subject: "shop." + strings.Repeat("t", 3000) + ".invoice.issued",
		header: nats.Header{"Content-Type": {"application/json"}}, data: []byte(`{}`)})
	out = append(out, shopMsg{what: "tenant not UTF-8", subject: "shop.\xc3\x28.invoice.issued",
		header: nats.Header{"Content-Type": {"application/json"}}, data: []byte(`{}`)})
	// Accepted by ingestion, then unbookable by the ledger, once: a rate the
	// chart has no account for on that date, a negative 0 % voucher beside
	// 19 %, an amount beyond any sane bound, a due date beyond the calendar.
	out = append(out, asJSON(t, "16 % in 2026", invoice("MIX-200", "O-200", own, debtor("K-1"), issue, net14, line{"Ware", "1", 10000, 1600})))
	out = append(out, asJSON(t, "negative 0 % voucher", invoice("MIX-201", "O-201", own, debtor("K-1"), issue, net14,
		line{"Ware", "1", 10000, 1900}, line{"Gutschein", "1", -500, 0})))
	out = append(out, asJSON(t, "2e15 minor units", invoice("MIX-202", "O-202", own, debtor("K-1"), issue, net14, line{"Yacht", "1", 2_000_000_000_000_000, 0})))
	out = append(out, asJSON(t, "due date past 9999", invoice("MIX-203", "O-203", own, debtor("K-1"), date(9999, 12, 31), net14, line{"Ware", "1", 1000, 1900})))
	// Sums that wrap: totals 0.01 EUR over lines of int64 max.
	wrap := invoice("MIX-204", "O-204", own, debtor("K-1"), issue, net14, line{"A", "1", 1, 0})
	wrap.Lines = []*shopv1.InvoiceLine{
		{Description: "A", Quantity: "1", NetAmount: eur(math.MaxInt64)},
		{Description: "B", Quantity: "1", NetAmount: eur(math.MaxInt64)},
		{Description: "C", Quantity: "1", NetAmount: eur(3)},
	}
	wrap.Totals = &shopv1.InvoiceTotals{Net: eur(1), Vat: []*shopv1.VatTotal{{RateBp: 0, Net: eur(1), Vat: eur(0)}}, Gross: eur(1)}
	out = append(out, asJSON(t, "overflowing sum", wrap))
	// A changed invoice under a number already accepted.
	changed := good(3)
	changed.Lines[0].NetAmount = eur(99999)
	changed = invoice(changed.GetInvoiceNumber(), changed.GetOrderId(), own, changed.GetDebtor(), issue, net14, line{"Ware", "1", 99999, 1900})
	changed.Debtor = &shopv1.Debtor{CustomerId: "K-5003", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Somebody Else"}
	out = append(out, asJSON(t, "changed invoice", changed))
	// An own-shop invoice on the marketplace's internal account.
	mp := good(105)
	mp.Debtor.CustomerId = "marketplace:amazon.de:EUR"
	out = append(out, asJSON(t, "reserved debtor id", mp))
	// An enum value the contract does not have.
	kind := good(106)
	kind.Debtor.Kind = shopv1.DebtorKind(99)
	out = append(out, asProto(t, "unknown enum value", kind))
	// The same valid invoice again (a retry) books nothing new.
	out = append(out, asJSON(t, "retry", good(5)))
	for i := 12; i < 20; i++ {
		out = append(out, asProto(t, "valid", good(i)))
	}
	return out
}

// TestHostileStream publishes a mixed stream of valid and hostile shop
// messages while every service runs. Afterwards every message is booked
// once or recorded as a rejection with a reason, the ledger still serves,
// and verification of the hash chains and read models is clean.
func TestHostileStream(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t, pgtest.Template{Name: "o2c_demo_empty"})
	sys, err := Start(ctx, Options{DatabaseURL: dbURL, Telemetry: telemetry.Providers{}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	// The platform team's user: a shop's may publish only for its own
	// tenant, and the stream takes messages that no shop user could send
	// to show what ingestion does with them.
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	stream := hostileStream(t)
	for _, m := range stream {
		msg := &nats.Msg{Subject: m.subject, Header: nats.Header{}, Data: m.data}
		for k, v := range m.header {
			msg.Header[k] = v
		}
		msg.Header.Set(jetstream.MsgIDHeader, uuid.NewString())
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatalf("%s: publish: %v", m.what, err)
		}
	}
	// A journal entry with a NUL in its document number is refused at the
	// door, synchronously.
	_, err = ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name)).PostJournalEntry(ctx, &ledgerv1.PostJournalEntryRequest{
		Tenant: Tenant, IdempotencyKey: "je-nul", EffectiveDate: date(2026, 11, 3), DocumentNumber: "DOC\x00X", Text: "hostile",
		Legs: []*ledgerv1.JournalLeg{
			{Account: "1200", Amount: &commonv1.Money{MinorUnits: 100, Currency: "EUR"}},
			{Account: "8400", Amount: &commonv1.Money{MinorUnits: -100, Currency: "EUR"}},
		},
	})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("journal entry with a NUL: %v, want InvalidArgument", err)
	}

	// Expected: each valid number booked once; every other message
	// rejected once by ingestion or the ledger.
	wantBooked := map[string]bool{}
	wantRejected := 0
	for _, m := range stream {
		switch m.what {
		case "valid":
			wantBooked[m.number] = true
		case "retry":
		default:
			wantRejected++
		}
	}
	var booked map[string]int
	var rejections []*rejectionv1.Rejection
	deadline := time.Now().Add(90 * time.Second)
	for {
		booked, rejections = settle(t, sys)
		if len(booked) >= len(wantBooked) && len(rejections) >= wantRejected || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let anything late arrive
	booked, rejections = settle(t, sys)

	for n := range wantBooked {
		if booked[n] != 1 {
			t.Errorf("%s booked %d times, want once", n, booked[n])
		}
	}
	for n, c := range booked {
		if !wantBooked[n] {
			t.Errorf("%s was booked (%d open items) but is hostile", n, c)
		}
	}
	var summary bytes.Buffer
	for _, r := range rejections {
		fmt.Fprintf(&summary, "  %s %s %q %s: %.120s\n", r.GetService(), r.GetReasonCode(), r.GetDocument(), r.GetSubject()[:min(len(r.GetSubject()), 40)], r.GetReason())
		if r.GetReason() == "" {
			t.Errorf("rejection %s has no reason", r.GetId())
		}
		if r.GetReasonCode() == "gave_up" {
			t.Errorf("rejection %s gave up after retries instead of naming the problem: %s", r.GetId(), r.GetReason())
		}
	}
	t.Logf("rejections:\n%s", summary.String())
	if len(rejections) != wantRejected {
		t.Errorf("%d rejections, want %d:\n%s", len(rejections), wantRejected, summary.String())
	}

	for _, name := range []string{ingestion.Name, ledger.Name} {
		r, err := healthpb.NewHealthClient(sys.Conn(name)).Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("%s health = %v, %v; want SERVING", name, r.GetStatus(), err)
		}
	}
	var out bytes.Buffer
	ok, err := chains.Verify(ctx, sys.DatabaseURL, chains.Schemas, &out)
	if err != nil || !ok {
		t.Errorf("verify = %v, %v:\n%s", ok, err, out.String())
	}
}

// settle returns how many open items each document has in the demo tenant
// and every rejection of ingestion and the ledger, of every tenant (as a
// platform admin sees them).
func settle(t *testing.T, sys *System) (map[string]int, []*rejectionv1.Rejection) {
	t.Helper()
	ctx := context.Background()
	admin := identity.Principal{Actor: "user:platform", Tenants: []string{identity.AllTenants}, Roles: []identity.Role{identity.PlatformAdmin}}
	items, err := ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name)).ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: Tenant})
	if err != nil {
		t.Fatal(err)
	}
	booked := map[string]int{}
	for _, it := range items.GetOpenItems() {
		booked[it.GetDocumentNumber()]++
	}
	var all []*rejectionv1.Rejection
	for _, name := range []string{ingestion.Name, ledger.Name} {
		conn, err := sys.Dial(name, admin)
		if err != nil {
			t.Fatal(err)
		}
		r, err := rejectionv1grpc.NewRejectionServiceClient(conn).ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Limit: 1000})
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r.GetRejections()...)
	}
	return booked, all
}
