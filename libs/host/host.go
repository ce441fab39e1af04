// Package host is the plumbing every o2c service shares: configuration from
// the environment, schema migration, the PostgreSQL pool and event store,
// the NATS JetStream connection and stream declarations, the gRPC server with
// authentication, authorization and health, background tasks that outlive a
// database outage, and an orderly shutdown. A service's run(ctx, getenv) builds a Host, registers its gRPC
// services, binds its consumers, registers its relay and projections as
// background tasks and calls Serve, which marks it SERVING.
//
// # Callers
//
// Every call of the gRPC server passes an auth.Guard first: the caller
// authenticates as Config.Auth says (O2C_AUTH: mtls, jwt, tokens, or dev
// for development, refused with O2C_ENV=production), its roles must be
// allowed by the method's rule in Host.Policy (Spec.Policy merged with
// rejection.Policy; health and reflection are public), and the tenant
// its request names must be one of its own. Handlers take the caller from
// identity.FromContext, never from the request or metadata. A service
// does not start without Config.Auth, nor with a registered method that
// has no rule.
//
// # Background tasks
//
// There are two kinds, and both are retried when they fail with a
// transient error (database.IsTransient: the database is unreachable,
// restarting or out of connections, a serialization failure; or NATS is
// disconnected or JetStream did not acknowledge in time):
//
//   - Go registers a task the service cannot do without (the relay, the
//     write path's committer). Any other error stops the service: Serve
//     returns it.
//   - GoProjection registers a projection. Any other error stops only
//     that projection: it is stuck, the rest of the service keeps serving.
//     Such an error is permanent (database.IsPermanent: PostgreSQL rejects
//     the event's data, an integrity constraint or program limit, an event
//     that does not decode) or a fault that a restart would only meet
//     again, so retrying would loop for ever. Its checkpoint stays before
//     the event (see eventstore.EventError).
//
// A task that fails transiently is run again after a back-off of
// Config.RetryMin, doubling up to Config.RetryMax, once the database
// answers a ping and NATS is connected. While any task is failing every
// health status is NOT_SERVING; it is SERVING again once each restarted
// task has run for one back-off period without failing. The host logs one
// line when a task starts failing and one when it has recovered, not one
// per retry, and counts retries in RetryMetric.
//
// A stuck projection is logged once (projection, event id, type, stream,
// version, position, error), counted in StuckMetric, reported by Stuck,
// and shown through gRPC health as the detail ProjectionsHealth
// ("o2c.<service>.projections") going NOT_SERVING. That detail does not
// count towards the overall status or the named services, which stay
// SERVING: the gRPC APIs keep answering (from read models that fall
// behind), and a load balancer keeps the process. It stays stuck until the
// service restarts, after the cause is fixed.
//
// # Shutdown
//
// When ctx ends: health goes NOT_SERVING, consumers drain, background
// tasks return, the gRPC server stops gracefully, NATS drains (for at most
// Config.ShutdownTimeout), the pool closes. Serve returns nil after a clean
// shutdown and leaves no goroutine behind.
package host

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/anchors"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/rejection"
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
	// NATSUser and NATSPassword are the service's NATS user and password
	// (NATS_USER, NATS_PASSWORD; both or neither): the user the server's
	// configuration grants the service's subjects (deploy/nats). Empty
	// connects without credentials, which only a server without users
	// accepts. Either way the service takes replies on the inbox
	// _INBOX.<user>.> (_INBOX.<service>.> without a user), the only one its
	// user may subscribe to.
	NATSUser, NATSPassword string
	// GRPCAddr is the gRPC listen address (GRPC_ADDR).
	GRPCAddr string
	// ManageStreams declares streams and consumers at start with
	// CreateOrUpdate (NATS_MANAGE_STREAMS, default true). Set it to false
	// when the platform team manages JetStream configuration.
	ManageStreams bool
	// StreamLimits bound every stream the service declares (its own and
	// Spec.Streams, not O2C_ANCHORS): a full stream refuses new messages
	// (NATS_STREAM_MAX_MSGS, NATS_STREAM_MAX_BYTES, NATS_STREAM_MAX_AGE;
	// zero means bus.DefaultMaxMsgs, bus.DefaultMaxBytes and
	// bus.DefaultMaxAge, -1 unlimited). See bus.Limits. Its Replicas is
	// how many servers of the NATS cluster keep each stream the service
	// declares, O2C_ANCHORS included (NATS_STREAM_REPLICAS, default 1;
	// production runs 3).
	StreamLimits bus.Limits
	// MaxAckPending bounds the messages each consumer has in flight
	// (NATS_MAX_ACK_PENDING; zero means bus.DefaultMaxAckPending).
	MaxAckPending int
	// ShutdownTimeout bounds the graceful gRPC stop and the NATS drain
	// (SHUTDOWN_TIMEOUT, default 10s).
	ShutdownTimeout time.Duration
	// RetryMin and RetryMax bound the back-off of a background task that
	// failed with a transient error: the first wait is RetryMin, each
	// further one doubles, up to RetryMax (RETRY_MIN, default 100ms;
	// RETRY_MAX, default 10s; zero means the default).
	RetryMin, RetryMax time.Duration
	// AnchorKey signs the anchors of the service's event store: every
	// AnchorInterval the head of every stream that moved is signed and
	// written to the JetStream stream O2C_ANCHORS, outside PostgreSQL, so
	// that `o2c verify` notices a deleted tail (O2C_ANCHOR_KEY, a base64
	// Ed25519 seed, or O2C_ANCHOR_KEY_FILE). Nil turns anchoring off, with
	// one warning at start.
	AnchorKey ed25519.PrivateKey
	// AnchorInterval is how often anchors are written (ANCHOR_INTERVAL,
	// default one minute): changes after the last anchor are not covered.
	AnchorInterval time.Duration
	// HealthAddr, when set, is a second listen address that serves the
	// gRPC health service alone, in clear text and without credentials
	// (HEALTH_ADDR): for probes that speak neither TLS nor credentials,
	// such as the kubelet's native gRPC probes, beside a GRPCAddr that
	// requires mutual TLS. It reports what the main listener reports,
	// LivenessHealth included.
	HealthAddr string
	// MigrateOnly makes New migrate the schema through MigrateDatabaseURL
	// and return ErrMigrated without connecting to anything else
	// (O2C_MIGRATE_ONLY=true): the service binary as a migration job run
	// before its new version starts (Helm's pre-install and pre-upgrade
	// hook).
	MigrateOnly bool
	// TenantsFile is the path of the tenants file (O2C_TENANTS, required):
	// the tenants the service works for and their configuration (package
	// tenants). The host only carries it; the service loads and checks it
	// before it starts.
	TenantsFile string
	// Auth is how the gRPC server authenticates its callers (O2C_AUTH and
	// the variables of its mode; see package auth). Required: New refuses
	// a zero Auth. In-process callers and tests set Auth.Mode to auth.Dev,
	// or Auth.Authenticator.
	Auth auth.Config
}

