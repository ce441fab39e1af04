package telemetry

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"
)

// remoteParent returns a context holding a remote span context with a
// tracestate, so that all three W3C headers get injected.
func remoteParent(t testing.TB) context.Context {
	t.Helper()
	ts, err := trace.ParseTraceState("o2c=t61rcWkgMzE")
	if err != nil {
		t.Fatal(err)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
		TraceState: ts,
		Remote:     true,
	})
	member, err := baggage.NewMember("tenant", "acme")
	if err != nil {
		t.Fatal(err)
	}
	bag, err := baggage.New(member)
	if err != nil {
		t.Fatal(err)
	}
	return baggage.ContextWithBaggage(trace.ContextWithRemoteSpanContext(context.Background(), sc), bag)
}

func sortedKeys(h nats.Header) []string {
	keys := NATSCarrier(h).Keys()
	slices.Sort(keys)
	return keys
}

func TestInjectExtractNATS(t *testing.T) {
	t.Parallel()
	p, _ := recording(t)
	ctx, span := p.Tracer.Tracer("test").Start(remoteParent(t), "send invoice")
	defer span.End()

	hdr := nats.Header{"Nats-Msg-Id": {"inv-1"}}
	InjectNATS(ctx, p.Propagator, hdr)

	if diff := cmp.Diff([]string{"Nats-Msg-Id", "baggage", "traceparent", "tracestate"}, sortedKeys(hdr)); diff != "" {
		t.Errorf("header keys (-want +got):\n%s", diff)
	}
	got := ExtractNATS(context.Background(), p.Propagator, hdr)
	gotSC, wantSC := trace.SpanContextFromContext(got), span.SpanContext()
	if gotSC.TraceID() != wantSC.TraceID() || gotSC.SpanID() != wantSC.SpanID() || !gotSC.IsRemote() {
		t.Errorf("extracted span context %v/%v remote=%v, want %v/%v remote", gotSC.TraceID(), gotSC.SpanID(), gotSC.IsRemote(), wantSC.TraceID(), wantSC.SpanID())
	}
	if got, want := gotSC.TraceState().String(), "o2c=t61rcWkgMzE"; got != want {
		t.Errorf("extracted tracestate = %q, want %q", got, want)
	}
	if got := baggage.FromContext(got).Member("tenant").Value(); got != "acme" {
		t.Errorf("extracted baggage tenant = %q, want acme", got)
	}
}

