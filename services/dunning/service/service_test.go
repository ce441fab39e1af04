package service

import (
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
	"google.golang.org/grpc/credentials/insecure"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/dunning/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName("dunning", postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
}

var testAuth = authztest.NewAuthenticator()

// startService starts dunning for tenants acme and beta against a fresh
// database and embedded NATS, with the test authenticator, no schedule
// and a fixed clock.
func startService(t *testing.T) (*Dunning, *grpc.ClientConn) {
	t.Helper()
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
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("ingestion"), bus.ServiceStreamConfig("ledger")); err != nil {
		t.Fatal(err)
	}
	ts, err := tenants.Load(tenantstest.Write(t, tenantstest.JSON("acme", "beta")))
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{MigrateDatabaseURL: dbURL, NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(), ManageStreams: true,
		ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: testAuth}}
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	d, err := New(ctx, cfg, Options{Tenants: ts, Outbox: t.TempDir(), RunAt: -1, Now: func() time.Time { return now }},
		telemetry.Providers{}, slog.New(slog.NewJSONHandler(io.Discard, nil)), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx) }()
	conn, err := grpc.NewClient(d.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
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
	return d, conn
}

// TestAccessMatrix calls every RPC dunning serves as every role, and for
// a tenant outside the caller's, and checks the answers against dunning's
// policy (rpc.Policy with rejection.Policy): a new RPC without a rule, or
// a rule the server does not enforce, fails here.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	d, conn := startService(t)
	authztest.CheckMatrix(t, d.h.GRPC, conn, testAuth, d.h.Policy, "acme", "beta")
}

// TestConfigsNameTheFieldOfABadProcedure: a tenant whose dunning section
// breaks a rule is refused at start with the file, tenant and element
// path.
func TestConfigsNameTheFieldOfABadProcedure(t *testing.T) {
	t.Parallel()
	path := tenantstest.Write(t, []byte(`{"tenants": {"acme": {"name": "Acme", "dunning": {"day_count": "act/999"}}}}`))
	ts, err := tenants.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Configs(ts)
	var fe *tenants.FileError
	if !errors.As(err, &fe) || len(fe.Problems) != 1 || fe.Problems[0].Tenant != "acme" || fe.Problems[0].Field == "" {
		t.Fatalf("Configs: %v, want one problem naming tenant acme and the field", err)
	}
}
