package tenant

import (
	"regexp"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"acme", true},
		{"acme-2", true},
		{"a", true},
		{"0", true},
		{"a-b-c", true},
		{strings.Repeat("a", MaxLen), true},
		{strings.Repeat("a", MaxLen+1), false},
		{"", false},
		{"-acme", false},
		{"acme-", false},
		{"-", false},
		{"acme--2", false},
		{"Acme", false},
		{"acme.2", false},
		{"acme*", false},
		{"acme>", false},
		{"ac me", false},
		{"acme_2", false},
		{"äcme", false},
	}
	for _, tt := range tests {
		if got := Valid(tt.in); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFromSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		subject string
		want    string
		wantOK  bool
	}{
		{"shop.acme.invoice.issued", "acme", true},
		{"o2c.acme-2.ingestion.invoice.ingested", "acme-2", true},
		{"o2c.acme.x", "acme", true},
		{"other.acme.x", "", false},
		{"shop..x", "", false},
		{"shop.acme", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := FromSubject(tt.subject)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("FromSubject(%q) = %q, %v; want %q, %v", tt.subject, got, ok, tt.want, tt.wantOK)
		}
	}
}

// FuzzValid checks Valid against the rule written as a regular expression.
func FuzzValid(f *testing.F) {
	for _, s := range []string{"acme", "acme-2", "-a", "a-", "a--b", "A", "a.b", strings.Repeat("x", MaxLen+1)} {
		f.Add(s)
	}
	model := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	f.Fuzz(func(t *testing.T, s string) {
		want := len(s) <= MaxLen && model.MatchString(s)
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, model says %v", s, got, want)
		}
	})
}
