package auth_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthgrpc "google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// echo is a RejectionService that answers with the principal its handler
// sees: the actor in closed_by, the tenants in note.
type echo struct {
	rejectionv1grpc.UnimplementedRejectionServiceServer
}

func (echo) ListRejections(ctx context.Context, req *rejectionv1.ListRejectionsRequest) (*rejectionv1.ListRejectionsResponse, error) {
	p, err := identity.Require(ctx)
	if err != nil {
		return nil, err
	}
	return &rejectionv1.ListRejectionsResponse{Rejections: []*rejectionv1.Rejection{{Tenant: req.GetTenant(), ClosedBy: p.Actor, Note: strings.Join(p.Tenants, ",")}}}, nil
}

func (echo) GetRejection(ctx context.Context, req *rejectionv1.GetRejectionRequest) (*rejectionv1.GetRejectionResponse, error) {
	p, err := identity.Require(ctx)
	if err != nil {
		return nil, err
	}
	return &rejectionv1.GetRejectionResponse{Rejection: &rejectionv1.Rejection{Id: req.GetId(), ClosedBy: p.Actor}}, nil
}

// testPolicy lets operators list and get; ReplayRejection has no rule.
var testPolicy = auth.Policy{
	rejectionv1grpc.RejectionService_ListRejections_FullMethodName: auth.Allow(identity.Operator, identity.PlatformAdmin),
	rejectionv1grpc.RejectionService_GetRejection_FullMethodName:   auth.Allow(identity.Operator),
}

// logBuffer is a log sink safe for the server's goroutines.
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

// serveGuarded serves echo and health behind a Guard of a until the test
// ends and returns the address and the guard's log.
func serveGuarded(t *testing.T, a auth.Authenticator, creds credentials.TransportCredentials) (string, *logBuffer) {
	t.Helper()
	policy, err := auth.Merge(testPolicy, auth.PublicPolicy())
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	g := auth.NewGuard(a, policy, slog.New(slog.NewTextHandler(logs, nil)))
	opts := []grpc.ServerOption{grpc.ChainUnaryInterceptor(g.Unary()), grpc.ChainStreamInterceptor(g.Stream())}
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	srv := grpc.NewServer(opts...)
	rejectionv1grpc.RegisterRejectionServiceServer(srv, echo{})
	healthpb.RegisterHealthServer(srv, healthgrpc.NewServer())
	if got := policy.Uncovered(srv.GetServiceInfo()); !cmp.Equal(got, []string{rejectionv1grpc.RejectionService_ReplayRejection_FullMethodName, rejectionv1grpc.RejectionService_ResolveRejection_FullMethodName}) {
		t.Errorf("Uncovered = %v, want Replay and Resolve", got)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String(), logs
}

func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestMutualTLS runs the guard behind mutual TLS with certificates of a
// DevCA: the certificate names the principal; a forged o2c-actor header
// changes nothing; tenants outside the certificate's and an empty tenant
// are refused; health needs no certificate.
func TestMutualTLS(t *testing.T) {
	t.Parallel()
	ca, err := auth.NewDevCA("o2c test CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPEM, keyPEM, err := ca.ServerCertificate("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, caFile := writeIn(t, dir, "server.pem", certPEM), writeIn(t, dir, "server-key.pem", keyPEM), writeIn(t, dir, "ca.pem", ca.CertPEM())
	s, err := (auth.Config{Mode: auth.MTLS, TLSCert: certFile, TLSKey: keyFile, ClientCA: caFile}).Server(context.Background(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	addr, logs := serveGuarded(t, s.Authenticator, s.Creds)

	client := func(p *identity.Principal, issuer *auth.DevCA) rejectionv1grpc.RejectionServiceClient {
		var cert, key []byte
		if p != nil {
			var err error
			if cert, key, err = issuer.ClientCertificate(*p); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := auth.ClientTLSConfig(cert, key, ca.CertPEM())
		if err != nil {
			t.Fatal(err)
		}
		cfg.ServerName = "localhost"
		return rejectionv1grpc.NewRejectionServiceClient(dial(t, addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg))))
	}
	olga := identity.Principal{Actor: "user:olga", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Operator}}
	shop := identity.Principal{Actor: "shop:acme", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Shop}}
	root := identity.Principal{Actor: "user:root", Tenants: []string{"*"}, Roles: []identity.Role{identity.PlatformAdmin}}
	stranger, err := auth.NewDevCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	forged := metadata.AppendToOutgoingContext(ctx, "o2c-actor", "finance:demo", "o2c-tenant", "beta", "o2c-roles", "platform-admin")

	asOlga := client(&olga, ca)
	r, err := asOlga.ListRejections(forged, &rejectionv1.ListRejectionsRequest{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	want := &rejectionv1.Rejection{Tenant: "acme", ClosedBy: "user:olga", Note: "acme"}
	if diff := cmp.Diff(want, r.GetRejections()[0], protocmp.Transform()); diff != "" {
		t.Errorf("the handler must see the certificate's principal, not the forged metadata (-want +got):\n%s", diff)
	}
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"operator, other tenant", func() error {
			_, err := asOlga.ListRejections(forged, &rejectionv1.ListRejectionsRequest{Tenant: "beta"})
			return err
		}, codes.PermissionDenied},
		{"operator, all tenants", func() error {
			_, err := asOlga.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{})
			return err
		}, codes.PermissionDenied},
		{"operator, by id", func() error {
			_, err := asOlga.GetRejection(ctx, &rejectionv1.GetRejectionRequest{Id: "x"})
			return err
		}, codes.OK},
		{"shop may not list", func() error {
			_, err := client(&shop, ca).ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "acme"})
			return err
		}, codes.PermissionDenied},
		{"platform admin, all tenants", func() error {
			_, err := client(&root, ca).ListRejections(ctx, &rejectionv1.ListRejectionsRequest{})
			return err
		}, codes.OK},
		{"platform admin, method of operators only", func() error {
			_, err := client(&root, ca).GetRejection(ctx, &rejectionv1.GetRejectionRequest{Id: "x"})
			return err
		}, codes.PermissionDenied},
		{"method without a policy", func() error {
			_, err := asOlga.ReplayRejection(ctx, &rejectionv1.ReplayRejectionRequest{Id: "x"})
			return err
		}, codes.PermissionDenied},
		{"no certificate", func() error {
			_, err := client(nil, nil).ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "acme"})
			return err
		}, codes.Unauthenticated},
		{"certificate of another CA", func() error {
			_, err := client(&olga, stranger).ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "acme"})
			return err
		}, codes.Unauthenticated}, // the client does not offer it: the server names its CAs
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := status.Code(tt.call()); got != tt.want {
				t.Errorf("code %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("health without a certificate", func(t *testing.T) {
		t.Parallel()
		cfg, err := auth.ClientTLSConfig(nil, nil, ca.CertPEM())
		if err != nil {
			t.Fatal(err)
		}
		cfg.ServerName = "localhost"
		h := healthpb.NewHealthClient(dial(t, addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg))))
		if _, err := h.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Errorf("health: %v", err)
		}
	})
	t.Run("audit of cross-tenant calls", func(t *testing.T) {
		if _, err := client(&root, ca).ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "beta"}); err != nil {
			t.Fatal(err)
		}
		if l := logs.String(); !strings.Contains(l, `msg="cross-tenant call" actor=user:root`) || !strings.Contains(l, "tenants=beta") {
			t.Errorf("cross-tenant call not logged:\n%s", l)
		}
	})
}

