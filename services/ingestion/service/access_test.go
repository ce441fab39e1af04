package service_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/service"
)

// TestAccessMatrix calls every RPC ingestion serves as every role, and for
// a tenant outside the caller's, and checks the answers against its policy
// (rpc.IngestionPolicy, rpc.DebtorPolicy, and rejection.Policy for the
// RejectionService). An RPC added without a rule fails here.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	ns := natsembed.Test(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kit := authztest.NewAuthenticator()
	cfg := host.Config{MigrateDatabaseURL: pgtest.NewDB(t, template), NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(),
		ManageStreams: true, ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: kit}}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := service.New(ctx, cfg, service.Options{Tenants: tenantstest.File(t, "acme")}, telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	conn, err := grpc.NewClient(s.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	h := service.HostOf(s)
	authztest.CheckMatrix(t, h.GRPC, conn, kit, h.Policy, "acme", "beta")
}
