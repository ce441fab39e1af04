package eventstore

import (
	"context"

	"go.opentelemetry.io/otel/trace"
)

// stampTrace gives every event of evs that carries no trace context the W3C
// trace context of the span in ctx, so that the relay, which publishes the
// event later and outside that span, sends it on with the traceparent of
// the command, message or call that produced it (see package relay). An
// event that names its own trace context keeps it, and without a valid
// span in ctx nothing changes. The trace context is metadata: it is not
// part of the content hash, so a replay from another trace is still the
// same event.
func stampTrace(ctx context.Context, evs []Event) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	var parent, state string
	for i := range evs {
		if evs[i].TraceParent != "" {
			continue
		}
		if parent == "" {
			parent = TraceParent(sc)
			state = sc.TraceState().String()
		}
		evs[i].TraceParent, evs[i].TraceState = parent, state
	}
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
