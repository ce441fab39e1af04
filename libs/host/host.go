// Package host is the plumbing every o2c service shares: configuration from
// the environment, schema migration, the PostgreSQL pool and event store,
// the NATS JetStream connection and stream declarations, the gRPC server with
// health, and an orderly shutdown. A service's run(ctx, getenv) builds a Host,
// registers its gRPC services, binds its consumers, starts its relay and
// projections as background tasks, marks itself SERVING and calls Serve.
//
// Shutdown, when ctx ends: health goes NOT_SERVING, consumers drain,
// background tasks return, the gRPC server stops gracefully, NATS drains,
// the pool closes. Serve returns nil after a clean shutdown and leaves no
// goroutine behind.
package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/serve"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// Config is a service's runtime configuration. Every field has an
// environment variable (see FromEnv).
type Config struct {
	// DatabaseURL is the connection of the service's app role (DATABASE_URL).
	// When empty and MigrateDatabaseURL is set, the app role is reached
	// through MigrateDatabaseURL with the user swapped (development).
	DatabaseURL string
	// MigrateDatabaseURL is an owner connection (MIGRATE_DATABASE_URL).
	// When set, the service migrates its schema at start; when empty the
	// platform team migrates out of band (`o2c migrate`).
	MigrateDatabaseURL string
	// NATSURL is the NATS server (NATS_URL), default nats://127.0.0.1:4222.
	NATSURL string
	// GRPCAddr is the gRPC listen address (GRPC_ADDR).
	GRPCAddr string
	// ManageStreams declares streams and consumers at start with
	// CreateOrUpdate (NATS_MANAGE_STREAMS, default true). Set it to false
	// when the platform team manages JetStream configuration.
	ManageStreams bool
	// ShutdownTimeout bounds the graceful gRPC stop (SHUTDOWN_TIMEOUT, default 10s).
	ShutdownTimeout time.Duration
}

// FromEnv reads a Config through getenv; defaultAddr is the service's gRPC
// address when GRPC_ADDR is unset.
func FromEnv(getenv func(string) string, defaultAddr string) (Config, error) {
	c := Config{
		DatabaseURL:        getenv("DATABASE_URL"),
		MigrateDatabaseURL: getenv("MIGRATE_DATABASE_URL"),
		NATSURL:            getenv("NATS_URL"),
		GRPCAddr:           getenv("GRPC_ADDR"),
		ManageStreams:      true,
		ShutdownTimeout:    10 * time.Second,
	}
	if c.NATSURL == "" {
		c.NATSURL = nats.DefaultURL
	}
	if c.GRPCAddr == "" {
		c.GRPCAddr = defaultAddr
	}
	if v := getenv("NATS_MANAGE_STREAMS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("NATS_MANAGE_STREAMS=%q: want true or false", v)
		}
		c.ManageStreams = b
	}
	if v := getenv("SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("SHUTDOWN_TIMEOUT=%q: %w", v, err)
		}
		c.ShutdownTimeout = d
	}
	if c.DatabaseURL == "" && c.MigrateDatabaseURL == "" {
		return c, errors.New("DATABASE_URL (or MIGRATE_DATABASE_URL) is required")
	}
	return c, nil
}

// Spec says what a service is.
type Spec struct {
	// Name is the service name ("ingestion"); also its schema and the
	// <name> in o2c.<tenant>.<name>.<event>.
	Name string
	// Migrations are the service's own migrations, applied after the event
	// store's.
	Migrations fs.FS
	// Streams the service declares (its own stream is always declared).
	Streams []jetstream.StreamConfig
	// HealthServices are the gRPC service names health reports on.
	HealthServices []string
}

// Host holds a running service's shared resources.
type Host struct {
	Spec      Spec
	Config    Config
	Telemetry telemetry.Providers
	Log       *slog.Logger
	Pool      *pgxpool.Pool
	Events    *eventstore.Store
	NATS      *nats.Conn
	JetStream jetstream.JetStream
	GRPC      *grpc.Server
	Health    *serve.Health

	lis    net.Listener
	served bool
	mu     sync.Mutex
	subs   []*bus.Subscription
	tasks  []func(context.Context) error
}

