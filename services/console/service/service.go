// Package service starts the console: the web UI for customer service and
// finance (package web) on an HTTP listener, and gRPC health on a gRPC
// listener like every other service. The console keeps no data but its
// sessions: it reads and changes everything through the other services'
// gRPC APIs, forwarding the signed-in user's token, so that each backend
// checks the user's rights and records the user as the actor. main.go
// runs it as a process; `o2c demo` runs it in-process beside the others
// with its development login.
//
// It does not build a host.Host: it has no events, no streams and no
// consumers, so it needs no NATS, and PostgreSQL only to share sessions
// between replicas (package postgres; in memory otherwise); it takes the
// shared conventions from libs/host (help, peers) and serves health with
// libs/serve.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/o2c-platform/o2c/libs/serve"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/console/internal/web"
)

// Name is the service's name.
const Name = "console"

// DefaultAddr is the gRPC (health) address when GRPC_ADDR is unset.
const DefaultAddr = "127.0.0.1:9097"

// DefaultHTTPAddr is the web UI's address when CONSOLE_HTTP_ADDR is unset.
const DefaultHTTPAddr = "127.0.0.1:8080"

// HealthService is the name gRPC health reports the console under.
const HealthService = "o2c.console.v1.Console"

// Backends are the console's connections to the other services (see
// web.Backends).
type Backends = web.Backends

// DevUser is a user of the development login (see web.DevUser).
type DevUser = web.DevUser

// DevLogin is the development login (see web.DevLogin).
type DevLogin = web.DevLogin

// The iss and aud of the development login's tokens: what the services
// that trust its JWKS check.
const (
	DevIssuer   = web.DevIssuer
	DevAudience = web.DevAudience
)

// Options are the console's settings.
type Options struct {
	// Backends are the services the console shows.
	Backends Backends
	// Login signs users in (required): NewDevLogin for the demo, an
	// OIDC login (web.NewOIDCLogin) for real deployments.
	Login web.Login
	// Production refuses the development login (O2C_PRODUCTION=true).
	Production bool
	// Sessions keeps the sessions: PostgreSQL (main.go, with
	// DATABASE_URL) for replicas that share them; nil keeps them in
	// memory (one console process; a restart signs everybody out).
	Sessions web.Sessions
	// SecureCookies marks the cookies HTTPS-only; set behind HTTPS.
	SecureCookies bool
	// HTTPAddr is where the UI listens when Run gets no HTTP listener.
	HTTPAddr string
	// GRPCAddr is where health listens when Run gets no gRPC listener.
	GRPCAddr string
	// GRPCCreds are the health server's TLS credentials; nil is clear
	// text.
	GRPCCreds credentials.TransportCredentials
	// ShutdownTimeout bounds the graceful stop (default 10 s).
	ShutdownTimeout time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// ErrDevLoginInProduction means the development login was configured
// with O2C_PRODUCTION=true.
var ErrDevLoginInProduction = web.ErrDevLoginInProduction

// NewDevLogin is the development login for users (see web.NewDevLogin);
// key may be nil for a fresh one.
var NewDevLogin = web.NewDevLogin

// DemoUsers are the demo's users of a tenant (see web.DemoUsers).
var DemoUsers = web.DemoUsers

// Console is a console that has been set up and not yet served.
type Console struct {
	opt     Options
	web     *web.Server
	log     *slog.Logger
	httpLis net.Listener
	grpcLis net.Listener
	grpc    *grpc.Server
	health  *serve.Health
}

// Run runs the console until ctx ends: New, then Serve.
func Run(ctx context.Context, opt Options, p telemetry.Providers, log *slog.Logger, grpcLis, httpLis net.Listener) error {
	c, err := New(ctx, opt, p, log, grpcLis, httpLis)
	if err != nil {
		return err
	}
	return c.Serve(ctx)
}

// New checks the options, builds the UI and listens. grpcLis and httpLis
// may be nil (listen on the options' addresses). Call Serve next, or
// Close.
func New(ctx context.Context, opt Options, p telemetry.Providers, log *slog.Logger, grpcLis, httpLis net.Listener) (_ *Console, err error) {
	if log == nil {
		log = slog.Default()
	}
	if opt.Login == nil {
		return nil, errors.New("console: no login configured: set O2C_OIDC_ISSUER and its client (or, for development only, CONSOLE_DEV_LOGIN=true)")
	}
	if _, dev := opt.Login.(*web.DevLogin); dev && opt.Production {
		return nil, fmt.Errorf("%w: O2C_PRODUCTION=true; configure OIDC (O2C_OIDC_ISSUER)", ErrDevLoginInProduction)
	}
	if opt.Sessions == nil {
		opt.Sessions = web.NewMemorySessions()
	}
	if opt.ShutdownTimeout <= 0 {
		opt.ShutdownTimeout = 10 * time.Second
	}
	srv, err := web.New(web.Options{
		Backends: opt.Backends, Sessions: opt.Sessions, Login: opt.Login, SecureCookies: opt.SecureCookies,
		Log: log.With("service", Name), Now: opt.Now,
	})
	if err != nil {
		return nil, err
	}
	c := &Console{opt: opt, web: srv, log: log.With("service", Name)}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if c.httpLis = httpLis; c.httpLis == nil {
		addr := opt.HTTPAddr
		if addr == "" {
			addr = DefaultHTTPAddr
		}
		if c.httpLis, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("console HTTP: listen on %s: %w", addr, err)
		}
	}
	if c.grpcLis = grpcLis; c.grpcLis == nil {
		addr := opt.GRPCAddr
		if addr == "" {
			addr = DefaultAddr
		}
		if c.grpcLis, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("console gRPC: listen on %s: %w", addr, err)
		}
	}
	opts := []grpc.ServerOption{telemetry.GRPCServerOption(p)}
	if opt.GRPCCreds != nil {
		opts = append(opts, grpc.Creds(opt.GRPCCreds))
	}
	// Health and reflection only, both public: the guard would refuse
	// nothing.
	c.grpc = grpc.NewServer(opts...)
	c.health = serve.NewHealth(HealthService)
	return c, nil
}

// Handler is the console's HTTP handler (for tests that serve it
// themselves).
func (c *Console) Handler() http.Handler { return c.web }

// HTTPAddr is the UI's listen address.
func (c *Console) HTTPAddr() net.Addr { return c.httpLis.Addr() }

// Addr is the gRPC (health) listen address.
func (c *Console) Addr() net.Addr { return c.grpcLis.Addr() }

// Serve serves the UI and health until ctx ends, then stops both
// gracefully and returns nil.
func (c *Console) Serve(ctx context.Context) error {
	hs := &http.Server{Handler: c.web, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(c.log.Handler(), slog.LevelWarn)}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := hs.Serve(c.httpLis); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("console HTTP: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opt.ShutdownTimeout)
		defer cancel()
		return hs.Shutdown(sctx)
	})
	g.Go(func() error {
		return serve.GRPC(gctx, c.grpcLis, c.grpc, c.health, c.opt.ShutdownTimeout)
	})
	if err := c.health.SetServing(""); err != nil {
		return err
	}
	return g.Wait()
}

// Close releases the listeners when Serve is never called.
func (c *Console) Close() {
	if c.httpLis != nil {
		_ = c.httpLis.Close()
	}
	if c.grpcLis != nil {
		_ = c.grpcLis.Close()
	}
}
