package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// maxPages bounds how many pages a report command reads, so a server that
// keeps answering with a next page cannot keep the command running forever.
const maxPages = 1_000_000

// pageSize is the page size the report commands ask for.
const pageSize = 1000

// ledgerFlags are the flags of the `o2c ledger` commands: the address and
// tenant every one shares, and --known-at, which only the reports have (a
// booking cannot be made as of the past).
type ledgerFlags struct {
	addr, tenant, knownAt string
}

func (f *ledgerFlags) bind(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.addr, "ledger", envOr("O2C_LEDGER_ADDR", defaultLedgerAddr), "ledger gRPC address (env O2C_LEDGER_ADDR)")
	cmd.PersistentFlags().StringVar(&f.tenant, "tenant", "", "tenant id (required)")
}

// bindKnownAt gives a report command --known-at.
func (f *ledgerFlags) bindKnownAt(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.knownAt, "known-at", "", "count only what the ledger had recorded by this time (RFC 3339); default now")
}

// run dials the ledger and calls f with a query client; a failed call is
// explained in the user's terms.
func (f *ledgerFlags) run(cmd *cobra.Command, call func(context.Context, ledgerv1grpc.LedgerQueryServiceClient) error) error {
	if f.tenant == "" {
		return fmt.Errorf("--tenant is required")
	}
	conn, err := dial(cmd, ledgerAt(f.addr))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
	defer cancel()
	return explain(ledgerAt(f.addr), call(ctx, ledgerv1grpc.NewLedgerQueryServiceClient(conn)))
}

// knownAtTS parses --known-at; empty gives nil (now).
func (f *ledgerFlags) knownAtTS() (*timestamppb.Timestamp, error) {
	if f.knownAt == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, f.knownAt)
	if err != nil {
		return nil, fmt.Errorf("--known-at %q: want an RFC 3339 time such as 2026-04-05T12:00:00Z", f.knownAt)
	}
	return timestamppb.New(t), nil
}

// parseDate parses a YYYY-MM-DD flag value; empty gives nil.
func parseDate(flag, s string) (*commonv1.Date, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: want a date YYYY-MM-DD", flag, s)
	}
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}, nil
}

func newLedgerCmd() *cobra.Command {
	var f ledgerFlags
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Ledger reports (balances, statements, trial balance, journal, bank reconciliation) and manual bookings (opening balances, debtor merge, journal entries)",
		Long: `ledger asks the ledger's LedgerQueryService for reports and prints them as
tables, and books what an operator books by hand: opening balances from the
previous system, the merge of a duplicate debtor and manual journal entries
between G/L accounts. Every report pages through
all of its rows. Dates are YYYY-MM-DD (effective dates); a report's --known-at
(RFC 3339) shows the books as the ledger knew them at that time.`,
	}
	f.bind(cmd)
	cmd.AddCommand(newLedgerBalanceCmd(&f), newLedgerStatementCmd(&f), newLedgerTrialBalanceCmd(&f), newLedgerJournalCmd(&f),
		newBankReconciliationCmd(&f), newLoadOpeningCmd(&f), newMergeDebtorCmd(&f), newLedgerPostCmd(&f))
	return cmd
}

