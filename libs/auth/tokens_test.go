package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/metadata"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// bearerContext is an incoming call's context with authorization values.
func bearerContext(values ...string) context.Context {
	md := metadata.MD{}
	for _, v := range values {
		md.Append("authorization", v)
	}
	return metadata.NewIncomingContext(context.Background(), md)
}

func TestTokenFile(t *testing.T) {
	t.Parallel()
	shopToken, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	adminToken, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if shopToken == adminToken || !strings.HasPrefix(shopToken, auth.TokenPrefix) {
		t.Fatalf("tokens %q, %q: want two different ones starting with %s", shopToken, adminToken, auth.TokenPrefix)
	}
	shop := identity.Principal{Actor: "shop:acme", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Shop}}
	admin := identity.Principal{Actor: "user:root", Tenants: []string{"*"}, Roles: []identity.Role{identity.PlatformAdmin}}
	path := filepath.Join(t.TempDir(), "tokens.json")
	if err := auth.WriteTokenFile(path, map[string]identity.Principal{shopToken: shop, adminToken: admin}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), shopToken) || !strings.Contains(string(data), auth.HashToken(shopToken)) {
		t.Fatalf("the tokens file must hold hashes, never tokens:\n%s", data)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("tokens file mode %v, %v; want 0600", fi.Mode(), err)
	}
	a, err := auth.LoadTokenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ctx     context.Context
		want    identity.Principal
		wantErr error
	}{
		{"shop", bearerContext("Bearer " + shopToken), shop, nil},
		{"admin, scheme in lower case", bearerContext("bearer " + adminToken), admin, nil},
		{"unknown token", bearerContext("Bearer o2c_nope"), identity.Principal{}, auth.ErrBadCredentials},
		{"the hash is no token", bearerContext("Bearer " + auth.HashToken(shopToken)), identity.Principal{}, auth.ErrBadCredentials},
		{"basic", bearerContext("Basic dXNlcjpwYXNz"), identity.Principal{}, auth.ErrBadCredentials},
		{"two values", bearerContext("Bearer "+shopToken, "Bearer "+adminToken), identity.Principal{}, auth.ErrBadCredentials},
		{"nothing", context.Background(), identity.Principal{}, auth.ErrNoCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := a.Authenticate(tt.ctx)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Authenticate = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				tt.want.Via = "token"
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("principal (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestParseTokenFileRefuses(t *testing.T) {
	t.Parallel()
	hash := auth.HashToken("o2c_secret")
	tests := []struct {
		name string
		file string
		want []string
		not  string // must not appear: a secret pasted by mistake
	}{
		{"a token instead of its hash", `{"tokens": {"o2c_AAAAbbbbCCCCdddd": {"actor": "a", "tenants": ["acme"], "roles": ["shop"]}}}`,
			[]string{`key "o2c_AAAA…" is not the lowercase hex SHA-256`}, "o2c_AAAAbbbbCCCCdddd"},
		{"upper-case hash", `{"tokens": {"` + strings.ToUpper(hash) + `": {"actor": "a", "tenants": ["acme"], "roles": ["shop"]}}}`,
			[]string{"lowercase hex"}, ""},
		{"star for an operator", `{"tokens": {"` + hash + `": {"actor": "a", "tenants": ["*"], "roles": ["operator"]}}}`,
			[]string{"token " + hash[:12], `"*" is only for the platform-admin role`}, ""},
		{"unknown role", `{"tokens": {"` + hash + `": {"actor": "a", "tenants": ["acme"], "roles": ["root"]}}}`,
			[]string{`unknown role "root"`}, ""},
		{"unknown field", `{"tokens": {"` + hash + `": {"actor": "a", "tenant": "acme", "roles": ["shop"]}}}`,
			[]string{`unknown field "tenant"`}, ""},
		{"empty", `{"tokens": {}}`, []string{"lists no tokens"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := auth.ParseTokenFile("tokens.json", []byte(tt.file))
			if !errors.Is(err, auth.ErrBadConfig) {
				t.Fatalf("ParseTokenFile = %v, want ErrBadConfig", err)
			}
			for _, w := range append(tt.want, "tokens.json") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.not != "" && strings.Contains(err.Error(), tt.not) {
				t.Errorf("error %q repeats the secret", err)
			}
		})
	}
}