// New migrates (when configured), connects and declares streams. lis, when
// not nil, is used instead of listening on cfg.GRPCAddr (in-process use and
// tests). On error everything opened so far is closed.
func New(ctx context.Context, spec Spec, cfg Config, p telemetry.Providers, log *slog.Logger, lis net.Listener) (_ *Host, err error) {
	if log == nil {
		log = slog.Default()
	}
	h := &Host{Spec: spec, Config: cfg, Telemetry: p, Log: log.With("service", spec.Name)}
	defer func() {
		if err != nil {
			h.close()
		}
	}()
	dbURL := cfg.DatabaseURL
	if cfg.MigrateDatabaseURL != "" {
		role, err := database.Migrate(ctx, cfg.MigrateDatabaseURL, spec.Name, spec.Migrations)
		if err != nil {
			return nil, err
		}
		if dbURL == "" {
			if dbURL, err = database.AppURL(cfg.MigrateDatabaseURL, role); err != nil {
				return nil, err
			}
		}
	}
	if h.Pool, err = database.Connect(ctx, dbURL, spec.Name, p); err != nil {
		return nil, err
	}
	if h.Events, err = eventstore.New(h.Pool, spec.Name, eventstore.Options{}); err != nil {
		return nil, err
	}
	if h.NATS, err = nats.Connect(cfg.NATSURL, nats.Name("o2c-"+spec.Name), nats.MaxReconnects(-1)); err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", cfg.NATSURL, err)
	}
	if h.JetStream, err = jetstream.New(h.NATS); err != nil {
		return nil, fmt.Errorf("JetStream: %w", err)
	}
	if cfg.ManageStreams {
		streams := append([]jetstream.StreamConfig{bus.ServiceStreamConfig(spec.Name)}, spec.Streams...)
		if err := bus.EnsureStreams(ctx, h.JetStream, streams...); err != nil {
			return nil, err
		}
	}
	if lis == nil {
		if lis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
			return nil, fmt.Errorf("listen on %s: %w", cfg.GRPCAddr, err)
		}
	}
	h.lis = lis
	h.GRPC = grpc.NewServer(telemetry.GRPCServerOption(p))
	h.Health = serve.NewHealth(spec.HealthServices...)
	return h, nil
}

// Addr returns the gRPC listen address.
func (h *Host) Addr() net.Addr { return h.lis.Addr() }

// Consume binds a durable consumer (declared when ManageStreams is set) and
// returns once it is bound.
func (h *Host) Consume(ctx context.Context, c bus.Consumer, handler bus.Handler) error {
	c.Manage = h.Config.ManageStreams
	sub, err := bus.Consume(ctx, h.JetStream, h.Telemetry, c, handler)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.subs = append(h.subs, sub)
	h.mu.Unlock()
	return nil
}

// Go registers a background task (relay, projection) that Serve runs until
// ctx ends. A task that returns an error other than ctx's stops the service.
func (h *Host) Go(task func(ctx context.Context) error) {
	h.mu.Lock()
	h.tasks = append(h.tasks, task)
	h.mu.Unlock()
}

// Relay starts the outbox relay of the service's event store: every stored
// event is published to JetStream on o2c.<tenant>.<service>.<event> (see
// bus.EventName) with Nats-Msg-Id = event id, at least once.
func (h *Host) Relay() error {
	r, err := relay.New(h.Events, h.JetStream, relay.Config{
		Name:    h.Spec.Name + "-relay",
		Subject: h.Subject,
		Poll:    RelayPoll,
	})
	if err != nil {
		return err
	}
	h.Go(r.Run)
	return nil
}

// RelayPoll is how often the relay looks for new events when it is idle.
const RelayPoll = 50 * time.Millisecond

// Subject is the subject of one of this service's stored events.
func (h *Host) Subject(ev eventstore.Event) string {
	return bus.ServiceSubject(ev.Stream.Tenant, h.Spec.Name, bus.EventName(ev.Type))
}

// Serve marks every health service SERVING, runs the gRPC server and the
// background tasks until ctx ends or one of them fails, then shuts down.
func (h *Host) Serve(ctx context.Context) error {
	h.served = true
	lis := h.lis
	defer h.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}
	for _, task := range h.tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := task(ctx); err != nil && ctx.Err() == nil {
				fail(err)
			}
		}()
	}
	grpcDone := make(chan error, 1)
	go func() { grpcDone <- serve.GRPC(ctx, lis, h.GRPC, h.Health, h.Config.ShutdownTimeout) }()
	if err := h.Health.SetServing(""); err != nil {
		fail(err)
	}
	h.Log.Info("serving", "grpc", lis.Addr().String())
	var grpcErr error
	select {
	case grpcErr = <-grpcDone:
		cancel()
	case <-ctx.Done():
		grpcErr = <-grpcDone
	}
	h.stopConsumers()
	wg.Wait()
	h.Log.Info("stopped")
	errMu.Lock()
	defer errMu.Unlock()
	if firstErr != nil {
		return firstErr
	}
	return grpcErr
}

func (h *Host) stopConsumers() {
	h.mu.Lock()
	subs := h.subs
	h.subs = nil
	h.mu.Unlock()
	for _, s := range subs {
		s.Stop()
	}
}

// Close releases everything New opened. Serve calls it; call it yourself
// only when you do not get to Serve (a start-up step failed). It is safe on
// a partly built Host and more than once.
func (h *Host) Close() { h.close() }

func (h *Host) close() {
	h.stopConsumers()
	h.mu.Lock()
	lis := h.lis
	h.lis = nil
	h.mu.Unlock()
	if lis != nil && !h.served {
		_ = lis.Close()
	}
	if h.NATS != nil && !h.NATS.IsClosed() {
		_ = h.NATS.Drain()
		for h.NATS.IsDraining() {
			time.Sleep(10 * time.Millisecond)
		}
		h.NATS.Close()
	}
	if h.Pool != nil {
		h.Pool.Close()
	}
}
