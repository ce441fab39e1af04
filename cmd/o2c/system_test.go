package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/libs/pgtest"
)

// startSystem starts every service in-process, as `o2c demo` does, on the
// database of TEST_DATABASE_URL (as `make test` sets it) or else a
// throwaway cluster of its own that Stop removes. It skips without
// PostgreSQL unless CI is set.
func startSystem(t *testing.T) *demo.System {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: starts every service with PostgreSQL and NATS")
	}
	opt := demo.Options{}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		opt.DatabaseURL = pgtest.NewDB(t, pgtest.Template{Name: "o2c_cli_empty"})
	}
	sys, err := demo.Start(context.Background(), opt)
	if errors.Is(err, pgtest.ErrNoPostgres) && os.Getenv("CI") == "" {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return sys
}

func addrOf(t testing.TB, sys *demo.System, name string) string {
	t.Helper()
	for _, s := range sys.Services {
		if s.Name == name {
			return s.Addr
		}
	}
	t.Fatalf("no service %s in %v", name, sys.Services)
	return ""
}

// eventuallyCLI runs the CLI until its standard output contains want, and
// fails with the last output when it does not within a minute (a bound on
// a broken system, not a timing goal).
func eventuallyCLI(t *testing.T, want string, args ...string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		code, stdout, stderr := runCLI(t, args...)
		if strings.Contains(stdout, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("o2c %s never printed %q; last exit %d:\n%s%s", strings.Join(args, " "), want, code, stdout, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAgainstTheRunningSystem runs the commands a shop team and a finance
// clerk use against the real services: the sample invoice published with
// `o2c publish` is booked, and load-opening's comparison with what is
// booked reads the real ledger's reports.
func TestAgainstTheRunningSystem(t *testing.T) {
	sys := startSystem(t)
	ledger := addrOf(t, sys, "ledger")

	t.Run("publish the sample invoice", func(t *testing.T) {
		if code, stdout, stderr := runCLI(t, "publish", sampleInvoice, "--nats", sys.NATSURL); code != 0 {
			t.Fatalf("publish: exit %d\n%s%s", code, stdout, stderr)
		}
		eventuallyCLI(t, "RE-2026-2001", "open-items", "--tenant", "demo", "--debtor", "K-1001", "--ledger", ledger)
		code, stdout, _ := runCLI(t, "rejected", "--tenant", "demo", "--ingestion", addrOf(t, sys, "ingestion"), "--ledger", ledger)
		if code != 0 || !strings.Contains(stdout, "0 rejections") {
			t.Errorf("rejections after publishing the sample: exit %d\n%s", code, stdout)
		}
	})

	t.Run("load-opening compares with the ledger", func(t *testing.T) {
		load := func(file string, extra ...string) (int, string, string) {
			return runCLI(t, append([]string{"ledger", "load-opening", file, "--tenant", "demo", "--booking-date", "2026-01-01", "--ledger", ledger}, extra...)...)
		}
		first := writeFile(t, "first.csv", openingHeader+
			"K-7001,AR-2025-17,2025-12-01,2025-12-31,EUR,119.00,AR-2025-17,1900,19.00\n"+
			"K-7001,AR-2025-18,2025-12-05,2026-01-04,EUR,50.00,,,\n")
		if code, stdout, stderr := load(first); code != 0 || !strings.Contains(stdout, "2 opening items booked, 0 were already booked") {
			t.Fatalf("booking: exit %d\n%s%s", code, stdout, stderr)
		}
		// The read models follow the bookings within moments.
		eventuallyCLI(t, "0 to book, 2 already booked as in the file", "ledger", "load-opening", first,
			"--tenant", "demo", "--booking-date", "2026-01-01", "--ledger", ledger, "--dry-run")

		changed := writeFile(t, "changed.csv", openingHeader+
			"K-7001,AR-2025-17,2025-12-01,2025-12-31,EUR,119.00,AR-2025-17,1900,19.00\n"+
			"K-7001,AR-2025-18,2025-12-05,2026-01-14,EUR,52.50,,,\n")
		code, _, stderr := load(changed, "--dry-run")
		if want := "line 3 (debtor K-7001, AR-2025-18): booked 50.00 EUR, the file says 52.50 EUR; due date: booked 2026-01-04, the file says 2026-01-14"; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("dry run of a changed row: exit %d, want 1 and %q:\n%s", code, want, stderr)
		}

		vat := writeFile(t, "vat.csv", openingHeader+"K-7001,AR-2025-17,2025-12-01,2025-12-31,EUR,119.00,AR-2025-17,700,19.00\n")
		code, _, stderr = load(vat)
		if want := "line 2 (debtor K-7001, AR-2025-17) was booked before with other content: the difference is in the VAT"; code != 1 || !strings.Contains(stderr, want) || strings.Contains(stderr, "rpc error") {
			t.Errorf("a row that differs in its VAT: exit %d, want 1 and %q:\n%s", code, want, stderr)
		}
	})
}
