package nats

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/anchors"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// logBuffer collects the services' logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// system is ingestion and the ledger, started against one NATS server and
// one database.
type system struct {
	s       *natsembed.Server
	dbURL   string
	tenants *tenants.File
	logs    *logBuffer
	failed  chan error // a service that stopped serving
}

func newSystem(tb testing.TB, s *natsembed.Server) *system {
	tb.Helper()
	return &system{s: s, dbURL: pgtest.NewDB(tb, pgtest.Template{Name: "deploy_nats_empty"}), tenants: tenantstest.File(tb, "demo"),
		logs: &logBuffer{}, failed: make(chan error, 2)}
}

// config is the host configuration of a service connecting as user.
func (sy *system) config(user, password string, manage bool) host.Config {
	return host.Config{
		MigrateDatabaseURL: sy.dbURL, NATSURL: sy.s.ClientURL(), NATSUser: user, NATSPassword: password,
		GRPCAddr: "127.0.0.1:0", ManageStreams: manage, ShutdownTimeout: 5 * time.Second,
		AnchorKey: eventstore.DevOnlyAnchorKey(), AnchorInterval: 50 * time.Millisecond,
		Auth: auth.Config{Mode: auth.Dev},
	}
}

// declare starts ingestion and the ledger as user with
// NATS_MANAGE_STREAMS=true and stops them again before they serve, which
// leaves their streams and consumers declared.
func (sy *system) declare(tb testing.TB, user, password string) {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(sy.logs, nil))
	cfg := sy.config(user, password, true)
	cfg.AnchorKey = nil
	i, err := ingestion.New(tb.Context(), cfg, ingestion.Options{Tenants: sy.tenants}, telemetry.Providers{}, log, nil)
	if err != nil {
		tb.Fatalf("declare as %s: ingestion: %v", user, err)
	}
	i.Close()
	l, err := ledger.New(tb.Context(), cfg, ledger.Options{Tenants: sy.tenants}, telemetry.Providers{}, log, nil)
	if err != nil {
		tb.Fatalf("declare as %s: ledger: %v", user, err)
	}
	l.Close()
}

