package eventstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
)

// contentDomain and chainDomain separate the two hash inputs so that no
// content hash input can ever equal a chain hash input.
const (
	contentDomain = "o2c.eventstore.content.v1"
	chainDomain   = "o2c.eventstore.chain.v1"
)

// ContentHash returns the SHA-256 of the event's canonical form:
//
//	"o2c.eventstore.content.v1", Type, Stream.Tenant, Stream.Type,
//	Stream.ID, OccurredAt (UTC Unix microseconds, 8 bytes big endian),
//	CausationID, CorrelationID, Actor, Data
//
// where every string and Data is preceded by its length as a uvarint. The
// event id, version, recorded-at, position and trace context are not part
// of the content: a retry of the same event under another trace, or an
// AnyVersion retry that lands on another version, is still the same
// content.
//
// ContentHash hashes ev.Data as it is and never encodes ev.Payload. On
// append, Data is the deterministic protobuf encoding of the payload
// (Prepare); on verification it is the stored bytes. Deterministic
// encoding is not canonical across protobuf-go versions, so a stored
// event must verify by its stored bytes, whatever version reads it later;
// only the idempotency check of a repeated append compares a fresh
// encoding.
func ContentHash(ev *Event) []byte {
	// One buffer, on the stack when it fits, hashed at once: the same
	// bytes as writing the fields and then Data to a hash.
	need := 8 + len(ev.Data) + 9*binary.MaxVarintLen64 + len(contentDomain) + len(ev.Type) + len(ev.Stream.Tenant) +
		len(ev.Stream.Type) + len(ev.Stream.ID) + len(ev.CausationID) + len(ev.CorrelationID) + len(ev.Actor)
	var arr [1024]byte
	buf := arr[:0]
	if need > len(arr) {
		buf = make([]byte, 0, need)
	}
	buf = appendString(buf, contentDomain)
	buf = appendString(buf, ev.Type)
	buf = appendString(buf, ev.Stream.Tenant)
	buf = appendString(buf, ev.Stream.Type)
	buf = appendString(buf, ev.Stream.ID)
	buf = binary.BigEndian.AppendUint64(buf, uint64(ev.OccurredAt.UnixMicro()))
	buf = appendString(buf, ev.CausationID)
	buf = appendString(buf, ev.CorrelationID)
	buf = appendString(buf, ev.Actor)
	buf = binary.AppendUvarint(buf, uint64(len(ev.Data)))
	buf = append(buf, ev.Data...)
	sum := sha256.Sum256(buf)
	return sum[:]
}

// ChainHash returns the SHA-256 over "o2c.eventstore.chain.v1", prev (the
// previous event's chain hash, 32 zero bytes for version 1), the content
// hash, the stream (three length-prefixed strings) and the version (8 bytes
// big endian).
func ChainHash(prev, content []byte, stream StreamID, version int64) []byte {
	var arr [512]byte
	buf := arr[:0]
	if need := 4*binary.MaxVarintLen64 + len(chainDomain) + 2*sha256.Size + len(stream.Tenant) + len(stream.Type) + len(stream.ID) + 8; need > len(arr) {
		buf = make([]byte, 0, need)
	}
	buf = appendString(buf, chainDomain)
	if prev == nil {
		var zero [sha256.Size]byte
		buf = append(buf, zero[:]...)
	} else {
		buf = append(buf, prev...)
	}
	buf = append(buf, content...)
	buf = appendString(buf, stream.Tenant)
	buf = appendString(buf, stream.Type)
	buf = appendString(buf, stream.ID)
	buf = binary.BigEndian.AppendUint64(buf, uint64(version))
	sum := sha256.Sum256(buf)
	return sum[:]
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// MaxEventBytes is the largest encoded payload an event may have. The
// relay publishes each event as one NATS message, NATS carries messages of
// at most 1 MiB with their headers (its default max_payload, which o2c
// does not raise), and an event it refuses would stop the relay on every
// start: such an event is refused before it is stored.
const MaxEventBytes = 1<<20 - 32<<10

// MaxStreamIDBytes is the longest tenant, type or id of a stream, in
// bytes: the stream id travels in every message's headers, which NATS
// limits to 64 KiB.
const MaxStreamIDBytes = 1000

// Prepare validates the events of one append to stream and fills what the
// store derives from them: Type, Stream, Data, OccurredAt (UTC, truncated to
// microseconds) and ContentHash. It returns copies; the input is not
// modified. Stores call it; a Store implementation outside this package
// should too, so that all stores hash alike.
func Prepare(stream StreamID, events []Event) ([]Event, error) {
	if !stream.Valid() {
		return nil, fmt.Errorf("%w: stream %q needs tenant, type and id", ErrInvalidEvent, stream)
	}
	if n := max(len(stream.Tenant), len(stream.Type), len(stream.ID)); n > MaxStreamIDBytes {
		return nil, fmt.Errorf("%w: a %s stream of tenant %.40q with a part of %d bytes, more than %d", ErrInvalidEvent, stream.Type, stream.Tenant, n, MaxStreamIDBytes)
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("%w: append to %s without events", ErrInvalidEvent, stream)
	}
	out := make([]Event, len(events))
	var seen map[uuid.UUID]bool
	if len(events) > 1 {
		seen = make(map[uuid.UUID]bool, len(events))
	}
	for i, ev := range events {
		switch {
		case ev.EventID == uuid.Nil:
			return nil, fmt.Errorf("%w: event %d of %s has no event id", ErrInvalidEvent, i, stream)
		case seen[ev.EventID]:
			return nil, fmt.Errorf("%w: event id %s appears twice in one append", ErrInvalidEvent, ev.EventID)
		case ev.Payload == nil:
			return nil, fmt.Errorf("%w: event %s has no payload", ErrInvalidEvent, ev.EventID)
		case ev.OccurredAt.IsZero():
			return nil, fmt.Errorf("%w: event %s has no occurred-at", ErrInvalidEvent, ev.EventID)
		}
		if seen != nil {
			seen[ev.EventID] = true
		}
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev.Payload)
		if err != nil {
			return nil, fmt.Errorf("%w: event %s: encode payload: %v", ErrInvalidEvent, ev.EventID, err)
		}
		if len(data) > MaxEventBytes {
			return nil, fmt.Errorf("%w: event %s (%s) of a %s stream: %d bytes encoded, more than the %d the bus carries", ErrInvalidEvent,
				ev.EventID, ev.Payload.ProtoReflect().Descriptor().FullName(), stream.Type, len(data), MaxEventBytes)
		}
		ev.Type = string(ev.Payload.ProtoReflect().Descriptor().FullName())
		ev.Stream = stream
		ev.Data = data
		ev.OccurredAt = ev.OccurredAt.UTC().Truncate(time.Microsecond)
		ev.Version, ev.Position, ev.Cursor, ev.RecordedAt, ev.ChainHash = 0, 0, Cursor{}, time.Time{}, nil
		ev.ContentHash = ContentHash(&ev)
		out[i] = ev
	}
	return out, nil
}

