package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAuditRefusesUnclearRequests(t *testing.T) {
	t.Parallel()
	const db = "postgres://127.0.0.1:1/none" // never dialled: every case fails first
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no tenant", []string{"--database-url", db}, "o2c: --tenant is required (a platform admin may list every tenant with --all-tenants)\n"},
		{"tenant and all tenants", []string{"--database-url", db, "--tenant", "demo", "--all-tenants"}, "o2c: give --tenant or --all-tenants, not both\n"},
		{"no database", []string{"--database-url", "", "--tenant", "demo"}, "o2c: --database-url (or DATABASE_URL) is required\n"},
		{"bad since", []string{"--database-url", db, "--tenant", "demo", "--since", "1.11.2026"},
			`o2c: --since: "1.11.2026" is neither a date (2026-11-01) nor an RFC 3339 instant (2026-11-01T08:00:00Z)` + "\n"},
		{"empty period", []string{"--database-url", db, "--tenant", "demo", "--since", "2026-11-02", "--until", "2026-11-01"},
			"o2c: the period is empty: --until 2026-11-01 ends before --since 2026-11-02 begins\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, append([]string{"audit"}, tc.args...)...)
			if code != 1 || stdout != "" || stderr != tc.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestParseAuditTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		end  bool
		want time.Time
	}{
		{"", false, time.Time{}},
		{"", true, time.Time{}},
		{"2026-11-01", false, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-11-30", true, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-11-03T08:00:00+01:00", true, time.Date(2026, 11, 3, 7, 0, 0, 0, time.UTC)},
	} {
		got, err := parseAuditTime(tc.in, tc.end)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseAuditTime(%q, %v) = %v, %v; want %v", tc.in, tc.end, got, err, tc.want)
		}
	}
}

// TestAuditAgainstTheRunningSystem publishes the sample invoice to the
// real services and lists who did what: the shop sent it, and ingestion's
// change and the ledger's booking of it both name the shop, each under
// its service; the ledger's own actor names none of it.
func TestAuditAgainstTheRunningSystem(t *testing.T) {
	sys := startSystem(t)
	if code, stdout, stderr := runCLI(t, "publish", sampleInvoice, "--nats", sys.NATSURL, "--credentials", sys.CredentialsFile); code != 0 {
		t.Fatalf("publish: exit %d\n%s%s", code, stdout, stderr)
	}
	eventuallyCLI(t, "invoice RE-2026-2001 registered", "audit", "--tenant", "demo", "--database-url", sys.DatabaseURL)

	code, stdout, stderr := runCLI(t, "audit", "--tenant", "demo", "--actor", "shop:*", "--database-url", sys.DatabaseURL)
	if code != 0 {
		t.Fatalf("audit --actor shop:*: exit %d\n%s%s", code, stdout, stderr)
	}
	var got [][]string
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "20") {
			if pair := f[2:4]; len(got) == 0 || !cmp.Equal(got[len(got)-1], pair) { // service, actor
				got = append(got, pair)
			}
		}
	}
	if want := [][]string{{"ingestion", "shop:demo"}, {"ledger", "shop:demo"}}; !cmp.Equal(got, want) || !strings.Contains(stdout, "invoice RE-2026-2001 ingested for debtor K-1001") {
		t.Errorf("the shop's changes (service, actor) = %v, want %v:\n%s", got, want, stdout)
	}

	code, stdout, _ = runCLI(t, "audit", "--all-tenants", "--actor", "shop:demo", "--database-url", sys.DatabaseURL)
	for _, want := range []string{"Audit trail of all tenants (platform admin)", "TENANT", "invoice RE-2026-2001 registered", "open item RE-2026-2001 opened for debtor K-1001"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("audit --all-tenants: exit %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
	code, stdout, _ = runCLI(t, "audit", "--all-tenants", "--actor", "service:ledger", "--database-url", sys.DatabaseURL)
	if code != 0 || strings.Contains(stdout, "RE-2026-2001") {
		t.Errorf("audit --actor service:ledger: exit %d, names the shop's invoice:\n%s", code, stdout)
	}
}
