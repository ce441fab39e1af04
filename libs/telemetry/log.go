package telemetry

import (
	"context"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/o2c-platform/o2c/libs/redact"
)

// Log attribute keys of the trace context, as OpenTelemetry's log data
// model names them, so that a log backend links a line to its trace.
const (
	LogTraceID = "trace_id"
	LogSpanID  = "span_id"
)

// NewLogHandler returns a handler that adds the trace_id and span_id of the
// span in a record's context (hexadecimal, as in a traceparent) to every
// record logged inside a valid span, and passes the records to next.
// Records logged without a context (slog's Info rather than InfoContext)
// or outside a span carry neither. Inside a group opened with WithGroup
// the two attributes are in that group, like any attribute of the record.
func NewLogHandler(next slog.Handler) slog.Handler {
	if h, ok := next.(traceHandler); ok {
		return h
	}
	return traceHandler{next: next}
}

// traceHandler is the slog.Handler of NewLogHandler.
type traceHandler struct{ next slog.Handler }

func (h traceHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String(LogTraceID, sc.TraceID().String()), slog.String(LogSpanID, sc.SpanID().String()))
	}
	return h.next.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{next: h.next.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{next: h.next.WithGroup(name)}
}

// NewLogger returns a service's logger: one JSON object per line on w
// (time, level, msg and the attributes), records below level dropped
// (nil means Info), the trace context of the record's span added (see
// [NewLogHandler]) and IBANs, e-mail addresses and secrets masked in the
// message and every attribute (see package redact) before anything is
// written. Services log with the *Context methods wherever they have a
// context, so that their lines carry the trace they belong to.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(redact.NewHandler(NewLogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))))
}
