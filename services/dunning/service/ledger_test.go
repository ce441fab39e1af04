package service

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	ledgerservice "github.com/o2c-platform/o2c/services/ledger/service"
)

const testIBAN = "DE44500105175407324931"

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func pday(y, m, d int32) *commonv1.Date { return &commonv1.Date{Year: y, Month: m, Day: d} }

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

// logBuffer is a log sink safe for the services' goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// serve serves a started service until the test ends.
func serve(t *testing.T, ctx context.Context, name string, s interface{ Serve(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: serve: %v", name, err)
		}
	})
}

// TestTheLedgerBooksTheChargesAndAPartPaymentClearsThemFirst runs dunning
// beside the ledger, with the tenant's allocation order "bgb": dunning's
// second notice sends AssessCharge commands for the material costs and the
// default interest through JetStream, the ledger books them as items of
// the invoice's claim, and a part payment the ledger allocates itself
// clears the costs, then the interest, and only the rest of it the
// principal (§367 (1) BGB).
func TestTheLedgerBooksTheChargesAndAPartPaymentClearsThemFirst(t *testing.T) {
	t.Parallel()
	ns := natsembed.Test(t)
	dbURL := pgtest.NewDB(t, template)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("ingestion")); err != nil {
		t.Fatal(err)
	}
	ts, err := tenants.Load(tenantstest.Write(t, []byte(`{"tenants": {"acme": {"name": "Acme GmbH",
		"ledger": {"allocation_order": "bgb", "banks": {"`+testIBAN+`": "1200"}}}}}`)))
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	log := slog.New(slog.NewJSONHandler(logs, nil))
	config := func() (host.Config, net.Listener) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return host.Config{MigrateDatabaseURL: dbURL, NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(), ManageStreams: true,
			ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: testAuth}}, lis
	}
	lcfg, llis := config()
	ledger, err := ledgerservice.New(ctx, lcfg, ledgerservice.Options{Tenants: ts}, telemetry.Providers{}, log, llis)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, ctx, "ledger", ledger)
	dcfg, dlis := config()
	now := time.Date(2026, 10, 23, 6, 0, 0, 0, time.UTC)
	d, err := New(ctx, dcfg, Options{Tenants: ts, Outbox: t.TempDir(), RunAt: -1, Now: func() time.Time { return now }},
		telemetry.Providers{}, log, dlis)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, ctx, "dunning", d)

	clara := identity.Principal{Actor: "user:clara", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Accountant}}
	dial := func(addr net.Addr) *grpc.ClientConn {
		conn, err := grpc.NewClient(addr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()), testAuth.DialAs(clara))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	lconn, dconn := dial(ledger.Addr()), dial(d.Addr())
	cmds := ledgerv1grpc.NewLedgerCommandServiceClient(lconn)
	items := ledgerv1grpc.NewLedgerServiceClient(lconn)
	dun := dunningv1grpc.NewDunningServiceClient(dconn)

	if _, err := cmds.RegisterInvoice(ctx, &ledgerv1.RegisterInvoiceRequest{Command: &ledgerv1.RegisterInvoice{Tenant: "acme",
		IdempotencyKey: "invoice:RE-1", InvoiceNumber: "RE-1", DebtorId: "D-1", Currency: "EUR",
		Vat:   []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}},
		Gross: eur(11900), IssueDate: pday(2026, 9, 17), DueDate: pday(2026, 10, 1), PaymentReference: "RE-1"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "dunning to see the invoice's item", func() bool {
		var n int
		err := d.h.Pool.QueryRow(ctx, `SELECT count(*) FROM items WHERE tenant = 'acme' AND open_minor > 0`).Scan(&n)
		return err == nil && n == 1
	})
	run := func(date *commonv1.Date) *dunningv1.RunResponse {
		t.Helper()
		stream, err := dun.Run(ctx, &dunningv1.RunRequest{Tenant: "acme", Date: date})
		if err != nil {
			t.Fatal(err)
		}
		var last *dunningv1.RunResponse
		for {
			m, err := stream.Recv()
			if err == io.EOF {
				return last
			}
			if err != nil {
				t.Fatalf("run on %v: %v", date, err)
			}
			last = m
		}
	}
	run(pday(2026, 10, 9))
	if got := run(pday(2026, 10, 23)); got.GetCharges() < 2 {
		t.Fatalf("second notice: %v, want the costs and the interest charged", got)
	}
	var open []*ledgerv1.OpenItem
	eventually(t, "the ledger to book the charges", func() bool {
		r, err := items.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: "acme", DebtorId: "D-1"})
		open = r.GetOpenItems()
		return err == nil && len(open) == 3
	})
	var principal string
	var charges int64
	for _, it := range open {
		if it.GetDocumentNumber() == "RE-1" {
			principal = it.GetId()
			continue
		}
		charges += it.GetOpenAmount().GetMinorUnits()
	}
	if principal == "" || charges <= 250 {
		t.Fatalf("open items %v: want RE-1 and charges of more than the 2.50 costs", open)
	}
	// The debtor pays the charges and 10.00 of the principal, naming
	// nothing: the ledger allocates.
	if _, err := cmds.ApplyPayment(ctx, &ledgerv1.ApplyPaymentRequest{Command: &ledgerv1.ApplyPayment{Tenant: "acme", IdempotencyKey: "pay:P-1",
		PaymentId: "P-1", DebtorId: "D-1", Amount: eur(charges + 1000), ValueDate: pday(2026, 10, 25), Iban: testIBAN}}); err != nil {
		t.Fatal(err)
	}
	// The ledger's read model follows its events a moment behind.
	var r *ledgerv1.ListOpenItemsResponse
	eventually(t, "the ledger to book the payment", func() bool {
		r, err = items.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: "acme", DebtorId: "D-1"})
		var total int64
		for _, it := range r.GetOpenItems() {
			total += it.GetOpenAmount().GetMinorUnits()
		}
		return err == nil && total == 11900-1000
	})
	var left []string
	for _, it := range r.GetOpenItems() {
		if it.GetOpenAmount().GetMinorUnits() != 0 {
			left = append(left, it.GetId())
		}
		if it.GetId() == principal && it.GetOpenAmount().GetMinorUnits() != 11900-1000 {
			t.Errorf("RE-1 open %d after the part payment, want %d", it.GetOpenAmount().GetMinorUnits(), 11900-1000)
		}
	}
	if len(left) != 1 || left[0] != principal {
		t.Errorf("open after the part payment: %v, want only RE-1 (costs and interest cleared first)", r.GetOpenItems())
	}
}
