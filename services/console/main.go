// Command console is the o2c console: the web UI where customer service
// and finance look at debtors' accounts, stop dunning, and work the
// queues. It serves HTML on CONSOLE_HTTP_ADDR and gRPC health on
// GRPC_ADDR, and calls the other services with the signed-in user's token
// (`console --help` lists the variables). Users sign in with OIDC
// (O2C_OIDC_ISSUER and the console's client); the development login is
// for local use only and refused with O2C_PRODUCTION=true.
package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/console/internal/postgres"
	"github.com/o2c-platform/o2c/services/console/internal/web"
	"github.com/o2c-platform/o2c/services/console/service"
)

// summary is the first line of --help.
const summary = "the web UI for customer service and finance: debtor search, account view, dunning blocks, reports, rejected messages; every backend call carries the signed-in user's token"

// The console's own variables.
const (
	httpAddrEnv     = "CONSOLE_HTTP_ADDR"
	productionEnv   = "O2C_PRODUCTION"
	secureEnv       = "CONSOLE_SECURE_COOKIES"
	devLoginEnv     = "CONSOLE_DEV_LOGIN"
	devKeyEnv       = "CONSOLE_DEV_KEY"
	devTenantEnv    = "CONSOLE_DEV_TENANT"
	issuerEnv       = "O2C_OIDC_ISSUER"
	clientIDEnv     = "O2C_OIDC_CLIENT_ID"
	clientSecretEnv = "O2C_OIDC_CLIENT_SECRET_FILE"
	redirectEnv     = "O2C_OIDC_REDIRECT_URL"
	audienceEnv     = "O2C_OIDC_AUDIENCE"
)

// backendEnvs are the backends' address variables.
var backendEnvs = []struct{ env, name string }{
	{"INGESTION_ADDR", "ingestion"}, {"LEDGER_ADDR", "the ledger"}, {"MATCHING_ADDR", "matching"},
	{"DUNNING_ADDR", "dunning"}, {"COLLECTIONS_ADDR", "collections"}, {"REFUND_IMPORT_ADDR", "refund import"},
}

// variables are what run reads, for --help.
func variables() []host.Variable {
	vs := []host.Variable{
		{Name: httpAddrEnv, Meaning: "the web UI's listen address (default " + service.DefaultHTTPAddr + ")"},
		{Name: "GRPC_ADDR", Meaning: "gRPC health's listen address (default " + service.DefaultAddr + ")"},
		{Name: auth.TLSCertEnv + ", " + auth.TLSKeyEnv, Meaning: "TLS certificate and key of the gRPC health server (unset: clear text)"},
		{Name: issuerEnv, Meaning: "the OIDC provider's issuer URL (https); users sign in there with the authorization-code flow and PKCE"},
		{Name: clientIDEnv + ", " + clientSecretEnv, Meaning: "the console's OIDC client id, and the file holding its secret (by reference, never the secret itself)"},
		{Name: redirectEnv, Meaning: "the console's callback URL registered at the provider (https://<console>/auth/callback); unset derives it from the request"},
		{Name: audienceEnv, Meaning: "the aud the access tokens must carry: the backends' " + auth.JWTAudienceEnv + " (unset: not checked)"},
		{Name: productionEnv, Meaning: "true refuses the development login and marks cookies Secure"},
		{Name: "DATABASE_URL, MIGRATE_DATABASE_URL", Meaning: "PostgreSQL for the sessions, shared by every console replica (schema console, app role console_app; the owner URL migrates it at start); unset keeps them in this process's memory"},
		{Name: secureEnv, Meaning: "true marks the cookies HTTPS-only (default: the value of " + productionEnv + ")"},
		{Name: devLoginEnv + ", " + devKeyEnv + ", " + devTenantEnv, Meaning: "development only: true offers the demo users (cs, finance, viewer, admin; password demo) of tenant " + devTenantEnv + " (default demo), their tokens signed with the Ed25519 seed " + devKeyEnv + " (base64) whose JWKS the backends must trust; refused with " + productionEnv + "=true"},
	}
	for _, b := range backendEnvs {
		vs = append(vs, host.Variable{Name: b.env, Meaning: b.name + "'s gRPC address (unset: its pages say it is not configured)"})
	}
	return append(vs,
		host.Variable{Name: host.ClientCertEnv + ", " + host.ClientKeyEnv, Meaning: "the console's client certificate for backends that run mutual TLS (the user's token is sent on top)"},
		host.Variable{Name: host.ClientCAEnv, Meaning: "the CA of the backends' server certificates (default: the system's roots)"},
	)
}

