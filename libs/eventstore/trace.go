package eventstore

import (
	"context"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
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
	var parent, state string
	for i := range evs {
		if evs[i].TraceParent != "" {
			continue
		}
		if parent == "" {
			if parent, state = es.TraceContext(ctx); parent == "" {
				return
			}
		}
		evs[i].TraceParent, evs[i].TraceState = parent, state
	}
}
