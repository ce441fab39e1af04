// Command matching is the o2c matching service (cash application): it
// decides every bank receipt and return ingestion imports against the
// ledger's open items, books the sure ones through ledger commands and
// keeps the rest in an exception queue served over gRPC. Configuration is
// by environment (`matching --help` lists it; see libs/host.Config and
// service.IngestionClient); each tenant's rules are the matching section of
// the tenants file (O2C_TENANTS).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/matching/service"
)

// summary is the first line of --help.
const summary = "matches bank receipts and returns to the ledger's open items, books the sure ones through ledger commands and keeps the rest in an exception queue (MatchingService)"

func main() {
	if help, err := host.CommandLine(os.Args[1:], os.Stdout, service.Name, summary, service.DefaultAddr); help || err != nil {
		if err != nil {
			fmt.Fprintln(os.Stderr, "matching:", err)
			os.Exit(2)
		}
		for _, v := range append(service.IngestionVariables(), service.SepaVariables()...) {
			fmt.Fprintf(os.Stdout, "  %s\n      %s\n", v.Name, v.Meaning)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "matching:", redact.String(err.Error()))
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
	runAt, err := service.SepaRunAt(getenv(service.SepaRunAtEnv))
	if err != nil {
		return err
	}
	opt := service.Options{Tenants: ts, SepaDir: getenv(service.SepaOutputDirEnv), SepaRunAt: runAt}
	conn, err := ic.Dial()
	if err != nil {
		return err
	}
	if conn != nil {
		defer conn.Close()
		opt.Ingestion = conn
	}
	p, shutdown, err := telemetry.Setup(ctx, service.Name, getenv)
	if err != nil {
		return err
	}
	defer shutdown(context.WithoutCancel(ctx))
	log := slog.New(redact.NewHandler(slog.NewJSONHandler(os.Stderr, nil)))
	return service.Run(ctx, cfg, opt, p, log, nil)
}
