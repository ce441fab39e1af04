package web

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeIdP is an OpenID provider: discovery, JWKS, and a token endpoint
// that checks the code and the PKCE verifier against the challenge of the
// authorization request the test hands it.
type fakeIdP struct {
	srv       *httptest.Server
	key       ed25519.PrivateKey
	mu        sync.Mutex
	challenge string
	nonce     string
}

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeIdP{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize",
			"token_endpoint": p.srv.URL + "/token", "jwks_uri": p.srv.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "k1",
			"x": base64.RawURLEncoding.EncodeToString(key.Public().(ed25519.PublicKey))}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if r.PostFormValue("code") != "code-1" || base64.RawURLEncoding.EncodeToString(sum[:]) != p.challenge {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		now := time.Now()
		sign := func(c jwt.MapClaims) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
			tok.Header["kid"] = "k1"
			s, err := tok.SignedString(key)
			if err != nil {
				t.Error(err)
			}
			return s
		}
		access := sign(jwt.MapClaims{"iss": p.srv.URL, "aud": "o2c", "sub": "user:anna", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
			"o2c_tenants": []string{"acme"}, "o2c_roles": []string{"customer-service"}})
		id := sign(jwt.MapClaims{"iss": p.srv.URL, "aud": "console", "sub": "anna", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nonce": p.nonce})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": id})
	})
	p.srv = httptest.NewTLSServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// TestOIDCSignIn signs in through the authorization-code flow with PKCE:
// the console sends the browser to the provider with a challenge, state
// and nonce, exchanges the code with the verifier, verifies the tokens
// with the provider's JWKS and starts a session for the access token's
// principal. A callback with another state is refused.
func TestOIDCSignIn(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	oidc, err := NewOIDCLogin(t.Context(), OIDCOptions{Issuer: idp.srv.URL, ClientID: "console", ClientSecret: "s3cret", Audience: "o2c",
		HTTPClient: idp.srv.Client(), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Sessions: NewMemorySessions(), Login: oidc, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := client(t)

	start := func() url.Values {
		r, err := c.Get(ts.URL + "/login?start=1&next=/reports")
		if err != nil {
			t.Fatal(err)
		}
		body(t, r)
		to, err := url.Parse(r.Header.Get("Location"))
		if err != nil || r.StatusCode != http.StatusFound || !strings.HasPrefix(to.String(), idp.srv.URL+"/authorize") {
			t.Fatalf("start: %d to %q, want a redirect to the provider", r.StatusCode, r.Header.Get("Location"))
		}
		q := to.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("state") == "" || q.Get("nonce") == "" || q.Get("client_id") != "console" {
			t.Fatalf("authorization request %v lacks PKCE, state, nonce or client id", q)
		}
		idp.mu.Lock()
		idp.challenge, idp.nonce = q.Get("code_challenge"), q.Get("nonce")
		idp.mu.Unlock()
		return q
	}
	callback := func(state string) *http.Response {
		r, err := c.Get(ts.URL + "/auth/callback?code=code-1&state=" + url.QueryEscape(state))
		if err != nil {
			t.Fatal(err)
		}
		body(t, r)
		return r
	}

	start()
	if r := callback("forged"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("callback with another state: %d, want 401", r.StatusCode)
	}
	q := start()
	r := callback(q.Get("state"))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/reports" {
		t.Fatalf("callback: %d to %q, want a redirect to /reports", r.StatusCode, r.Header.Get("Location"))
	}
	r, err = c.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	if page := body(t, r); r.StatusCode != http.StatusOK || !strings.Contains(page, "user:anna") {
		t.Errorf("signed in through OIDC: GET / = %d without user:anna", r.StatusCode)
	}
	// The console has no passwords with OIDC.
	if got := login(t, client(t), ts.URL, "cs", "demo"); got != http.StatusUnauthorized {
		t.Errorf("password login with OIDC configured: %d, want 401", got)
	}
}
