// Command refund-import is the o2c refund-import service: every seller
// account's schedule (default four hours) and on request it imports the
// account's Amazon refunds, guarantee claims, chargebacks and refund
// reversals from the SP-API Finances API and books each once as a credit
// note in the ledger, and fetches its settlement reports through the
// Reports API for ingestion. Configuration is by environment
// (`refund-import --help` lists it; see libs/host.Config); each tenant's
// seller accounts are the refunds section of the tenants file
// (O2C_TENANTS), their credentials are named there by reference only.
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
	"github.com/o2c-platform/o2c/services/refund-import/service"
)

// summary is the first line of --help.
const summary = "imports Amazon refunds from the SP-API every few hours and books each once as a credit note in the ledger; fetches settlement reports for ingestion (RefundService)"

// variables are the variables run reads beyond host.Config and the peer.
var variables = []host.Variable{
	{Name: "REFUND_IMPORT_SPAPI_ENDPOINT", Meaning: "SP-API endpoint for every region instead of Amazon's (the fake server of the demo); unset: https://sellingpartnerapi-<region>.amazon.com"},
	{Name: "REFUND_IMPORT_LWA_TOKEN_URL", Meaning: "Login with Amazon token endpoint; unset: https://api.amazon.com/auth/o2/token"},
	{Name: "REFUND_IMPORT_SECRETS_DIR", Meaning: "where secret:NAME/KEY credentials references are mounted (the file <dir>/NAME/KEY, JSON with client_id, client_secret, refresh_token); default " + service.DefaultSecretsDir},
	{Name: "REFUND_IMPORT_RATE_LIMITS", Meaning: "\"off\" switches the SP-API rate limits off (only against the fake server); unset: Amazon's"},
	{Name: "REFUND_IMPORT_SCHEDULE", Meaning: "\"off\" imports only on request (RefundService.RunImport); unset: every seller account on its schedule"},
	{Name: "<NAME>_CLIENT_ID, <NAME>_CLIENT_SECRET, <NAME>_REFRESH_TOKEN", Meaning: "a seller account's Login with Amazon credentials when its credentials_ref is env:<NAME>"},
}

func main() {
	if help, err := host.CommandLine(os.Args[1:], os.Stdout, service.Name, summary, service.DefaultAddr); help || err != nil {
		if err != nil {
			fmt.Fprintln(os.Stderr, "refund-import:", err)
			os.Exit(2)
		}
		for _, v := range append(service.IngestionVariables(), variables...) {
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
		fmt.Fprintln(os.Stderr, "refund-import:", redact.String(err.Error()))
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
	secrets := getenv("REFUND_IMPORT_SECRETS_DIR")
	if secrets == "" {
		secrets = service.DefaultSecretsDir
	}
	opt := service.Options{Tenants: ts, Credentials: service.CredentialsFromEnv(getenv, secrets),
		SPAPI: service.SPAPI{Endpoint: getenv("REFUND_IMPORT_SPAPI_ENDPOINT"), TokenURL: getenv("REFUND_IMPORT_LWA_TOKEN_URL")}}
	switch v := getenv("REFUND_IMPORT_RATE_LIMITS"); v {
	case "":
	case "off":
		opt.SPAPI.NoRateLimits = true
	default:
		return fmt.Errorf("REFUND_IMPORT_RATE_LIMITS is %q: want off or nothing", v)
	}
	switch v := getenv("REFUND_IMPORT_SCHEDULE"); v {
	case "":
	case "off":
		opt.NoSchedule = true
	default:
		return fmt.Errorf("REFUND_IMPORT_SCHEDULE is %q: want off or nothing", v)
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
