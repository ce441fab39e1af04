package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

func TestLimitsApply(t *testing.T) {
	t.Parallel()
	type limits struct {
		Discard    jetstream.DiscardPolicy
		MaxMsgs    int64
		MaxBytes   int64
		MaxAge     time.Duration
		Duplicates time.Duration
		Replicas   int
	}
	for _, tt := range []struct {
		name string
		l    bus.Limits
		want limits
	}{
		{"defaults", bus.Limits{}, limits{jetstream.DiscardNew, bus.DefaultMaxMsgs, bus.DefaultMaxBytes, bus.DefaultMaxAge, 24 * time.Hour, 1}},
		{"unlimited", bus.Limits{MaxMsgs: -1, MaxBytes: -1, MaxAge: -1}, limits{jetstream.DiscardNew, -1, -1, 0, 24 * time.Hour, 1}},
		{"short age shortens the duplicate window", bus.Limits{MaxMsgs: 5, MaxBytes: 1000, MaxAge: time.Hour}, limits{jetstream.DiscardNew, 5, 1000, time.Hour, time.Hour, 1}},
		{"three replicas", bus.Limits{Replicas: 3}, limits{jetstream.DiscardNew, bus.DefaultMaxMsgs, bus.DefaultMaxBytes, bus.DefaultMaxAge, 24 * time.Hour, 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []jetstream.StreamConfig{bus.ShopStreamConfigWith(tt.l), bus.ServiceStreamConfigWith("ingestion", tt.l)} {
				got := limits{c.Discard, c.MaxMsgs, c.MaxBytes, c.MaxAge, c.Duplicates, c.Replicas}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", c.Name, diff)
				}
			}
		})
	}
	if c := bus.ShopStreamConfig(); c.Discard != jetstream.DiscardNew || c.MaxMsgs != bus.DefaultMaxMsgs {
		t.Errorf("ShopStreamConfig: discard %v, max msgs %d; want DiscardNew with the default limits", c.Discard, c.MaxMsgs)
	}
}

// jetStream connects to a fresh embedded server.
func jetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	_, js := natsembed.TestJetStream(t)
	return js
}

// TestFullStreamRefusesNew: a full stream refuses the next message with an
// error IsStreamFull recognises and keeps the messages it has; declared
// again with a higher limit it takes the message.
func TestFullStreamRefusesNew(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	js := jetStream(t)
	if err := bus.EnsureStreams(ctx, js, bus.ShopStreamConfigWith(bus.Limits{MaxMsgs: 3})); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := js.Publish(ctx, "shop.acme.invoice.issued", fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	_, err := js.Publish(ctx, "shop.acme.invoice.issued", []byte("m3"))
	if !bus.IsStreamFull(err) {
		t.Fatalf("publish to a full stream: err = %v, want one IsStreamFull recognises", err)
	}
	st, err := js.Stream(ctx, bus.ShopStream)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := st.GetMsg(ctx, 1); err != nil || string(m.Data) != "m0" {
		t.Errorf("first message after the refusal: %v, %v; want m0 kept", m, err)
	}
	if err := bus.EnsureStreams(ctx, js, bus.ShopStreamConfigWith(bus.Limits{MaxMsgs: 4})); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "shop.acme.invoice.issued", []byte("m3")); err != nil {
		t.Errorf("publish after raising the limit: %v", err)
	}
	for _, err := range []error{nil, errors.New("maximum messages exceeded"), context.DeadlineExceeded} {
		if bus.IsStreamFull(err) {
			t.Errorf("IsStreamFull(%v) = true", err)
		}
	}
}

// TestPoisonWithBoundedAckPending: with one message in flight at most, a
// message that fails on every delivery still ends in the rejection store
// as gave_up with the errors of its earlier deliveries, and the messages
// behind it are processed.
func TestPoisonWithBoundedAckPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	js := jetStream(t)
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("test")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"poison", "ok1", "ok2", "ok3"} {
		if _, err := js.Publish(ctx, "o2c.acme.test.thing.happened", []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	var mu sync.Mutex
	var done []string
	sub, err := bus.Consume(ctx, js, telemetry.Providers{}, bus.Consumer{
		Stream: bus.ServiceStream("test"), Durable: "bounded", Manage: true, MaxDeliver: 3, MaxAckPending: 1,
		Classify: fault.Chain(), Rejections: rec,
	}, func(_ context.Context, m bus.Msg) error {
		if string(m.Data) == "poison" {
			return fmt.Errorf("delivery %d: database unreachable", m.Delivered)
		}
		mu.Lock()
		done = append(done, string(m.Data))
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Stop)
	r := waitRejected(t, rec)
	want := []string{"delivery 1: database unreachable", "delivery 2: database unreachable"}
	if r.Code != "gave_up" || r.Msg.Delivered != 3 || !cmp.Equal(r.DeliveryErrors, want) {
		t.Errorf("rejected = code %s, delivered %d, earlier errors %q; want gave_up on delivery 3 with %q", r.Code, r.Msg.Delivered, r.DeliveryErrors, want)
	}
	cons, err := js.Consumer(ctx, bus.ServiceStream("test"), "bounded")
	if err != nil {
		t.Fatal(err)
	}
	if got := cons.CachedInfo().Config.MaxAckPending; got != 1 {
		t.Errorf("consumer MaxAckPending = %d, want 1", got)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(done)
		mu.Unlock()
		if n == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"ok1", "ok2", "ok3"}, done); diff != "" {
		t.Errorf("processed (-want +got):\n%s", diff)
	}
}

// TestEnsureStreamsAllowsFastBatches declares a service stream as it was
// declared before fast batches (no AllowBatchPublish) and again with
// today's declaration: the stream, its messages kept, now takes the relay's
// fast batches; the status stream's declaration allows them too.
func TestEnsureStreamsAllowsFastBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	js := jetStream(t)
	old := bus.ServiceStreamConfig("ledger")
	old.AllowBatchPublish = false
	if err := bus.EnsureStreams(ctx, js, old); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "o2c.acme.ledger.journal-entry.posted", []byte("before")); err != nil {
		t.Fatal(err)
	}
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("ledger"), bus.StatusStreamConfig()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{bus.ServiceStream("ledger"), bus.StatusStream} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !info.Config.AllowBatchPublish {
			t.Errorf("stream %s does not allow fast batches after EnsureStreams", name)
		}
		if name == bus.ServiceStream("ledger") && info.State.Msgs != 1 {
			t.Errorf("stream %s holds %d messages after the update, want the 1 published before", name, info.State.Msgs)
		}
	}
}
