// Command ingestion is the o2c ingestion service: it validates and
// deduplicates what shops publish and hands the normalized events to the
// rest of o2c. Configuration is by environment; see libs/host.Config.
// LEDGER_SETTINGS, the ledger's settings file, gives the tenants' tax
// treatments, so that ingestion accepts exactly what the ledger books.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ingestion/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingestion:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	cfg, err := host.FromEnv(getenv, service.DefaultAddr)
	if err != nil {
		return err
	}
	p, shutdown, err := telemetry.Setup(ctx, service.Name, getenv)
	if err != nil {
		return err
	}
	defer shutdown(context.WithoutCancel(ctx))
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	var opt service.Options
	if path := getenv("LEDGER_SETTINGS"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("LEDGER_SETTINGS: %w", err)
		}
		tables, err := tax.LoadTables(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("LEDGER_SETTINGS %s: %w", path, err)
		}
		opt.Tax = tables.For
	}
	return service.Run(ctx, cfg, opt, p, log, nil)
}
