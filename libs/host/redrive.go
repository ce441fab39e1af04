package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
)

// redriveIfLost rewinds the relay checkpoint name to the start of the
// event store when JetStream has lost what the relay published: the
// service's own stream has never held a message (its last sequence is
// zero: it was created anew, after the NATS data directory was lost or the
// stream deleted) while the checkpoint says events were published to it.
// The relay then publishes every stored event again, in the store's order
// and each with its event id as Nats-Msg-Id, so every consumer rebuilds its
// state from the beginning; consumers are idempotent by event id or
// command key, so what they had booked already is not booked twice. It
// reports whether it rewound.
//
// A stream that only lost its old messages to its limits (MaxAge) keeps
// its last sequence, and a cluster that lost one node of a replicated
// stream keeps the stream: neither is re-driven. A stream that does not
// exist yet (the platform team declares streams, and has not) is left to
// the relay, whose publishes fail until it does.
func (h *Host) redriveIfLost(ctx context.Context, name string) (bool, error) {
	stream := bus.ServiceStream(h.Spec.Name)
	s, err := h.JetStream.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return false, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		// Whatever the lookup met (a timeout of its own, a cluster without
		// a leader yet), the relay must not start before it knows: a
		// stream it published to first would look intact. It is retried
		// as NATS not answering.
		return false, lookupFailed(stream, err)
	}
	if s.CachedInfo().State.LastSeq > 0 {
		return false, nil
	}
	at, err := h.Events.Checkpoint(ctx, name)
	if err != nil {
		return false, err
	}
	if at == (eventstore.Cursor{}) {
		return false, nil
	}
	h.Log.Warn("JetStream lost this service's stream: it never held a message, yet the relay had published up to its checkpoint; re-driving every event of the event store",
		"stream", stream, "relay", name, "checkpoint_position", at.Position)
	if err := h.Events.SaveCheckpoint(ctx, name, eventstore.Cursor{}); err != nil {
		return false, fmt.Errorf("rewind relay %s for the re-drive: %w", name, err)
	}
	return true, nil
}

// lookupFailed is the relay's error when it could not look its stream up:
// NATS not answering (nats.ErrTimeout), which the task retries. The cause
// is kept as text only: a JetStream request's own timeout is a
// context.DeadlineExceeded, which wrapped would make the task's
// transient check take it for the end of the service's context and stop
// the relay for good (make test once saw ingestion's relay stop so after
// NATS and PostgreSQL restarted).
func lookupFailed(stream string, err error) error {
	return fmt.Errorf("look up stream %s: %w: %v", stream, nats.ErrTimeout, err)
}
