package bus_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// recorder is a bus.Recorder in memory that fails its first failFirst calls.
type recorder struct {
	mu        sync.Mutex
	failFirst int
	calls     int
	got       []bus.Rejected
}

func (r *recorder) Record(_ context.Context, rej bus.Rejected) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls <= r.failFirst {
		return errors.New("rejection store down")
	}
	r.got = append(r.got, rej)
	return nil
}

func (r *recorder) rejected() []bus.Rejected {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bus.Rejected(nil), r.got...)
}

var errInvalid = errors.New("invalid thing")

// consume publishes one message on a fresh stream and consumes it with h.
func consume(t *testing.T, rec *recorder, maxDeliver int, h bus.Handler) jetstream.JetStream {
	t.Helper()
	_, js := natsembed.TestJetStream(t)
	ctx := context.Background()
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("test")); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "o2c.acme.test.thing.happened", []byte("payload")); err != nil {
		t.Fatal(err)
	}
	sub, err := bus.Consume(ctx, js, telemetry.Providers{}, bus.Consumer{
		Stream: bus.ServiceStream("test"), Durable: "test-consumer", Manage: true, MaxDeliver: maxDeliver,
		Classify: fault.Chain(fault.Table{{Err: errInvalid, Class: fault.Invalid}}.Classify), Rejections: rec,
	}, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Stop)
	return js
}

func waitRejected(t *testing.T, rec *recorder) bus.Rejected {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for len(rec.rejected()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing was recorded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return rec.rejected()[0]
}

// TestConsumeRejectsPermanentAtOnce: a permanent failure is recorded on the
// first delivery with its class as the reason code.
func TestConsumeRejectsPermanentAtOnce(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	var calls atomic.Int32
	consume(t, rec, 5, func(context.Context, bus.Msg) error {
		calls.Add(1)
		return fault.WithDetail(errInvalid, fault.Detail{Document: "D-1"})
	})
	r := waitRejected(t, rec)
	if r.Code != "invalid" || r.Msg.Delivered != 1 || string(r.Msg.Data) != "payload" || fault.DetailOf(r.Err).Document != "D-1" {
		t.Errorf("rejected = %+v", r)
	}
	time.Sleep(300 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

// TestConsumeRecordsTheLastDelivery: a message that fails transiently on
// every delivery is recorded as gave_up on the last one, with the errors of
// the deliveries before it, instead of being dropped.
func TestConsumeRecordsTheLastDelivery(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	var calls atomic.Int32
	consume(t, rec, 3, func(context.Context, bus.Msg) error {
		n := calls.Add(1)
		return errors.New("database unreachable, attempt " + string(rune('0'+n)))
	})
	r := waitRejected(t, rec)
	if r.Code != "gave_up" || r.Msg.Delivered != 3 || len(r.DeliveryErrors) != 2 {
		t.Errorf("rejected = code %s, delivered %d, earlier errors %q; want gave_up on delivery 3 with 2 earlier errors",
			r.Code, r.Msg.Delivered, r.DeliveryErrors)
	}
}

// TestConsumeRedeliversWhenTheRecordFails: a rejection the store cannot
// take is not terminated; the message comes again and is recorded then.
func TestConsumeRedeliversWhenTheRecordFails(t *testing.T) {
	t.Parallel()
	rec := &recorder{failFirst: 2}
	consume(t, rec, 1, func(context.Context, bus.Msg) error { return errInvalid })
	r := waitRejected(t, rec)
	if r.Msg.Delivered != 3 {
		t.Errorf("recorded on delivery %d, want 3 (after two failed records)", r.Msg.Delivered)
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	err := errors.New("x")
	for _, tt := range []struct {
		c         fault.Class
		err       error
		delivered uint64
		want      bus.Verdict
	}{
		{fault.Unknown, nil, 1, bus.Ack},
		{fault.Invalid, err, 1, bus.Reject},
		{fault.Conflict, err, 1, bus.Reject},
		{fault.Transient, err, 1, bus.Redeliver},
		{fault.Unknown, err, 19, bus.Redeliver},
		{fault.Unknown, err, 20, bus.Reject},
		{fault.Internal, err, 20, bus.Reject},
	} {
		if got := bus.Decide(tt.c, tt.err, tt.delivered, 20); got != tt.want {
			t.Errorf("Decide(%v, %v, %d) = %v, want %v", tt.c, tt.err, tt.delivered, got, tt.want)
		}
	}
}
