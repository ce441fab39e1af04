package host_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/rejection"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// TestNewRefusesWithoutAuthentication checks that a host configured in
// code, not from the environment, does not start without authentication
// either, nor in development mode in production.
func TestNewRefusesWithoutAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		auth auth.Config
		want error
	}{
		{"none", auth.Config{}, auth.ErrNoAuth},
		{"dev in production", auth.Config{Mode: auth.Dev, Production: true}, auth.ErrDevInProduction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := host.Config{DatabaseURL: "postgres://127.0.0.1:1/none", GRPCAddr: "127.0.0.1:0", Auth: tt.auth}
			_, err := host.New(context.Background(), host.Spec{Name: service}, cfg, telemetry.Providers{}, slog.New(slog.DiscardHandler), nil)
			if !errors.Is(err, tt.want) {
				t.Errorf("New = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestServeRefusesMethodWithoutPolicy registers a gRPC service the spec
// gives no rule: Serve does not start and names its methods.
func TestServeRefusesMethodWithoutPolicy(t *testing.T) {
	t.Parallel()
	f := newHost(t, pgtest.NewDB(t, template), natsembed.Test(t).ClientURL(), time.Second)
	ledgerv1grpc.RegisterLedgerServiceServer(f.h.GRPC, ledgerv1grpc.UnimplementedLedgerServiceServer{})
	err := f.h.Serve(context.Background())
	if !errors.Is(err, auth.ErrNoPolicy) || !strings.Contains(err.Error(), ledgerv1grpc.LedgerService_ListOpenItems_FullMethodName) {
		t.Errorf("Serve = %v, want ErrNoPolicy naming %s", err, ledgerv1grpc.LedgerService_ListOpenItems_FullMethodName)
	}
}

// TestRejectionAccess checks who may see and act on the RejectionService
// every host serves: the matrix of every role against rejection.Policy;
// an operator of acme may not list all tenants' rejections nor beta's,
// nor get, replay or resolve a rejection of beta; the actor recorded when
// a rejection is resolved is the caller's, whatever the request's actor
// field or an o2c-actor header say.
func TestRejectionAccess(t *testing.T) {
	t.Parallel()
	f := newHost(t, pgtest.NewDB(t, template), natsembed.Test(t).ClientURL(), time.Second)
	f.serve(t)
	ctx := context.Background()
	ofBeta, err := f.h.Rejections.Insert(ctx, rejection.Rejection{Service: service, Consumer: "c", Tenant: "beta", Subject: "shop.beta.invoice.issued",
		ReasonCode: "invalid", Reason: "test", Deliveries: 1, RejectedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	c := rejectionv1grpc.NewRejectionServiceClient(f.conn)
	olga := authztest.Principal(identity.Operator, "acme")
	bob := authztest.Principal(identity.Operator, "beta")
	bob.Actor = "user:bob"

	t.Run("matrix", func(t *testing.T) {
		authztest.CheckMatrix(t, f.h.GRPC, f.conn, f.kit, f.h.Policy, "acme", "beta")
	})
	denied := []struct {
		name string
		call func() error
	}{
		{"list all tenants", func() error {
			_, err := c.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{}, f.kit.As(olga))
			return err
		}},
		{"list beta", func() error {
			_, err := c.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "beta"}, f.kit.As(olga))
			return err
		}},
		{"list beta with a forged header", func() error {
			md := metadata.AppendToOutgoingContext(ctx, "o2c-actor", "user:bob", "o2c-tenant", "beta")
			_, err := c.ListRejections(md, &rejectionv1.ListRejectionsRequest{Tenant: "beta"}, f.kit.As(olga))
			return err
		}},
		{"get beta's", func() error {
			_, err := c.GetRejection(ctx, &rejectionv1.GetRejectionRequest{Id: ofBeta.String()}, f.kit.As(olga))
			return err
		}},
		{"replay beta's", func() error {
			_, err := c.ReplayRejection(ctx, &rejectionv1.ReplayRejectionRequest{Id: ofBeta.String()}, f.kit.As(olga))
			return err
		}},
		{"resolve beta's", func() error {
			_, err := c.ResolveRejection(ctx, &rejectionv1.ResolveRejectionRequest{Id: ofBeta.String(), Note: "n"}, f.kit.As(olga))
			return err
		}},
	}
	for _, d := range denied {
		if err := d.call(); status.Code(err) != codes.PermissionDenied {
			t.Errorf("operator of acme, %s: %v, want PERMISSION_DENIED", d.name, err)
		} else if strings.Contains(err.Error(), "beta") && strings.HasPrefix(d.name, "get") {
			t.Errorf("the refusal names the other tenant: %v", err)
		}
	}

	got, err := c.GetRejection(ctx, &rejectionv1.GetRejectionRequest{Id: ofBeta.String()}, f.kit.As(bob))
	if err != nil || got.GetRejection().GetTenant() != "beta" {
		t.Fatalf("operator of beta gets beta's: %v, %v", got, err)
	}
	forged := metadata.AppendToOutgoingContext(ctx, "o2c-actor", "finance:demo")
	resolved, err := c.ResolveRejection(forged, &rejectionv1.ResolveRejectionRequest{Id: ofBeta.String(), Actor: "someone-else", Note: "sent again by the shop"}, f.kit.As(bob))
	if err != nil {
		t.Fatal(err)
	}
	if r := resolved.GetRejection(); r.GetClosedBy() != "user:bob" || r.GetState() != rejectionv1.RejectionState_REJECTION_STATE_RESOLVED {
		t.Errorf("resolved = %v, want RESOLVED by user:bob, the caller", r)
	}
	all, err := c.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{}, f.kit.As(authztest.Principal(identity.PlatformAdmin, "")))
	if err != nil || len(all.GetRejections()) != 1 {
		t.Errorf("platform admin lists every tenant's: %v, %v", all, err)
	}
}
