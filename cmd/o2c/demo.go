package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/credfile"
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
demo takes free ports unless --ports-offset is given.

Nothing runs in development mode. Each run generates its credentials and
prints what and where: a CA that lives as long as the run, the services'
certificate (mutual TLS), a client certificate for the CLI as finance:demo
(accountant and operator of tenant demo), and a NATS user with a fresh
password for each service, the demo shop (shop-demo) and the platform team
(admin). The CLI's credentials file names the certificate and the shop's
user. On the default ports it is written where the CLI looks by default
(` + defaultCredentialsHelp() + `); otherwise into the run's
folder, or where --credentials FILE says, and the summary says what to
export. The demo replaces only a credentials file it wrote, and removes it
when it stops.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt.Out, opt.Log = cmd.OutOrStdout(), cmd.ErrOrStderr()
			opt.FixedPorts = (opt.KeepRunning || cmd.Flags().Changed("ports-offset")) && !randomPorts
			// The default file only for the default ports: a second demo
			// on other ports must not take the first one's CLI away.
			if f := cmd.Flag(credentialsFlag); f != nil && f.Changed {
				opt.CredentialsFile = f.Value.String()
			} else if opt.FixedPorts && opt.PortOffset == 0 {
				p, err := credfile.DefaultPath()
				if err != nil {
					return err
				}
				opt.CredentialsFile = p
			}
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

// defaultCredentialsHelp names the default credentials file for help.
func defaultCredentialsHelp() string {
	if p, err := credfile.DefaultPath(); err == nil {
		return p
	}
	return "$XDG_CONFIG_HOME/o2c/demo-credentials.json"
}
