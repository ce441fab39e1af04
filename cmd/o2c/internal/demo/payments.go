package demo

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"google.golang.org/grpc"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// DemoIBAN is the demo merchant's bank account (a well-known test IBAN).
const DemoIBAN = "DE89370400440532013000"

// TenantsJSON is the demo's tenants file, as an operator would write it
// into the file O2C_TENANTS names: the demo tenant, the only one that
// exists, with its ledger section and its bank section (the account its
// bank statements are for, the rule that books its rent, a debit that is
// not receivables business, to rent expense 4210, and the rule that books
// the reference agency's payouts, credits that are no debtor's payment,
// against the agency's clearing account), and its refunds
// section (its Amazon seller account, whose credentials refund import
// reads from the environment variables credentials_ref names), its
// collections section (the reference agency, cmd/agency-sim, takes every
// case; Inkasso Nord only debtors in Austria, whom the demo has none of)
// with the agencies' clearing accounts in its ledger section, and its
// sepa section (the account direct debits are collected to and payouts
// leave from, with the creditor identifier; credit balances a week old
// are paid out), and its reports section (the DATEV consultant and client
// numbers the month-end pack's DATEV files carry, bank-side lines against
// Geldtransit 1360).
const TenantsJSON = `{
  "tenants": {
    "` + Tenant + `": {
      "name": "Demo shop",
      "ledger": {
        "chart": "SKR03",
        "banks": {"` + DemoIBAN + `": "1200"},
        "clearing": {"amazon": "1361", "` + ReferenceAgency + `": "` + AgencyAccount + `", "` + OtherAgency + `": "1363"},
        "marketplaces": {"amazon.de/EUR": "69001"},
        "period_actors": ["finance:demo"]
      },
      "bank": {
        "accounts": [{"iban": "` + DemoIBAN + `", "currency": "EUR", "account": "1200", "name": "Hausbank"}],
        "outgoing_rules": [{"name": "` + RentRule + `", "remittance": "Miete", "account": "4210"}],
        "incoming_rules": [{"name": "` + AgencyPayoutRule + `", "counterparty_iban": "` + AgencyIBAN + `", "account": "` + AgencyAccount + `"}]
      },
      "refunds": {
        "seller_accounts": [{"id": "` + RefundSeller + `", "region": "eu", "marketplaces": ["` + AmazonDE + `"],
          "credentials_ref": "env:` + RefundCredentialsEnv + `", "start": "2026-11-01"}]
      },
      "collections": {
        "agencies": [
          {"id": "` + ReferenceAgency + `", "name": "Reference agency (cmd/agency-sim)", "commission_bp": 1500, "vat_rate_bp": 1900},
          {"id": "` + OtherAgency + `", "name": "Inkasso Nord (debtors in Austria)", "countries": ["AT"], "commission_bp": 2000, "vat_rate_bp": 1900}
        ],
        "min_release_amount_minor": 5000
      },
      "sepa": {
        "creditor_accounts": [{"iban": "` + DemoIBAN + `", "bic": "COBADEFFXXX", "creditor_id": "` + SepaCreditorID + `", "name": "Demo Shop GmbH"}],
        "pre_notification_days": 14,
        "payouts": {"threshold_minor": 100, "min_age_days": 7}
      },
      "reports": {
        "datev": {"consultant": 29098, "client": 55003, "fiscal_year_start": "01-01", "transit_account": "1360"}
      },
      "console": {
        "credit_notes": {"number_range": {"prefix": "GS-", "next": 1, "width": 6}, "approval_threshold": {"EUR": 10000},
          "limits": {"customer-service": {"EUR": 20000}, "accountant": {"EUR": 500000}}, "issued_by": "o2c"}
      }
    }
  }
}`

// RentRule is the demo tenant's outgoing rule for its rent.
const RentRule = "rent"

// Tenants returns the demo's tenants file, parsed.
func Tenants() (*tenants.File, error) {
	return tenants.Parse("the demo's tenants (cmd/o2c/internal/demo)", []byte(TenantsJSON))
}

// runLedger starts the ledger with the demo's tenants and a connection to
// ingestion as itself (service:ledger), from which its reports read the
// debtors' names.
func runLedger(ctx context.Context, cfg host.Config, p telemetry.Providers, log *slog.Logger, lis net.Listener, peers peers) error {
	ts, err := Tenants()
	if err != nil {
		return err
	}
	conn, err := peers.sec.dial(peers.addrs[ingestion.Name], ServicePrincipal(ledger.Name), telemetry.GRPCDialOption(p))
	if err != nil {
		return err
	}
	defer conn.Close()
	l, err := ledger.New(ctx, cfg, ledger.Options{Tenants: ts, Ingestion: conn}, p, log, lis)
	if err != nil {
		return err
	}
	return l.Serve(ctx)
}

// PaymentAmount is what debtor K-1001 transfers without naming an invoice:
// it pays RE-2026-1001 (546.99, due first) and 20.00 of RE-2026-1004.
const PaymentAmount = 56699

// UnidentifiedReceipts is the ledger's clearing account of bank receipts
// not yet applied to a debtor.
const UnidentifiedReceipts = "unidentified-receipts"

// Pay applies K-1001's transfer through the LedgerCommandService, as
// matching will once it exists, and returns what the ledger booked. The
// money is in the bank already: the bank statement's import booked it to
// the bank account against unidentified receipts, so the payment moves it
// from there to the debtor and the bank account is touched by the
// statement's bookings alone.
func Pay(ctx context.Context, conn *grpc.ClientConn) (*ledgerv1.CommandResult, error) {
	resp, err := ledgerv1grpc.NewLedgerCommandServiceClient(conn).ApplyPayment(ctx, &ledgerv1.ApplyPaymentRequest{
		Command: &ledgerv1.ApplyPayment{
			Tenant: Tenant, IdempotencyKey: "bank:2026-11-18:0001", PaymentId: "BANK-2026-11-18-0001",
			DebtorId: StatementDebtor, Amount: &commonv1.Money{MinorUnits: PaymentAmount, Currency: "EUR"},
			ValueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 18}, ClearingAccount: UnidentifiedReceipts,
			Remittance: "Kundennummer K-1001",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("apply the demo payment: %w", err)
	}
	return resp.GetResult(), nil
}

// WaitForOpenAmount polls the ledger until the demo tenant's open items sum
// to total (the projection runs behind the command).
func WaitForOpenAmount(ctx context.Context, conn *grpc.ClientConn, total int64) ([]*ledgerv1.OpenItem, error) {
	client := ledgerv1grpc.NewLedgerServiceClient(conn)
	var items []*ledgerv1.OpenItem
	var sum int64
	err := poll(ctx, func() (bool, error) {
		r, err := client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: Tenant})
		if err != nil {
			return false, err
		}
		items, sum = r.GetOpenItems(), 0
		for _, it := range items {
			sum += it.GetOpenAmount().GetMinorUnits()
		}
		return sum == total, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for open items of %d (have %d): %w", total, sum, err)
	}
	return items, nil
}
