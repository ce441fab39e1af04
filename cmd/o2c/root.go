package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/parse"
)

// exitCode is returned by commands that decide their own exit status and have
// already printed everything the user needs.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func asExitCode(err error, target *exitCode) bool { return errors.As(err, target) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "o2c",
		Short:         "Operator CLI for the o2c order-to-cash platform",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newParseCmd(), newOpenItemsCmd(), newRejectedCmd(), newVerifyCmd(), newDemoCmd())
	root.AddCommand(newLedgerCmd(), newPublishCmd(), newTenantsCmd())
	root.AddCommand(newAuditCmd())
	root.AddCommand(newCredentialsCmd())
	root.AddCommand(newDebtorsCmd())
	root.AddCommand(newPendingCmd())
	root.AddCommand(newImportCmd(), newImportsCmd())
	root.AddCommand(newBenchCmd())
	root.AddCommand(newMatchCmd())
	root.AddCommand(newQueueCmd())
	root.AddCommand(newRefundsCmd())
	root.AddCommand(newDunningCmd())
	root.AddCommand(newCollectionsCmd())
	root.AddCommand(newSepaCmd())
	root.AddCommand(newReportCmd(), newExportCmd())
	bindCredentials(root)
	return root
}

func newParseCmd() *cobra.Command {
	var opt parse.Options
	cmd := &cobra.Command{
		Use:   "parse [--format FORMAT] [--output json|table] FILE...",
		Short: "Print what the importers understand of payment and marketplace files (JSON Lines or tables)",
		Long: `parse reads bank statements (camt.052/053/054, MT940, MT942), Amazon settlement
reports, SP-API Finances pages and DATEV EXTF files and prints one JSON object per
file on standard output, as shared/contracts/o2c-parse.md specifies. With
--output table it prints the same as tables for people instead: per statement its
balances and entries (dates, amount in the currency, counterparty, reference), per
settlement its lines, the SP-API events, the DATEV bookings. Nothing is written to
any database. Each file is read once; its output is held back until the file has
parsed (the first MB in memory, the rest in a temporary file in $TMPDIR that has no
name while it is used), so that a file that fails prints its error line and nothing
else. Exit status 1 means at least one file could not be parsed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := parse.Run(args, opt, cmd.OutOrStdout(), cmd.ErrOrStderr()); code != 0 {
				return exitCode(code)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opt.Format, "format", "auto", "file format: "+strings.Join(parse.Names(), "|"))
	cmd.Flags().StringVar(&opt.Encoding, "encoding", "", "text encoding override for MT940 (e.g. cp852, windows-1252); default: detect")
	cmd.Flags().StringVarP(&opt.Output, "output", "o", "json", "output: "+strings.Join(parse.Outputs, "|")+" (json is the contract, table is for people)")
	return cmd
}
