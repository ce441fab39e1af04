package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/credfile"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/libs/auth"
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
// clerk use against the real services, with the credentials file the demo
// wrote: the sample invoice published with `o2c publish` as the demo
// shop's NATS user is booked, a rejection resolved is recorded with the
// certificate's actor, and load-opening's comparison with what is booked
// reads the real ledger's reports.
func TestAgainstTheRunningSystem(t *testing.T) {
	sys := startSystem(t)
	ledger := addrOf(t, sys, "ledger")
	ingestion := addrOf(t, sys, "ingestion")
	matching := addrOf(t, sys, "matching")
	dunning := addrOf(t, sys, "dunning")
	refunds := addrOf(t, sys, "refund-import")
	collections := addrOf(t, sys, "collections")
	creds := []string{"--credentials", sys.CredentialsFile}
	// cli runs the CLI with the demo's credentials file.
	cli := func(args ...string) (int, string, string) { return runCLI(t, append(args, creds...)...) }

	t.Run("publish the sample invoice", func(t *testing.T) {
		if code, stdout, stderr := cli("publish", sampleInvoice, "--nats", sys.NATSURL); code != 0 {
			t.Fatalf("publish: exit %d\n%s%s", code, stdout, stderr)
		}
		eventuallyCLI(t, "RE-2026-2001", append([]string{"open-items", "--tenant", "demo", "--debtor", "K-1001", "--ledger", ledger}, creds...)...)
		code, stdout, _ := cli("rejected", "--tenant", "demo", "--ingestion", ingestion, "--ledger", ledger, "--matching", matching, "--dunning", dunning, "--refund-import", refunds, "--collections", collections)
		if code != 0 || !strings.Contains(stdout, "0 rejections") {
			t.Errorf("rejections after publishing the sample: exit %d\n%s", code, stdout)
		}
	})

	t.Run("collections: a manual release, the cases and the report", func(t *testing.T) {
		// Collections takes the ledger's items in from its stream: until it
		// has the sample invoice the release finds nothing to hand over.
		eventuallyCLI(t, "handed to agency-sim", append([]string{"collections", "release", "--tenant", "demo", "--debtor", "K-1001",
			"--reason", "Adresse unbekannt", "--collections", collections}, creds...)...)
		// The lists are read models, a moment behind the case's events.
		eventuallyCLI(t, "K-1001", append([]string{"collections", "cases", "--tenant", "demo", "--agency", "agency-sim", "--collections", collections}, creds...)...)
		code, stdout, stderr := cli("collections", "cases", "--tenant", "demo", "--agency", "agency-sim", "--collections", collections)
		if code != 0 || !strings.Contains(stdout, "submitted") || !strings.Contains(stdout, "91.37 EUR") {
			t.Errorf("collections cases: exit %d\n%s%s\nwant K-1001's case of 91.37 EUR, submitted", code, stdout, stderr)
		}
		eventuallyCLI(t, "1 submitted", append([]string{"collections", "report", "--tenant", "demo", "--collections", collections}, creds...)...)
	})

	t.Run("a manual journal entry is posted once and shows in the balances", func(t *testing.T) {
		post := []string{"ledger", "post", "--tenant", "demo", "--date", "2026-12-04", "--document", "AG-TEST", "--text", "Auszahlung Inkasso (Test)",
			"--debit", "1591=12.34", "--credit", "1363=12.34", "--ledger", ledger}
		code, stdout, stderr := cli(post...)
		if code != 0 || !strings.Contains(stdout, "posted entry") {
			t.Fatalf("ledger post: exit %d\n%s%s", code, stdout, stderr)
		}
		eventuallyCLI(t, "12.34", append([]string{"ledger", "balance", "--tenant", "demo", "--account", "1363", "--ledger", ledger}, creds...)...)
		if code, stdout, stderr := cli(post...); code != 0 || !strings.Contains(stdout, "already posted") {
			t.Errorf("the same post again: exit %d\n%s%s", code, stdout, stderr)
		}
	})

	t.Run("a shop publishes only for its own tenant", func(t *testing.T) {
		data, err := os.ReadFile(sampleInvoice)
		if err != nil {
			t.Fatal(err)
		}
		acme := writeFile(t, "acme.json", strings.Replace(string(data), `"tenant": "demo"`, `"tenant": "acme"`, 1))
		code, _, stderr := cli("publish", acme, "--nats", sys.NATSURL)
		if want := "does not let user shop-demo publish on shop.acme.invoice.issued"; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("publishing for tenant acme as shop-demo: exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
		code, _, stderr = cli("publish", sampleInvoice, "--nats", sys.NATSURL, "--subject", "shop.acme.invoice.issued")
		if want := "does not let user shop-demo publish on shop.acme.invoice.issued"; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("publishing on acme's subject as shop-demo: exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	})

	t.Run("a rejection is resolved as the certificate's actor", func(t *testing.T) {
		data, err := os.ReadFile(sampleInvoice)
		if err != nil {
			t.Fatal(err)
		}
		broken := strings.Replace(string(data), `"RE-2026-2001"`, `"RE-2026-2999"`, 1)
		broken = strings.Replace(broken, `"minorUnits": "9137"`, `"minorUnits": "9138"`, 1)
		if broken == string(data) || !strings.Contains(broken, "9138") {
			t.Fatalf("the sample invoice changed: cannot break its gross total:\n%s", data)
		}
		if code, stdout, stderr := cli("publish", writeFile(t, "broken.json", broken), "--nats", sys.NATSURL); code != 0 {
			t.Fatalf("publish: exit %d\n%s%s", code, stdout, stderr)
		}
		eventuallyCLI(t, "RE-2026-2999", append([]string{"rejected", "--tenant", "demo", "--ingestion", ingestion, "--ledger", ledger, "--matching", matching, "--dunning", dunning, "--refund-import", refunds, "--collections", collections}, creds...)...)
		_, stdout, _ := cli("rejected", "--tenant", "demo", "--ingestion", ingestion, "--ledger", ledger, "--matching", matching, "--dunning", dunning, "--refund-import", refunds, "--collections", collections)
		var id string
		for _, l := range strings.Split(stdout, "\n") {
			if strings.Contains(l, "RE-2026-2999") {
				id = strings.Fields(l)[0]
			}
		}
		code, stdout, stderr := cli("rejected", "resolve", id, "--note", "sent again corrected", "--ingestion", ingestion, "--ledger", ledger, "--matching", matching, "--dunning", dunning, "--refund-import", refunds, "--collections", collections)
		if want := "by " + demo.CLIPrincipal().Actor + " (sent again corrected)"; code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("resolve %s: exit %d, want 0 and %q:\n%s%s", id, code, want, stdout, stderr)
		}
	})

	t.Run("without credentials the CLI is refused and told which file to use", func(t *testing.T) {
		// TestMain points the default path at a folder that does not exist.
		def, err := credfile.DefaultPath()
		if err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCLI(t, "open-items", "--tenant", "demo", "--ledger", ledger)
		for _, want := range []string{"the ledger at " + ledger, "there is no credentials file at " + def, "make demo ARGS=--keep-running", "--credentials FILE or O2C_CREDENTIALS"} {
			if code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("open-items without credentials: exit %d, stderr %q; want 1 and %q", code, stderr, want)
			}
		}
		code, _, stderr = runCLI(t, "publish", sampleInvoice, "--nats", sys.NATSURL)
		if want := "NATS at " + sys.NATSURL + " wants a user, and this CLI has none: there is no credentials file at " + def; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("publish without credentials: exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
		missing := filepath.Join(t.TempDir(), "nope.json")
		code, _, stderr = runCLI(t, "open-items", "--tenant", "demo", "--ledger", ledger, "--credentials", missing)
		if want := "no credentials file " + missing + " (from --credentials)"; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("a credentials file that is not there: exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	})

	t.Run("credentials of another system are refused", func(t *testing.T) {
		other, err := auth.NewDevCA("another system")
		if err != nil {
			t.Fatal(err)
		}
		cert, key, err := other.ClientCertificate(demo.CLIPrincipal())
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		for name, data := range map[string][]byte{"ca.pem": other.CertPEM(), "cli.pem": cert, "cli-key.pem": key} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		file := filepath.Join(dir, "credentials.json")
		if err := credfile.Write(file, &credfile.File{GRPC: credfile.GRPC{CAFile: "ca.pem", CertFile: "cli.pem", KeyFile: "cli-key.pem"}}); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCLI(t, "open-items", "--tenant", "demo", "--ledger", ledger, "--credentials", file)
		if want := "the TLS handshake with the ledger at " + ledger + " failed"; code != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, file) {
			t.Errorf("another system's CA: exit %d, stderr %q; want 1, %q and the file", code, stderr, want)
		}
	})

	t.Run("another tenant's books are refused", func(t *testing.T) {
		code, _, stderr := cli("open-items", "--tenant", "acme", "--ledger", ledger)
		if want := `finance:demo may not act for tenant "acme"`; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("open-items of tenant acme: exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	})

	t.Run("load-opening compares with the ledger", func(t *testing.T) {
		load := func(file string, extra ...string) (int, string, string) {
			return cli(append([]string{"ledger", "load-opening", file, "--tenant", "demo", "--booking-date", "2026-01-01", "--ledger", ledger}, extra...)...)
		}
		first := writeFile(t, "first.csv", openingHeader+
			"K-7001,AR-2025-17,2025-12-01,2025-12-31,EUR,119.00,AR-2025-17,1900,19.00\n"+
			"K-7001,AR-2025-18,2025-12-05,2026-01-04,EUR,50.00,,,\n")
		if code, stdout, stderr := load(first); code != 0 || !strings.Contains(stdout, "2 opening items booked, 0 were already booked") {
			t.Fatalf("booking: exit %d\n%s%s", code, stdout, stderr)
		}
		// The read models follow the bookings within moments.
		eventuallyCLI(t, "0 to book, 2 already booked as in the file", append([]string{"ledger", "load-opening", first,
			"--tenant", "demo", "--booking-date", "2026-01-01", "--ledger", ledger, "--dry-run"}, creds...)...)

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
