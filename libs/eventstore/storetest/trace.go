package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// testTraceContext appends inside a span, through Append and AppendBatch:
// an event without trace context is stored with the span's, so that the
// relay publishes it within the producing trace; one that names its own
// keeps it; outside a span nothing is stamped.
func testTraceContext(t *testing.T, h Harness) {
	s := h.New(t)
	ts, err := trace.ParseTraceState("o2c=1")
	if err != nil {
		t.Fatal(err)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
		TraceState: ts,
	})
	inSpan := trace.ContextWithSpanContext(context.Background(), sc)
	const want = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	const own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

	single, batched, outside := stream("T-1"), stream("T-2"), stream("T-3")
	evs := []eventstore.Event{NewEvent("a"), NewEvent("b")}
	evs[1].TraceParent = own
	if _, err := s.Append(inSpan, single, eventstore.NoStream, evs); err != nil {
		t.Fatal(err)
	}
	res, err := s.AppendBatch(inSpan, []eventstore.AppendGroup{{{Stream: batched, Expected: eventstore.NoStream,
		Events: []eventstore.Event{NewEvent("c")}}}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	mustAppend(t, s, outside, eventstore.NoStream, []eventstore.Event{NewEvent("d")})

	type traced struct{ Parent, State string }
	got := map[string][]traced{}
	for _, st := range []eventstore.StreamID{single, batched, outside} {
		stored, err := s.ReadStream(context.Background(), st, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range stored {
			got[st.ID] = append(got[st.ID], traced{ev.TraceParent, ev.TraceState})
		}
	}
	wantAll := map[string][]traced{
		"T-1": {{want, "o2c=1"}, {own, ""}},
		"T-2": {{want, "o2c=1"}},
		"T-3": {{"", ""}},
	}
	if diff := cmp.Diff(wantAll, got); diff != "" {
		t.Errorf("stored trace context (-want +got):\n%s", diff)
	}
}
