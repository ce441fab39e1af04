package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
)

func newDemoCmd() *cobra.Command {
	var opt demo.Options
	cmd := &cobra.Command{
		Use:   "demo [--keep-running]",
		Short: "Run the whole system in this process with a demo merchant and print what happened",
		Long: `demo starts an embedded NATS JetStream server, a throwaway PostgreSQL cluster
(from the PostgreSQL server binaries on PATH or in /usr/lib/postgresql; or the
database in DATABASE_URL, used as owner) and every service, publishes the demo
shop's invoices, waits until they are booked and prints the open items and the
rejected messages. With --keep-running the system stays up on the default
ports (ingestion 9091, ledger 9092) for o2c open-items and friends.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt.Out, opt.Log = cmd.OutOrStdout(), cmd.ErrOrStderr()
			opt.FixedPorts = opt.KeepRunning
			return demo.Run(cmd.Context(), opt)
		},
	}
	cmd.Flags().StringVar(&opt.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "owner URL of an existing database (env DATABASE_URL); empty starts a throwaway cluster")
	cmd.Flags().BoolVar(&opt.KeepRunning, "keep-running", false, "keep the system running after the report until Ctrl-C")
	return cmd
}
