package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/services/matching/offline"
)

// newMatchCmd is `o2c match`: the matching engine over files
// (shared/contracts/o2c-match.md), for backtesting a rule change and for
// measuring the engine.
func newMatchCmd() *cobra.Command {
	var opt offline.Options
	cmd := &cobra.Command{
		Use:   "match --open-items ITEMS.jsonl --payments PAYMENTS.jsonl [--debtors DEBTORS.jsonl] [--history HISTORY.jsonl] [--config RULES.yaml]",
		Short: "Match payments to open items offline (JSON Lines in, one decision per payment out)",
		Long: `match runs the matching service's engine over files instead of events: it reads the
open items, the debtors' master data and earlier confirmed payments, then decides
every payment of PAYMENTS.jsonl in input order and prints one JSON line per payment
on standard output (auto, proposed or unmatched; debtor, allocations, difference,
the payment a return reverses, up to four alternatives and a one-line
explanation), as shared/contracts/o2c-match.md specifies. Only automatic
decisions consume open amounts, as they would in the service.

--config reads the matching rules (the keys of the tenants file's matching
section: auto_threshold, propose_threshold, tolerance, cash_discount_grace_days,
write_off_limit_minor, number_patterns, marketplaces, max_subset_size, returns,
reversal_codes) in YAML or JSON; without it the defaults apply.

Exit status 0 when every payment got its decision line, 1 on unreadable input,
with a message naming the file and line (the payments before it are decided).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stderr := cmd.ErrOrStderr()
			if f, ok := stderr.(*os.File); ok {
				if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
					opt.Progress = stderr
				}
			}
			sum, err := offline.Run(cmd.Context(), opt, cmd.OutOrStdout())
			if err != nil {
				fmt.Fprintln(stderr, "o2c match:", err)
				return exitCode(1)
			}
			fmt.Fprintf(stderr, "o2c match: %d payments against %d open items: %d auto, %d proposed, %d unmatched (load %s, match %s)\n",
				sum.Payments, sum.Items, sum.Auto, sum.Proposed, sum.Unmatched, sum.Load.Round(1e6), sum.Match.Round(1e6))
			return nil
		},
	}
	cmd.Flags().StringVar(&opt.Items, "open-items", "", "open items, JSON Lines (required)")
	cmd.Flags().StringVar(&opt.Payments, "payments", "", "payments to match, JSON Lines (required)")
	cmd.Flags().StringVar(&opt.Debtors, "debtors", "", "debtors' master data, JSON Lines")
	cmd.Flags().StringVar(&opt.History, "history", "", "earlier confirmed payments, JSON Lines")
	cmd.Flags().StringVar(&opt.Config, "config", "", "matching rules, YAML or JSON (the tenants file's matching section)")
	_ = cmd.MarkFlagRequired("open-items")
	_ = cmd.MarkFlagRequired("payments")
	return cmd
}
