package relay

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// ErrMalformed means a message lacks an envelope header or has one that
// does not parse; redelivering it will not help.
var ErrMalformed = errors.New("relay: malformed event message")

// Decode returns the event in a message published by a Relay: the envelope
// from its headers and the payload decoded with types (nil means
// protoregistry.GlobalTypes; Payload stays nil for an unknown type, Data is
// always set). It checks the content hash header against the envelope and
// data, so a message altered in transit is rejected. Cursor and ChainHash
// are not transported and stay zero. A malformed message yields an error
// wrapping ErrMalformed; consumers should terminate it rather than
// redeliver.
func Decode(msg jetstream.Msg, types protoregistry.MessageTypeResolver) (eventstore.Event, error) {
	return DecodeMsg(msg.Headers(), msg.Data(), types)
}

// DecodeMsg is Decode for headers and data from any source, e.g. a core
// NATS *nats.Msg.
func DecodeMsg(h nats.Header, data []byte, types protoregistry.MessageTypeResolver) (eventstore.Event, error) {
	var ev eventstore.Event
	bad := func(name string, err error) (eventstore.Event, error) {
		return eventstore.Event{}, fmt.Errorf("%w: header %s: %v", ErrMalformed, name, err)
	}
	required := func(name string) (string, error) {
		v := h.Get(name)
		if v == "" {
			return "", errors.New("missing")
		}
		return v, nil
	}
	var err error
	var s string
	if s, err = required(HeaderMsgID); err != nil {
		return bad(HeaderMsgID, err)
	}
	if ev.EventID, err = uuid.Parse(s); err != nil {
		return bad(HeaderMsgID, err)
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{HeaderEventType, &ev.Type},
		{HeaderTenant, &ev.Stream.Tenant},
		{HeaderStreamType, &ev.Stream.Type},
		{HeaderStreamID, &ev.Stream.ID},
	} {
		if *f.dst, err = required(f.name); err != nil {
			return bad(f.name, err)
		}
	}
	for _, f := range []struct {
		name string
		dst  *int64
	}{
		{HeaderStreamVersion, &ev.Version},
		{HeaderPosition, &ev.Position},
	} {
		if s, err = required(f.name); err == nil {
			*f.dst, err = strconv.ParseInt(s, 10, 64)
		}
		if err != nil {
			return bad(f.name, err)
		}
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{
		{HeaderOccurredAt, &ev.OccurredAt},
		{HeaderRecordedAt, &ev.RecordedAt},
	} {
		if s, err = required(f.name); err == nil {
			*f.dst, err = time.Parse(time.RFC3339Nano, s)
		}
		if err != nil {
			return bad(f.name, err)
		}
	}
	if s, err = required(HeaderContentHash); err == nil {
		ev.ContentHash, err = hex.DecodeString(s)
	}
	if err != nil {
		return bad(HeaderContentHash, err)
	}
	ev.CausationID = h.Get(HeaderCausationID)
	ev.CorrelationID = h.Get(HeaderCorrelationID)
	ev.Actor = h.Get(HeaderActor)
	ev.TraceParent = first(h[HeaderTraceParent])
	ev.TraceState = first(h[HeaderTraceState])
	ev.Data = data
	if sum := eventstore.ContentHash(&ev); !bytes.Equal(sum, ev.ContentHash) {
		return eventstore.Event{}, fmt.Errorf("%w: event %s: content hash of headers and data is %x, header says %x", ErrMalformed, ev.EventID, sum, ev.ContentHash)
	}
	if err := eventstore.DecodePayload(&ev, types); err != nil {
		return eventstore.Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return ev, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
