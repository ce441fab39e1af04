package bus_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// TestConsumeBatches: with Consumer.Batch the messages reach the batch
// handler in stream order, in batches no larger than MaxBatch, and each
// message's error decides its own fate: the one rejected is recorded, the
// others of its batch are acknowledged and never come again.
func TestConsumeBatches(t *testing.T) {
	t.Parallel()
	_, js := natsembed.TestJetStream(t)
	ctx := context.Background()
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("test")); err != nil {
		t.Fatal(err)
	}
	const n = 40
	var want []string
	for i := range n {
		data := fmt.Sprintf("m%02d", i)
		want = append(want, data)
		if _, err := js.Publish(ctx, "o2c.acme.test.thing.happened", []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	var mu sync.Mutex
	var got []string
	var sizes []int
	batch := func(_ context.Context, b []bus.Delivery) []error {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(b))
		errs := make([]error, len(b))
		for i, d := range b {
			got = append(got, string(d.Msg.Data))
			if d.Ctx == nil {
				errs[i] = fmt.Errorf("no context for %s", d.Msg.Data)
			}
			if string(d.Msg.Data) == "m07" {
				errs[i] = fault.WithDetail(errInvalid, fault.Detail{Document: "m07"})
			}
		}
		return errs
	}
	single := func(context.Context, bus.Msg) error { return fmt.Errorf("the single handler ran") }
	sub, err := bus.Consume(ctx, js, telemetry.Providers{}, bus.Consumer{
		Stream: bus.ServiceStream("test"), Durable: "test-batches", Manage: true, MaxBatch: 8,
		Classify: fault.Chain(fault.Table{{Err: errInvalid, Class: fault.Invalid}}.Classify), Rejections: rec,
		Batch: batch,
	}, single)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Stop)
	r := waitRejected(t, rec)
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		done := len(got) >= n
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a message not acknowledged would come again
	sub.Stop()
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages handled (-want +got):\n%s", diff)
	}
	if m := slices.Max(sizes); m > 8 {
		t.Errorf("a batch of %d messages, MaxBatch is 8", m)
	}
	if string(r.Msg.Data) != "m07" || r.Code != "invalid" || len(rec.rejected()) != 1 {
		t.Errorf("rejected %+v (%d in all), want m07 alone as invalid", r, len(rec.rejected()))
	}
	info, err := js.Consumer(ctx, bus.ServiceStream("test"), "test-batches")
	if err != nil {
		t.Fatal(err)
	}
	if ci, err := info.Info(ctx); err != nil || ci.NumAckPending != 0 || ci.NumPending != 0 {
		t.Errorf("consumer info %+v, %v: want nothing pending", ci, err)
	}
}
