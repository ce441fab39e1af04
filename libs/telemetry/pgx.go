package telemetry

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// DefaultMaxQueryText is the default limit, in bytes, of the db.query.text
// recorded on a PostgreSQL span.
const DefaultMaxQueryText = 2048

// PgxTracer makes OpenTelemetry client spans for pgx: one per query (Exec,
// Query, QueryRow), one per batch with an event per statement, and one per
// COPY FROM. It implements pgx.QueryTracer, pgx.BatchTracer and
// pgx.CopyFromTracer; install it with [TracePgx].
//
// Spans carry db.system.name "postgresql" (and the older db.system key,
// which many backends still group by), db.query.text cut to the configured
// length at a UTF-8 boundary, server.address, server.port and db.namespace
// from the connection config, and a span name that is the statement's
// leading SQL keyword ("SELECT", "INSERT", ...; "postgresql" when it is not
// a known keyword), which keeps span names of low cardinality. Query
// arguments are never recorded: they hold customer data and amounts. A
// failed statement records the error, an error status and, for a
// PostgreSQL error, db.response.status_code and error.type set to its
// SQLSTATE.
//
// A PgxTracer holds no mutable state and is safe for concurrent use.
type PgxTracer struct {
	tracer       trace.Tracer
	maxQueryText int
	attrs        []attribute.KeyValue
}

var (
	_ pgx.QueryTracer    = (*PgxTracer)(nil)
	_ pgx.BatchTracer    = (*PgxTracer)(nil)
	_ pgx.CopyFromTracer = (*PgxTracer)(nil)
)

// PgxOption configures a [PgxTracer].
type PgxOption func(*PgxTracer)

// WithMaxQueryText limits db.query.text to n bytes; n <= 0 leaves the
// query text out entirely.
func WithMaxQueryText(n int) PgxOption {
	return func(t *PgxTracer) { t.maxQueryText = n }
}

// NewPgxTracer returns a tracer that creates spans through p.Tracer. cfg,
// when not nil, supplies the server.address, server.port and db.namespace
// attributes (its primary host; fallback hosts are not told apart).
func NewPgxTracer(p Providers, cfg *pgx.ConnConfig, opts ...PgxOption) *PgxTracer {
	p = p.withDefaults()
	t := &PgxTracer{
		tracer:       p.Tracer.Tracer(ScopeName),
		maxQueryText: DefaultMaxQueryText,
		attrs: []attribute.KeyValue{
			semconv.DBSystemNamePostgreSQL,
			attribute.String("db.system", "postgresql"),
		},
	}
	if cfg != nil {
		if cfg.Host != "" {
			t.attrs = append(t.attrs, semconv.ServerAddress(cfg.Host))
		}
		if cfg.Port != 0 {
			t.attrs = append(t.attrs, semconv.ServerPort(int(cfg.Port)))
		}
		if cfg.Database != "" {
			t.attrs = append(t.attrs, semconv.DBNamespace(cfg.Database))
		}
	}
	for _, opt := range opts {
		opt(t)
	}
	return t
}

// TracePgx installs a [PgxTracer] on cfg. For a pool pass
// poolConfig.ConnConfig. A tracer already set on cfg keeps working: both
// are combined with pgx's multitracer. A nil cfg is left alone.
func TracePgx(cfg *pgx.ConnConfig, p Providers, opts ...PgxOption) {
	if cfg == nil {
		return
	}
	t := NewPgxTracer(p, cfg, opts...)
	if cfg.Tracer == nil {
		cfg.Tracer = t
		return
	}
	cfg.Tracer = multitracer.New(cfg.Tracer, t)
}

// pgxSpanKey is the context key under which a PgxTracer keeps the span it
// started, so that the matching end call ends that span and never one the
// caller (or another PgxTracer on the same connection) started.
type pgxSpanKey struct{ t *PgxTracer }

// start starts a client span named name with the common attributes plus
// attrs.
func (t *PgxTracer) start(ctx context.Context, name string, attrs ...attribute.KeyValue) context.Context {
	if t == nil || t.tracer == nil {
		return ctx
	}
	all := make([]attribute.KeyValue, 0, len(t.attrs)+len(attrs))
	all = append(all, t.attrs...)
	all = append(all, attrs...)
	ctx, span := t.tracer.Start(ctx, name,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(all...))
	return context.WithValue(ctx, pgxSpanKey{t}, span)
}

// end ends the span that start put into ctx, recording err.
func (t *PgxTracer) end(ctx context.Context, err error) {
	span, ok := ctx.Value(pgxSpanKey{t}).(trace.Span)
	if !ok {
		return
	}
	recordDBError(span, err)
	span.End()
}

// queryText returns the db.query.text attribute for sql, cut to the
// configured length, and false when query text is switched off.
func (t *PgxTracer) queryText(sql string) (attribute.KeyValue, bool) {
	if t.maxQueryText <= 0 {
		return attribute.KeyValue{}, false
	}
	return semconv.DBQueryText(truncateUTF8(sql, t.maxQueryText)), true
}

