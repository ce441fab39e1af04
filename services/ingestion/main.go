// Command ingestion is the o2c ingestion service: it validates and
// deduplicates what shops publish and hands the normalized events to the
// rest of o2c. Configuration is by environment (`ingestion --help` lists
// it; see libs/host.Config and service.LedgerClient). The tenants file (O2C_TENANTS) names the
// tenants whose messages are accepted and gives their tax rules, the
// ledger's, so that ingestion accepts exactly what the ledger books.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/ingestion/service"
)

// summary is the first line of --help.
const summary = "validates and deduplicates what shops publish on shop.<tenant>.> and hands the accepted invoices to the rest of o2c; rejected messages are kept with their reason"

func main() {
	if help, err := host.CommandLine(os.Args[1:], os.Stdout, service.Name, summary, service.DefaultAddr); help || err != nil {
		if err != nil {
			fmt.Fprintln(os.Stderr, "ingestion:", err)
			os.Exit(2)
		}
		for _, v := range append(service.DropVariables(), service.LedgerVariables()...) {
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
		fmt.Fprintln(os.Stderr, "ingestion:", redact.String(err.Error()))
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	cfg, err := host.FromEnv(getenv, service.DefaultAddr)
	if err != nil {
		return err
	}
	lc, err := service.LedgerClientFromEnv(getenv)
	if err != nil {
		return err
	}
	ts, err := tenants.Load(cfg.TenantsFile)
	if err != nil {
		return err
	}
	opt := service.Options{Tenants: ts, DropDir: getenv(service.DropDirEnv)}
	p, shutdown, err := telemetry.Setup(ctx, service.Name, getenv)
	if err != nil {
		return err
	}
	defer shutdown(context.WithoutCancel(ctx))
	conn, err := lc.Dial(telemetry.GRPCDialOption(p))
	if err != nil {
		return err
	}
	if conn != nil {
		defer conn.Close()
		opt.Ledger = ledgerv1grpc.NewLedgerServiceClient(conn)
	}
	log := telemetry.NewLogger(os.Stderr, nil)
	return service.Run(ctx, cfg, opt, p, log, nil)
}