// TenantsEnv is the variable naming the tenants file.
const TenantsEnv = "O2C_TENANTS"

// MigrateOnlyEnv is the variable that makes a service migrate its schema
// and exit (Config.MigrateOnly).
const MigrateOnlyEnv = "O2C_MIGRATE_ONLY"

// ErrMigrated is returned by New with Config.MigrateOnly once the schema
// is migrated: nothing else was started, and the process should exit
// with status 0.
var ErrMigrated = errors.New("schema migrated; exiting as " + MigrateOnlyEnv + " asks")

// LivenessHealth is the gRPC health name a liveness probe asks for: SERVING
// from Serve's start until shutdown, whatever the service's dependencies
// do. The overall status (the empty name) is the readiness: NOT_SERVING
// while NATS or PostgreSQL is unreachable or a background task fails, so
// that an orchestrator takes the process out of rotation without
// restarting it (a restart would not bring the database back).
const LivenessHealth = "o2c.liveness"

// Variable is an environment variable a service reads.
type Variable struct {
	Name    string
	Meaning string
}

// Variables returns the variables FromEnv reads (and the telemetry's), for
// a service's help; defaultAddr is the service's default GRPC_ADDR.
func Variables(defaultAddr string) []Variable {
	vars := []Variable{
		{TenantsEnv, "path of the tenants file (required): the tenants this service works for and their configuration; `o2c tenants validate FILE` checks it and `o2c tenants schema` prints its JSON Schema"},
		{"DATABASE_URL", "PostgreSQL connection as the service's app role (<service>_app); required unless MIGRATE_DATABASE_URL is set"},
		{"MIGRATE_DATABASE_URL", "owner connection; when set, the service migrates its schema at start and ensures its app role"},
		{"NATS_URL", "NATS server (default " + nats.DefaultURL + ")"},
		{"NATS_USER, NATS_PASSWORD", "the service's NATS user and its password (both or neither); deploy/nats/README.md says what each user may do"},
		{"NATS_MANAGE_STREAMS", "true (default): declare streams and consumers at start; false: the platform team manages them"},
		{"NATS_STREAM_MAX_MSGS, NATS_STREAM_MAX_BYTES, NATS_STREAM_MAX_AGE", fmt.Sprintf("limits of the streams the service declares (default %d messages, %d bytes, %s; -1 unlimited): a full stream refuses new messages until consumers catch up, it never deletes unconsumed ones early", bus.DefaultMaxMsgs, bus.DefaultMaxBytes, bus.DefaultMaxAge)},
		{"NATS_STREAM_REPLICAS", "how many servers of the NATS cluster keep each stream the service declares (default 1; 3 in production, so that a stream survives the loss of a server)"},
		{"NATS_MAX_ACK_PENDING", fmt.Sprintf("messages each consumer has in flight at most (default %d)", bus.DefaultMaxAckPending)},
		{"GRPC_ADDR", "gRPC listen address (default " + defaultAddr + ")"},
		{"HEALTH_ADDR", "a second listen address serving only the gRPC health service, in clear text without credentials, for the kubelet's gRPC probes (unset: none); readiness is the overall status, liveness the name " + LivenessHealth},
		{MigrateOnlyEnv, "true: migrate the schema through MIGRATE_DATABASE_URL and exit 0 without serving (a migration job)"},
		{"SHUTDOWN_TIMEOUT", "bound of the graceful stop and the NATS drain (default 10s)"},
		{"RETRY_MIN, RETRY_MAX", "back-off of background tasks after a transient failure (default 100ms, 10s)"},
		{eventstore.AnchorKeyEnv + ", " + eventstore.AnchorKeyFileEnv, "Ed25519 seed (base64), or a file holding it, that signs the event store's anchors; unset turns anchoring off"},
		{"ANCHOR_INTERVAL", "how often anchors are written (default 1m)"},
		{"OTEL_*", "standard OpenTelemetry variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER, OTEL_SDK_DISABLED, ...); with no exporter or endpoint set nothing is exported"},
	}
	for _, v := range auth.Variables() {
		vars = append(vars, Variable{Name: v.Name, Meaning: v.Meaning})
	}
	return vars
}