func newLedgerBalanceCmd(f *ledgerFlags) *cobra.Command {
	var account, currency, asOf string
	cmd := &cobra.Command{
		Use:   "balance --tenant T --account A [--as-of D] [--known-at RFC3339]",
		Short: "Show an account's turnover and balance per currency as of an effective date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := parseDate("as-of", asOf)
			if err != nil {
				return err
			}
			known, err := f.knownAtTS()
			if err != nil {
				return err
			}
			return f.run(cmd, func(ctx context.Context, c ledgerv1grpc.LedgerQueryServiceClient) error {
				resp, err := c.GetAccountBalance(ctx, &ledgerv1.GetAccountBalanceRequest{
					Tenant: f.tenant, Account: account, Currency: currency, AsOf: d, KnownAt: known,
				})
				if err != nil {
					return err
				}
				table.Balances(cmd.OutOrStdout(), account, resp.GetBalances())
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "account number (required); 1400 sums the debtor accounts")
	cmd.Flags().StringVar(&currency, "currency", "", "ISO 4217 currency; default every currency")
	cmd.Flags().StringVar(&asOf, "as-of", "", "effective date YYYY-MM-DD; default every date")
	f.bindKnownAt(cmd)
	_ = cmd.MarkFlagRequired("account")
	return cmd
}

func newLedgerStatementCmd(f *ledgerFlags) *cobra.Command {
	var debtor, from, to string
	cmd := &cobra.Command{
		Use:   "statement --tenant T --debtor D [--from D --to D]",
		Short: "Print a debtor's account statement (Kontoauszug) with running balance",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := statementRequest(f, debtor, from, to)
			if err != nil {
				return err
			}
			return f.run(cmd, func(ctx context.Context, c ledgerv1grpc.LedgerQueryServiceClient) error {
				st, err := fetchStatement(ctx, c, req)
				if err != nil {
					return err
				}
				table.Statement(cmd.OutOrStdout(), debtor, st.GetDebtorAccount(), st.GetOpeningBalances(), st.GetLines(), st.GetClosingBalances())
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&debtor, "debtor", "", "debtor id (required)")
	cmd.Flags().StringVar(&from, "from", "", "first day YYYY-MM-DD; default the first line")
	cmd.Flags().StringVar(&to, "to", "", "last day YYYY-MM-DD; default the last line")
	f.bindKnownAt(cmd)
	_ = cmd.MarkFlagRequired("debtor")
	return cmd
}

func statementRequest(f *ledgerFlags, debtor, from, to string) (*ledgerv1.GetDebtorStatementRequest, error) {
	fd, err := parseDate("from", from)
	if err != nil {
		return nil, err
	}
	td, err := parseDate("to", to)
	if err != nil {
		return nil, err
	}
	known, err := f.knownAtTS()
	if err != nil {
		return nil, err
	}
	return &ledgerv1.GetDebtorStatementRequest{Tenant: f.tenant, DebtorId: debtor, From: fd, To: td, KnownAt: known, PageSize: pageSize}, nil
}

// fetchStatement reads every page of a statement into one response: the
// lines of all pages, the balances of the last page.
func fetchStatement(ctx context.Context, c ledgerv1grpc.LedgerQueryServiceClient, req *ledgerv1.GetDebtorStatementRequest) (*ledgerv1.GetDebtorStatementResponse, error) {
	var all []*ledgerv1.StatementLine
	for range maxPages {
		resp, err := c.GetDebtorStatement(ctx, req)
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetLines()...)
		if resp.GetNextPageToken() == "" {
			resp.Lines = all
			return resp, nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return nil, fmt.Errorf("statement: more than %d pages", maxPages)
}

func newLedgerTrialBalanceCmd(f *ledgerFlags) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "trial-balance --tenant T [--from D --to D]",
		Short: "Print the trial balance (Summen- und Saldenliste) of a period",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fd, err := parseDate("from", from)
			if err != nil {
				return err
			}
			td, err := parseDate("to", to)
			if err != nil {
				return err
			}
			known, err := f.knownAtTS()
			if err != nil {
				return err
			}
			return f.run(cmd, func(ctx context.Context, c ledgerv1grpc.LedgerQueryServiceClient) error {
				rows, totals, err := fetchTrialBalance(ctx, c, &ledgerv1.GetTrialBalanceRequest{Tenant: f.tenant, From: fd, To: td, KnownAt: known, PageSize: pageSize})
				if err != nil {
					return err
				}
				table.TrialBalance(cmd.OutOrStdout(), rows, totals)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first day YYYY-MM-DD; default the first line")
	cmd.Flags().StringVar(&to, "to", "", "last day YYYY-MM-DD; default the last line")
	f.bindKnownAt(cmd)
	return cmd
}

// fetchTrialBalance reads every page; the totals are those of the last page.
func fetchTrialBalance(ctx context.Context, c ledgerv1grpc.LedgerQueryServiceClient, req *ledgerv1.GetTrialBalanceRequest) (rows, totals []*ledgerv1.TrialBalanceRow, _ error) {
	for range maxPages {
		resp, err := c.GetTrialBalance(ctx, req)
		if err != nil {
			return nil, nil, err
		}
		rows = append(rows, resp.GetRows()...)
		if resp.GetNextPageToken() == "" {
			return rows, resp.GetTotals(), nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return nil, nil, fmt.Errorf("trial balance: more than %d pages", maxPages)
}

func newLedgerJournalCmd(f *ledgerFlags) *cobra.Command {
	var account, debtor, document, from, to, recordedFrom, recordedTo string
	cmd := &cobra.Command{
		Use:   "journal --tenant T [--account A] [--debtor D] [--document N] [--from D] [--to D] [--recorded-from T] [--recorded-to T]",
		Short: "List journal lines matching every filter given",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			recordedToFlag := "recorded-to"
			if recordedTo == "" && f.knownAt != "" {
				recordedTo, recordedToFlag = f.knownAt, "known-at" // as known then: recorded by then
			}
			req := &ledgerv1.ListJournalLinesRequest{Tenant: f.tenant, Account: account, DebtorId: debtor, DocumentNumber: document, PageSize: pageSize}
			var err error
			if req.EffectiveFrom, err = parseDate("from", from); err != nil {
				return err
			}
			if req.EffectiveTo, err = parseDate("to", to); err != nil {
				return err
			}
			for _, r := range []struct {
				flag, value string
				dst         **timestamppb.Timestamp
			}{{"recorded-from", recordedFrom, &req.RecordedFrom}, {recordedToFlag, recordedTo, &req.RecordedTo}} {
				if r.value == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339Nano, r.value)
				if err != nil {
					return fmt.Errorf("--%s %q: want an RFC 3339 time such as 2026-04-05T12:00:00Z", r.flag, r.value)
				}
				*r.dst = timestamppb.New(t)
			}
			return f.run(cmd, func(ctx context.Context, c ledgerv1grpc.LedgerQueryServiceClient) error {
				var lines []*ledgerv1.JournalListingLine
				for range maxPages {
					resp, err := c.ListJournalLines(ctx, req)
					if err != nil {
						return err
					}
					lines = append(lines, resp.GetLines()...)
					if resp.GetNextPageToken() == "" {
						table.Journal(cmd.OutOrStdout(), lines)
						return nil
					}
					req.PageToken = resp.GetNextPageToken()
				}
				return fmt.Errorf("journal: more than %d pages", maxPages)
			})
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "account number")
	cmd.Flags().StringVar(&debtor, "debtor", "", "debtor id named on the line")
	cmd.Flags().StringVar(&document, "document", "", "document number")
	cmd.Flags().StringVar(&from, "from", "", "earliest effective date YYYY-MM-DD")
	cmd.Flags().StringVar(&to, "to", "", "latest effective date YYYY-MM-DD")
	cmd.Flags().StringVar(&recordedFrom, "recorded-from", "", "earliest recorded time (RFC 3339)")
	cmd.Flags().StringVar(&recordedTo, "recorded-to", "", "latest recorded time (RFC 3339); default --known-at")
	f.bindKnownAt(cmd)
	return cmd
}

func newBankReconciliationCmd(f *ledgerFlags) *cobra.Command {
	var iban string
	cmd := &cobra.Command{
		Use:   "bank-reconciliation --tenant T [--iban IBAN]",
		Short: "Compare each bank statement's closing balance with the bank account in the books",
		Long: `bank-reconciliation lists every bank statement whose closing balance the ledger
recorded (the final statements ingestion imported) with the bank's closing
balance, the balance of the bank account's G/L account over every line
effective on or before the closing date, and the difference. A difference
means a transaction is missing or was booked twice, or a booking outside the
bank import touched the bank account; o2c verify fails on it too. Exit status
1 when a statement does not reconcile.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var recs []*ledgerv1.BankReconciliation
			err := f.run(cmd, func(ctx context.Context, c ledgerv1grpc.LedgerQueryServiceClient) error {
				resp, err := c.ListBankReconciliations(ctx, &ledgerv1.ListBankReconciliationsRequest{Tenant: f.tenant, Iban: iban})
				recs = resp.GetReconciliations()
				return err
			})
			if err != nil {
				return err
			}
			if !table.BankReconciliations(cmd.OutOrStdout(), recs) {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&iban, "iban", "", "IBAN of one bank account; default every bank account")
	return cmd
}
