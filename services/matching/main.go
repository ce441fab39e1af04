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
	"errors"
	"fmt"
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
		for _, v := range append(append(service.IngestionVariables(), service.SepaVariables()...), followVariables...) {
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
		fmt.Fprintln(os.Stderr, "matching:", redact.String(err.Error()))
		os.Exit(1)
	}
}

// The streams of other services matching follows unless told not to. The
// ledger declares both (they carry commands for it), so matching does not
// wait for refund import or dunning to start; a deployment without one of
// them may still switch its consumer off.
const (
	refundDecisionsEnv = "MATCHING_REFUND_DECISIONS"
	dunningBlocksEnv   = "MATCHING_DUNNING_BLOCKS"
)

var followVariables = []host.Variable{
	{Name: refundDecisionsEnv, Meaning: "on (default) or off: follow refund import's decisions, so a refund it linked to the shop's own credit note or held is not credited again with its payout"},
	{Name: dunningBlocksEnv, Meaning: "on (default) or off: follow dunning's blocks, so a blocked or disputed debtor or item is neither collected by SEPA direct debit nor paid out"},
}

// follow reads an on/off variable that defaults to on.
func follow(getenv func(string) string, name string) (bool, error) {
	switch v := getenv(name); v {
	case "", "on":
		return true, nil
	case "off":
		return false, nil
	default:
		return false, fmt.Errorf("%s: %q: want on or off", name, v)
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
	if opt.RefundDecisions, err = follow(getenv, refundDecisionsEnv); err != nil {
		return err
	}
	if opt.DunningBlocks, err = follow(getenv, dunningBlocksEnv); err != nil {
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