// Usage writes a service's help: what it does, that it is configured by
// its environment alone, and every variable it reads.
func Usage(w io.Writer, name, summary, defaultAddr string) {
	fmt.Fprintf(w, "%s: %s\n\nUsage: %s\n\nIt takes no arguments; it is configured by these environment variables:\n\n", name, summary, name)
	for _, v := range Variables(defaultAddr) {
		fmt.Fprintf(w, "  %s\n      %s\n", v.Name, v.Meaning)
	}
}

// CommandLine handles a service's arguments. A service takes none: -h,
// -help, --help and help write Usage to w and return help true (the
// process then exits 0); any other argument is an error naming it.
func CommandLine(args []string, w io.Writer, name, summary, defaultAddr string) (help bool, err error) {
	if len(args) == 0 {
		return false, nil
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		Usage(w, name, summary, defaultAddr)
		return true, nil
	}
	return false, fmt.Errorf("unexpected argument %q: %s takes none and is configured by environment variables (%s --help lists them)", args[0], name, name)
}

// retired are variables no service reads any more, with what to do instead.
var retired = []Variable{
	{"LEDGER_SETTINGS", "is no longer read: move each tenant of that file into the tenants file (" + TenantsEnv + ") as its \"ledger\" section, and \"default\" into \"defaults\": {\"ledger\": ...}; `o2c tenants validate FILE` checks the result"},
}

