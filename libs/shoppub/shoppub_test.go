package shoppub_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/shoppub"
)

func shopStream(t testing.TB, maxMsgs int64) jetstream.JetStream {
	t.Helper()
	_, js := natsembed.TestJetStream(t)
	if err := bus.EnsureStreams(context.Background(), js, bus.ShopStreamConfigWith(bus.Limits{MaxMsgs: maxMsgs})); err != nil {
		t.Fatal(err)
	}
	return js
}

func invoice(n int) *nats.Msg {
	m := nats.NewMsg("shop.acme.invoice.issued")
	m.Data = fmt.Appendf(nil, `{"invoiceNumber":"R-%d"}`, n)
	m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("acme:R-%d", n))
	return m
}

func msgs(t testing.TB, js jetstream.JetStream) uint64 {
	t.Helper()
	st, err := js.Stream(context.Background(), bus.ShopStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// TestPublishWaitsForRoom: a publish to a full SHOP stream is refused as
// full and retried; once the stream has room (here: its limit is raised)
// the message is stored, once.
func TestPublishWaitsForRoom(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	js := shopStream(t, 2)
	for i := range 2 {
		if _, err := shoppub.Publish(ctx, js, invoice(i), shoppub.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	retried := make(chan error, 100)
	type result struct {
		ack *jetstream.PubAck
		err error
	}
	done := make(chan result, 1)
	go func() {
		ack, err := shoppub.Publish(ctx, js, invoice(2), shoppub.Options{MaxBackoff: 100 * time.Millisecond,
			OnRetry: func(_ int, err error) { retried <- err }})
		done <- result{ack, err}
	}()
	select {
	case err := <-retried:
		if !bus.IsStreamFull(err) {
			t.Errorf("first retry after %v, want a full stream", err)
		}
	case r := <-done:
		t.Fatalf("publish to a full stream returned %+v, %v without retrying", r.ack, r.err)
	}
	if err := bus.EnsureStreams(ctx, js, bus.ShopStreamConfigWith(bus.Limits{MaxMsgs: 10})); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.ack.Sequence != 3 || r.ack.Duplicate {
		t.Fatalf("publish after room was made: %+v, %v; want stored as sequence 3", r.ack, r.err)
	}
	ack, err := shoppub.Publish(ctx, js, invoice(2), shoppub.Options{})
	if err != nil || !ack.Duplicate {
		t.Errorf("the same invoice again: %+v, %v; want a duplicate", ack, err)
	}
	if n := msgs(t, js); n != 3 {
		t.Errorf("stream holds %d messages, want 3", n)
	}
}

// TestPublishGivesUp: a bounded publish to a full stream ends with the
// full-stream error; a message without Nats-Msg-Id is refused unsent.
func TestPublishGivesUp(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	js := shopStream(t, 1)
	if _, err := shoppub.Publish(ctx, js, invoice(0), shoppub.Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := shoppub.Publish(ctx, js, invoice(1), shoppub.Options{MaxAttempts: 2, MinBackoff: time.Millisecond})
	if !bus.IsStreamFull(err) {
		t.Errorf("bounded publish to a full stream: %v, want the full-stream error", err)
	}
	noID := nats.NewMsg("shop.acme.invoice.issued")
	if _, err := shoppub.Publish(ctx, js, noID, shoppub.Options{}); !errors.Is(err, shoppub.ErrNoMsgID) {
		t.Errorf("publish without Nats-Msg-Id: %v, want ErrNoMsgID", err)
	}
	if n := msgs(t, js); n != 1 {
		t.Errorf("stream holds %d messages, want 1", n)
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&jetstream.APIError{Code: 503, ErrorCode: 10077, Description: "maximum messages exceeded"}, true},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), true},
		{nats.ErrNoResponders, true},
		{&jetstream.APIError{Code: 400, ErrorCode: 10060, Description: "expected stream does not match"}, false},
		{nats.ErrConnectionClosed, false},
		{context.Canceled, false},
	} {
		if got := shoppub.Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
