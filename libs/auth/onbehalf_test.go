package auth_test

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// TestMutualTLSWithForwardedTokens runs the guard behind mutual TLS with a
// JWKS: a client admitted by its certificate that forwards a user's JWT
// acts as the user; without a token it is its certificate; a bad token is
// refused, and a token without a client certificate is refused.
func TestMutualTLSWithForwardedTokens(t *testing.T) {
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
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	jwksFile := writeIn(t, dir, "jwks.json", jwks(t, jwkOf(t, "k1", "EdDSA", key)))
	cfg := auth.Config{Mode: auth.MTLS, TLSCert: writeIn(t, dir, "server.pem", certPEM), TLSKey: writeIn(t, dir, "server-key.pem", keyPEM),
		ClientCA: writeIn(t, dir, "ca.pem", ca.CertPEM()), JWKS: jwksFile, Issuer: "test-idp"}
	s, err := cfg.Server(context.Background(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := serveGuarded(t, s.Authenticator, s.Creds)

	client := func(p *identity.Principal) rejectionv1grpc.RejectionServiceClient {
		var cert, key []byte
		if p != nil {
			if cert, key, err = ca.ClientCertificate(*p); err != nil {
				t.Fatal(err)
			}
		}
		tc, err := auth.ClientTLSConfig(cert, key, ca.CertPEM())
		if err != nil {
			t.Fatal(err)
		}
		tc.ServerName = "localhost"
		return rejectionv1grpc.NewRejectionServiceClient(dial(t, addr, grpc.WithTransportCredentials(credentials.NewTLS(tc))))
	}
	console := identity.Principal{Actor: "service:console", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Operator}}
	now := time.Now()
	token := func(iss string) string {
		return sign(t, jwt.SigningMethodEdDSA, "k1", key, jwt.MapClaims{"sub": "user:olga", "iss": iss, "exp": now.Add(time.Hour).Unix(),
			"o2c_tenants": []string{"acme"}, "o2c_roles": []string{"operator"}})
	}
	ctx := context.Background()
	tests := []struct {
		name      string
		client    rejectionv1grpc.RejectionServiceClient
		token     string
		wantActor string
		wantCode  codes.Code
	}{
		{"certificate and user token", client(&console), token("test-idp"), "user:olga", codes.OK},
		{"certificate alone", client(&console), "", "service:console", codes.OK},
		{"token of another issuer", client(&console), token("elsewhere"), "", codes.Unauthenticated},
		{"token without certificate", client(nil), token("test-idp"), "", codes.Unauthenticated},
	}
	for _, tt := range tests {
		var opts []grpc.CallOption
		if tt.token != "" {
			opts = append(opts, auth.BearerCall(tt.token, false))
		}
		r, err := tt.client.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "acme"}, opts...)
		if status.Code(err) != tt.wantCode {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.wantCode)
			continue
		}
		if err == nil && r.GetRejections()[0].GetClosedBy() != tt.wantActor {
			t.Errorf("%s: the handler saw %q, want %q", tt.name, r.GetRejections()[0].GetClosedBy(), tt.wantActor)
		}
	}
}