// Default back-off of background tasks; see Config.RetryMin.
const (
	DefaultRetryMin = 100 * time.Millisecond
	DefaultRetryMax = 10 * time.Second
)

// FromEnv reads a Config through getenv; defaultAddr is the service's gRPC
// address when GRPC_ADDR is unset.
func FromEnv(getenv func(string) string, defaultAddr string) (Config, error) {
	c := Config{
		DatabaseURL:        getenv("DATABASE_URL"),
		MigrateDatabaseURL: getenv("MIGRATE_DATABASE_URL"),
		NATSURL:            getenv("NATS_URL"),
		NATSUser:           getenv("NATS_USER"),
		NATSPassword:       getenv("NATS_PASSWORD"),
		GRPCAddr:           getenv("GRPC_ADDR"),
		HealthAddr:         getenv("HEALTH_ADDR"),
		ManageStreams:      true,
		ShutdownTimeout:    10 * time.Second,
	}
	if c.NATSURL == "" {
		c.NATSURL = nats.DefaultURL
	}
	if c.GRPCAddr == "" {
		c.GRPCAddr = defaultAddr
	}
	if v := getenv(MigrateOnlyEnv); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("%s=%q: want true or false", MigrateOnlyEnv, v)
		}
		c.MigrateOnly = b
	}
	if v := getenv("NATS_MANAGE_STREAMS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("NATS_MANAGE_STREAMS=%q: want true or false", v)
		}
		c.ManageStreams = b
	}
	for _, n := range []struct {
		name string
		to   *int64
	}{{"NATS_STREAM_MAX_MSGS", &c.StreamLimits.MaxMsgs}, {"NATS_STREAM_MAX_BYTES", &c.StreamLimits.MaxBytes}} {
		if v := getenv(n.name); v != "" {
			i, err := strconv.ParseInt(v, 10, 64)
			if err != nil || i < -1 {
				return c, fmt.Errorf("%s=%q: want a count, or -1 for unlimited", n.name, v)
			}
			*n.to = i
		}
	}
	if v := getenv("NATS_STREAM_REPLICAS"); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil || i < 1 || i > 5 {
			return c, fmt.Errorf("NATS_STREAM_REPLICAS=%q: want 1 to 5 (JetStream keeps at most five replicas)", v)
		}
		c.StreamLimits.Replicas = i
	}
	if v := getenv("NATS_MAX_ACK_PENDING"); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return c, fmt.Errorf("NATS_MAX_ACK_PENDING=%q: want a positive count", v)
		}
		c.MaxAckPending = i
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"NATS_STREAM_MAX_AGE", &c.StreamLimits.MaxAge}, {"SHUTDOWN_TIMEOUT", &c.ShutdownTimeout}, {"RETRY_MIN", &c.RetryMin}, {"RETRY_MAX", &c.RetryMax}, {"ANCHOR_INTERVAL", &c.AnchorInterval}} {
		if v := getenv(d.name); v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil {
				return c, fmt.Errorf("%s=%q: %w", d.name, v, err)
			}
			*d.to = dur
		}
	}
	key, err := eventstore.AnchorKeyFromEnv(getenv)
	switch {
	case err == nil:
		c.AnchorKey = key
	case !errors.Is(err, eventstore.ErrNoAnchorKey):
		return c, err
	}
	for _, r := range retired {
		if getenv(r.Name) != "" {
			return c, fmt.Errorf("%s %s", r.Name, r.Meaning)
		}
	}
	c.TenantsFile = getenv(TenantsEnv)
	var missing []string
	switch a, err := auth.ConfigFromEnv(getenv); {
	case errors.Is(err, auth.ErrNoAuth) && c.MigrateOnly:
		// A migration job serves nothing and needs no authentication.
	case errors.Is(err, auth.ErrNoAuth):
		missing = append(missing, err.Error())
	case err != nil:
		return c, err
	default:
		c.Auth = a
	}
	if c.DatabaseURL == "" && c.MigrateDatabaseURL == "" {
		missing = append(missing, "DATABASE_URL (or MIGRATE_DATABASE_URL) is required")
	}
	if c.MigrateOnly && c.MigrateDatabaseURL == "" {
		missing = append(missing, MigrateOnlyEnv+"=true needs MIGRATE_DATABASE_URL, the owner connection that migrates")
	}
	if (c.NATSUser == "") != (c.NATSPassword == "") {
		missing = append(missing, "NATS_USER and NATS_PASSWORD go together: set both, or neither for a NATS server without users")
	}
	if c.TenantsFile == "" {
		missing = append(missing, TenantsEnv+" is required: the path of the tenants file that lists the tenants this service works for (no file, no tenants); `o2c tenants schema` prints its format")
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("%s (--help lists every setting)", strings.Join(missing, "; "))
	}
	return c, nil
}