func main() {
	if help, err := host.CommandLine(os.Args[1:], os.Stdout, service.Name, summary, service.DefaultAddr); help || err != nil {
		if err != nil {
			fmt.Fprintln(os.Stderr, "console:", err)
			os.Exit(2)
		}
		for _, v := range variables() {
			fmt.Fprintf(os.Stdout, "  %s\n      %s\n", v.Name, v.Meaning)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "console:", redact.String(err.Error()))
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	log := telemetry.NewLogger(stderr, nil)
	p, shutdown, err := telemetry.Setup(ctx, service.Name, getenv)
	if err != nil {
		return err
	}
	defer shutdown(context.WithoutCancel(ctx))
	opt, closeConns, err := options(ctx, getenv, p, log)
	if err != nil {
		return err
	}
	defer closeConns()
	return service.Run(ctx, opt, p, log, nil, nil)
}

// options reads the console's Options through getenv and dials the
// backends; closeConns closes them.
func options(ctx context.Context, getenv func(string) string, p telemetry.Providers, log *slog.Logger) (_ service.Options, closeConns func(), err error) {
	var conns []*grpc.ClientConn
	closeConns = func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}
	defer func() {
		if err != nil {
			closeConns()
		}
	}()
	opt := service.Options{HTTPAddr: getenv(httpAddrEnv), GRPCAddr: getenv("GRPC_ADDR")}
	if pool, err := sessionPool(ctx, getenv); err != nil {
		return opt, closeConns, err
	} else if pool != nil {
		conns := closeConns
		closeConns = func() { conns(); pool.Close() }
		opt.Sessions = postgres.NewSessions(pool)
	}
	if opt.Production, err = boolEnv(getenv, productionEnv, false); err != nil {
		return opt, closeConns, err
	}
	if opt.SecureCookies, err = boolEnv(getenv, secureEnv, opt.Production); err != nil {
		return opt, closeConns, err
	}
	if cert, key := getenv(auth.TLSCertEnv), getenv(auth.TLSKeyEnv); cert != "" || key != "" {
		if opt.GRPCCreds, err = auth.ServerTLS(cert, key, ""); err != nil {
			return opt, closeConns, err
		}
	}
	targets := []**grpc.ClientConn{&opt.Backends.Ingestion, &opt.Backends.Ledger, &opt.Backends.Matching, &opt.Backends.Dunning, &opt.Backends.Collections, &opt.Backends.RefundImport}
	for i, b := range backendEnvs {
		peer := host.Peer{Addr: getenv(b.env), CertFile: getenv(host.ClientCertEnv), KeyFile: getenv(host.ClientKeyEnv), CAFile: getenv(host.ClientCAEnv)}
		conn, err := peer.Dial(telemetry.GRPCDialOption(p))
		if err != nil {
			return opt, closeConns, fmt.Errorf("%s: %w", b.env, err)
		}
		if conn != nil {
			conns = append(conns, conn)
			*targets[i] = conn
		}
	}
	dev, err := boolEnv(getenv, devLoginEnv, false)
	if err != nil {
		return opt, closeConns, err
	}
	switch issuer := getenv(issuerEnv); {
	case dev && opt.Production:
		return opt, closeConns, fmt.Errorf("%w: %s=true with %s=true", service.ErrDevLoginInProduction, devLoginEnv, productionEnv)
	case dev && issuer != "":
		return opt, closeConns, fmt.Errorf("%s and %s exclude each other: choose one login", devLoginEnv, issuerEnv)
	case dev:
		var key ed25519.PrivateKey
		if v := getenv(devKeyEnv); v != "" {
			seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
			if err != nil || len(seed) != ed25519.SeedSize {
				return opt, closeConns, fmt.Errorf("%s: want a base64 Ed25519 seed of %d bytes", devKeyEnv, ed25519.SeedSize)
			}
			key = ed25519.NewKeyFromSeed(seed)
		}
		tenant := getenv(devTenantEnv)
		if tenant == "" {
			tenant = "demo"
		}
		if opt.Login, err = service.NewDevLogin(service.DemoUsers(tenant), key, nil); err != nil {
			return opt, closeConns, err
		}
		log.Error("DEVELOPMENT LOGIN: the console offers demo users with known passwords; never run it in production (" + productionEnv + "=true refuses it)")
	case issuer != "":
		o := web.OIDCOptions{Issuer: issuer, ClientID: getenv(clientIDEnv), RedirectURL: getenv(redirectEnv), Audience: getenv(audienceEnv), Log: log}
		if f := getenv(clientSecretEnv); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return opt, closeConns, fmt.Errorf("%s: %w", clientSecretEnv, err)
			}
			o.ClientSecret = strings.TrimSpace(string(b))
		}
		if opt.Login, err = web.NewOIDCLogin(ctx, o); err != nil {
			return opt, closeConns, err
		}
	default:
		return opt, closeConns, errors.New("no login configured: set " + issuerEnv + " and " + clientIDEnv + " (--help lists every setting)")
	}
	return opt, closeConns, nil
}

// sessionPool connects to the console's schema when DATABASE_URL or
// MIGRATE_DATABASE_URL is set (migrating it with the latter), for
// sessions every replica shares; nil keeps them in memory.
func sessionPool(ctx context.Context, getenv func(string) string) (*pgxpool.Pool, error) {
	dbURL, owner := getenv("DATABASE_URL"), getenv("MIGRATE_DATABASE_URL")
	if dbURL == "" && owner == "" {
		return nil, nil
	}
	if owner != "" {
		role, err := database.Migrate(ctx, owner, postgres.Schema, postgres.Migrations())
		if err != nil {
			return nil, err
		}
		if dbURL == "" {
			if dbURL, err = database.AppURL(owner, role); err != nil {
				return nil, err
			}
		}
	}
	return database.Connect(ctx, dbURL, postgres.Schema, telemetry.Providers{})
}

// boolEnv reads a true/false variable, def when unset.
func boolEnv(getenv func(string) string, name string, def bool) (bool, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b, nil
}
