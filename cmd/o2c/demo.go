package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
)

func newDemoCmd() *cobra.Command {
	var opt demo.Options
	var randomPorts bool
	cmd := &cobra.Command{
		Use:   "demo [--keep-running] [--ports-offset N | --random-ports]",
		Short: "Run the whole system in this process with a demo merchant and print what happened",
		Long: `demo starts an embedded NATS JetStream server, a throwaway PostgreSQL cluster
(from the PostgreSQL server binaries on PATH or in /usr/lib/postgresql; or the
database in DATABASE_URL, used as owner) and every service, publishes the demo
shop's invoices, waits until they are booked and prints the open items and the
rejected messages.

With --keep-running the system stays up on the default ports (NATS 4222,
ingestion 9091, ledger 9092) for o2c open-items and friends until Ctrl-C or
SIGTERM; then it stops the services, PostgreSQL and NATS and removes their
files. When one of these ports is taken (most likely by another demo), demo
refuses to start and names it: stop the other one, or add --ports-offset N to
every port, or take free ports with --random-ports. Without --keep-running
demo takes free ports unless --ports-offset is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt.Out, opt.Log = cmd.OutOrStdout(), cmd.ErrOrStderr()
			opt.FixedPorts = (opt.KeepRunning || cmd.Flags().Changed("ports-offset")) && !randomPorts
			return demo.Run(cmd.Context(), opt)
		},
	}
	cmd.Flags().StringVar(&opt.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "owner URL of an existing database (env DATABASE_URL); empty starts a throwaway cluster")
	cmd.Flags().BoolVar(&opt.KeepRunning, "keep-running", false, "keep the system running on the default ports after the report until Ctrl-C or SIGTERM")
	cmd.Flags().IntVar(&opt.PortOffset, "ports-offset", 0, "listen on the default ports plus N (NATS 4222+N, ingestion 9091+N, ledger 9092+N), e.g. for a second demo")
	cmd.Flags().BoolVar(&randomPorts, "random-ports", false, "listen on free ports chosen by the kernel instead of the default ones")
	cmd.MarkFlagsMutuallyExclusive("ports-offset", "random-ports")
	return cmd
}
