package host_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// service is the name, schema and subject segment of the test service.
const service = "hosttest"

// healthName is the one gRPC service the test service reports on.
const healthName = "o2c.hosttest.v1.TestService"

// migrations give the test service a read model, notes, that stores each
// event's text.
var migrations = fstest.MapFS{"00001_notes.sql": {Data: []byte(`-- +goose Up
CREATE TABLE notes (event_id uuid PRIMARY KEY, body text NOT NULL);
GRANT SELECT, INSERT ON notes TO hosttest_app;
`)}}

var template = pgtest.Template{
	Name: database.TemplateName(service, migrations),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, service, migrations)
		return err
	},
}

// applyNotes writes a batch of notes with one statement. PostgreSQL
// rejects a text holding a NUL byte (SQLSTATE 22021).
func applyNotes(ctx context.Context, tx pgx.Tx, evs []eventstore.Event) error {
	ids := make([]uuid.UUID, len(evs))
	bodies := make([]string, len(evs))
	for i, ev := range evs {
		ids[i], bodies[i] = ev.EventID, ev.Payload.(*wrapperspb.StringValue).GetValue()
	}
	_, err := tx.Exec(ctx, `INSERT INTO notes SELECT * FROM unnest($1::uuid[], $2::text[])`, ids, bodies)
	return err
}

// notesProjection is the projection of the notes read model.
func notesProjection() eventstore.Projection {
	return eventstore.Projection{Name: "notes", BatchSize: 10, Poll: 20 * time.Millisecond, Apply: applyNotes}
}

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

// find returns the records whose message starts with prefix, as maps of
// their attributes' text.
func (l *logRecorder) find(prefix string) []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, r := range l.records {
		if !strings.HasPrefix(r.Message, prefix) {
			continue
		}
		attrs := map[string]string{}
		r.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		out = append(out, attrs)
	}
	return out
}

// count returns how many records starting with prefix name task.
func (l *logRecorder) count(prefix, task string) int {
	n := 0
	for _, attrs := range l.find(prefix) {
		if attrs["task"] == task {
			n++
		}
	}
	return n
}

// Log messages of the host, by their beginning.
const (
	logFailing   = "background task failing"
	logRecovered = "background task recovered"
	logStuck     = "projection stopped"
)

// fixture is a host under test and what the test observes it by.
type fixture struct {
	h      *host.Host
	log    *logRecorder
	reader *sdkmetric.ManualReader
	conn   *grpc.ClientConn
	health healthpb.HealthClient
	kit    *authztest.Authenticator // the gRPC server's authenticator
	done   chan error               // Serve's result
	cancel context.CancelFunc
}

// newHost builds a host of the test service on the database at dbURL
// (superuser) and the NATS server at natsURL, with a short back-off. Call
// serve after registering tasks.
func newHost(t testing.TB, dbURL, natsURL string, retryMax time.Duration) *fixture {
	t.Helper()
	f := &fixture{log: &logRecorder{}, reader: sdkmetric.NewManualReader(), kit: authztest.NewAuthenticator()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	cfg := host.Config{
		MigrateDatabaseURL: dbURL, NATSURL: natsURL, GRPCAddr: "127.0.0.1:0", ManageStreams: true,
		ShutdownTimeout: 5 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: retryMax,
		Auth: auth.Config{Authenticator: f.kit},
	}
	h, err := host.New(context.Background(), host.Spec{Name: service, Migrations: migrations, HealthServices: []string{healthName}},
		cfg, telemetry.Providers{Meter: mp}, slog.New(f.log), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return f
}

// serve runs Serve in the background until the test ends, and connects a
// health client.
func (f *fixture) serve(t testing.TB) {
	t.Helper()
	conn, err := grpc.NewClient(f.h.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f.conn, f.health = conn, healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan error, 1)
	go func() { f.done <- f.h.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-f.done
	})
}

// stop cancels Serve and returns its result.
func (f *fixture) stop() error {
	f.cancel()
	err := <-f.done
	f.done <- err // for the cleanup
	return err
}

// status returns the health status of name ("" is the overall status).
func (f *fixture) status(name string) string {
	r, err := f.health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: name})
	if err != nil {
		return err.Error()
	}
	return r.GetStatus().String()
}