func TestNATSCarrier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		hdr      nats.Header
		set      [2]string // key, value; empty key: no Set
		get      string
		wantGet  string
		wantKeys []string
	}{
		{
			name:     "exact lowercase key",
			hdr:      nats.Header{"traceparent": {"a"}},
			get:      "traceparent",
			wantGet:  "a",
			wantKeys: []string{"traceparent"},
		},
		{
			name:     "canonicalised key from another publisher is read",
			hdr:      nats.Header{"Traceparent": {"b"}},
			get:      "traceparent",
			wantGet:  "b",
			wantKeys: []string{"Traceparent"},
		},
		{
			name:     "lowercase key wins over other spellings",
			hdr:      nats.Header{"TRACEPARENT": {"x"}, "traceparent": {"a"}, "Traceparent": {"b"}},
			get:      "traceparent",
			wantGet:  "a",
			wantKeys: []string{"TRACEPARENT", "Traceparent", "traceparent"},
		},
		{
			name:     "among other spellings the lexically first wins",
			hdr:      nats.Header{"Traceparent": {"b"}, "TRACEPARENT": {"x"}},
			get:      "traceparent",
			wantGet:  "x",
			wantKeys: []string{"TRACEPARENT", "Traceparent"},
		},
		{
			name:     "set writes lowercase and drops other spellings",
			hdr:      nats.Header{"Traceparent": {"old"}, "TraceParent": {"old"}, "Nats-Msg-Id": {"1"}},
			set:      [2]string{"Traceparent", "new"},
			get:      "TRACEPARENT",
			wantGet:  "new",
			wantKeys: []string{"Nats-Msg-Id", "traceparent"},
		},
		{
			name:     "empty value list reads as missing",
			hdr:      nats.Header{"traceparent": {}},
			get:      "traceparent",
			wantGet:  "",
			wantKeys: []string{"traceparent"},
		},
		{
			name:     "nil header",
			hdr:      nil,
			set:      [2]string{"traceparent", "ignored"},
			get:      "traceparent",
			wantGet:  "",
			wantKeys: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NATSCarrier(tt.hdr)
			if tt.set[0] != "" {
				c.Set(tt.set[0], tt.set[1])
			}
			if got := c.Get(tt.get); got != tt.wantGet {
				t.Errorf("Get(%q) = %q, want %q", tt.get, got, tt.wantGet)
			}
			if diff := cmp.Diff(tt.wantKeys, sortedKeys(tt.hdr)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPublishConsumeOverNATS sends a message through a real (embedded) NATS
// server: the header keys arrive exactly lowercase, and the publish and
// process spans form one trace.
func TestPublishConsumeOverNATS(t *testing.T) {
	t.Parallel()
	srv := natsembed.Test(t)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	sub, err := nc.SubscribeSync("o2c.invoices.issued")
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}

	p, sr := recording(t)
	root, rootSpan := p.Tracer.Tracer("test").Start(context.Background(), "issue invoice")
	msg := &nats.Msg{Subject: "o2c.invoices.issued", Data: []byte(`{"invoice":"INV-1"}`)}
	_, pub := StartPublish(root, p, msg)
	err = nc.PublishMsg(msg)
	EndSpan(pub, err)
	rootSpan.End()
	if err != nil {
		t.Fatalf("publish: %v", err)
	}

	got, err := sub.NextMsg(10 * time.Second) // a guard against a hang, not a timing goal
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	if diff := cmp.Diff([]string{"traceparent"}, sortedKeys(got.Header)); diff != "" {
		t.Errorf("header keys on the wire (-want +got):\n%s", diff)
	}
	_, process := StartConsume(context.Background(), p, got.Subject, got.Header)
	EndSpan(process, nil)

	ended := sr.Ended()
	if len(ended) != 3 {
		t.Fatalf("%d spans ended, want 3 (root, publish, process)", len(ended))
	}
	pubSpan, procSpan := ended[0], ended[2]
	keys := []string{"messaging.system", "messaging.destination.name", "messaging.operation.name", "messaging.operation.type", "messaging.message.body.size"}
	want := []spanInfo{
		{
			Name: "publish o2c.invoices.issued", Kind: trace.SpanKindProducer, Status: "Unset",
			Attrs: map[string]string{
				"messaging.system": "nats", "messaging.destination.name": "o2c.invoices.issued",
				"messaging.operation.name": "publish", "messaging.operation.type": "send",
				"messaging.message.body.size": "19",
			},
		},
		{
			Name: "process o2c.invoices.issued", Kind: trace.SpanKindConsumer, Status: "Unset",
			Attrs: map[string]string{
				"messaging.system": "nats", "messaging.destination.name": "o2c.invoices.issued",
				"messaging.operation.name": "process", "messaging.operation.type": "process",
			},
		},
	}
	if diff := cmp.Diff(want, []spanInfo{info(pubSpan, keys...), info(procSpan, keys...)}); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	if pubSpan.SpanContext().TraceID() != rootSpan.SpanContext().TraceID() {
		t.Error("publish span is not in the caller's trace")
	}
	if procSpan.SpanContext().TraceID() != pubSpan.SpanContext().TraceID() {
		t.Errorf("process span trace %v, publish span trace %v: want one trace", procSpan.SpanContext().TraceID(), pubSpan.SpanContext().TraceID())
	}
	if procSpan.Parent().SpanID() != pubSpan.SpanContext().SpanID() {
		t.Error("process span is not a child of the publish span")
	}
	if links := procSpan.Links(); len(links) != 1 || links[0].SpanContext.SpanID() != pubSpan.SpanContext().SpanID() {
		t.Errorf("process span links = %v, want one link to the publish span", links)
	}
}

func TestConsumeWithoutTraceContext(t *testing.T) {
	t.Parallel()
	p, sr := recording(t)
	parent, parentSpan := p.Tracer.Tracer("test").Start(context.Background(), "worker")
	_, span := StartConsume(parent, p, "o2c.payments.received", nats.Header{"traceparent": {"garbage"}})
	EndSpan(span, context.DeadlineExceeded)
	parentSpan.End()

	got := sr.Ended()[0]
	if got.Parent().SpanID() != parentSpan.SpanContext().SpanID() {
		t.Error("without trace context in the header the span is not a child of ctx")
	}
	if len(got.Links()) != 0 {
		t.Errorf("links = %v, want none", got.Links())
	}
	want := spanInfo{
		Name: "process o2c.payments.received", Kind: trace.SpanKindConsumer, Status: "Error",
		Attrs: map[string]string{"error.type": "context.deadlineExceededError"},
	}
	if diff := cmp.Diff(want, info(got, "error.type")); diff != "" {
		t.Errorf("span (-want +got):\n%s", diff)
	}
}
