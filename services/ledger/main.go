// Command ledger is the o2c ledger service: the double-entry book of
// record. It books what other services publish and answers questions about
// the books. Configuration is by environment (`ledger --help` lists it; see
// libs/host.Config); the tenants file (O2C_TENANTS) names the tenants it
// books for and gives each one's ledger section.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/ledger/service"
)

// summary is the first line of --help.
const summary = "the double-entry book of record of o2c: books invoices and the commands of other services, answers about open items, balances and reports over gRPC"

func main() {
	if help, err := host.CommandLine(os.Args[1:], os.Stdout, service.Name, summary, service.DefaultAddr); help || err != nil {
		if err != nil {
			fmt.Fprintln(os.Stderr, "ledger:", err)
			os.Exit(2)
		}
		for _, v := range service.IngestionVariables() {
			fmt.Fprintf(os.Stdout, "  %s\n      %s\n", v.Name, v.Meaning)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv)
	stop()
	if errors.Is(err, host.ErrMigrated) {
		return // a migration job (O2C_MIGRATE_ONLY=true): the schema is up to date
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ledger:", redact.String(err.Error()))
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	cfg, err := host.FromEnv(getenv, service.DefaultAddr)
	if err != nil {
		return err
	}
	ts, err := tenants.Load(cfg.TenantsFile)
	if err != nil {
		return err
	}
	opt := service.Options{Tenants: ts}
	ic, err := service.IngestionClientFromEnv(getenv)
	if err != nil {
		return err
	}
	p, shutdown, err := telemetry.Setup(ctx, service.Name, getenv)
	if err != nil {
		return err
	}
	defer shutdown(context.WithoutCancel(ctx))
	conn, err := ic.Dial(telemetry.GRPCDialOption(p))
	if err != nil {
		return err
	}
	if conn != nil {
		defer conn.Close()
		opt.Ingestion = conn
	}
	log := telemetry.NewLogger(os.Stderr, nil)
	l, err := service.New(ctx, cfg, opt, p, log, nil)
	if err != nil {
		return err
	}
	return l.Serve(ctx)
}
