package consumer

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"

	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// TestBatcherPassesEachMessagesTrace: given payments handed in from the
// contexts of their messages' spans (and one without), when the batcher
// decides them together, then each arrival carries its own message's
// trace context, which the desk stores with its decision.
func TestBatcherPassesEachMessagesTrace(t *testing.T) {
	t.Parallel()
	dec := &recorder{}
	b := &Batcher{Desk: dec}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = b.Run(ctx) }()
	inSpan := func(tid, sid byte) context.Context {
		return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{15: tid}, SpanID: trace.SpanID{7: sid}, TraceFlags: trace.FlagsSampled}))
	}
	for _, c := range []struct {
		ctx context.Context
		id  string
	}{{inSpan(1, 2), "TX-1"}, {inSpan(3, 4), "TX-2"}, {ctx, "TX-3"}} {
		a := queue.Arrival{Tenant: "acme", Payment: &matchingv1.Payment{PaymentId: c.id, Amount: eur(1)}}
		if err := b.Decide(c.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	for _, batch := range dec.batches {
		for _, a := range batch {
			got[a.Payment.GetPaymentId()] = a.TraceParent
		}
	}
	want := map[string]string{
		"TX-1": "00-00000000000000000000000000000001-0000000000000002-01",
		"TX-2": "00-00000000000000000000000000000003-0000000000000004-01",
		"TX-3": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trace context per payment (-want +got):\n%s", diff)
	}
}
