// Package shoppub publishes a shop's events to the SHOP stream so that none
// is lost: every publish waits for JetStream's acknowledgement (the message
// is stored), and a publish the stream refuses because it is full
// (bus.IsStreamFull), or that is not acknowledged in time, or that meets a
// NATS server restarting, is published again after a growing back-off until
// it is acknowledged or the context ends.
//
// Publishing again is safe only because every message carries a
// Nats-Msg-Id: a message that was stored although its acknowledgement was
// lost is dropped by the stream as a duplicate (within its 24-hour
// window), and ingestion deduplicates by (tenant, invoice number) beyond
// it. Publish refuses a message without one.
package shoppub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
)

// ErrNoMsgID means a message has no Nats-Msg-Id header, without which a
// retry could store it twice.
var ErrNoMsgID = errors.New("message has no " + jetstream.MsgIDHeader + " header: without one a retried publish could be stored twice")

// Defaults of Options.
const (
	DefaultAckTimeout = 5 * time.Second
	DefaultMinBackoff = 50 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// Options tune Publish. The zero value retries every retryable failure
// until the context ends, with the defaults.
type Options struct {
	// AckTimeout bounds the wait for one attempt's acknowledgement
	// (DefaultAckTimeout when zero).
	AckTimeout time.Duration
	// MinBackoff is the wait after the first failed attempt; each further
	// one doubles, up to MaxBackoff (DefaultMinBackoff, DefaultMaxBackoff
	// when zero).
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts bounds the attempts; zero means until the context ends.
	MaxAttempts int
	// Retry says which failures are published again; nil means Retryable.
	Retry func(error) bool
	// OnRetry, when set, is called after every failed attempt that will be
	// retried, e.g. to log the first one.
	OnRetry func(attempt int, err error)
}

// Retryable reports whether a failed publish may succeed when made again:
// the stream is full, the acknowledgement did not come in time, or the
// connection to NATS is down or JetStream is not (yet) answering, as
// during a server restart.
func Retryable(err error) bool {
	if bus.IsStreamFull(err) {
		return true
	}
	for _, target := range []error{
		context.DeadlineExceeded, nats.ErrTimeout, nats.ErrNoResponders, nats.ErrDisconnected,
		nats.ErrConnectionReconnecting, nats.ErrReconnectBufExceeded, nats.ErrStaleConnection,
		jetstream.ErrNoStreamResponse,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var apiErr *jetstream.APIError
	// 503: JetStream is temporarily unavailable (no leader yet after a
	// restart).
	return errors.As(err, &apiErr) && apiErr.Code == 503
}

// Publish publishes msg and returns its acknowledgement, publishing it
// again after a back-off for as long as the failure is retryable (see
// Options). The error it returns wraps the last attempt's. A duplicate
// acknowledgement (PubAck.Duplicate) means the stream had the message
// already, from an earlier attempt or publish.
func Publish(ctx context.Context, js jetstream.JetStream, msg *nats.Msg, opt Options) (*jetstream.PubAck, error) {
	if msg.Header.Get(jetstream.MsgIDHeader) == "" {
		return nil, fmt.Errorf("publish on %s: %w", msg.Subject, ErrNoMsgID)
	}
	ackTimeout := cmpOr(opt.AckTimeout, DefaultAckTimeout)
	wait := cmpOr(opt.MinBackoff, DefaultMinBackoff)
	maxWait := max(cmpOr(opt.MaxBackoff, DefaultMaxBackoff), wait)
	retry := opt.Retry
	if retry == nil {
		retry = Retryable
	}
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, ackTimeout)
		ack, err := js.PublishMsg(actx, msg)
		cancel()
		if err == nil {
			return ack, nil
		}
		if ctx.Err() != nil || !retry(err) || (opt.MaxAttempts > 0 && attempt >= opt.MaxAttempts) {
			return nil, fmt.Errorf("publish on %s (attempt %d): %w", msg.Subject, attempt, err)
		}
		if opt.OnRetry != nil {
			opt.OnRetry(attempt, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("publish on %s (attempt %d, then %v): %w", msg.Subject, attempt, context.Cause(ctx), err)
		case <-time.After(wait):
		}
		wait = min(2*wait, maxWait)
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
