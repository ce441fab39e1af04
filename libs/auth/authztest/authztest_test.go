package authztest_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthgrpc "google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/identity"
)

type rejections struct {
	rejectionv1grpc.UnimplementedRejectionServiceServer
}

func (rejections) ListRejections(context.Context, *rejectionv1.ListRejectionsRequest) (*rejectionv1.ListRejectionsResponse, error) {
	return &rejectionv1.ListRejectionsResponse{}, nil
}

var policy = auth.Policy{
	rejectionv1grpc.RejectionService_ListRejections_FullMethodName:   auth.Allow(identity.Operator, identity.PlatformAdmin),
	rejectionv1grpc.RejectionService_GetRejection_FullMethodName:     auth.Allow(identity.Operator),
	rejectionv1grpc.RejectionService_ReplayRejection_FullMethodName:  auth.Allow(identity.Operator),
	rejectionv1grpc.RejectionService_ResolveRejection_FullMethodName: auth.Allow(identity.Operator),
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// serve runs the rejection and health services behind a guard of guarded.
func serve(t *testing.T, kit *authztest.Authenticator, guarded auth.Policy) (*grpc.Server, *grpc.ClientConn) {
	t.Helper()
	full, err := auth.Merge(guarded, auth.PublicPolicy())
	if err != nil {
		t.Fatal(err)
	}
	g := auth.NewGuard(kit, full, slog.New(slog.DiscardHandler))
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(g.Unary()), grpc.ChainStreamInterceptor(g.Stream()))
	rejectionv1grpc.RegisterRejectionServiceServer(srv, rejections{})
	healthpb.RegisterHealthServer(srv, healthgrpc.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return srv, conn
}

func TestCheckMatrix(t *testing.T) {
	t.Parallel()
	kit := authztest.NewAuthenticator()
	srv, conn := serve(t, kit, policy)
	public := auth.PublicPolicy()

	merged, err := auth.Merge(policy, public)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	authztest.CheckMatrix(r, srv, conn, kit, merged, "acme", "beta")
	if len(r.errors) > 0 {
		t.Errorf("the guard enforces the policy, yet CheckMatrix reports:\n%s", strings.Join(r.errors, "\n"))
	}

	// A table that says more than the guard enforces is caught.
	wider := auth.Policy{}
	for m, rule := range merged {
		wider[m] = rule
	}
	wider[rejectionv1grpc.RejectionService_ListRejections_FullMethodName] = auth.Allow(identity.Operator, identity.PlatformAdmin, identity.Shop)
	delete(wider, rejectionv1grpc.RejectionService_ResolveRejection_FullMethodName)
	r = &recorder{TB: t}
	authztest.CheckMatrix(r, srv, conn, kit, wider, "acme", "beta")
	for _, want := range []string{
		"/o2c.rejection.v1.RejectionService/ListRejections as shop: rpc error: code = PermissionDenied",
		"/o2c.rejection.v1.RejectionService/ResolveRejection has no rule in the policy",
	} {
		if !strings.Contains(strings.Join(r.errors, "\n"), want) {
			t.Errorf("CheckMatrix did not report %q; it reported:\n%s", want, strings.Join(r.errors, "\n"))
		}
	}
}

// TestCheckMatrixCatchesAnOpenGuard serves a guard that lets every role
// through and checks that the matrix notices.
func TestCheckMatrixCatchesAnOpenGuard(t *testing.T) {
	t.Parallel()
	kit := authztest.NewAuthenticator()
	everyone := auth.Policy{}
	for m := range policy {
		everyone[m] = auth.Allow(identity.Roles()...)
	}
	srv, conn := serve(t, kit, everyone)
	merged, err := auth.Merge(policy, auth.PublicPolicy())
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	authztest.CheckMatrix(r, srv, conn, kit, merged, "acme", "beta")
	if got := strings.Join(r.errors, "\n"); !strings.Contains(got, "ListRejections as accountant: <nil>, want PERMISSION_DENIED") {
		t.Errorf("CheckMatrix missed a role the guard lets through; it reported:\n%s", got)
	}
}