// Report is the result of verifying the hash chains of a store.
type Report struct {
	Streams int
	Events  int
	// Broken lists the first broken link of each stream whose chain does
	// not verify, in stream order. Empty means every chain verified.
	Broken []BrokenLink
}

// OK reports whether every chain verified.
func (r Report) OK() bool { return len(r.Broken) == 0 }

// BrokenLink names the first event of a stream whose stored hashes do not
// match the recomputed ones, or whose version does not follow its
// predecessor's.
type BrokenLink struct {
	Stream  StreamID
	Version int64
	EventID uuid.UUID
	// Field is "content_hash", "chain_hash" or "version".
	Field string
	// Expected and Stored are the recomputed and the stored values, as
	// lowercase hex for hashes and decimal for versions.
	Expected string
	Stored   string
}

func (b BrokenLink) String() string {
	return fmt.Sprintf("stream %s version %d event %s: %s expected %s, stored %s", b.Stream, b.Version, b.EventID, b.Field, b.Expected, b.Stored)
}

// Verifier recomputes hash chains from events fed to Add in stream order:
// all events of one stream together, by increasing version. It keeps only
// the current stream in memory. It hashes each event's envelope fields and
// Data as given (see ContentHash), so feed it events as stored, with Data
// the stored payload bytes; it never looks at Payload.
type Verifier struct {
	report  Report
	stream  StreamID
	started bool
	prev    []byte
	version int64
	broken  bool
}

// Add checks one event against its predecessor in the same stream.
func (v *Verifier) Add(ev *Event) {
	if !v.started || ev.Stream != v.stream {
		v.started, v.stream, v.prev, v.version, v.broken = true, ev.Stream, nil, 0, false
		v.report.Streams++
	}
	v.report.Events++
	if !v.broken {
		v.check(ev)
	}
	v.prev, v.version = ev.ChainHash, ev.Version
}

func (v *Verifier) check(ev *Event) {
	fail := func(field, expected, stored string) {
		v.broken = true
		v.report.Broken = append(v.report.Broken, BrokenLink{Stream: ev.Stream, Version: ev.Version, EventID: ev.EventID, Field: field, Expected: expected, Stored: stored})
	}
	if ev.Version != v.version+1 {
		fail("version", fmt.Sprint(v.version+1), fmt.Sprint(ev.Version))
		return
	}
	if content := ContentHash(ev); !bytes.Equal(content, ev.ContentHash) {
		fail("content_hash", fmt.Sprintf("%x", content), fmt.Sprintf("%x", ev.ContentHash))
		return
	}
	if chain := ChainHash(v.prev, ev.ContentHash, ev.Stream, ev.Version); !bytes.Equal(chain, ev.ChainHash) {
		fail("chain_hash", fmt.Sprintf("%x", chain), fmt.Sprintf("%x", ev.ChainHash))
	}
}

// Report returns the result so far.
func (v *Verifier) Report() Report { return v.report }
