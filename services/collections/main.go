// Command collections is the o2c collections service: it hands what
// dunning could not recover to collection agencies chosen by the tenant's
// rules, serves the agencies (AgencyService: their cases, acceptance,
// progress, payments, questions, closing) and the merchant
// (CollectionsService: manual releases, recalls, answers, the recovery
// report), and books what the agencies report through ledger commands.
// Configuration is by environment (`collections --help` lists it; see
// libs/host.Config); each tenant's agencies and rules are the collections
// section of the tenants file (O2C_TENANTS).
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
	"github.com/o2c-platform/o2c/services/collections/service"
)

// summary is the first line of --help.
const summary = "hands final-level receivables to collection agencies, serves the agencies (AgencyService) and the merchant (CollectionsService) and books what the agencies collect through ledger commands"

func main() {
	if help, err := host.CommandLine(os.Args[1:], os.Stdout, service.Name, summary, service.DefaultAddr); help || err != nil {
		if err != nil {
			fmt.Fprintln(os.Stderr, "collections:", err)
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
		fmt.Fprintln(os.Stderr, "collections:", redact.String(err.Error()))
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
	opt := service.Options{Tenants: ts}
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
