package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
)

// TestEraseDebtorAsksTheLedger erases debtors through the CLI against the
// running system, where ingestion asks the ledger for open items as
// itself (its own service certificate): a debtor with an open invoice is
// refused naming how many, the same debtor once paid is refused until the
// end of the statutory retention, and a debtor whose last invoice was
// issued more than ten years ago and is paid is erased. Afterwards the
// hash chains and read models verify and the export shows the erasure.
func TestEraseDebtorAsksTheLedger(t *testing.T) {
	sys := startSystem(t)
	ledger := addrOf(t, sys, "ledger")
	ingestion := addrOf(t, sys, "ingestion")
	creds := []string{"--credentials", sys.CredentialsFile}
	cli := func(args ...string) (int, string, string) { return runCLI(t, append(args, creds...)...) }
	erase := func(id string) (int, string, string) {
		return cli("debtors", "erase", id, "--tenant", demo.Tenant, "--ingestion", ingestion)
	}

	sample, err := os.ReadFile(sampleInvoice)
	if err != nil {
		t.Fatal(err)
	}
	old := strings.NewReplacer(
		`"RE-2026-2001"`, `"RE-2014-0001"`, `"WEB-60001"`, `"WEB-14001"`, `"K-1001"`, `"K-1900"`,
		`"Erika Mustermann"`, `"Max Altkunde"`, `"erika@example.org"`, `"max@example.org"`, `"year": 2026`, `"year": 2014`,
	).Replace(string(sample))
	if !strings.Contains(old, "Max Altkunde") || !strings.Contains(old, `"year": 2014`) {
		t.Fatalf("the sample invoice changed: cannot make an old one from it:\n%s", sample)
	}
	for _, f := range []string{sampleInvoice, writeFile(t, "old.json", old)} {
		if code, stdout, stderr := cli("publish", f, "--nats", sys.NATSURL); code != 0 {
			t.Fatalf("publish %s: exit %d\n%s%s", f, code, stdout, stderr)
		}
	}
	for debtor, invoice := range map[string]string{"K-1001": "RE-2026-2001", "K-1900": "RE-2014-0001"} {
		eventuallyCLI(t, invoice, append([]string{"open-items", "--tenant", demo.Tenant, "--debtor", debtor, "--ledger", ledger}, creds...)...)
	}

	t.Run("refused while the debtor has open items", func(t *testing.T) {
		code, stdout, stderr := erase("K-1001")
		if want := "debtor has 1 open item(s)"; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("erase K-1001 with RE-2026-2001 open: exit %d, want 1 and %q\n%s%s", code, want, stdout, stderr)
		}
	})

	ctx := context.Background()
	pay(t, ctx, sys, "K-1001", "RE-2026-2001", &commonv1.Date{Year: 2026, Month: 11, Day: 20})
	pay(t, ctx, sys, "K-1900", "RE-2014-0001", &commonv1.Date{Year: 2014, Month: 11, Day: 20})

	t.Run("refused within the retention period", func(t *testing.T) {
		code, stdout, stderr := erase("K-1001")
		if want := "statutory retention runs until 2036-12-31"; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("erase K-1001 paid, last invoice 2026-11-12: exit %d, want 1 and %q\n%s%s", code, want, stdout, stderr)
		}
	})

	t.Run("erased without open items after the retention period", func(t *testing.T) {
		code, stdout, stderr := erase("K-1900")
		if want := "debtor K-1900 of demo erased at"; code != 0 || !strings.Contains(stdout, want) || !strings.Contains(stdout, "by "+demo.CLIPrincipal().Actor) {
			t.Fatalf("erase K-1900 paid, last invoice 2014-11-12: exit %d, want 0 and %q by %s\n%s%s", code, want, demo.CLIPrincipal().Actor, stdout, stderr)
		}
		code, stdout, stderr = cli("debtors", "export", "K-1900", "--tenant", demo.Tenant, "--ingestion", ingestion)
		if code != 0 {
			t.Fatalf("export K-1900: exit %d\n%s%s", code, stdout, stderr)
		}
		for _, want := range []string{"erasedAt", demo.CLIPrincipal().Actor, "RE-2014-0001"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("export of the erased K-1900 lacks %q:\n%s", want, stdout)
			}
		}
		for _, gone := range []string{"Max Altkunde", "max@example.org"} {
			if strings.Contains(stdout, gone) {
				t.Errorf("export of the erased K-1900 still holds %q:\n%s", gone, stdout)
			}
		}
		code, stdout, stderr = cli("debtors", "export", "K-1001", "--tenant", demo.Tenant, "--ingestion", ingestion)
		if code != 0 || !strings.Contains(stdout, "Erika Mustermann") || strings.Contains(stdout, "erasedAt") {
			t.Errorf("export of K-1001, which was not erased: exit %d, want its name and no erasure\n%s%s", code, stdout, stderr)
		}
	})

	t.Run("the books verify afterwards", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "verify", "--database-url", sys.DatabaseURL)
		if code != 0 {
			t.Errorf("verify after the erasure: exit %d\n%s%s", code, stdout, stderr)
		}
	})
}

// pay books a bank payment of debtor's invoice in full through the
// LedgerCommandService, as the demo's accountant, and waits until the
// debtor has no open item left.
func pay(t *testing.T, ctx context.Context, sys *demo.System, debtor, invoice string, valueDate *commonv1.Date) {
	t.Helper()
	conn := sys.Conn("ledger")
	_, err := ledgerv1grpc.NewLedgerCommandServiceClient(conn).ApplyPayment(ctx, &ledgerv1.ApplyPaymentRequest{
		Command: &ledgerv1.ApplyPayment{
			Tenant: demo.Tenant, IdempotencyKey: "bank:" + invoice, PaymentId: "BANK-" + invoice,
			DebtorId: debtor, Amount: &commonv1.Money{MinorUnits: 9137, Currency: "EUR"},
			ValueDate: valueDate, Iban: demo.DemoIBAN, Remittance: invoice,
		},
	})
	if err != nil {
		t.Fatalf("pay %s of %s: %v", invoice, debtor, err)
	}
	client := ledgerv1grpc.NewLedgerServiceClient(conn)
	deadline := time.Now().Add(time.Minute)
	for {
		r, err := client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: demo.Tenant, DebtorId: debtor})
		if err == nil && len(r.GetOpenItems()) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still has open items a minute after paying %s: %v %v", debtor, invoice, r.GetOpenItems(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
