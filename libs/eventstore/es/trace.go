package es

import (
	"context"

	"go.opentelemetry.io/otel/trace"
)

// TraceContext returns the W3C traceparent and tracestate of the span in
// ctx, as Envelope.TraceParent and Envelope.TraceState hold them, or two
// empty strings when ctx carries no valid span. Code that decides events
// away from the context they arrived in (a batch of several messages) sets
// them from the message's context with it; the stores set them from the
// append's context for events that name none.
func TraceContext(ctx context.Context) (parent, state string) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return "", ""
	}
	return TraceParent(sc), sc.TraceState().String()
}

// TraceParent formats sc as a W3C traceparent header value (version 00).
func TraceParent(sc trace.SpanContext) string {
	tid, sid := sc.TraceID(), sc.SpanID()
	flags := sc.TraceFlags()
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 55)
	b = append(b, "00-"...)
	for _, c := range tid {
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	b = append(b, '-')
	for _, c := range sid {
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	b = append(b, '-', hex[flags>>4], hex[flags&0xf])
	return string(b)
}
