package telemetry

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"go.opentelemetry.io/otel/trace"
)

// tracedPool opens a pool on a fresh database with a PgxTracer bound to p.
func tracedPool(t testing.TB, p Providers, opts ...PgxOption) *pgxpool.Pool {
	t.Helper()
	url := pgtest.NewDB(t, pgtest.Template{Name: "empty", Migrate: func(context.Context, string) error { return nil }})
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	TracePgx(cfg.ConnConfig, p, opts...)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestPgxTracer(t *testing.T) {
	t.Parallel()
	p, sr := recording(t)
	pool := tracedPool(t, p, WithMaxQueryText(40))
	ctx, parent := p.Tracer.Tracer("test").Start(context.Background(), "post journal")

	if _, err := pool.Exec(ctx, "CREATE TABLE open_item (id text PRIMARY KEY, minor_units bigint NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := pool.QueryRow(ctx, "/* count */ SELECT count(*) FROM open_item").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "SELEC 1"); err == nil {
		t.Fatal("a syntax error went through")
	}
	batch := &pgx.Batch{}
	batch.Queue("INSERT INTO open_item VALUES ($1, $2)", "INV-1", int64(12345))
	batch.Queue("INSERT INTO open_item VALUES ($1, $2)", "INV-1", int64(1))
	if err := pool.SendBatch(ctx, batch).Close(); err == nil {
		t.Fatal("a duplicate key in a batch went through")
	}
	copied, err := pool.CopyFrom(ctx, pgx.Identifier{"open_item"}, []string{"id", "minor_units"},
		pgx.CopyFromRows([][]any{{"INV-2", int64(100)}, {"INV-3", int64(200)}}))
	if err != nil || copied != 2 {
		t.Fatalf("copy: %d rows, %v", copied, err)
	}
	parent.End()

	keys := []string{"db.system.name", "db.system", "db.query.text", "db.query.summary", "db.response.status_code",
		"error.type", "db.operation.name", "db.operation.batch.size", "db.collection.name"}
	var got []spanInfo
	for _, s := range sr.Ended() {
		if s.SpanContext().SpanID() == parent.SpanContext().SpanID() {
			continue
		}
		if s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("span %q is not a child of the caller's span", s.Name())
		}
		if s.SpanKind() != trace.SpanKindClient {
			t.Errorf("span %q kind %v, want client", s.Name(), s.SpanKind())
		}
		got = append(got, info(s, keys...))
	}
	pg := func(extra map[string]string) map[string]string {
		m := map[string]string{"db.system.name": "postgresql", "db.system": "postgresql"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	want := []spanInfo{
		{Name: "CREATE", Kind: trace.SpanKindClient, Status: "Unset", Attrs: pg(map[string]string{
			"db.query.summary": "CREATE", "db.query.text": "CREATE TABLE open_item (id text PRIMARY ",
		})},
		{Name: "SELECT", Kind: trace.SpanKindClient, Status: "Unset", Attrs: pg(map[string]string{
			"db.query.summary": "SELECT", "db.query.text": "/* count */ SELECT count(*) FROM open_it",
		})},
		{Name: "postgresql", Kind: trace.SpanKindClient, Status: "Error", Attrs: pg(map[string]string{
			"db.query.summary": "postgresql", "db.query.text": "SELEC 1",
			"db.response.status_code": "42601", "error.type": "42601",
		})},
		{Name: "BATCH", Kind: trace.SpanKindClient, Status: "Error", Attrs: pg(map[string]string{
			"db.operation.name": "BATCH", "db.operation.batch.size": "2",
			"db.response.status_code": "23505", "error.type": "23505",
		})},
		{Name: `COPY "open_item"`, Kind: trace.SpanKindClient, Status: "Unset", Attrs: pg(map[string]string{
			"db.operation.name": "COPY", "db.collection.name": `"open_item"`, "db.query.summary": `COPY "open_item"`,
		})},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	for _, s := range sr.Ended() {
		if s.Name() != "BATCH" {
			continue
		}
		var events []string
		for _, e := range s.Events() {
			name := e.Name
			for _, kv := range e.Attributes {
				if kv.Key == "error.type" {
					name += " " + kv.Value.Emit()
				}
			}
			events = append(events, name)
		}
		// The second statement fails: its event says so, then the batch
		// records the error once.
		want := []string{"db.batch.query", "db.batch.query 23505", "exception"}
		if diff := cmp.Diff(want, events); diff != "" {
			t.Errorf("batch events (-want +got):\n%s", diff)
		}
	}
}

func TestPgxTracerEndsOnlyItsOwnSpan(t *testing.T) {
	t.Parallel()
	p, sr := recording(t)
	tracer := NewPgxTracer(p, nil)
	ctx, callers := p.Tracer.Tracer("test").Start(context.Background(), "caller")
	// pgx would never do this, but an end without a start must not end the
	// caller's span.
	tracer.TraceQueryEnd(ctx, nil, pgx.TraceQueryEndData{})
	tracer.TraceBatchQuery(ctx, nil, pgx.TraceBatchQueryData{SQL: "SELECT 1"})
	tracer.TraceBatchEnd(ctx, nil, pgx.TraceBatchEndData{})
	tracer.TraceCopyFromEnd(ctx, nil, pgx.TraceCopyFromEndData{})
	if n := len(sr.Ended()); n != 0 {
		t.Errorf("%d spans ended, want 0", n)
	}
	callers.End()

	var nilTracer *PgxTracer
	if got := nilTracer.TraceQueryStart(ctx, nil, pgx.TraceQueryStartData{SQL: "SELECT 1"}); got != ctx {
		t.Error("a nil tracer changed the context")
	}
}

func TestPgxTracerWithoutQueryText(t *testing.T) {
	t.Parallel()
	p, sr := recording(t)
	tracer := NewPgxTracer(p, &pgx.ConnConfig{}, WithMaxQueryText(0))
	ctx := tracer.TraceQueryStart(context.Background(), nil, pgx.TraceQueryStartData{SQL: "SELECT secret", Args: []any{"4111"}})
	tracer.TraceQueryEnd(ctx, nil, pgx.TraceQueryEndData{Err: pgx.ErrNoRows})
	got := info(sr.Ended()[0], "db.query.text", "db.query.summary")
	want := spanInfo{Name: "SELECT", Kind: trace.SpanKindClient, Status: "Unset", Attrs: map[string]string{"db.query.summary": "SELECT"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("span (-want +got):\n%s", diff)
	}
}

func TestTracePgxKeepsExistingTracer(t *testing.T) {
	t.Parallel()
	p, sr := recording(t)
	first := NewPgxTracer(p, nil)
	cfg := &pgx.ConnConfig{Tracer: first}
	TracePgx(cfg, p)
	ctx := cfg.Tracer.TraceQueryStart(context.Background(), nil, pgx.TraceQueryStartData{SQL: "SELECT 1"})
	cfg.Tracer.TraceQueryEnd(ctx, nil, pgx.TraceQueryEndData{})
	if n := len(sr.Ended()); n != 2 {
		t.Errorf("%d spans, want 2 (one per installed tracer)", n)
	}
}

func TestQuerySummary(t *testing.T) {
	t.Parallel()
	tests := []struct{ sql, want string }{
		{"SELECT 1", "SELECT"},
		{"  select * from x", "SELECT"},
		{"\n-- fetch open items\nWITH o AS (SELECT 1) SELECT * FROM o", "WITH"},
		{"/* a */ /* b */ insert into t values (1)", "INSERT"},
		{"((SELECT 1) UNION (SELECT 2))", "SELECT"},
		{"update t set a = 1", "UPDATE"},
		{"SELEC 1", "postgresql"},
		{"", "postgresql"},
		{"-- only a comment", "postgresql"},
		{"/* unterminated", "postgresql"},
		{"stmtcache_4f2a", "postgresql"},
		{"selectselectselectselect", "postgresql"},
		{"ÄNDERE t", "postgresql"},
	}
	for _, tt := range tests {
		if got := querySummary(tt.sql); got != tt.want {
			t.Errorf("querySummary(%q) = %q, want %q", tt.sql, got, tt.want)
		}
	}
}

func TestTruncateUTF8(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"SELECT 1", 100, "SELECT 1"},
		{"SELECT 1", 6, "SELECT"},
		{"WHERE name = 'Müller'", 16, "WHERE name = 'M"},
		{"WHERE name = 'Müller'", 15, "WHERE name = 'M"},
		{"WHERE name = 'Müller'", 17, "WHERE name = 'Mü"},
		{"€", 2, ""},
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		got := truncateUTF8(tt.s, tt.n)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
	if got := truncateUTF8(strings.Repeat("x", DefaultMaxQueryText+10), DefaultMaxQueryText); len(got) != DefaultMaxQueryText {
		t.Errorf("default limit kept %d bytes, want %d", len(got), DefaultMaxQueryText)
	}
}
