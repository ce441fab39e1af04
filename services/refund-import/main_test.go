package main

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/refund-import/internal/postgres"
	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName(postgres.Schema, postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
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

// TestRun starts the service as main does, with a seller account whose
// credentials are in the environment (env:AMAZON_EU) and the SP-API's
// endpoint pointing at the fake server; its schedule's first run imports
// the fake's refund, which ListRefunds then shows waiting for its order.
// It cancels the service and checks that run returns nil and leaves no
// goroutine behind.
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
	// The ledger declares its stream; refund import waits for it.
	if err := bus.EnsureStreams(context.Background(), js, bus.ServiceStreamConfig("ledger")); err != nil {
		t.Fatal(err)
	}
	amazon := spapifake.New(spapifake.Options{Limits: spapi.NoLimits()})
	posted := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	amazon.AddFinancialEvents(posted, spapifake.RefundEventList, spapifake.RefundEvent(spapifake.RefundSpec{
		OrderID: "302-1234567-1234567", AdjustmentID: "ADJ-1", SKU: "SKU-1", Currency: "EUR", Posted: posted,
		Principal: 5000, Tax: 950, Marketplace: "Amazon.de"}))
	url, stopAmazon := amazon.Start()
	defer stopAmazon()
	ignore := goleak.IgnoreCurrent()

	token, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	clara := identity.Principal{Actor: "user:clara", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Accountant}}
	if err := auth.WriteTokenFile(tokens, map[string]identity.Principal{token: clara}); err != nil {
		t.Fatal(err)
	}
	file, err := json.Marshal(map[string]any{"tenants": map[string]any{"acme": map[string]any{"name": "Acme",
		"refunds": map[string]any{"seller_accounts": []any{map[string]any{"id": "eu", "region": "eu",
			"marketplaces": []string{"A1PA6795UKMFR9"}, "credentials_ref": "env:AMAZON_EU"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	creds := amazon.Credentials()
	env := map[string]string{"MIGRATE_DATABASE_URL": dbURL, "NATS_URL": ns.ClientURL(), "GRPC_ADDR": addr,
		"O2C_TENANTS": tenantstest.Write(t, file), "O2C_AUTH": "tokens", "O2C_AUTH_TOKENS": tokens,
		"REFUND_IMPORT_SPAPI_ENDPOINT": url, "REFUND_IMPORT_LWA_TOKEN_URL": url + "/auth/o2/token", "REFUND_IMPORT_RATE_LIMITS": "off",
		"AMAZON_EU_CLIENT_ID": creds.ClientID, "AMAZON_EU_CLIENT_SECRET": creds.ClientSecret, "AMAZON_EU_REFRESH_TOKEN": creds.RefreshToken}
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
	api := refundv1grpc.NewRefundServiceClient(conn)
	eventually(t, "the scheduled run's refund", func() bool {
		res, err := api.ListRefunds(ctx, &refundv1.ListRefundsRequest{Tenant: "acme", OrderId: "302-1234567-1234567"})
		return err == nil && len(res.GetRefunds()) == 1 && res.GetRefunds()[0].GetState() == refundv1.RefundState_REFUND_STATE_WAITING
	})
	if _, err := api.ListRefunds(ctx, &refundv1.ListRefundsRequest{Tenant: "nobody"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("ListRefunds for a tenant not the caller's: %v, want PERMISSION_DENIED", err)
	}
	if _, err := api.ListRefunds(ctx, &refundv1.ListRefundsRequest{Tenant: "acme", PageToken: "!"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("ListRefunds with a bad page token: %v, want INVALID_ARGUMENT", err)
	}
	conn.Close()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v, want nil after cancel", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	nc.Close()
	ns.Shutdown()
	stopAmazon()
	goleak.VerifyNone(t, ignore)
}
