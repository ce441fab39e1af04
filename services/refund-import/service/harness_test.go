package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"

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
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/refund-import/internal/postgres"
	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName(postgres.Schema, postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
}

// testAuth authenticates the callers of every service the tests start.
var testAuth = authztest.NewAuthenticator()

var clara = identity.Principal{Actor: "user:clara", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Accountant}}

// ingestion is a fake of ingestion's ImportService: it keeps every file
// handed over and answers DUPLICATE_FILE for one it has seen, as
// ingestion dedups by content.
type ingestion struct {
	ingestionv1grpc.UnimplementedImportServiceServer
	mu    sync.Mutex
	files map[string][]byte // by SHA-256
	calls int
}

func (f *ingestion) Import(st grpc.BidiStreamingServer[ingestionv1.ImportRequest, ingestionv1.ImportResponse]) error {
	var data []byte
	for {
		m, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		data = append(data, m.GetChunk().GetData()...)
	}
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	status := ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED
	if _, ok := f.files[h]; ok {
		status = ingestionv1.ImportStatus_IMPORT_STATUS_DUPLICATE_FILE
	}
	f.files[h] = data
	return st.Send(&ingestionv1.ImportResponse{ImportId: uuid.NewString(), FileSha256: h, Status: status})
}

func (f *ingestion) received() (files, calls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.files), f.calls
}

// env is one tenant's world: PostgreSQL, NATS with the ledger's stream,
// a fake ingestion and a fake SP-API.
type env struct {
	dbURL, natsURL string
	js             jetstream.JetStream
	ing            *ingestion
	ingConn        *grpc.ClientConn
	amazon         *spapifake.Server
	amazonURL      string
	// http, when set, is the SP-API client's HTTP client.
	http *http.Client
}

func newEnv(t testing.TB, opt spapifake.Options) *env {
	t.Helper()
	ns, js := natsembed.TestJetStream(t)
	if err := bus.EnsureStreams(context.Background(), js, bus.ServiceStreamConfig("ledger")); err != nil {
		t.Fatal(err)
	}
	f := &ingestion{files: map[string][]byte{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	ingestionv1grpc.RegisterImportServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if opt.Limits == nil {
		opt.Limits = spapi.NoLimits()
	}
	amazon := spapifake.New(opt)
	url, stop := amazon.Start()
	t.Cleanup(stop)
	return &env{dbURL: pgtest.NewDB(t, template), natsURL: ns.ClientURL(), js: js, ing: f, ingConn: conn, amazon: amazon, amazonURL: url}
}

// tenantsFile is acme with one seller account, credentials in the
// environment (the test resolves them to the fake's).
func tenantsFile(t testing.TB) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"tenants": map[string]any{
		"acme": map[string]any{"name": "Acme", "refunds": map[string]any{"seller_accounts": []any{map[string]any{
			"id": "eu", "region": "eu", "marketplaces": []string{"A1PA6795UKMFR9"}, "credentials_ref": "env:AMAZON_EU",
			"overlap": "48h", "start": "2026-01-01",
		}}}},
		"beta": map[string]any{"name": "Beta"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// svc is a running refund-import service.
type svc struct {
	r    *RefundImport
	e    *env
	conn *grpc.ClientConn
	api  refundv1grpc.RefundServiceClient
	stop func()
}

// start runs a refund-import service in e until stop (or the test's end).
func (e *env) start(t testing.TB) *svc {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{MigrateDatabaseURL: e.dbURL, NATSURL: e.natsURL, GRPCAddr: lis.Addr().String(), ManageStreams: true,
		ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: testAuth}}
	ctx, cancel := context.WithCancel(context.Background())
	creds := e.amazon.Credentials()
	opt := Options{Tenants: tenantstest.Parse(t, tenantsFile(t)), Ingestion: e.ingConn, NoSchedule: true,
		Credentials: func(ref string) (Credentials, error) {
			if ref != "env:AMAZON_EU" {
				return Credentials{}, fmt.Errorf("%w: %s", ErrCredentials, ref)
			}
			return Credentials{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, RefreshToken: creds.RefreshToken}, nil
		},
		SPAPI: SPAPI{Endpoint: e.amazonURL, TokenURL: e.amazonURL + "/auth/o2/token", NoRateLimits: true, HTTP: e.http,
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}}
	r, err := New(ctx, cfg, opt, telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx) }()
	conn, err := grpc.NewClient(r.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	// Serve registers the health service as it starts: wait for it, so
	// that nothing reads the server's services while they are registered.
	eventually(t, "health SERVING", func() bool {
		r, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
		return err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			conn.Close()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &svc{r: r, e: e, conn: conn, api: refundv1grpc.NewRefundServiceClient(conn), stop: stop}
}

// eventually polls f until it returns true or the deadline passes.
func eventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// publish publishes payload as the ledger's relay would and waits until
// refund import's consumer took it in.
func (s *svc) ledger(t testing.TB, payload proto.Message) {
	t.Helper()
	ev := eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: payload}
	prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: "acme", Type: "test", ID: uuid.NewString()}, []eventstore.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	name := string(payload.ProtoReflect().Descriptor().FullName())
	ctx := context.Background()
	ack, err := s.e.js.PublishMsg(ctx, relay.Message(bus.ServiceSubject("acme", "ledger", bus.EventName(name)), prepared[0]))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, ItemsDurable+" past the ledger's message", func() bool {
		c, err := s.e.js.Consumer(ctx, "O2C_LEDGER", ItemsDurable)
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.AckFloor.Stream >= ack.Sequence
	})
}

// marketplaceDebtor is the ledger's debtor of Amazon.de in EUR.
const marketplaceDebtor = "marketplace:amazon.de:EUR"

// order opens and classifies the ledger's item of an Amazon order (gross
// at 19 %), as the ledger reports an invoice.
func (s *svc) order(t testing.TB, item, order string, gross int64) {
	t.Helper()
	net := gross * 100 / 119
	s.ledger(t, &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: item, DebtorId: marketplaceDebtor, Kind: "invoice",
		DocumentNumber: "RE-" + order, OrderId: order, Amount: eur(gross), EntryId: "E-" + item,
		DocumentDate: &commonv1.Date{Year: 2026, Month: 2, Day: 1}, DueDate: &commonv1.Date{Year: 2026, Month: 3, Day: 1}})
	s.ledger(t, &ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: item, ClaimOpenItemId: item,
		Vat: []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(net), Vat: eur(gross - net)}}, Marketplace: "amazon.de"})
}

