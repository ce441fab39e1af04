package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/opening"
)

func newLoadOpeningCmd(f *ledgerFlags) *cobra.Command {
	var bookingDate string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "load-opening FILE --tenant T --booking-date YYYY-MM-DD",
		Short: "Load a merchant's open items from the previous system (CSV or JSON Lines)",
		Long: `load-opening reads the open items a merchant brings from its previous system and
books each as an opening balance on the debtor's personal account with its open item.

The file is CSV with a header row or JSON Lines, with the columns debtor_id,
document_number, document_date, due_date, currency, amount (decimal with a dot,
negative for a credit balance) and optionally payment_reference, vat_rate_bp and
vat_amount. The whole file is checked before anything is booked; every bad row is
named by line and column. Each row is booked under the idempotency key
"opening:<debtor_id>:<document_number>", so running the command again after an
interruption books only what is missing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			day, err := time.Parse(time.DateOnly, bookingDate)
			if err != nil {
				return fmt.Errorf("--booking-date %q: want YYYY-MM-DD", bookingDate)
			}
			if f.tenant == "" {
				return fmt.Errorf("--tenant is required")
			}
			file, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer file.Close()
			cmds, err := opening.Read(file, f.tenant, &commonv1.Date{Year: int32(day.Year()), Month: int32(day.Month()), Day: int32(day.Day())})
			if err != nil {
				return fmt.Errorf("%s: nothing was booked:\n%w", args[0], err)
			}
			out := cmd.OutOrStdout()
			if dryRun {
				fmt.Fprintf(out, "%s: %d opening items are valid; nothing booked (--dry-run)\n", args[0], len(cmds))
				return nil
			}
			conn, err := dial(f.addr)
			if err != nil {
				return err
			}
			defer conn.Close()
			client := ledgerv1grpc.NewLedgerCommandServiceClient(conn)
			booked, replayed := 0, 0
			for i, c := range cmds {
				ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
				resp, err := client.RecordOpeningBalance(ctx, &ledgerv1.RecordOpeningBalanceRequest{Command: c})
				cancel()
				if err != nil {
					return fmt.Errorf("item %d of %d (debtor %s, document %s): %w; %d booked before it, run again to continue",
						i+1, len(cmds), c.GetDebtorId(), c.GetDocumentNumber(), err, booked)
				}
				if resp.GetResult().GetReplayed() {
					replayed++
				} else {
					booked++
				}
				if (i+1)%500 == 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d items\n", i+1, len(cmds))
				}
			}
			fmt.Fprintf(out, "%s: %d opening items booked, %d were already booked\n", args[0], booked, replayed)
			return nil
		},
	}
	cmd.Flags().StringVar(&bookingDate, "booking-date", "", "date the opening balances are booked on, usually the first day of the first period kept in o2c (required)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only check the file")
	_ = cmd.MarkFlagRequired("booking-date")
	return cmd
}
