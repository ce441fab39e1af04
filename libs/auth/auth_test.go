package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/fault/faulttest"
	"github.com/o2c-platform/o2c/libs/identity"
)

func TestErrorsClassifyEverySentinel(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", auth.Errors)
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr error
		want    []string
	}{
		{"nothing", nil, auth.ErrNoAuth, []string{"set O2C_AUTH to mtls, jwt or tokens"}},
		{"unknown mode", map[string]string{"O2C_AUTH": "ldap"}, auth.ErrNoAuth, []string{`O2C_AUTH="ldap"`}},
		{"mtls without files", map[string]string{"O2C_AUTH": "mtls"}, auth.ErrNoAuth, []string{"O2C_TLS_CERT", "O2C_TLS_KEY", "O2C_TLS_CLIENT_CA"}},
		{"jwt without keys", map[string]string{"O2C_AUTH": "jwt"}, auth.ErrNoAuth, []string{"O2C_JWT_JWKS"}},
		{"tokens without file", map[string]string{"O2C_AUTH": "tokens"}, auth.ErrNoAuth, []string{"O2C_AUTH_TOKENS"}},
		{"cert without key", map[string]string{"O2C_AUTH": "tokens", "O2C_AUTH_TOKENS": "t.json", "O2C_TLS_CERT": "c.pem"}, auth.ErrNoAuth, []string{"go together"}},
		{"bad refresh", map[string]string{"O2C_AUTH": "jwt", "O2C_JWT_JWKS": "k.json", "O2C_JWT_JWKS_REFRESH": "often"}, nil, []string{"O2C_JWT_JWKS_REFRESH"}},
		{"dev in production", map[string]string{"O2C_AUTH": "dev", "O2C_ENV": "production"}, auth.ErrDevInProduction, []string{"refused with O2C_ENV=production"}},
		{"dev", map[string]string{"O2C_AUTH": "dev", "O2C_ENV": "staging"}, nil, nil},
		{"jwt", map[string]string{"O2C_AUTH": "jwt", "O2C_JWT_JWKS": "https://idp.example/jwks.json", "O2C_JWT_ISSUER": "https://idp.example"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := auth.ConfigFromEnv(func(k string) string { return tt.env[k] })
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("ConfigFromEnv = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("ConfigFromEnv succeeded")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestDevRefusedInProduction checks that a configuration built by hand
// (not from the environment) cannot turn on development mode in
// production either, and that development mode is logged at start.
func TestDevRefusedInProduction(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := (auth.Config{Mode: auth.Dev, Production: true}).Server(context.Background(), log); !errors.Is(err, auth.ErrDevInProduction) {
		t.Errorf("dev in production: %v, want ErrDevInProduction", err)
	}
	production := map[string]string{"O2C_ENV": "production"}
	if _, err := auth.DevConfig(func(k string) string { return production[k] }).Server(context.Background(), log); !errors.Is(err, auth.ErrDevInProduction) {
		t.Errorf("DevConfig with O2C_ENV=production: %v, want ErrDevInProduction", err)
	}
	s, err := auth.DevConfig(func(string) string { return "" }).Server(context.Background(), log)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Authenticator.Authenticate(context.Background())
	if err != nil || !p.CrossTenant() {
		t.Errorf("dev principal = %v, %v; want a cross-tenant one", p, err)
	}
	if !strings.Contains(logs.String(), "DEVELOPMENT MODE") {
		t.Errorf("development mode not logged; log:\n%s", logs.String())
	}
}

func TestServerRefusesUnusableFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  auth.Config
	}{
		{"mtls, missing files", auth.Config{Mode: auth.MTLS, TLSCert: dir + "/c.pem", TLSKey: dir + "/k.pem", ClientCA: dir + "/ca.pem"}},
		{"tokens, missing file", auth.Config{Mode: auth.Tokens, TokensFile: dir + "/tokens.json"}},
		{"jwt, missing file", auth.Config{Mode: auth.JWT, JWKS: dir + "/jwks.json"}},
		{"jwt, http URL", auth.Config{Mode: auth.JWT, JWKS: "http://idp.example/jwks.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tt.cfg.Server(context.Background(), slog.New(slog.DiscardHandler)); !errors.Is(err, auth.ErrBadConfig) {
				t.Errorf("Server() = %v, want ErrBadConfig", err)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	a := auth.Policy{"/s/A": auth.Allow(identity.Operator)}
	if _, err := auth.Merge(a, auth.Policy{"/s/A": auth.Allow(identity.Shop)}); !errors.Is(err, auth.ErrBadPolicy) {
		t.Errorf("duplicate method: %v, want ErrBadPolicy", err)
	}
	if _, err := auth.Merge(a, auth.Policy{"/s/B": {}}); !errors.Is(err, auth.ErrBadPolicy) {
		t.Errorf("empty rule: %v, want ErrBadPolicy", err)
	}
	p, err := auth.Merge(a, auth.PublicPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if !p["/grpc.health.v1.Health/Check"].Public || p["/s/A"].Public {
		t.Errorf("merged policy %v: health must be public, /s/A not", p)
	}
}
