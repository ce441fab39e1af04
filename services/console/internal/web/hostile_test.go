package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLoginFormRefusesHostileInput posts the sign-in form with what an
// attacker or a careless browser sends: pages to return to that lead off
// the console, markup in the fields the page shows again, NUL bytes and
// control characters, a user name of a megabyte and a body above the form
// limit. None signs anyone in with a wrong password, none leads off the
// console, none puts the markup on the page unescaped, and none fails
// the server.
func TestLoginFormRefusesHostileInput(t *testing.T) {
	t.Parallel()
	ts, _ := newTestServer(t)
	for _, next := range []string{"https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
		"http:/evil.example", "", "%2F%2Fevil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example"} {
		c := client(t)
		r, err := c.PostForm(ts.URL+"/login", url.Values{"user": {"cs"}, "password": {"demo"}, "next": {next}})
		if err != nil {
			t.Fatalf("next %q: %v", next, err)
		}
		body(t, r)
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("next %q: %d to %q, want 303 to /", next, r.StatusCode, loc)
		}
	}
	markup := `"><script>alert(1)</script>`
	r, err := client(t).Get(ts.URL + "/login?user=" + url.QueryEscape(markup) + "&next=" + url.QueryEscape("/"+markup))
	if err != nil {
		t.Fatal(err)
	}
	if page := body(t, r); strings.Contains(page, "<script>alert(1)") {
		t.Errorf("the login page shows the markup of ?user= or ?next= unescaped")
	}
	for _, tt := range []struct {
		name           string
		user, password string
	}{
		{"NUL in the user", "cs\x00", "demo"},
		{"NUL in the password", "cs", "demo\x00"},
		{"control characters", "\x1b[2Jcs", "demo"},
		{"a megabyte of user", strings.Repeat("u", 1<<20), "demo"},
		{"invalid UTF-8", "cs\xff", "demo"},
	} {
		if got := login(t, client(t), ts.URL, tt.user, tt.password); got != http.StatusUnauthorized {
			t.Errorf("%s: sign-in answered %d, want 401", tt.name, got)
		}
	}
	// A body above net/http's 10 MB form limit is refused, not read.
	big := strings.NewReader("user=cs&password=demo&next=%2F&pad=" + strings.Repeat("x", 11<<20))
	r, err = client(t).Post(ts.URL+"/login", "application/x-www-form-urlencoded", big)
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if r.StatusCode < 400 || r.StatusCode >= 500 {
		t.Errorf("an 11 MB form: %d, want a 4xx refusal", r.StatusCode)
	}
}
