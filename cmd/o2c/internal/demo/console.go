package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/telemetry"
	collections "github.com/o2c-platform/o2c/services/collections/service"
	console "github.com/o2c-platform/o2c/services/console/service"
	dunning "github.com/o2c-platform/o2c/services/dunning/service"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	matching "github.com/o2c-platform/o2c/services/matching/service"
	refundimport "github.com/o2c-platform/o2c/services/refund-import/service"
)

// ConsoleHTTPPort is the console's web port with FixedPorts (plus
// PortOffset).
const ConsoleHTTPPort = 8080

// jwksFile is the JWKS of the console's development login in the run
// folder: the services trust the tokens it signs (see authConfig).
const jwksFile = "console-jwks.json"

// consoleStarter is the console's entry of services(): it serves its gRPC
// health on the listener the demo gives it and the web UI on the
// System's ConsoleURL.
func consoleStarter() starter {
	return starter{console.Name, console.DefaultAddr, runConsole}
}

// ConsolePrincipal is who the console is on its connections to the other
// services, through the client certificate the demo issues it. Every call
// it makes carries the signed-in user's token, and the services act as
// that user (auth.OnBehalf); without one the console could only read as
// a viewer of the demo tenant.
func ConsolePrincipal() identity.Principal {
	return identity.Principal{Actor: "service:console", Tenants: []string{Tenant}, Roles: []identity.Role{identity.Viewer}}
}

// DemoUsers are the console's users in the demo, all with password "demo".
func DemoUsers() []console.DevUser { return console.DemoUsers(Tenant) }

// runConsole starts the console with the development login of the run
// (refused with O2C_PRODUCTION=true) and connections to every backend
// with its own client certificate.
func runConsole(ctx context.Context, cfg host.Config, p telemetry.Providers, log *slog.Logger, lis net.Listener, peers peers) error {
	production, _ := strconv.ParseBool(strings.TrimSpace(os.Getenv("O2C_PRODUCTION")))
	backends := console.Backends{}
	targets := map[string]**grpc.ClientConn{
		ingestion.Name: &backends.Ingestion, ledger.Name: &backends.Ledger, matching.Name: &backends.Matching,
		dunning.Name: &backends.Dunning, collections.Name: &backends.Collections, refundimport.Name: &backends.RefundImport,
	}
	for name, to := range targets {
		conn, err := peers.sec.dial(peers.addrs[name], ConsolePrincipal())
		if err != nil {
			return err
		}
		defer conn.Close()
		*to = conn
	}
	creds, err := auth.ServerTLS(cfg.Auth.TLSCert, cfg.Auth.TLSKey, "")
	if err != nil {
		return err
	}
	return console.Run(ctx, console.Options{
		Backends: backends, Login: peers.sec.console, Production: production, GRPCCreds: creds,
		ShutdownTimeout: cfg.ShutdownTimeout,
	}, p, log, lis, peers.consoleHTTP)
}

// writeConsoleJWKS makes the run's development login and writes the JWKS
// of its key into the run folder.
func (s *secrets) writeConsoleJWKS() error {
	dl, err := console.NewDevLogin(DemoUsers(), nil, nil)
	if err != nil {
		return err
	}
	s.console = dl
	if err := os.WriteFile(filepath.Join(s.dir, jwksFile), dl.JWKS(), 0o600); err != nil {
		return fmt.Errorf("demo credentials: %w", err)
	}
	return nil
}

// printConsole says where the console is and who may sign in; kept says
// whether it stays up after the report (--keep-running).
func printConsole(out io.Writer, url string, kept bool) {
	if url == "" {
		return
	}
	stays := "until the report is done; run with --keep-running (make demo ARGS=--keep-running) to keep it up"
	if kept {
		stays = "until you stop the demo"
	}
	fmt.Fprintf(out, "The console (the web UI for customer service and finance) runs at %s %s.\n", url, stays)
	fmt.Fprintln(out, "Sign in with the development login, refused with O2C_PRODUCTION=true:")
	for _, u := range DemoUsers() {
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(out, "  %-8s password %s  (%s)  %s/login?user=%s\n", u.Name, u.Password, strings.Join(roles, ", "), url, u.Name)
	}
	fmt.Fprintln(out)
}

// ConsoleScenario gives the console something to show on a freshly
// started system: it publishes the demo's invoices and the two late
// payers' (DunningInvoices), waits until the ledger booked them and
// dunning took them in, and runs no dunning: the console's tests run it
// themselves for the day they need.
func ConsoleScenario(ctx context.Context, sys *System) error {
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		return err
	}
	defer closeNATS()
	if _, err := Publish(ctx, sys, telemetry.Providers{}); err != nil {
		return err
	}
	invs := DunningInvoices()
	if err := publishInvoices(ctx, sys, invs); err != nil {
		return err
	}
	if _, err := WaitForOpenItems(ctx, sys.Conn(ledger.Name), ExpectedOpenItems+len(invs)); err != nil {
		return err
	}
	return WaitForDunningInput(ctx, js, ExpectedOpenItems+len(invs))
}
