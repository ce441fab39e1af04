package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

// testRSAKey is one RSA key for the whole package (generating one is slow).
func testRSAKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	rsaKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkOf is the public JWK of key under kid.
func jwkOf(tb testing.TB, kid, alg string, key crypto.Signer) map[string]string {
	tb.Helper()
	m := map[string]string{"kid": kid, "use": "sig"}
	if alg != "" {
		m["alg"] = alg
	}
	switch k := key.Public().(type) {
	case *rsa.PublicKey:
		m["kty"], m["n"], m["e"] = "RSA", b64(k.N.Bytes()), b64(big.NewInt(int64(k.E)).Bytes())
	case *ecdsa.PublicKey:
		raw, err := k.Bytes()
		if err != nil {
			tb.Fatal(err)
		}
		size := (len(raw) - 1) / 2
		m["kty"], m["crv"], m["x"], m["y"] = "EC", k.Curve.Params().Name, b64(raw[1:1+size]), b64(raw[1+size:])
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64(k)
	default:
		tb.Fatalf("key type %T", k)
	}
	return m
}

func jwks(tb testing.TB, keys ...map[string]string) []byte {
	tb.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sign makes a JWT with claims signed by key under method and kid.
func sign(tb testing.TB, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	tb.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func writeFile(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestJWTVerify(t *testing.T) {
	t.Parallel()
	rsaK := testRSAKey(t)
	ecK, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edK, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	path := writeFile(t, "jwks.json", jwks(t, jwkOf(t, "rsa-1", "RS256", rsaK), jwkOf(t, "ec-1", "", ecK), jwkOf(t, "ed-1", "EdDSA", edK)))
	v, err := auth.NewJWTVerifier(context.Background(), auth.JWTOptions{JWKS: path, Issuer: "https://idp.example", Audience: "o2c",
		Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "user:anna", "o2c_tenants": []string{"acme"}, "o2c_roles": []string{"accountant"},
			"iss": "https://idp.example", "aud": []string{"o2c", "console"}, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	}
	with := func(k string, val any) jwt.MapClaims {
		c := good()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	anna := identity.Principal{Actor: "user:anna", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Accountant}, Via: "jwt"}
	tests := []struct {
		name  string
		token string
		want  string // "" for a valid token, else a fragment of the error
	}{
		{"RS256", sign(t, jwt.SigningMethodRS256, "rsa-1", rsaK, good()), ""},
		{"ES256", sign(t, jwt.SigningMethodES256, "ec-1", ecK, good()), ""},
		{"EdDSA", sign(t, jwt.SigningMethodEdDSA, "ed-1", edK, good()), ""},
		{"expired", sign(t, jwt.SigningMethodES256, "ec-1", ecK, with("exp", now.Add(-2*time.Minute).Unix())), "expired"},
		{"within the leeway", sign(t, jwt.SigningMethodES256, "ec-1", ecK, with("exp", now.Add(-30*time.Second).Unix())), ""},
		{"no exp", sign(t, jwt.SigningMethodES256, "ec-1", ecK, with("exp", nil)), "exp"},
		{"not yet valid", sign(t, jwt.SigningMethodES256, "ec-1", ecK, with("nbf", now.Add(time.Hour).Unix())), "not valid yet"},
		{"other issuer", sign(t, jwt.SigningMethodES256, "ec-1", ecK, with("iss", "https://evil.example")), "issuer"},
		{"other audience", sign(t, jwt.SigningMethodES256, "ec-1", ecK, with("aud", "billing")), "audience"},
		{"unknown key id", sign(t, jwt.SigningMethodES256, "ec-2", other, good()), `no key "ec-2"`},
		{"signed by another key", sign(t, jwt.SigningMethodES256, "ec-1", other, good()), "signature"},
		{"no kid, three keys", sign(t, jwt.SigningMethodES256, "", ecK, good()), "names no key id"},
		{"alg other than the key's", sign(t, jwt.SigningMethodPS256, "rsa-1", rsaK, good()), "is for RS256"},
		// The classic confusion: the RSA public key used as an HMAC secret.
		{"HS256 with the public key", sign(t, jwt.SigningMethodHS256, "rsa-1", rsaK.PublicKey.N.Bytes(), good()), "signing method HS256 is invalid"},
		{"none", func() string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodNone, good()).SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}(), "signing method none is invalid"},
		{"star for an accountant", sign(t, jwt.SigningMethodES256, "ec-1", ecK, with("o2c_tenants", []string{"*"})), `"*" is only for the platform-admin role`},
		{"no subject", sign(t, jwt.SigningMethodES256, "ec-1", ecK, with("sub", nil)), "no actor"},
		{"unknown role", sign(t, jwt.SigningMethodES256, "ec-1", ecK, with("o2c_roles", []string{"god"})), `unknown role "god"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Authenticate(bearerContext("Bearer " + tt.token))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Authenticate = %v", err)
				}
				if diff := cmp.Diff(anna, got); diff != "" {
					t.Errorf("principal (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, auth.ErrBadCredentials) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Authenticate = %v, want ErrBadCredentials with %q", err, tt.want)
			}
		})
	}
}

// TestJWKSURL checks that a JWKS URL is fetched at start, again when a
// token names a key id it has not seen (a rotated key) but not more often
// than every ten seconds, and again when it is due; and that a failed
// refresh keeps the keys read before.
func TestJWKSURL(t *testing.T) {
	t.Parallel()
	k1, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	set := jwks(t, jwkOf(t, "k1", "ES256", k1))
	var fetches atomic.Int32
	var fail atomic.Bool
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		_, _ = w.Write(set)
	}))
	t.Cleanup(srv.Close)

	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).Unix())
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	v, err := auth.NewJWTVerifier(context.Background(), auth.JWTOptions{JWKS: srv.URL + "/jwks.json", Refresh: time.Hour,
		HTTPClient: srv.Client(), Now: now, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	claims := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "service:matching", "o2c_tenants": []string{"acme"}, "o2c_roles": []string{"service"}, "exp": now().Add(time.Hour).Unix()}
	}
	verify := func(tok string) error {
		_, err := v.Verify(context.Background(), tok)
		return err
	}
	if err := verify(sign(t, jwt.SigningMethodES256, "k1", k1, claims())); err != nil {
		t.Fatalf("k1: %v", err)
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d fetches after start and one token, want 1", n)
	}
	// The identity provider rotates to k2; a token with k2 arrives within
	// ten seconds of the last fetch: refused without a fetch.
	mu.Lock()
	set = jwks(t, jwkOf(t, "k1", "ES256", k1), jwkOf(t, "k2", "ES384", k2))
	mu.Unlock()
	tok2 := sign(t, jwt.SigningMethodES384, "k2", k2, claims())
	clock.Add(5)
	if err := verify(tok2); err == nil || fetches.Load() != 1 {
		t.Fatalf("k2 five seconds after the fetch: %v, %d fetches; want refused without a fetch", err, fetches.Load())
	}
	clock.Add(10)
	if err := verify(tok2); err != nil || fetches.Load() != 2 {
		t.Fatalf("k2 later: %v, %d fetches; want accepted after one more fetch", err, fetches.Load())
	}
	// Due for a refresh while the provider is down: the keys stay.
	fail.Store(true)
	clock.Add(int64(2 * time.Hour / time.Second))
	if err := verify(sign(t, jwt.SigningMethodES256, "k1", k1, claims())); err != nil || fetches.Load() != 3 {
		t.Fatalf("refresh failed: %v, %d fetches; want k1 still accepted after one fetch", err, fetches.Load())
	}
	if _, err := auth.NewJWTVerifier(context.Background(), auth.JWTOptions{JWKS: srv.URL + "/jwks.json", HTTPClient: srv.Client()}); !errors.Is(err, auth.ErrBadConfig) {
		t.Errorf("start while the provider is down: %v, want ErrBadConfig", err)
	}
}

func TestJWKSRefused(t *testing.T) {
	t.Parallel()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	twisted := jwkOf(t, "bad", "", ec)
	twisted["y"] = twisted["x"]
	tests := []struct {
		name, set, want string
	}{
		{"no keys", `{"keys": []}`, "no usable signing key"},
		{"only symmetric", `{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}`, "no usable signing key"},
		{"only encryption", string(jwks(t, map[string]string{"kty": "EC", "use": "enc", "crv": "P-256", "x": "AA", "y": "AA"})), "no usable signing key"},
		{"small RSA", string(jwks(t, jwkOf(t, "small", "", small))), "1024 bits"},
		{"point off the curve", string(jwks(t, twisted)), "P-256 point"},
		{"same kid twice", string(jwks(t, jwkOf(t, "a", "", ec), jwkOf(t, "a", "", ec))), `"a" appears twice`},
		{"not JSON", `keys`, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := auth.NewJWTVerifier(context.Background(), auth.JWTOptions{JWKS: writeFile(t, "jwks.json", []byte(tt.set))})
			if !errors.Is(err, auth.ErrBadConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewJWTVerifier = %v, want ErrBadConfig with %q", err, tt.want)
			}
		})
	}
}