// Schema is the PostgreSQL schema of the service name: the name with its
// dashes as underscores ("refund-import" -> "refund_import"), as schema
// and role names take no dashes; the service's app role is Schema(name) +
// "_app". Subjects and streams keep the name as it is.
func Schema(name string) string { return strings.ReplaceAll(name, "-", "_") }

// Spec says what a service is.
type Spec struct {
	// Name is the service name ("ingestion"); also its schema (Schema) and
	// the <name> in o2c.<tenant>.<name>.<event>.
	Name string
	// Migrations are the service's own migrations, applied after the event
	// store's.
	Migrations fs.FS
	// Streams the service declares (its own stream is always declared).
	Streams []jetstream.StreamConfig
	// HealthServices are the gRPC service names health reports on (the
	// RejectionService every host serves is added).
	HealthServices []string
	// Errors classifies the service's domain and storage errors; the host
	// chains it with the platform's (rejections, PostgreSQL, context) and
	// derives from the chain both its gRPC status codes and its consumers'
	// verdicts. Nil classifies nothing of the service's own.
	Errors fault.Classifier
	// Routes names the stored messages that are commands for other
	// services; the relay publishes them on command subjects.
	Routes bus.Routes
	// Policy says which roles may call each RPC of the service's own gRPC
	// services: its one policy table. The host merges it with the
	// RejectionService's (rejection.Policy) and with health and reflection
	// (public). A method registered without a rule makes Serve fail.
	Policy auth.Policy
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
	// Rejections is the service's rejection store; every consumer bound
	// with Consume records into it.
	Rejections *rejection.Store
	// Classify is the service's full fault chain (see Spec.Errors).
	Classify fault.Classifier
	// Policy is the access policy the gRPC server enforces: Spec.Policy,
	// rejection.Policy and the public health and reflection services.
	Policy auth.Policy

	lis       net.Listener
	healthLis net.Listener // Config.HealthAddr's, nil without one
	served    bool
	mu        sync.Mutex
	subs      []*bus.Subscription
	replay    rejection.Replayers
	tasks     []task

	natsClosed chan struct{} // closed by the NATS connection's ClosedHandler
	ready      *readiness
	retries    metric.Int64Counter
	stuck      metric.Int64UpDownCounter
	metricRegs []metric.Registration // unregistered by close
}

