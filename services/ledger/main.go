// Command ledger is the o2c ledger service: the double-entry book of
// record. It books what other services publish and answers questions about
// the books. Configuration is by environment; see libs/host.Config.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ledger/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ledger:", err)
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
		if opt.Books, err = service.LoadSettingsFile(path); err != nil {
			return err
		}
	}
	l, err := service.New(ctx, cfg, opt, p, log, nil)
	if err != nil {
		return err
	}
	return l.Serve(ctx)
}
