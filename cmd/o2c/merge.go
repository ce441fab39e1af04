package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

func newMergeDebtorCmd(f *ledgerFlags) *cobra.Command {
	var into, date, reason string
	cmd := &cobra.Command{
		Use:   "merge-debtor DEBTOR --into SURVIVOR --reason WHY [--date YYYY-MM-DD]",
		Short: "Merge a duplicate debtor into the surviving one (open items and balance move, history stays)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.tenant == "" || into == "" || reason == "" {
				return fmt.Errorf("--tenant, --into and --reason are required")
			}
			day := time.Now()
			if date != "" {
				var err error
				if day, err = time.Parse(time.DateOnly, date); err != nil {
					return fmt.Errorf("--date %q: want YYYY-MM-DD", date)
				}
			}
			conn, err := dial(cmd, ledgerAt(f.addr))
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			resp, err := ledgerv1grpc.NewLedgerCommandServiceClient(conn).MergeDebtor(ctx, &ledgerv1.MergeDebtorRequest{Command: &ledgerv1.MergeDebtor{
				Tenant: f.tenant, IdempotencyKey: "merge:" + args[0] + ":" + into, DebtorId: args[0], IntoDebtorId: into,
				MergeDate: &commonv1.Date{Year: int32(day.Year()), Month: int32(day.Month()), Day: int32(day.Day())}, Reason: reason,
			}})
			if err != nil {
				return explain(ledgerAt(f.addr), err)
			}
			r := resp.GetResult()
			if r.GetReplayed() {
				fmt.Fprintf(cmd.OutOrStdout(), "%s was already merged into %s\n", args[0], into)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged %s into %s: %s moved\n", args[0], into, table.Count(len(r.GetOpenItemIds()), "open item"))
			return nil
		},
	}
	cmd.Flags().StringVar(&into, "into", "", "the surviving debtor (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why the debtors are one (required, recorded)")
	cmd.Flags().StringVar(&date, "date", "", "date of the merge entries; default today")
	return cmd
}
