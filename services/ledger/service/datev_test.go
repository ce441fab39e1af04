package service

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	extf "github.com/o2c-platform/o2c/libs/formats/datev"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// datevTenants has acme with DATEV settings and beta without.
const datevTenants = `{"tenants": {
  "acme": {"name": "Acme", "reports": {"datev": {"consultant": 29098, "client": 55003}}},
  "beta": {"name": "Beta"}
}}`

// startDATEVLedger runs the ledger with datevTenants on a fresh database
// and embedded NATS until the test ends; with changes its Options.
func startDATEVLedger(t *testing.T, with ...func(*Options)) *svc {
	t.Helper()
	ns := natsembed.Test(t)
	dbURL := pgtest.NewDB(t, ledgerTemplate)
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
	// The ledger consumes ingestion's stream, which ingestion creates.
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("ingestion")); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{MigrateDatabaseURL: dbURL, NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(), ManageStreams: true, ShutdownTimeout: 5 * time.Second,
		Auth: auth.Config{Authenticator: testAuth}}
	opt := Options{Tenants: tenantstest.Parse(t, []byte(datevTenants)), Books: testBooks}
	for _, w := range with {
		w(&opt)
	}
	l, err := New(ctx, cfg, opt, telemetry.Providers{}, slog.New(slog.NewTextHandler(io.Discard, nil)), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &svc{l: l, ownerURL: dbURL, conn: conn, cmds: ledgerv1grpc.NewLedgerCommandServiceClient(conn), store: postgres.New(l.Pool())}
}

// exportDATEV calls ExportDATEV as p and returns the files by name.
func exportDATEV(ctx context.Context, s *svc, p identity.Principal, req *ledgerv1.ExportDATEVRequest) (map[string][]byte, *ledgerv1.ExportDATEVResponse, error) {
	stream, err := ledgerv1grpc.NewExportServiceClient(s.conn).ExportDATEV(ctx, req, testAuth.As(p))
	if err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{}
	var first *ledgerv1.ExportDATEVResponse
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return files, first, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if first == nil {
			first = m
		}
		files[m.GetFileName()] = append(files[m.GetFileName()], m.GetData()...)
	}
}

// TestExportDATEVOverGRPC books two invoices in October, exports the open
// month, closes it, books a late correction into November, and exports
// October twice: the same bytes both times, marked closed, with one gross
// line per invoice on the automatic revenue account. The codes: a month
// 13 is INVALID_ARGUMENT, a tenant without DATEV settings
// FAILED_PRECONDITION, customer service PERMISSION_DENIED.
func TestExportDATEVOverGRPC(t *testing.T) {
	t.Parallel()
	s := startDATEVLedger(t)
	ctx := context.Background()
	cfo := accountant("cfo", "acme", "beta")
	for _, inv := range []*ledgerv1.RegisterInvoice{
		invoice("acme", "D1", "RE-1", 10000, day(2026, 10, 5), day(2026, 11, 5)),
		invoice("acme", "D2", "RE-2", 2000, day(2026, 10, 20), day(2026, 11, 20)),
	} {
		if _, err := s.cmds.RegisterInvoice(ctx, &ledgerv1.RegisterInvoiceRequest{Command: inv}, testAuth.As(cfo)); err != nil {
			t.Fatal(err)
		}
	}
	s.caughtUp(t)
	oct := &ledgerv1.ExportDATEVRequest{Tenant: "acme", Year: 2026, Month: 10}
	open, first, err := exportDATEV(ctx, s, cfo, oct)
	if err != nil {
		t.Fatal(err)
	}
	if first.GetPeriodClosed() {
		t.Error("an open October exported as closed")
	}

	if _, err := s.cmds.ClosePeriod(ctx, &ledgerv1.ClosePeriodRequest{Command: &ledgerv1.ClosePeriod{Tenant: "acme", IdempotencyKey: "close-2026-10", Year: 2026, Month: 10, Reason: "month end"}}, testAuth.As(cfo)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cmds.RegisterInvoice(ctx, &ledgerv1.RegisterInvoiceRequest{Command: invoice("acme", "D1", "RE-3", 500, day(2026, 11, 2), day(2026, 12, 2))}, testAuth.As(cfo)); err != nil {
		t.Fatal(err)
	}
	s.caughtUp(t)
	closed1, first, err := exportDATEV(ctx, s, cfo, oct)
	if err != nil {
		t.Fatal(err)
	}
	if !first.GetPeriodClosed() {
		t.Error("a closed October exported as open")
	}
	closed2, _, err := exportDATEV(ctx, s, cfo, oct)
	if err != nil {
		t.Fatal(err)
	}
	const stapel, debtors = "EXTF_Buchungsstapel_2026-10.csv", "EXTF_Debitoren_2026-10.csv"
	for _, name := range []string{stapel, debtors} {
		if len(closed1[name]) == 0 || !bytes.Equal(closed1[name], closed2[name]) {
			t.Errorf("%s: %d bytes, then %d; a closed month must export the same bytes", name, len(closed1[name]), len(closed2[name]))
		}
	}
	if bytes.Equal(open[stapel], closed1[stapel]) {
		t.Error("the open and the closed export are the same; the open one must be marked")
	}

	r, err := extf.NewReader(bytes.NewReader(closed1[stapel]))
	if err != nil {
		t.Fatal(err)
	}
	if r.Header().Description != "o2c 2026-10" || r.Header().Consultant != 29098 || r.Header().Client != 55003 {
		t.Errorf("header %+v", r.Header())
	}
	var got []extf.Booking
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	if len(got) != 2 || got[0].Amount != 11900 || got[0].ContraAccount != "8400" || got[0].TaxKey != "" || got[0].DocumentField1 != "RE-1" ||
		got[1].Amount != 2380 || got[1].DocumentField1 != "RE-2" || got[0].DebitCredit != "S" {
		t.Errorf("bookings %+v; want RE-1 11900 and RE-2 2380 gross, debtor against 8400 without a key", got)
	}

	for _, tc := range []struct {
		name string
		as   identity.Principal
		req  *ledgerv1.ExportDATEVRequest
		code codes.Code
	}{
		{"month 13", cfo, &ledgerv1.ExportDATEVRequest{Tenant: "acme", Year: 2026, Month: 13}, codes.InvalidArgument},
		{"no DATEV settings", cfo, &ledgerv1.ExportDATEVRequest{Tenant: "beta", Year: 2026, Month: 10}, codes.FailedPrecondition},
		{"customer service", identity.Principal{Actor: "user:cs", Tenants: []string{"acme"}, Roles: []identity.Role{identity.CustomerService}}, oct, codes.PermissionDenied},
		{"unknown tenant", accountant("cfo", "nosuch"), &ledgerv1.ExportDATEVRequest{Tenant: "nosuch", Year: 2026, Month: 10}, codes.NotFound},
	} {
		if _, _, err := exportDATEV(ctx, s, tc.as, tc.req); status.Code(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
}