// run calls RunImport and returns its last message.
func (s *svc) run(t testing.TB, req *refundv1.RunImportRequest) *refundv1.RunImportResponse {
	t.Helper()
	if req.GetTenant() == "" {
		req.Tenant = "acme"
	}
	st, err := s.api.RunImport(context.Background(), req, testAuth.As(clara))
	if err != nil {
		t.Fatal(err)
	}
	var last *refundv1.RunImportResponse
	for {
		m, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("RunImport: %v", err)
		}
		last = m
	}
	if last == nil || !last.GetDone() {
		t.Fatalf("RunImport ended with %v, want a message with done set", last)
	}
	return last
}

// refunds lists the refunds of an order (all when order is empty).
func (s *svc) refunds(t testing.TB, order string) []*refundv1.Refund {
	t.Helper()
	res, err := s.api.ListRefunds(context.Background(), &refundv1.ListRefundsRequest{Tenant: "acme", OrderId: order, PageSize: 1000},
		testAuth.As(clara))
	if err != nil {
		t.Fatal(err)
	}
	return res.GetRefunds()
}

// commands returns the ledger commands refund import relayed so far,
// once n of them were (or after the deadline, what there is).
func (s *svc) commands(t testing.TB, n int) []proto.Message {
	t.Helper()
	ctx := context.Background()
	const subj = "o2c.acme.refund-import.ledger.>"
	count := func() uint64 {
		st, err := s.e.js.Stream(ctx, "O2C_REFUND_IMPORT")
		if err != nil {
			return 0
		}
		info, err := st.Info(ctx, jetstream.WithSubjectFilter(subj))
		if err != nil {
			return 0
		}
		var total uint64
		for _, c := range info.State.Subjects {
			total += c
		}
		return total
	}
	eventually(t, fmt.Sprintf("%d ledger commands relayed", n), func() bool { return count() >= uint64(n) })
	total := count()
	if total == 0 {
		return nil
	}
	cons, err := s.e.js.OrderedConsumer(ctx, "O2C_REFUND_IMPORT", jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
	if err != nil {
		t.Fatal(err)
	}
	var out []proto.Message
	for range total {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := relay.Decode(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Payload)
	}
	return out
}

// refundSpec is a refund of an order's item posted at posted: 50.00
// principal, 9.50 tax, 8.18 commission given back.
func refundSpec(order, adj string, posted time.Time) spapifake.RefundSpec {
	return spapifake.RefundSpec{OrderID: order, AdjustmentID: adj, SKU: "SKU-" + order, Currency: "EUR", Posted: posted,
		Principal: 5000, Tax: 950, Commission: 818, Marketplace: "Amazon.de"}
}

// stored counts the events of a type (full protobuf name) in refund
// import's event store: what was booked, whatever the relay did since.
func (s *svc) stored(t testing.TB, typ string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), s.e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM refund_import.events WHERE event_type = $1`, typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const (
	issueCreditNote = "o2c.ledger.v1.IssueCreditNote"
	reverseEntry    = "o2c.ledger.v1.ReverseEntry"
)
