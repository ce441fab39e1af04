package bus

import (
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of the stream limits (Limits). They are set so that a stream
// fills only when its consumers have been down for long: at the demo's
// rates a week of shop events is a few thousand messages.
const (
	// DefaultMaxMsgs is the most messages a stream keeps.
	DefaultMaxMsgs = 1_000_000
	// DefaultMaxBytes is the most bytes a stream keeps (1 GiB).
	DefaultMaxBytes = 1 << 30
	// DefaultMaxAge is how long a stream keeps a message (7 days). It must
	// be longer than the longest outage of a consumer: a message older than
	// this is removed whether or not it was consumed. It is at least the
	// duplicate window (24 hours).
	DefaultMaxAge = 7 * 24 * time.Hour
	// DefaultMaxAckPending is how many messages a consumer has in flight
	// (delivered, not yet acknowledged) at most: the server delivers no
	// more until some are acknowledged, terminated or redelivered.
	DefaultMaxAckPending = 256
)

// duplicateWindow is the Nats-Msg-Id window of the SHOP and service streams.
const duplicateWindow = 24 * time.Hour

// Limits bound what the SHOP stream and a service's stream keep. A full
// stream refuses new messages (DiscardNew) instead of deleting its oldest,
// which nobody may have consumed yet: the publisher is told (IsStreamFull)
// and publishes again later, so back-pressure loses nothing. Only MaxAge
// removes messages, consumed or not.
//
// A zero field means its default (DefaultMaxMsgs, DefaultMaxBytes,
// DefaultMaxAge); a negative one means unlimited.
//
// Replicas is not a limit but travels with them, since it too applies to
// every stream a service declares: how many servers of a NATS cluster keep
// each stream (R1, R3, R5). Zero means 1, a single server. A stream of
// three replicas keeps accepting and delivering messages while one of its
// servers is down; with one replica, losing that server's store loses
// whatever the stream held that no event store has (the SHOP stream's
// unconsumed messages, see docs/operations.md).
type Limits struct {
	MaxMsgs  int64
	MaxBytes int64
	MaxAge   time.Duration
	Replicas int
}

// StreamReplicas returns l.Replicas, or 1 when it is zero.
func (l Limits) StreamReplicas() int { return max(l.Replicas, 1) }

// Apply returns c with the limits l, DiscardNew and l's replicas.
func (l Limits) Apply(c jetstream.StreamConfig) jetstream.StreamConfig {
	c.Discard = jetstream.DiscardNew
	c.Replicas = l.StreamReplicas()
	c.MaxMsgs = limit(l.MaxMsgs, DefaultMaxMsgs)
	c.MaxBytes = limit(l.MaxBytes, DefaultMaxBytes)
	switch {
	case l.MaxAge < 0:
		c.MaxAge = 0 // JetStream's "unlimited"
	case l.MaxAge == 0:
		c.MaxAge = DefaultMaxAge
	default:
		// The server refuses a duplicate window longer than MaxAge.
		c.MaxAge = l.MaxAge
		c.Duplicates = min(c.Duplicates, l.MaxAge)
	}
	return c
}

func limit(v, def int64) int64 {
	switch {
	case v < 0:
		return -1
	case v == 0:
		return def
	}
	return v
}

// ShopStreamConfigWith is the declaration of the SHOP stream with the
// limits l.
func ShopStreamConfigWith(l Limits) jetstream.StreamConfig {
	return l.Apply(jetstream.StreamConfig{
		Name:        ShopStream,
		Description: "Events published by shop systems: shop.<tenant>.<event>",
		Subjects:    []string{"shop.>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Duplicates:  duplicateWindow,
	})
}

// ServiceStreamConfigWith is the declaration of service's own stream with
// the limits l.
func ServiceStreamConfigWith(service string, l Limits) jetstream.StreamConfig {
	return l.Apply(jetstream.StreamConfig{
		Name:        ServiceStream(service),
		Description: "Events published by the " + service + " service: o2c.<tenant>." + service + ".<event>",
		Subjects:    []string{"o2c.*." + service + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		// Nats-Msg-Id is the event id: within this window a re-published
		// event (relay restart) is dropped by the server.
		Duplicates: duplicateWindow,
		// The relay publishes in fast batches, one acknowledgement per
		// batch instead of one per event (see package relay); each
		// message is still stored and deduplicated as on its own.
		// EnsureStreams sets it on streams declared before.
		AllowBatchPublish: true,
	})
}

// streamStoreFailed is JetStream's error code for a message the stream
// did not store (JSStreamStoreFailedF); a full DiscardNew stream answers
// with it and one of the descriptions in fullDescriptions.
const streamStoreFailed jetstream.ErrorCode = 10077

var fullDescriptions = []string{"maximum messages exceeded", "maximum bytes exceeded", "maximum messages per subject exceeded"}

// IsStreamFull reports whether err is a stream's refusal of a publish
// because it holds as many messages or bytes as its Limits allow. The
// message was not stored; publishing it again once consumers have caught
// up (or the limits were raised) stores it.
func IsStreamFull(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != streamStoreFailed {
		return false
	}
	for _, d := range fullDescriptions {
		if strings.Contains(apiErr.Description, d) {
			return true
		}
	}
	return false
}