// New migrates (when configured), connects and declares streams. lis, when
// not nil, is used instead of listening on cfg.GRPCAddr (in-process use and
// tests). On error everything opened so far is closed.
func New(ctx context.Context, spec Spec, cfg Config, p telemetry.Providers, log *slog.Logger, lis net.Listener) (_ *Host, err error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = DefaultRetryMin
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = DefaultRetryMax
	}
	cfg.RetryMax = max(cfg.RetryMax, cfg.RetryMin)
	h := &Host{Spec: spec, Config: cfg, Telemetry: p, Log: log.With("service", spec.Name), replay: rejection.Replayers{}}
	h.Classify = fault.Chain(spec.Errors, rejection.Errors.Classify, identity.Errors.Classify, auth.Errors.Classify, database.Classify)
	h.natsClosed = make(chan struct{})
	defer func() {
		if err != nil {
			h.close()
		}
	}()
	if h.Policy, err = auth.Merge(auth.PublicPolicy(), rejection.Policy, spec.Policy); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Name, err)
	}
	if cfg.MigrateOnly {
		// Before anything else: a migration job reads no credentials and
		// reaches nothing but PostgreSQL.
		if cfg.MigrateDatabaseURL == "" {
			return nil, fmt.Errorf("%s: %s=true needs MIGRATE_DATABASE_URL", spec.Name, MigrateOnlyEnv)
		}
		role, err := database.Migrate(ctx, cfg.MigrateDatabaseURL, Schema(spec.Name), spec.Migrations)
		if err != nil {
			return nil, err
		}
		h.Log.Info("schema migrated", "schema", Schema(spec.Name), "app_role", role)
		return nil, fmt.Errorf("%s: %w", spec.Name, ErrMigrated)
	}
	authn, err := cfg.Auth.Server(ctx, h.Log)
	if err != nil {
		return nil, fmt.Errorf("gRPC authentication: %w", err)
	}
	dbURL := cfg.DatabaseURL
	if cfg.MigrateDatabaseURL != "" {
		role, err := database.Migrate(ctx, cfg.MigrateDatabaseURL, Schema(spec.Name), spec.Migrations)
		if err != nil {
			return nil, err
		}
		if dbURL == "" {
			if dbURL, err = database.AppURL(cfg.MigrateDatabaseURL, role); err != nil {
				return nil, err
			}
		}
	}
	if h.Pool, err = database.Connect(ctx, dbURL, Schema(spec.Name), p); err != nil {
		return nil, err
	}
	if h.Events, err = eventstore.New(h.Pool, Schema(spec.Name), eventstore.Options{}); err != nil {
		return nil, err
	}
	if h.retries, h.stuck, err = newMetrics(p); err != nil {
		return nil, err
	}
	closed := h.natsClosed
	if h.NATS, err = nats.Connect(cfg.NATSURL, natsOptions(spec.Name, cfg, h.Log, closed)...); err != nil {
		return nil, fmt.Errorf("connect to NATS at %s%s: %w", cfg.NATSURL, asUser(cfg.NATSUser), err)
	}
	// A missing acknowledgement fails the publish with
	// jetstream.ErrAsyncPublishTimeout, on which the relay's task is
	// retried, before the relay's own AckWait ends it with an error that
	// would stop the service.
	if h.JetStream, err = jetstream.New(h.NATS, jetstream.WithPublishAsyncTimeout(PublishAckTimeout)); err != nil {
		return nil, fmt.Errorf("JetStream: %w", err)
	}
	if cfg.ManageStreams {
		anchorStream := anchors.StreamConfig()
		anchorStream.Replicas = cfg.StreamLimits.StreamReplicas()
		streams := []jetstream.StreamConfig{bus.ServiceStreamConfigWith(spec.Name, cfg.StreamLimits), anchorStream}
		for _, s := range spec.Streams {
			streams = append(streams, cfg.StreamLimits.Apply(s))
		}
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
	if cfg.HealthAddr != "" {
		if h.healthLis, err = net.Listen("tcp", cfg.HealthAddr); err != nil {
			return nil, fmt.Errorf("listen for health on %s: %w", cfg.HealthAddr, err)
		}
	}
	guard := auth.NewGuard(authn.Authenticator, h.Policy, h.Log)
	opts := []grpc.ServerOption{
		telemetry.GRPCServerOption(p),
		grpc.ChainUnaryInterceptor(guard.Unary(), serve.ErrorInterceptor(h.Log, h.Classify)),
		grpc.ChainStreamInterceptor(guard.Stream(), serve.StreamErrorInterceptor(h.Log, h.Classify)),
	}
	if authn.Creds != nil {
		opts = append(opts, grpc.Creds(authn.Creds))
	}
	h.GRPC = grpc.NewServer(opts...)
	h.Rejections = rejection.NewStore(h.Pool, Schema(spec.Name))
	if err := h.Rejections.Instrument(p); err != nil {
		return nil, err
	}
	rejectionv1grpc.RegisterRejectionServiceServer(h.GRPC, &rejection.Service{Store: h.Rejections, Replay: h.replay, Classify: h.Classify})
	h.Health = serve.NewHealth(append(spec.HealthServices, rejectionv1grpc.RejectionService_ServiceDesc.ServiceName)...)
	h.ready = newReadiness(h.Health, ProjectionsHealth(spec.Name))
	if cfg.AnchorKey == nil {
		h.Log.Warn("anchoring is off: without O2C_ANCHOR_KEY a deleted tail of a stream cannot be detected")
	} else {
		a := eventstore.NewAnchorer(h.Events, anchors.NewJetStream(h.JetStream), cfg.AnchorKey,
			eventstore.AnchorerOptions{Interval: cfg.AnchorInterval, Log: h.Log})
		h.Go(a.Run)
	}
	return h, nil
}

