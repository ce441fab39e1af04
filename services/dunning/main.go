// Command dunning is the o2c dunning service: every day, per tenant, it
// decides which debtor gets which reminder from the ledger's open items,
// books fees and default interest through ledger commands, puts the
// notices in an outbox, releases final-level items to collections and can
// say afterwards why. Configuration is by environment (`dunning --help`
// lists it; see libs/host.Config and service.Variables); each tenant's
// procedures are the dunning section of the tenants file (O2C_TENANTS).
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
	"github.com/o2c-platform/o2c/services/dunning/service"
)

// summary is the first line of --help.
const summary = "decides the daily dunning run per tenant from the ledger's open items, books fees and interest through ledger commands, puts notices in an outbox and releases final-level items to collections (DunningService)"

func main() {
	if help, err := host.CommandLine(os.Args[1:], os.Stdout, service.Name, summary, service.DefaultAddr); help || err != nil {
		if err != nil {
			fmt.Fprintln(os.Stderr, "dunning:", err)
			os.Exit(2)
		}
		for _, v := range append(service.Variables(), service.IngestionVariables()...) {
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
		fmt.Fprintln(os.Stderr, "dunning:", redact.String(err.Error()))
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	cfg, err := host.FromEnv(getenv, service.DefaultAddr)
	if err != nil {
		return err
	}
	ic, err := service.IngestionClientFromEnv(getenv)
	if err != nil {
		return err
	}
	ts, err := tenants.Load(cfg.TenantsFile)
	if err != nil {
		return err
	}
	opt, err := service.OptionsFromEnv(getenv, service.Options{Tenants: ts})
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
	return service.Run(ctx, cfg, opt, p, log, nil)
}
