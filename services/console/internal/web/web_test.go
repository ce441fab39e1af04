package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/console/internal/web/i18n"
)

// newTestServer serves a console without backends, with the demo users of
// tenant "demo" and a fixed clock.
func newTestServer(tb testing.TB) (*httptest.Server, *DevLogin) { return newTestServerWith(tb, nil) }

// newTestServerWith is newTestServer with the Server changed by set (a
// test's fake backend client) before it serves.
func newTestServerWith(tb testing.TB, set func(*Server)) (*httptest.Server, *DevLogin) {
	tb.Helper()
	dl, err := NewDevLogin(DemoUsers("demo"), nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(Options{Sessions: NewMemorySessions(), Login: dl, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	if set != nil {
		set(s)
	}
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	return ts, dl
}

// client returns an HTTP client with a cookie jar that does not follow
// redirects.
func client(tb testing.TB) *http.Client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// body reads and closes a response's body.
func body(tb testing.TB, r *http.Response) string {
	tb.Helper()
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// login signs c in as user with password and returns the status.
func login(tb testing.TB, c *http.Client, base, user, password string) int {
	tb.Helper()
	r, err := c.PostForm(base+"/login", url.Values{"user": {user}, "password": {password}, "next": {"/"}})
	if err != nil {
		tb.Fatal(err)
	}
	body(tb, r)
	return r.StatusCode
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	ts, _ := newTestServer(t)
	c := client(t)
	r, err := c.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("signed out: GET / = %d to %q, want the login page", r.StatusCode, r.Header.Get("Location"))
	}
	if got := login(t, c, ts.URL, "cs", "wrong"); got != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", got)
	}
	if got := login(t, c, ts.URL, "cs", "demo"); got != http.StatusSeeOther {
		t.Fatalf("cs/demo: %d, want a redirect", got)
	}
	r, err = c.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, r)
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "user:cs") {
		t.Fatalf("signed in: GET / = %d, page without the actor:\n%s", r.StatusCode, page)
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page has no CSRF field")
	}
	// Signing out without the token is refused; with it, the session ends.
	r, err = c.PostForm(ts.URL+"/logout", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("logout without CSRF token: %d, want 403", r.StatusCode)
	}
	r, err = c.PostForm(ts.URL+"/logout", url.Values{"csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	r, err = c.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if r.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: GET / = %d, want a redirect to the login", r.StatusCode)
	}
}

func TestPostWithoutCSRFTokenIsRefused(t *testing.T) {
	t.Parallel()
	ts, _ := newTestServer(t)
	c := client(t)
	if got := login(t, c, ts.URL, "admin", "demo"); got != http.StatusSeeOther {
		t.Fatalf("login: %d", got)
	}
	for _, form := range []url.Values{{}, {"csrf": {"forged"}}} {
		r, err := c.PostForm(ts.URL+"/debtors/K-1/blocks", form)
		if err != nil {
			t.Fatal(err)
		}
		body(t, r)
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("POST with csrf %q: %d, want 403", form.Get("csrf"), r.StatusCode)
		}
	}
	// A cross-site POST is refused before the token is looked at.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/debtors/K-1/blocks", strings.NewReader("csrf=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", r.StatusCode)
	}
}