// natsOptions are the options of the service's NATS connection: its name,
// credentials and inbox, reconnecting for ever, logging every error the
// server reports on the connection (a permissions violation names the
// subject the service's user may not use), and closing closed when the
// connection is closed.
func natsOptions(service string, cfg Config, log *slog.Logger, closed chan struct{}) []nats.Option {
	inbox := cfg.NATSUser
	if inbox == "" {
		inbox = service
	}
	opts := []nats.Option{
		nats.Name("o2c-" + service), nats.MaxReconnects(-1), nats.CustomInboxPrefix("_INBOX." + inbox),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Error("NATS server reported an error", "subscription", sub.Subject, "err", err)
				return
			}
			log.Error("NATS server reported an error", "err", err)
		}),
	}
	if cfg.NATSUser != "" {
		opts = append(opts, nats.UserInfo(cfg.NATSUser, cfg.NATSPassword))
	}
	return opts
}

// asUser returns " as user <user>" for an error message, or "" without a
// user.
func asUser(user string) string {
	if user == "" {
		return ""
	}
	return " as user " + user
}

// PublishAckTimeout is how long a publish through Host.JetStream waits for
// JetStream's acknowledgement before it fails with
// jetstream.ErrAsyncPublishTimeout. It is shorter than the relay's own
// acknowledgement wait (relay.Config.AckWait).
const PublishAckTimeout = 5 * time.Second

// Addr returns the gRPC listen address.
func (h *Host) Addr() net.Addr { return h.lis.Addr() }

// Consume binds a durable consumer (declared when ManageStreams is set) and
// returns once it is bound. Its failures are sorted by the host's fault
// chain and its rejections recorded in the host's store, from which the
// RejectionService replays them through handler.
func (h *Host) Consume(ctx context.Context, c bus.Consumer, handler bus.Handler) error {
	c.Manage = h.Config.ManageStreams
	c.Classify = h.Classify
	c.Rejections = h.Rejections
	c.Log = h.Log
	if c.MaxAckPending == 0 {
		c.MaxAckPending = h.Config.MaxAckPending
	}
	h.mu.Lock()
	h.replay[c.Durable] = handler
	h.mu.Unlock()
	sub, err := bus.Consume(ctx, h.JetStream, h.Telemetry, c, handler)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.subs = append(h.subs, sub)
	h.mu.Unlock()
	return nil
}

// Go registers a background task that the service cannot do without (a
// committer), which Serve runs until ctx ends. A task that fails with a
// transient error is run again after a back-off, with health NOT_SERVING
// meanwhile; any other error stops the service. A task that returns nil
// before ctx ends is done. See the package comment.
func (h *Host) Go(run func(ctx context.Context) error) {
	h.mu.Lock()
	h.tasks = append(h.tasks, task{name: fmt.Sprintf("task %d", len(h.tasks)+1), run: run})
	h.mu.Unlock()
}

// GoProjection registers projection name, run until ctx ends, for example
//
//	h.GoProjection(p.Name, func(ctx context.Context) error { return h.Events.RunBatchProjection(ctx, p) })
//
// A transient error is retried as for Go. Any other error stops only this
// projection: it is logged once, reported by Stuck and through the health
// detail ProjectionsHealth, and counted in StuckMetric, while the service
// keeps serving. The report names the event when the error wraps an
// *eventstore.EventError, as the event store's projection errors do.
func (h *Host) GoProjection(name string, run func(ctx context.Context) error) {
	h.mu.Lock()
	h.tasks = append(h.tasks, task{name: name, run: run, projection: true})
	h.mu.Unlock()
}

