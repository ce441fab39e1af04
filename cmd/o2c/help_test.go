package main

import (
	"strings"
	"testing"
)

func TestKnownAtOnlyOnReports(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"ledger", "load-opening", "f.csv", "--tenant", "acme", "--booking-date", "2026-01-01"},
		{"ledger", "merge-debtor", "K-1", "--into", "K-2", "--reason", "same", "--tenant", "acme"},
	} {
		code, _, stderr := runCLI(t, append(args, "--known-at", "2026-01-01T00:00:00Z")...)
		if code != 1 || !strings.Contains(stderr, "unknown flag: --known-at") {
			t.Errorf("%s with --known-at: exit %d, stderr %q; want the flag refused", args[1], code, stderr)
		}
	}
	for _, report := range []string{"balance", "statement", "trial-balance", "journal"} {
		code, stdout, _ := runCLI(t, "ledger", report, "--help")
		if code != 0 || !strings.Contains(stdout, "--known-at") {
			t.Errorf("ledger %s --help: exit %d, does not offer --known-at:\n%s", report, code, stdout)
		}
	}
}

func TestVerifyHelpSaysWhatItChecks(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runCLI(t, "verify", "--help")
	for _, want := range []string{"hash chain", "anchors", "read models", "rolled back", "invariants", "control account"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("verify --help (exit %d) does not mention %q", code, want)
		}
	}
}
