package service

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/collections/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName("collections", postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
}

var testAuth = authztest.NewAuthenticator()

const testIBAN = "DE44500105175407324931"

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func pday(y, m, d int32) *commonv1.Date { return &commonv1.Date{Year: y, Month: m, Day: d} }

// tenantsJSON has two tenants: acme with agencies nord (Germany) and sued
// (Austria) and their clearing accounts, beta with nord alone.
const tenantsJSON = `{"tenants": {
	"acme": {"name": "Acme GmbH",
		"ledger": {"banks": {"` + testIBAN + `": "1200"}, "clearing": {"nord": "1365", "sued": "1366"}},
		"collections": {"min_release_amount_minor": 1000, "agencies": [
			{"id": "nord", "name": "Inkasso Nord", "countries": ["DE"], "commission_bp": 1000, "vat_rate_bp": 1900},
			{"id": "sued", "name": "Inkasso Süd", "countries": ["AT"]}]}},
	"beta": {"name": "Beta GmbH", "collections": {"agencies": [{"id": "nord"}]}}}}`

// eventually polls f until it returns true or the deadline passes.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logBuffer is a log sink safe for the services' goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve serves a started service until the test ends.
func serve(t *testing.T, ctx context.Context, name string, s interface{ Serve(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: serve: %v", name, err)
		}
	})
}

// env is a test's NATS, database and tenants.
type env struct {
	ns    string
	db    string
	js    jetstream.JetStream
	ts    *tenants.File
	log   *slog.Logger
	ctx   context.Context
	logs  *logBuffer
	dials []*grpc.ClientConn
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ns := natsembed.Test(t)
	e := &env{ns: ns.ClientURL(), db: pgtest.NewDB(t, template), logs: &logBuffer{}}
	nc, err := nats.Connect(e.ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if e.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e.ctx = ctx
	if err := bus.EnsureStreams(ctx, e.js, bus.ServiceStreamConfig("dunning"), bus.ServiceStreamConfig("ingestion")); err != nil {
		t.Fatal(err)
	}
	if e.ts, err = tenants.Load(tenantstest.Write(t, []byte(tenantsJSON))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", e.logs.String())
		}
	})
	e.log = slog.New(slog.NewJSONHandler(e.logs, nil))
	return e
}

func (e *env) config(t *testing.T) (host.Config, net.Listener) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return host.Config{MigrateDatabaseURL: e.db, NATSURL: e.ns, GRPCAddr: lis.Addr().String(), ManageStreams: true,
		ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: testAuth}}, lis
}

// startCollections starts collections in e and serves it until the test
// ends.
func (e *env) startCollections(t *testing.T) *Collections {
	t.Helper()
	cfg, lis := e.config(t)
	c, err := New(e.ctx, cfg, Options{Tenants: e.ts, Poll: 20 * time.Millisecond}, telemetry.Providers{}, e.log, lis)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, e.ctx, "collections", c)
	return c
}

// dial connects to addr as p.
func dial(t *testing.T, addr net.Addr, p identity.Principal) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()), testAuth.DialAs(p))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// publish publishes payload as service's relay would.
func (e *env) publish(t *testing.T, tenant, service string, payload proto.Message) {
	t.Helper()
	ev := eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: payload}
	prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: tenant, Type: "debtor", ID: uuid.NewString()}, []eventstore.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	name := string(payload.ProtoReflect().Descriptor().FullName())
	if _, err := e.js.PublishMsg(e.ctx, relay.Message(bus.ServiceSubject(tenant, service, bus.EventName(name)), prepared[0])); err != nil {
		t.Fatal(err)
	}
}

func agent(agency string, tenants ...string) identity.Principal {
	return identity.Principal{Actor: "agency:" + agency, Tenants: tenants, Roles: []identity.Role{identity.Agency}, Agency: agency}
}

var clara = identity.Principal{Actor: "user:clara", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Accountant}}

// TestAccessMatrix calls every RPC collections serves as every role, and
// for a tenant outside the caller's, and checks the answers against the
// policy (rpc.Policy with rejection.Policy): a new RPC without a rule, or
// a rule the server does not enforce, fails here.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := bus.EnsureStreams(e.ctx, e.js, bus.ServiceStreamConfig("ledger")); err != nil {
		t.Fatal(err)
	}
	c := e.startCollections(t)
	conn, err := grpc.NewClient(c.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	authztest.CheckMatrix(t, c.h.GRPC, conn, testAuth, c.h.Policy, "acme", "beta")
}

// TestConfigsNameTheFieldOfABadAgency: a tenant whose collections section
// is malformed is refused at start with the file, tenant and field.
func TestConfigsNameTheFieldOfABadAgency(t *testing.T) {
	t.Parallel()
	ts, err := tenants.Load(tenantstest.Write(t, []byte(`{"tenants": {"acme": {"name": "Acme", "collections": {"agencies": [{"id": "a", "share_bp": 20000}]}}}}`)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Configs(ts)
	var fe *tenants.FileError
	if !errors.As(err, &fe) || len(fe.Problems) != 1 || fe.Problems[0].Tenant != "acme" || !strings.Contains(fe.Problems[0].Message, "share_bp") {
		t.Fatalf("Configs: %v, want one problem naming tenant acme and share_bp", err)
	}
}
