package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName(postgres.Schema, postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

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

func entry(key string, amount int64) *ledgerv1.PostJournalEntryRequest {
	return &ledgerv1.PostJournalEntryRequest{
		Tenant: "acme", IdempotencyKey: key,
		EffectiveDate:  &commonv1.Date{Year: 2026, Month: 11, Day: 30},
		DocumentNumber: "AMZ-" + key, Text: "Auszahlung Amazon",
		Legs: []*ledgerv1.JournalLeg{
			{Account: "1200", Amount: eur(amount)},
			{Account: "1361", Amount: eur(-amount)},
		},
	}
}

// TestRun starts the service as main does, posts journal entries over gRPC
// (new, replayed, conflicting, invalid), reads the projected balances,
// cancels it and checks that run returns nil and leaves no goroutine behind.
func TestRun(t *testing.T) {
	ns := natsembed.Test(t)
	dbURL := pgtest.NewDB(t, template)
	addr := freeAddr(t)
	// The ledger consumes what ingestion publishes; ingestion declares
	// that stream, so the test does it in its place.
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.EnsureStreams(context.Background(), js, bus.ServiceStreamConfig("ingestion")); err != nil {
		t.Fatal(err)
	}
	ignore := goleak.IgnoreCurrent()

	// Development mode: every call is the all-powerful dev user, logged
	// loudly at start (the access rules have a test of their own, in
	// package service).
	env := map[string]string{"MIGRATE_DATABASE_URL": dbURL, "NATS_URL": ns.ClientURL(), "GRPC_ADDR": addr,
		"O2C_TENANTS": tenantstest.Write(t, tenantstest.JSON("acme")), "O2C_AUTH": "dev"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }) }()

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	eventually(t, "health SERVING", func() bool {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	ledger := ledgerv1grpc.NewLedgerServiceClient(conn)

	first, err := ledger.PostJournalEntry(ctx, entry("PAYOUT-1", 125000))
	if err != nil {
		t.Fatal(err)
	}
	if first.GetReplayed() || first.GetEntryId() == "" || first.GetRecordedAt() == nil {
		t.Errorf("first post = %v, want a new entry with id and recorded time", first)
	}
	again, err := ledger.PostJournalEntry(ctx, entry("PAYOUT-1", 125000))
	if err != nil {
		t.Fatal(err)
	}
	want := &ledgerv1.PostJournalEntryResponse{EntryId: first.GetEntryId(), RecordedAt: first.GetRecordedAt(), Replayed: true}
	if diff := cmp.Diff(want, again, protocmp.Transform()); diff != "" {
		t.Errorf("replay (-want +got):\n%s", diff)
	}
	if _, err := ledger.PostJournalEntry(ctx, entry("PAYOUT-1", 125001)); status.Code(err) != codes.AlreadyExists {
		t.Errorf("same key, other content: %v, want ALREADY_EXISTS", err)
	}
	unbalanced := entry("PAYOUT-2", 100)
	unbalanced.Legs[1].Amount = eur(-99)
	if _, err := ledger.PostJournalEntry(ctx, unbalanced); status.Code(err) != codes.InvalidArgument {
		t.Errorf("unbalanced entry: %v, want INVALID_ARGUMENT", err)
	}
	if _, err := ledger.PostJournalEntry(ctx, entry("PAYOUT-3", 5000)); err != nil {
		t.Fatal(err)
	}

	wantBalances := []*ledgerv1.AccountBalance{
		{Account: "1200", Debit: eur(130000), Credit: eur(0), Balance: eur(130000)},
		{Account: "1361", Debit: eur(0), Credit: eur(130000), Balance: eur(-130000)},
	}
	var got []*ledgerv1.AccountBalance
	eventually(t, "projected balances", func() bool {
		r, err := ledger.ListAccountBalances(ctx, &ledgerv1.ListAccountBalancesRequest{Tenant: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		got = r.GetBalances()
		return cmp.Equal(wantBalances, got, protocmp.Transform())
	})
	if _, err := ledger.ListAccountBalances(ctx, &ledgerv1.ListAccountBalancesRequest{Tenant: "Not A Tenant"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("bad tenant: %v, want INVALID_ARGUMENT", err)
	}
	// Only the tenants of the tenants file exist.
	if _, err := ledger.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: "nosuch"}); status.Code(err) != codes.NotFound {
		t.Errorf("unknown tenant: %v, want NOT_FOUND", err)
	}
	unknown := entry("PAYOUT-9", 100)
	unknown.Tenant = "acme2"
	if _, err := ledger.PostJournalEntry(ctx, unknown); status.Code(err) != codes.NotFound {
		t.Errorf("entry for an unknown tenant: %v, want NOT_FOUND", err)
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

// TestRunRefusesWithoutGoodTenantsFile checks that the ledger does not
// start without a tenants file, or with one it cannot use, and that the
// error names the file, the tenant and the field; nor without
// authentication, nor in development mode with O2C_ENV=production.
func TestRunRefusesWithoutGoodTenantsFile(t *testing.T) {
	t.Parallel()
	badField := tenantstest.Write(t, []byte(`{"tenants": {"acme": {"ledger": {"banks": {"DE02120300000000202051": "1200"}, "chart": "SKR05"}}}}`))
	badTax := tenantstest.Write(t, []byte(`{"tenants": {"acme": {"ledger": {"tax": [{"country": "AT", "rate_bp": 2000, "treatment": "OSS", "output_vat": "output-vat-oss-at"}]}}}}`))
	tests := []struct {
		name  string
		env   map[string]string
		wants []string
	}{
		{"no tenants file", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_AUTH": "dev"}, []string{"O2C_TENANTS is required"}},
		{"missing file", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_TENANTS": "/nonexistent/tenants.json", "O2C_AUTH": "dev"},
			[]string{"/nonexistent/tenants.json"}},
		{"bad field", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_TENANTS": badField, "O2C_AUTH": "dev"},
			[]string{badField + ":1: tenant acme: ledger.chart: \"SKR05\" is not a chart"}},
		{"no authentication", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_TENANTS": badField},
			[]string{"set O2C_AUTH to mtls, jwt or tokens"}},
		{"development mode in production", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_TENANTS": badField, "O2C_AUTH": "dev", "O2C_ENV": "production"},
			[]string{"O2C_AUTH=dev", "refused with O2C_ENV=production"}},
		{"account the chart lacks", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_TENANTS": badTax, "O2C_AUTH": "dev"},
			[]string{badTax + ": tenant acme: ledger.tax: ", "output-vat-oss-at"}},
		{"retired LEDGER_SETTINGS", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_TENANTS": badTax, "LEDGER_SETTINGS": "/etc/ledger.json"},
			[]string{"LEDGER_SETTINGS is no longer read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), func(k string) string { return tt.env[k] })
			if err == nil {
				t.Fatal("run started")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestRunMigrateOnly runs the ledger as the chart's migration job does
// (O2C_MIGRATE_ONLY=true, an owner connection, no NATS): run returns
// host.ErrMigrated, on which main exits 0, and the ledger's tables exist.
func TestRunMigrateOnly(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDB(t, pgtest.Template{Name: "ledger-main-empty"})
	env := map[string]string{"MIGRATE_DATABASE_URL": dbURL, "O2C_MIGRATE_ONLY": "true", "NATS_URL": "nats://127.0.0.1:1",
		"O2C_TENANTS": tenantstest.Write(t, tenantstest.JSON("acme")), "O2C_AUTH": "dev"}
	err := run(context.Background(), func(k string) string { return env[k] })
	if !errors.Is(err, host.ErrMigrated) {
		t.Fatalf("run = %v, want host.ErrMigrated", err)
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var schemaTables int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, postgres.Schema).Scan(&schemaTables); err != nil {
		t.Fatal(err)
	}
	if schemaTables == 0 {
		t.Errorf("schema %s has no tables after the migration job", postgres.Schema)
	}
}