// run starts ingestion and the ledger, each as its own user, until the
// test ends, and returns a connection to the ledger's gRPC server.
func (sy *system) run(tb testing.TB, password func(user string) string, manage bool) *grpc.ClientConn {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(sy.logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	tb.Cleanup(func() {
		cancel()
		wg.Wait()
		for len(sy.failed) > 0 {
			tb.Error(<-sy.failed)
		}
	})
	serve := func(name string, serve func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := serve(ctx); err != nil {
				sy.failed <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	i, err := ingestion.New(ctx, sy.config("ingestion", password("ingestion"), manage), ingestion.Options{Tenants: sy.tenants}, telemetry.Providers{}, log, nil)
	if err != nil {
		tb.Fatalf("ingestion as user ingestion: %v", err)
	}
	serve("ingestion", i.Serve)
	l, err := ledger.New(ctx, sy.config("ledger", password("ledger"), manage), ledger.Options{Tenants: sy.tenants}, telemetry.Providers{}, log, nil)
	if err != nil {
		tb.Fatalf("ledger as user ledger: %v", err)
	}
	serve("ledger", l.Serve)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

// eventually polls cond until it holds, and fails when a service stops
// or meets a permissions violation; the deadline only keeps a broken
// system from hanging the test run.
func (sy *system) eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-sy.failed:
			tb.Fatalf("waiting for %s: %v", what, err)
		default:
		}
		if logs := sy.logs.String(); strings.Contains(strings.ToLower(logs), "permissions violation") {
			tb.Fatalf("waiting for %s: a service met a permissions violation:\n%s", what, logs)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
	}
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// shopInvoice is an invoice of the demo shop.
func shopInvoice(number string) *shopv1.InvoiceIssued {
	return &shopv1.InvoiceIssued{
		Tenant: "demo", InvoiceNumber: number, OrderId: "WEB-" + number,
		Channel:   &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		Debtor:    &shopv1.Debtor{CustomerId: "K-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, Name: "Beispiel GmbH", VatId: "DE123456789"},
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 2}, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 2},
		Currency: "EUR",
		Lines:    []*shopv1.InvoiceLine{{Description: "Ware", Quantity: "1", NetAmount: eur(10000), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(10000), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}},
			Gross: eur(11900)},
		PaymentReference: number,
	}
}

// TestServicesRunWithTheirUsers runs ingestion and the ledger, each as its
// own NATS user, once with the deployment's configuration (the services
// declare their streams and consumers) and once with the services'
// declaring taken away (the admin declares first, as the platform team
// would). In both the demo shop's invoice is booked, and a RegisterInvoice
// that matching's user publishes on its own subject is rejected by the
// ledger as not entitled, naming sender and command, and not booked. No
// service reports a permissions violation, anchors included.
func TestServicesRunWithTheirUsers(t *testing.T) {
	t.Parallel()
	t.Run("deployed configuration, services declare", func(t *testing.T) {
		t.Parallel()
		s := start(t)
		sy := newSystem(t, s)
		pw := func(user string) string { return password(t, user) }
		checkSystem(t, sy, sy.run(t, pw, true), pw)
	})
	t.Run("no declaring, admin declares", func(t *testing.T) {
		t.Parallel()
		s, passwords := natsembed.TestWith(t, natsembed.Users{Shops: []string{"demo"}, Services: natsembed.Services(), Admin: true})
		sy := newSystem(t, s)
		sy.declare(t, natsembed.AdminUser, passwords[natsembed.AdminUser])
		pw := func(user string) string { return passwords[user] }
		checkSystem(t, sy, sy.run(t, pw, false), pw)
	})
}

func checkSystem(t *testing.T, sy *system, conn *grpc.ClientConn, password func(string) string) {
	t.Helper()
	ctx := t.Context()
	jsAs := func(user string) jetstream.JetStream { return jetStream(t, connectWith(t, sy.s, user, password(user))) }
	data, err := proto.Marshal(shopInvoice("RE-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jsAs(natsembed.ShopUser("demo")).Publish(ctx, "shop.demo.invoice.issued", data); err != nil {
		t.Fatalf("the shop's invoice: %v", err)
	}
	forged := &ledgerv1.RegisterInvoice{Tenant: "demo", IdempotencyKey: "invoice:FAKE-1", InvoiceNumber: "FAKE-1", DebtorId: "K-1",
		Currency: "EUR", Gross: eur(100000), IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 2},
		DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 2}, Vat: []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(84034), Vat: eur(15966)}}}
	if data, err = proto.Marshal(forged); err != nil {
		t.Fatal(err)
	}
	if _, err := jsAs("matching").Publish(ctx, "o2c.demo.matching.ledger.register-invoice", data); err != nil {
		t.Fatalf("matching's RegisterInvoice: %v", err)
	}

	rejections := rejectionv1grpc.NewRejectionServiceClient(conn)
	var rejected []*rejectionv1.Rejection
	sy.eventually(t, "the forged invoice's rejection", func() bool {
		r, err := rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "demo"})
		rejected = r.GetRejections()
		return err == nil && len(rejected) > 0
	})
	if r := rejected[0]; len(rejected) != 1 || r.GetReasonCode() != "not_entitled" || r.GetDocument() != "invoice:FAKE-1" ||
		!strings.Contains(r.GetReason(), "service matching may not send RegisterInvoice") {
		t.Errorf("rejections %v, want the forged invoice as not_entitled, naming matching and RegisterInvoice", rejected)
	}
	items := ledgerv1grpc.NewLedgerServiceClient(conn)
	var booked []string
	sy.eventually(t, "the shop's invoice booked", func() bool {
		r, err := items.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: "demo"})
		booked = booked[:0]
		for _, it := range r.GetOpenItems() {
			booked = append(booked, it.GetDocumentNumber())
		}
		return err == nil && len(booked) > 0
	})
	if len(booked) != 1 || booked[0] != "RE-1" {
		t.Errorf("open items of %v, want RE-1 only", booked)
	}
	str, err := jsAs(natsembed.AdminUser).Stream(ctx, anchors.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"ingestion", "ledger"} {
		sy.eventually(t, svc+"'s anchor", func() bool {
			_, err := str.GetLastMsgForSubject(ctx, anchors.Subject(svc))
			return err == nil
		})
	}
	if strings.Contains(strings.ToLower(sy.logs.String()), "permissions violation") {
		t.Errorf("a service met a permissions violation:\n%s", sy.logs.String())
	}
}