// running fails the test if Serve has returned.
func (f *fixture) running(t testing.TB) {
	t.Helper()
	select {
	case err := <-f.done:
		f.done <- err
		t.Fatalf("Serve returned %v while it should be serving", err)
	default:
	}
}

// metricSum returns the sum of the int64 metric name over the data points
// whose attribute key is value.
func (f *fixture) metricSum(t testing.TB, name, key, value string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := f.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sumData, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				t.Fatalf("metric %s is %T, want an int64 sum", name, m.Data)
			}
			for _, dp := range sumData.DataPoints {
				if v, ok := dp.Attributes.Value(attribute.Key(key)); ok && v.AsString() == value {
					sum += dp.Value
				}
			}
		}
	}
	return sum
}

// eventually polls cond until it holds, failing the test after a minute
// (a safety net for a hung test, not a performance goal).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func appendNotes(t testing.TB, h *host.Host, id string, texts ...string) []eventstore.Event {
	t.Helper()
	evs := make([]eventstore.Event, len(texts))
	for i, text := range texts {
		evs[i] = storetest.NewEvent(text)
	}
	out, err := h.Events.Append(context.Background(), eventstore.StreamID{Tenant: "acme", Type: "note", ID: id}, eventstore.AnyVersion, evs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestServeShutsDownCleanly serves with a task, a projection and the relay,
// cancels, and checks that Serve returns nil and leaves no goroutine. It is
// not parallel so that goleak sees only its own goroutines.
func TestServeShutsDownCleanly(t *testing.T) {
	dbURL := pgtest.NewDB(t, template)
	ns := natsembed.Test(t)
	ignore := goleak.IgnoreCurrent()
	f := newHost(t, dbURL, ns.ClientURL(), time.Second)
	ran := make(chan struct{})
	f.h.Go(func(ctx context.Context) error {
		close(ran)
		<-ctx.Done()
		return ctx.Err()
	})
	p := notesProjection()
	f.h.GoProjection(p.Name, func(ctx context.Context) error { return f.h.Events.RunBatchProjection(ctx, p) })
	if err := f.h.Relay(); err != nil {
		t.Fatal(err)
	}
	f.serve(t)
	<-ran
	eventually(t, "health SERVING", func() bool { return f.status("") == "SERVING" })
	want := map[string]string{"": "SERVING", healthName: "SERVING", host.ProjectionsHealth(service): "SERVING"}
	got := map[string]string{}
	for name := range want {
		got[name] = f.status(name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("health while serving (-want +got):\n%s", diff)
	}
	f.conn.Close()
	if err := f.stop(); err != nil {
		t.Fatalf("Serve after cancel = %v, want nil", err)
	}
	// The embedded NATS server's goroutines (the streams the host
	// declared) are not the host's: stop it first.
	ns.Shutdown()
	goleak.VerifyNone(t, ignore)
}

// TestTaskErrorStopsService: a task registered with Go that fails with an
// error that is not transient stops the service, and Serve returns it.
func TestTaskErrorStopsService(t *testing.T) {
	t.Parallel()
	f := newHost(t, pgtest.NewDB(t, template), natsembed.Test(t).ClientURL(), time.Second)
	errBroken := errors.New("the committer is broken")
	f.h.Go(func(context.Context) error { return errBroken })
	f.serve(t)
	if err := <-f.done; !errors.Is(err, errBroken) {
		t.Errorf("Serve = %v, want the task's error", err)
	}
	f.done <- nil
}

// TestStuckProjectionKeepsServing runs a projection into an event whose
// text PostgreSQL cannot store and checks that the projection stops there,
// reports where, and that the rest of the service keeps serving.
func TestStuckProjectionKeepsServing(t *testing.T) {
	t.Parallel()
	f := newHost(t, pgtest.NewDB(t, template), natsembed.Test(t).ClientURL(), time.Second)
	evs := appendNotes(t, f.h, "N-1", "first", "second", "bad\x00text", "fourth")
	poisoned := evs[2]
	p := notesProjection()
	p.BatchSize = 1 // so that the checkpoint stops right before the event
	f.h.GoProjection(p.Name, func(ctx context.Context) error { return f.h.Events.RunBatchProjection(ctx, p) })
	var beats atomic.Int64
	f.h.Go(func(ctx context.Context) error {
		for {
			beats.Add(1)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	f.serve(t)

	eventually(t, "a stuck projection", func() bool { return len(f.h.Stuck()) > 0 })
	stuck := f.h.Stuck()
	if len(stuck) != 1 {
		t.Fatalf("Stuck() = %+v, want one projection", stuck)
	}
	s := stuck[0]
	want := host.Stuck{
		Projection: "notes", EventID: poisoned.EventID, EventType: poisoned.Type, Stream: poisoned.Stream,
		Version: poisoned.Version, Position: poisoned.Position, Permanent: true,
	}
	if diff := cmp.Diff(want, s, cmp.FilterPath(func(p cmp.Path) bool {
		name := p.Last().String()
		return name == ".Error" || name == ".Since"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("Stuck() (-want +got):\n%s", diff)
	}
	if !strings.Contains(s.Error, "22021") || s.Since.IsZero() {
		t.Errorf("Stuck() error %q since %v; want SQLSTATE 22021 and a time", s.Error, s.Since)
	}
	if c, err := f.h.Events.Checkpoint(context.Background(), "notes"); err != nil || c != evs[1].Cursor {
		t.Errorf("checkpoint %v, %v; want %v, just before the event", c, err, evs[1].Cursor)
	}

	// The rest keeps serving; only the projections detail says otherwise.
	f.running(t)
	statuses := map[string]string{}
	for _, name := range []string{"", healthName, host.ProjectionsHealth(service)} {
		statuses[name] = f.status(name)
	}
	wantStatus := map[string]string{"": "SERVING", healthName: "SERVING", host.ProjectionsHealth(service): "NOT_SERVING"}
	if diff := cmp.Diff(wantStatus, statuses); diff != "" {
		t.Errorf("health with a stuck projection (-want +got):\n%s", diff)
	}
	before := beats.Load()
	eventually(t, "the other task running on", func() bool { return beats.Load() > before+2 })

	logs := f.log.find(logStuck)
	if len(logs) != 1 {
		t.Fatalf("%d log lines about the stuck projection, want 1: %v", len(logs), logs)
	}
	wantLog := map[string]string{
		"projection": "notes", "event_id": poisoned.EventID.String(), "stream": poisoned.Stream.String(),
		"position": fmt.Sprint(poisoned.Position),
	}
	for k, v := range wantLog {
		if logs[0][k] != v {
			t.Errorf("log attribute %s = %q, want %q", k, logs[0][k], v)
		}
	}
	if !strings.Contains(logs[0]["error"], "invalid byte sequence") {
		t.Errorf("log attribute error = %q, want PostgreSQL's message", logs[0]["error"])
	}
	if got := f.metricSum(t, host.StuckMetric, "projection", "notes"); got != 1 {
		t.Errorf("%s = %d, want 1", host.StuckMetric, got)
	}
	if err := f.stop(); err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
}

// TestTransientFailureIsRetried fails a projection three times with a
// transient error and checks that it is run again each time, that health
// goes NOT_SERVING meanwhile and SERVING after, and that the failure and
// the recovery are logged once each.
func TestTransientFailureIsRetried(t *testing.T) {
	t.Parallel()
	f := newHost(t, pgtest.NewDB(t, template), natsembed.Test(t).ClientURL(), time.Second)
	const failures = 3
	var runs atomic.Int64
	begin := make(chan struct{})
	f.h.GoProjection("flaky", func(ctx context.Context) error {
		<-begin
		if runs.Add(1) <= failures {
			return fmt.Errorf("projection flaky: read snapshot: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"})
		}
		<-ctx.Done()
		return ctx.Err()
	})
	f.serve(t)

	// Watch the overall status from SERVING on, then let the failures
	// begin.
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	watch, err := f.health.Watch(watchCtx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		r, err := watch.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if r.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			break
		}
	}
	// seen gets the statuses up to and including the next SERVING.
	seen := make(chan []string, 1)
	go func() {
		var statuses []string
		defer func() { seen <- statuses }()
		for {
			r, err := watch.Recv()
			if err != nil {
				return
			}
			statuses = append(statuses, r.GetStatus().String())
			if r.GetStatus() == healthpb.HealthCheckResponse_SERVING {
				return
			}
		}
	}()
	close(begin)

	var statuses []string
	select {
	case statuses = <-seen:
	case <-time.After(time.Minute): // a safety net, not a performance goal
		t.Fatal("health did not come back to SERVING")
	}
	if diff := cmp.Diff([]string{"NOT_SERVING", "SERVING"}, statuses); diff != "" {
		t.Errorf("overall health after SERVING (-want +got):\n%s", diff)
	}
	stopWatch()
	f.running(t)
	if got := runs.Load(); got != failures+1 {
		t.Errorf("projection ran %d times, want %d", got, failures+1)
	}
	if stuck := f.h.Stuck(); len(stuck) != 0 {
		t.Errorf("Stuck() = %+v after transient failures, want none", stuck)
	}
	if got := []int{f.log.count(logFailing, "flaky"), f.log.count(logRecovered, "flaky")}; !cmp.Equal(got, []int{1, 1}) {
		t.Errorf("log lines failing, recovered = %v, want [1 1] (one per state change, not per retry)", got)
	}
	if got := f.metricSum(t, host.RetryMetric, "task", "flaky"); got != failures {
		t.Errorf("%s = %d, want %d", host.RetryMetric, got, failures)
	}
	if err := f.stop(); err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
}

// TestServeSurvivesDatabaseOutage stops the PostgreSQL server under a
// serving host: health goes NOT_SERVING, Serve keeps running, and once the
// server is back health is SERVING again and the tasks work.
func TestServeSurvivesDatabaseOutage(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: starts a cluster of its own")
	}
	ctx := context.Background()
	c, err := pgtest.Start(ctx, pgtest.Options{})
	if errors.Is(err, pgtest.ErrNoPostgres) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	f := newHost(t, c.URL(), natsembed.Test(t).ClientURL(), 500*time.Millisecond)

	var pings atomic.Int64
	f.h.Go(func(ctx context.Context) error {
		for {
			if _, err := f.h.Pool.Exec(ctx, `SELECT 1`); err != nil {
				return fmt.Errorf("ping loop: %w", err)
			}
			pings.Add(1)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	p := notesProjection()
	f.h.GoProjection(p.Name, func(ctx context.Context) error { return f.h.Events.RunBatchProjection(ctx, p) })
	if err := f.h.Relay(); err != nil {
		t.Fatal(err)
	}
	f.serve(t)
	eventually(t, "health SERVING", func() bool { return f.status("") == "SERVING" })

	// The cluster runs with synchronous_commit off: without a checkpoint
	// the crash could take the freshly migrated schema with it.
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CHECKPOINT`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := c.StopServer(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "health NOT_SERVING", func() bool { return f.status("") == "NOT_SERVING" })
	if got := f.status(host.LivenessHealth); got != "SERVING" {
		t.Errorf("liveness with PostgreSQL down = %s, want SERVING: a restart would not bring the database back", got)
	}
	f.running(t)

	if err := c.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "health SERVING again", func() bool { return f.status("") == "SERVING" })
	f.running(t)
	before := pings.Load()
	eventually(t, "the ping loop running again", func() bool { return pings.Load() > before+2 })
	ev := appendNotes(t, f.h, "N-2", "after the outage")[0]
	eventually(t, "the projection applying a new event", func() bool {
		cp, err := f.h.Events.Checkpoint(ctx, p.Name)
		return err == nil && cp == ev.Cursor
	})
	if stuck := f.h.Stuck(); len(stuck) != 0 {
		t.Errorf("Stuck() = %+v after an outage, want none", stuck)
	}
	if got := []int{f.log.count(logFailing, "task 1"), f.log.count(logRecovered, "task 1")}; !cmp.Equal(got, []int{1, 1}) {
		t.Errorf("ping loop log lines failing, recovered = %v, want [1 1]", got)
	}
	for _, task := range []string{p.Name, service + "-relay"} {
		if failing, recovered := f.log.count(logFailing, task), f.log.count(logRecovered, task); failing > 1 || failing != recovered {
			t.Errorf("%s log lines failing, recovered = %d, %d; want at most one of each, as many of both", task, failing, recovered)
		}
	}
	if err := f.stop(); err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
}