func writeIn(tb testing.TB, dir, name string, data []byte) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestBearerTokens runs the guard with static tokens over clear text, as a
// small installation behind a TLS-terminating proxy would.
func TestBearerTokens(t *testing.T) {
	t.Parallel()
	tok, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	data, err := auth.MarshalTokenFile(map[string]identity.Principal{tok: {Actor: "user:olga", Tenants: []string{"acme", "beta"}, Roles: []identity.Role{identity.Operator}}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.ParseTokenFile("tokens.json", data)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := serveGuarded(t, a, nil)
	ctx := context.Background()
	c := rejectionv1grpc.NewRejectionServiceClient(dial(t, addr, grpc.WithTransportCredentials(insecure.NewCredentials()), auth.WithBearer(tok, true)))
	for _, tenant := range []string{"acme", "beta"} {
		if _, err := c.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: tenant}); err != nil {
			t.Errorf("tenant %s: %v", tenant, err)
		}
	}
	if _, err := c.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "gamma"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("tenant gamma: %v, want PERMISSION_DENIED", err)
	}
	bare := rejectionv1grpc.NewRejectionServiceClient(dial(t, addr, grpc.WithTransportCredentials(insecure.NewCredentials())))
	if _, err := bare.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "acme"}, auth.BearerCall("o2c_guess", true)); status.Code(err) != codes.Unauthenticated {
		t.Errorf("unknown token: %v, want UNAUTHENTICATED", err)
	}
	// Without allowClearText gRPC refuses to send a token in clear text.
	if conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()), auth.WithBearer(tok, false)); err == nil {
		conn.Close()
		t.Error("a connection without TLS accepted a token that requires it")
	}
	if _, err := bare.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "acme"}, auth.BearerCall(tok, false)); status.Code(err) != codes.Unauthenticated {
		t.Errorf("token that requires TLS on a clear-text call: %v, want UNAUTHENTICATED from the client", err)
	}
}

func TestTenantsOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		msg        proto.Message
		want       []string
		wantScoped bool
	}{
		{"own field", &rejectionv1.ListRejectionsRequest{Tenant: "acme"}, []string{"acme"}, true},
		{"own field, empty", &rejectionv1.ListRejectionsRequest{}, []string{""}, true},
		{"by id", &rejectionv1.GetRejectionRequest{Id: "x"}, nil, false},
		{"wrapped command", &ledgerv1.ClosePeriodRequest{Command: &ledgerv1.ClosePeriod{Tenant: "beta"}}, []string{"beta"}, true},
		{"wrapped command missing", &ledgerv1.ClosePeriodRequest{}, []string{""}, true},
	}
	for _, tt := range tests {
		got, scoped := auth.TenantsOf(tt.msg)
		if scoped != tt.wantScoped || !cmp.Equal(got, tt.want) {
			t.Errorf("%s: TenantsOf = %q, %v; want %q, %v", tt.name, got, scoped, tt.want, tt.wantScoped)
		}
	}
}
