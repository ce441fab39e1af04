package eventstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// TestPrepareRefusesWhatTheBusCannotCarry: an event whose payload encodes
// to more than MaxEventBytes, or a stream whose id has a part longer than
// MaxStreamIDBytes, is refused with ErrInvalidEvent before it is stored,
// since the relay could never publish it and would stop on it; the
// largest event the bus carries is prepared.
func TestPrepareRefusesWhatTheBusCannotCarry(t *testing.T) {
	t.Parallel()
	ev := func(n int) []eventstore.Event {
		return []eventstore.Event{{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()},
			Payload: wrapperspb.String(strings.Repeat("x", n))}}
	}
	stream := eventstore.StreamID{Tenant: "acme", Type: "note", ID: "N-1"}
	// A StringValue of n bytes encodes to n + 1 tag byte + its length's varint (3 bytes here).
	if _, err := eventstore.Prepare(stream, ev(eventstore.MaxEventBytes-4)); err != nil {
		t.Errorf("an event of MaxEventBytes: %v", err)
	}
	for _, tt := range []struct {
		name   string
		stream eventstore.StreamID
		n      int
		says   string
	}{
		{"2 MiB payload", stream, 2 << 20, "bytes encoded, more than the"},
		{"one byte over", stream, eventstore.MaxEventBytes - 3, "more than the"},
		{"stream id of 100,000 bytes", eventstore.StreamID{Tenant: "acme", Type: "note", ID: strings.Repeat("i", 100000)}, 1, "a part of 100000 bytes"},
	} {
		_, err := eventstore.Prepare(tt.stream, ev(tt.n))
		if !errors.Is(err, eventstore.ErrInvalidEvent) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %v, want ErrInvalidEvent saying %q", tt.name, err, tt.says)
		}
		if err != nil && len(err.Error()) > 500 {
			t.Errorf("%s: an error of %d bytes, want it short", tt.name, len(err.Error()))
		}
	}
}
