package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIRefusesHostileArguments gives commands arguments that are
// malformed, out of range or hostile. Each is refused before any service
// is asked (the addresses given have nothing listening, so a call would
// fail otherwise), with a non-zero exit and a message naming the flag and
// what it wants; none is a panic or a raw RPC error.
func TestCLIRefusesHostileArguments(t *testing.T) {
	t.Parallel()
	ledger := nothingListening(t)
	matching := nothingListening(t)
	sparse := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	// 4 GiB that take no disk: reading it whole would take the memory.
	if err := f.Truncate(4 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"report", "aging", "--tenant", "acme", "--ledger", ledger, "--bogus"}, "unknown flag: --bogus"},
		{"unknown command", []string{"reprot"}, `unknown command "reprot"`},
		{"30 February", []string{"report", "aging", "--tenant", "acme", "--ledger", ledger, "--as-of", "2026-02-30"}, `--as-of "2026-02-30": want a date YYYY-MM-DD`},
		{"year 99999", []string{"report", "aging", "--tenant", "acme", "--ledger", ledger, "--as-of", "99999-01-01"}, `--as-of "99999-01-01"`},
		{"date with a NUL", []string{"report", "aging", "--tenant", "acme", "--ledger", ledger, "--as-of", "2026-01-01\x00"}, "--as-of"},
		{"month 13", []string{"export", "datev", "--tenant", "acme", "--ledger", ledger, "--period", "2026-13"}, `--period "2026-13": want a month YYYY-MM`},
		{"amount beyond int64", []string{"queue", "list", "--tenant", "acme", "--matching", matching, "--min-amount", "92233720368547758.08"}, "--min-amount 92233720368547758.08: too large for an amount"},
		{"amount in exponent notation", []string{"queue", "list", "--tenant", "acme", "--matching", matching, "--min-amount", "1e400"}, "--min-amount 1e400: not a decimal amount"},
		{"amount with a NUL", []string{"queue", "list", "--tenant", "acme", "--matching", matching, "--max-amount", "1\x00"}, "not a decimal amount"},
		{"negative amount", []string{"queue", "list", "--tenant", "acme", "--matching", matching, "--min-amount", "-5"}, "the bounds are of the absolute amount"},
		{"huge age", []string{"queue", "list", "--tenant", "acme", "--matching", matching, "--older-than", "99999999999999999999d"}, `--older-than "99999999999999999999d"`},
		{"publish a file that is not there", []string{"publish", filepath.Join(t.TempDir(), "nope.json")}, "nope.json"},
		{"publish a directory", []string{"publish", t.TempDir()}, "is a directory"},
		{"publish 4 GiB", []string{"publish", sparse}, "huge.json"},
		{"publish binary", []string{"publish", hostileFile(t, "bin.json", "\x00\x01\x02\xff")}, "is not an InvoiceIssued in JSON"},
		{"publish nested JSON", []string{"publish", hostileFile(t, "deep.json", strings.Repeat("[", 100000))}, "is not an InvoiceIssued in JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, tt.args...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %.500q; want a failure saying %q", code, stderr, tt.want)
			}
			for _, bad := range []string{"rpc error", "panic", "goroutine "} {
				if strings.Contains(stderr, bad) {
					t.Errorf("stderr %.500q shows %q", stderr, bad)
				}
			}
		})
	}
}

// hostileFile writes content to a file named name in a new temporary
// directory and returns its path.
func hostileFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
