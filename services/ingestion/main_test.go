package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName("ingestion", postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, "ingestion", postgres.Migrations())
		return err
	},
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func testInvoice(number string, net int64) *shopv1.InvoiceIssued {
	vat, _ := invoice.VAT(net, 1900) // fails only for rates above 100 %
	return &shopv1.InvoiceIssued{
		Tenant: "acme", InvoiceNumber: number, OrderId: "WEB-" + number,
		Channel:   &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		Debtor:    &shopv1.Debtor{CustomerId: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, Name: "Beispiel GmbH", VatId: "DE123456789"},
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 2}, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 2},
		Currency: "EUR",
		Lines:    []*shopv1.InvoiceLine{{Description: "Ware", Quantity: "1", NetAmount: eur(net), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(net), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(net), Vat: eur(vat)}},
			Gross: eur(net + vat)},
		PaymentReference: number,
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// eventually polls f until it returns true or the deadline passes.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRun starts the service as main does, drives it through NATS and gRPC,
// cancels it and checks that run returns nil and leaves no goroutine behind.
func TestRun(t *testing.T) {
	ns := natsembed.Test(t)
	dbURL := pgtest.NewDB(t, template)
	addr := freeAddr(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ignore := goleak.IgnoreCurrent()

	// Callers authenticate with static tokens: the operator's token is in
	// the tokens file by its hash.
	token, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	operator := identity.Principal{Actor: "user:olga", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Operator}}
	if err := auth.WriteTokenFile(tokens, map[string]identity.Principal{token: operator}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MIGRATE_DATABASE_URL": dbURL, "NATS_URL": ns.ClientURL(), "GRPC_ADDR": addr,
		"O2C_TENANTS": tenantstest.Write(t, tenantstest.JSON("acme")), "O2C_AUTH": "tokens", "O2C_AUTH_TOKENS": tokens}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }) }()

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), auth.WithBearer(token, true))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	eventually(t, "health SERVING", func() bool {
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})

	publish := func(inv *shopv1.InvoiceIssued, asJSON bool) {
		t.Helper()
		msg := nats.NewMsg("shop." + inv.GetTenant() + ".invoice.issued")
		// Every publish is a new message, as a shop re-sending an invoice
		// would make it: JetStream's own deduplication must not be what
		// keeps the duplicate out.
		msg.Header.Set("Nats-Msg-Id", uuid.NewString())
		if asJSON {
			msg.Data, _ = protojson.Marshal(inv)
			msg.Header.Set("Content-Type", "application/json")
		} else {
			msg.Data, _ = proto.Marshal(inv)
		}
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	rejections := rejectionv1grpc.NewRejectionServiceClient(conn)
	listOpen := func() []*rejectionv1.Rejection {
		r, err := rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "acme", State: rejectionv1.RejectionState_REJECTION_STATE_OPEN})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetRejections()
	}
	ingested := func() uint64 {
		s, err := js.Stream(ctx, "O2C_INGESTION")
		if err != nil {
			return 0
		}
		info, err := s.Info(ctx)
		if err != nil {
			return 0
		}
		return info.State.Msgs
	}

	// A valid invoice (protobuf), the same again as JSON, then a second one.
	publish(testInvoice("RE-1", 10000), false)
	publish(testInvoice("RE-1", 10000), true)
	publish(testInvoice("RE-2", 2000), true)
	eventually(t, "two ingested invoices", func() bool { return ingested() >= 2 })

	// An invalid invoice and a changed RE-1 are rejected with their reasons.
	bad := testInvoice("RE-3", 5000)
	bad.Totals.Net = eur(5001)
	publish(bad, true)
	changed := testInvoice("RE-1", 10100)
	publish(changed, false)
	eventually(t, "two rejections", func() bool { return len(listOpen()) == 2 })
	byCode := map[string]*rejectionv1.Rejection{}
	for _, r := range listOpen() {
		byCode[r.GetReasonCode()] = r
	}
	if r := byCode["invalid"]; r == nil || !strings.Contains(r.GetReason(), "totals.net") || r.GetDocument() != "RE-3" || r.GetService() != "ingestion" || r.GetConsumer() != "ingestion-invoices" {
		t.Errorf("invalid rejection = %v", r)
	}
	if r := byCode["conflict"]; r == nil || !strings.Contains(r.GetReason(), "credit note") || !strings.Contains(r.GetReason(), "gross 119.00 EUR → 120.19 EUR") {
		t.Errorf("conflict rejection = %v", r)
	}
	if n := ingested(); n != 2 {
		t.Errorf("O2C_INGESTION has %d messages, want 2 (the duplicate must not be published)", n)
	}

	// The ingested message carries the invoice's event id.
	cons, err := js.OrderedConsumer(ctx, "O2C_INGESTION", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Headers().Get("Nats-Msg-Id"), invoice.EventID("acme", "RE-1").String(); got != want {
		t.Errorf("Nats-Msg-Id = %s, want %s", got, want)
	}
	if m.Subject() != "o2c.acme.ingestion.invoice.ingested" {
		t.Errorf("subject = %s", m.Subject())
	}

	// Resolving the conflict closes it, recording the caller the token
	// names, not the actor the request claims.
	res, err := rejections.ResolveRejection(ctx, &rejectionv1.ResolveRejectionRequest{Id: byCode["conflict"].GetId(), Actor: "test", Note: "shop sent a correction by mistake"})
	if err != nil || res.GetRejection().GetState() != rejectionv1.RejectionState_REJECTION_STATE_RESOLVED || res.GetRejection().GetClosedBy() != "user:olga" {
		t.Fatalf("resolve = %v, %v; want RESOLVED by user:olga", res, err)
	}
	// The operator of acme may not ask about every tenant.
	if _, err := rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("list of every tenant's rejections by acme's operator: %v, want PERMISSION_DENIED", err)
	}
	// Fix the invalid invoice's cause cannot happen in place; replaying it
	// fails again and keeps it open.
	rep, err := rejections.ReplayRejection(ctx, &rejectionv1.ReplayRejectionRequest{Id: byCode["invalid"].GetId(), Actor: "test"})
	if err != nil || rep.GetRejection().GetState() != rejectionv1.RejectionState_REJECTION_STATE_OPEN {
		t.Fatalf("replay = %v, %v", rep, err)
	}
	if n := len(listOpen()); n != 1 {
		t.Errorf("%d open rejections after replay, want 1", n)
	}

	conn.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	// The embedded NATS server's own goroutines are not the service's: stop
	// it first so that only goroutines run left behind could remain.
	nc.Close()
	ns.Shutdown()
	goleak.VerifyNone(t, ignore)
}