// Relay starts the outbox relay of the service's event store: every stored
// event is published to JetStream on o2c.<tenant>.<service>.<event> (see
// bus.Routes.Subject) with Nats-Msg-Id = event id, at least once.
//
// When the relay starts and finds that JetStream lost the service's
// stream (the NATS data directory was lost: the stream is new and empty
// while the relay's checkpoint is not at the start), it re-drives: it
// publishes every event of the store again, from the first, so that the
// consumers rebuild their state (see redriveIfLost and
// docs/operations.md).
func (h *Host) Relay() error {
	name := h.Spec.Name + "-relay"
	r, err := relay.New(h.Events, h.JetStream, relay.Config{
		Name:    name,
		Subject: h.Subject,
		Stream:  bus.StreamOf,
		Poll:    RelayPoll,
	})
	if err != nil {
		return err
	}
	if err := h.watchRelay(name); err != nil {
		return err
	}
	run := func(ctx context.Context) error {
		if _, err := h.redriveIfLost(ctx, name); err != nil {
			return err
		}
		return r.Run(ctx)
	}
	h.mu.Lock()
	h.tasks = append(h.tasks, task{name: name, run: run})
	h.mu.Unlock()
	return nil
}

// RelayPoll is how often the relay looks for new events when it is idle.
const RelayPoll = 50 * time.Millisecond

// Subject is the subject of one of this service's stored events.
func (h *Host) Subject(ev eventstore.Event) string {
	return h.Spec.Routes.Subject(ev.Stream.Tenant, h.Spec.Name, ev.Type)
}

// Serve marks every health service SERVING, runs the gRPC server and the
// background tasks until ctx ends or a task registered with Go (or Relay)
// fails with an error that is not transient, then shuts down. It returns
// nil after a clean shutdown, else the failed task's error or the gRPC
// server's.
func (h *Host) Serve(ctx context.Context) error {
	if missing := h.Policy.Uncovered(h.GRPC.GetServiceInfo()); len(missing) > 0 {
		h.close()
		return fmt.Errorf("%s: %w: %s; give each a rule in the service's policy table (host.Spec.Policy)", h.Spec.Name, auth.ErrNoPolicy, strings.Join(missing, ", "))
	}
	h.served = true
	lis := h.lis
	defer h.close()
	// cancel ends everything when the gRPC server stops on its own.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	h.mu.Lock()
	tasks := h.tasks
	h.mu.Unlock()
	for _, t := range tasks {
		if t.projection {
			h.stuck.Add(ctx, 0, h.projectionAttrs(t.name))
		}
		g.Go(func() error { return h.supervise(ctx, t) })
	}
	g.Go(func() error {
		defer cancel()
		return serve.GRPC(ctx, lis, h.GRPC, h.Health, h.Config.ShutdownTimeout)
	})
	if hl := h.healthLis; hl != nil {
		g.Go(func() error { return serve.HealthOnly(ctx, hl, h.Health) })
	}
	g.Go(func() error {
		h.watchDependencies(ctx)
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		h.stopConsumers()
		return nil
	})
	h.ready.start()
	h.Log.Info("serving", "grpc", lis.Addr().String())
	err := g.Wait()
	h.Log.Info("stopped")
	return err
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
	h.unwatch()
	h.mu.Lock()
	lis, healthLis := h.lis, h.healthLis
	h.lis, h.healthLis = nil, nil
	h.mu.Unlock()
	if lis != nil && !h.served {
		_ = lis.Close()
	}
	if healthLis != nil && !h.served {
		_ = healthLis.Close()
	}
	if h.NATS != nil {
		h.closeNATS()
	}
	if h.Pool != nil {
		h.Pool.Close()
	}
}

// closedCallbackWait bounds the wait for the NATS connection's
// ClosedHandler after Close, which queues it at once; it guards against a
// bug, not a slow server.
const closedCallbackWait = 5 * time.Second

// closeNATS drains the NATS connection for at most ShutdownTimeout, then
// closes it, and returns once its ClosedHandler has run, so that none of
// the connection's goroutines is left. Drain fails on a connection that is
// closed or reconnecting; Drain closes the latter itself.
func (h *Host) closeNATS() {
	if timeout := h.Config.ShutdownTimeout; timeout > 0 && h.NATS.Drain() == nil {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-h.natsClosed:
			return
		case <-t.C:
			h.Log.Warn("NATS drain did not finish in time; closing", "timeout", timeout)
		}
	}
	h.NATS.Close()
	t := time.NewTimer(closedCallbackWait)
	defer t.Stop()
	select {
	case <-h.natsClosed:
	case <-t.C:
		h.Log.Warn("NATS connection closed without calling its closed handler")
	}
}