func TestDevTokensVerifyWithTheJWKS(t *testing.T) {
	t.Parallel()
	dl, err := NewDevLogin(DemoUsers("demo"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	jwks := t.TempDir() + "/jwks.json"
	if err := writeFile(jwks, dl.JWKS()); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewJWTVerifier(t.Context(), auth.JWTOptions{JWKS: jwks, Issuer: DevIssuer, Audience: DevAudience})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range DemoUsers("demo") {
		g, err := dl.Password(t.Context(), u.Name, u.Password)
		if err != nil {
			t.Fatalf("%s: %v", u.Name, err)
		}
		p, err := v.Verify(t.Context(), g.Token)
		if err != nil {
			t.Fatalf("%s's token: %v", u.Name, err)
		}
		p.Via = ""
		want := u.Principal()
		want.Via = ""
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("%s's token describes (-want +got):\n%s", u.Name, diff)
		}
	}
	if _, err := dl.Password(t.Context(), "viewer", "wrong"); err == nil {
		t.Error("a wrong password minted a token")
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang     string
		minor    int64
		currency string
		want     string
	}{
		{"de", 123456, "EUR", "1.234,56\u00a0€"},
		{"en", 123456, "EUR", "€1,234.56"},
		{"de", -5, "EUR", "-0,05\u00a0€"},
		{"en", -100000000, "EUR", "-€1,000,000.00"},
		{"de", 1500, "JPY", "1.500\u00a0JPY"},
		{"en", 0, "GBP", "£0.00"},
	}
	for _, tt := range tests {
		if got := formatAmount(tt.lang, tt.minor, tt.currency); got != tt.want {
			t.Errorf("formatAmount(%s, %d, %s) = %q, want %q", tt.lang, tt.minor, tt.currency, got, tt.want)
		}
	}
	d := time.Date(2026, 11, 18, 9, 5, 0, 0, time.UTC)
	for lang, want := range map[string]string{"de": "18.11.2026", "en": "18/11/2026"} {
		if got := formatDate(lang, d); got != want {
			t.Errorf("formatDate(%s) = %q, want %q", lang, got, want)
		}
	}
}

func TestLanguageFollowsTheBrowserAndTheSwitch(t *testing.T) {
	t.Parallel()
	ts, _ := newTestServer(t)
	c := client(t)
	get := func(lang string) string {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/login", nil)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return body(t, r)
	}
	if p := get("en-GB,en;q=0.9"); !strings.Contains(p, "Sign in") {
		t.Error("Accept-Language en-GB: the login page is not in English")
	}
	if p := get("de-DE"); !strings.Contains(p, "Anmelden") {
		t.Error("Accept-Language de-DE: the login page is not in German")
	}
	r, err := c.Get(ts.URL + "/lang?l=de&next=/login")
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if p := get("en-GB"); !strings.Contains(p, "Anmelden") {
		t.Error("after switching to German, Accept-Language en-GB still wins")
	}
}

func TestEveryRoleHasALabel(t *testing.T) {
	t.Parallel()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range identity.Roles() {
		if !cat.Has("role." + string(r)) {
			t.Errorf("role %s has no label in the catalogues", r)
		}
	}
}

// writeFile writes data to name.
func writeFile(name string, data []byte) error { return os.WriteFile(name, data, 0o600) }

// loadCatalog loads the embedded catalogues.
func loadCatalog() (*i18n.Catalog, error) { return i18n.Load() }

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for next, want := range map[string]string{
		"": "/", "/": "/", "/debtors/K-1?op=2": "/debtors/K-1?op=2", "//evil.example": "/", "/\\evil.example": "/",
		"/\t/evil.example": "/", "/\n/evil.example": "/", "https://evil.example/": "/", "evil.example": "/", "javascript:alert(1)": "/",
		"/%2F/evil.example": "/%2F/evil.example",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestSwitchTenant: a user of two tenants switches between them; a tenant
// not its own is refused.
func TestSwitchTenant(t *testing.T) {
	t.Parallel()
	users := []DevUser{{Name: "multi", Password: "pw", Roles: []identity.Role{identity.Viewer}, Tenants: []string{"acme", "beta"}}}
	dl, err := NewDevLogin(users, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Sessions: NewMemorySessions(), Login: dl, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := client(t)
	if got := login(t, c, ts.URL, "multi", "pw"); got != http.StatusSeeOther {
		t.Fatalf("login: %d", got)
	}
	r, err := c.Get(ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	r, err = c.Get(ts.URL + "/?q=")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, r)
	m := csrfField.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `<option value="acme" selected>`) {
		t.Fatalf("the page offers no tenant switch with acme selected:\n%s", page)
	}
	for tenant, want := range map[string]int{"beta": http.StatusSeeOther, "gamma": http.StatusBadRequest} {
		r, err := c.PostForm(ts.URL+"/tenant", url.Values{"csrf": {m[1]}, "tenant": {tenant}, "next": {"/"}})
		if err != nil {
			t.Fatal(err)
		}
		body(t, r)
		if r.StatusCode != want {
			t.Errorf("switch to %s: %d, want %d", tenant, r.StatusCode, want)
		}
	}
	r, err = c.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	if page := body(t, r); !strings.Contains(page, `<option value="beta" selected>`) {
		t.Error("after switching, beta is not the tenant")
	}
}