// TraceQueryStart starts the span of one query.
func (t *PgxTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if t == nil {
		return ctx
	}
	name := querySummary(data.SQL)
	attrs := []attribute.KeyValue{semconv.DBQuerySummary(name)}
	if qt, ok := t.queryText(data.SQL); ok {
		attrs = append(attrs, qt)
	}
	return t.start(ctx, name, attrs...)
}

// TraceQueryEnd ends the span of one query.
func (t *PgxTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	t.end(ctx, data.Err)
}

// TraceBatchStart starts the span of a batch, named "BATCH".
func (t *PgxTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if t == nil {
		return ctx
	}
	attrs := []attribute.KeyValue{semconv.DBOperationName("BATCH")}
	if data.Batch != nil {
		attrs = append(attrs, semconv.DBOperationBatchSize(data.Batch.Len()))
	}
	return t.start(ctx, "BATCH", attrs...)
}

// TraceBatchQuery adds an event "db.batch.query" for one statement of a
// batch to the batch span, with error.type (and db.response.status_code)
// when the statement failed. The error itself is recorded once, by
// TraceBatchEnd, to which pgx hands the batch's first error.
func (t *PgxTracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	span, ok := ctx.Value(pgxSpanKey{t}).(trace.Span)
	if !ok {
		return
	}
	attrs := []attribute.KeyValue{semconv.DBQuerySummary(querySummary(data.SQL))}
	if qt, ok := t.queryText(data.SQL); ok {
		attrs = append(attrs, qt)
	}
	if failed(data.Err) {
		attrs = append(attrs, errorAttrs(data.Err)...)
	}
	span.AddEvent("db.batch.query", trace.WithAttributes(attrs...))
}

// TraceBatchEnd ends the span of a batch.
func (t *PgxTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	t.end(ctx, data.Err)
}

// TraceCopyFromStart starts the span of a COPY FROM, named "COPY <table>".
func (t *PgxTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	if t == nil {
		return ctx
	}
	table := data.TableName.Sanitize()
	name := "COPY"
	attrs := []attribute.KeyValue{semconv.DBOperationName("COPY")}
	if table != "" {
		name += " " + table
		attrs = append(attrs, semconv.DBCollectionName(table))
	}
	attrs = append(attrs, semconv.DBQuerySummary(name))
	return t.start(ctx, name, attrs...)
}

// TraceCopyFromEnd ends the span of a COPY FROM.
func (t *PgxTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	t.end(ctx, data.Err)
}

// recordDBError records err on span unless it is nil or pgx.ErrNoRows
// (an empty result is not a failure of the database call).
func recordDBError(span trace.Span, err error) {
	if !failed(err) {
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	span.SetAttributes(errorAttrs(err)...)
}

// failed reports whether err is a failure of the database call: not nil
// and not pgx.ErrNoRows (an empty result is an answer).
func failed(err error) bool {
	return err != nil && !errors.Is(err, pgx.ErrNoRows)
}

// errorAttrs describes err: for a PostgreSQL error its SQLSTATE as
// db.response.status_code and error.type, otherwise its Go type as
// error.type.
func errorAttrs(err error) []attribute.KeyValue {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return []attribute.KeyValue{semconv.DBResponseStatusCode(pgErr.Code), semconv.ErrorTypeKey.String(pgErr.Code)}
	}
	return []attribute.KeyValue{errorType(err)}
}

// truncateUTF8 returns at most n bytes of s, cut before a rune that would
// not fit whole.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// querySummary returns the leading SQL keyword of sql in upper case, after
// blanks, comments and opening parentheses, or "postgresql" when that word
// is not a known statement keyword.
func querySummary(sql string) string {
	s := sql
	for {
		s = strings.TrimLeft(s, " \t\r\n\f(")
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return "postgresql"
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s[2:], "*/")
			if i < 0 {
				return "postgresql"
			}
			s = s[2+i+2:]
		default:
			end := 0
			for end < len(s) && end < 16 && isASCIILetter(s[end]) {
				end++
			}
			return statementKeyword(strings.ToUpper(s[:end]))
		}
	}
}

// isASCIILetter reports whether b is an ASCII letter.
func isASCIILetter(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// statementKeyword returns word when it starts a PostgreSQL statement, and
// "postgresql" otherwise.
func statementKeyword(word string) string {
	switch word {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "WITH", "VALUES", "TABLE",
		"COPY", "CALL", "DO", "EXPLAIN", "ANALYZE", "VACUUM", "REFRESH", "REINDEX", "CLUSTER",
		"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE",
		"PREPARE", "EXECUTE", "DEALLOCATE", "DECLARE", "FETCH", "MOVE", "CLOSE",
		"CREATE", "ALTER", "DROP", "TRUNCATE", "COMMENT", "GRANT", "REVOKE",
		"LOCK", "SET", "RESET", "SHOW", "DISCARD", "LISTEN", "NOTIFY", "UNLISTEN":
		return word
	}
	return "postgresql"
}
