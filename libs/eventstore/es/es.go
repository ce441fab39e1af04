// Package es holds the event store's types that carry no storage: events
// and their envelopes, stream ids, expected versions, log cursors, the
// groups of an atomic multi-stream append and the errors every store
// returns. Package eventstore (PostgreSQL) and package memstore implement
// stores of these types; domain packages that load and append events
// depend on this package alone, so they import neither pgx nor a driver.
//
// The types are the same ones package eventstore exports: eventstore.Event
// is an alias of es.Event, and so on, so either name can be used.
package es

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
)

// StreamID names one stream: the events of one aggregate of one tenant, for
// example tenant "acme", type "invoice", id "INV-2024-0001". Versions are
// counted per StreamID.
type StreamID struct {
	Tenant string
	Type   string
	ID     string
}

// String returns the stream as "tenant/type/id".
func (s StreamID) String() string { return s.Tenant + "/" + s.Type + "/" + s.ID }

// Valid reports whether every part of the stream id is set.
func (s StreamID) Valid() bool { return s.Tenant != "" && s.Type != "" && s.ID != "" }

// ExpectedVersion is the stream version an append expects to find before it
// writes: a number of events already in the stream, or AnyVersion.
type ExpectedVersion int64

const (
	// AnyVersion appends at the end of the stream whatever its version is.
	// The store retries internally when a concurrent writer takes the next
	// version first.
	AnyVersion ExpectedVersion = -1
	// NoStream appends only if the stream has no events yet.
	NoStream ExpectedVersion = 0
)

// String returns "any", "no stream" or the number.
func (v ExpectedVersion) String() string {
	switch v {
	case AnyVersion:
		return "any"
	case NoStream:
		return "no stream"
	}
	return fmt.Sprint(int64(v))
}

// Cursor is a place in the ordered log of all events: the transaction id
// (PostgreSQL xid8) of the transaction that wrote an event and the event's
// global position. The log is ordered by (TxID, Position); the zero Cursor
// is before the first event.
type Cursor struct {
	TxID     uint64
	Position int64
}

// Less reports whether c comes before d in the ordered log.
func (c Cursor) Less(d Cursor) bool {
	if c.TxID != d.TxID {
		return c.TxID < d.TxID
	}
	return c.Position < d.Position
}

// Envelope is everything about an event except its payload.
//
// On Append the caller sets EventID, OccurredAt and the optional
// CausationID, CorrelationID, Actor, TraceParent and TraceState; the store
// sets Type (from the payload), Stream, Version, RecordedAt, Position,
// Cursor, ContentHash and ChainHash.
type Envelope struct {
	// EventID identifies the event everywhere (store, NATS Nats-Msg-Id,
	// consumers' dedupe). Derive it deterministically from the source's
	// natural key where one exists so that a replay reuses it.
	EventID uuid.UUID
	// Type is the protobuf full name of the payload, e.g.
	// "o2c.ledger.v1.InvoiceIssued".
	Type   string
	Stream StreamID
	// Version is the event's 1-based number within its stream.
	Version int64
	// OccurredAt is business (effective) time, stored in UTC with
	// microsecond precision.
	OccurredAt time.Time
	// RecordedAt is set by the store: the start of the transaction that
	// wrote the event (PostgreSQL now()), the same for a whole batch.
	RecordedAt    time.Time
	CausationID   string
	CorrelationID string
	// Actor names who or what caused the event ("user:jane", "service:matching").
	Actor string
	// TraceParent and TraceState are the W3C trace context headers.
	TraceParent string
	TraceState  string
	// Position is the global sequence number assigned by the store. It is
	// unique and increasing in allocation order, which is not commit order;
	// read the log with Cursor, not by Position alone.
	Position int64
	// Cursor is the event's place in the ordered log; set on events read
	// from the log or returned by Append.
	Cursor Cursor
	// ContentHash is the SHA-256 of the event's canonical form (see
	// ContentHash); ChainHash links it to the previous event of its stream
	// (see ChainHash).
	ContentHash []byte
	ChainHash   []byte
}

// Event is an envelope and its protobuf payload.
type Event struct {
	Envelope
	// Payload is the decoded message. On events read back from a store it
	// is nil when the store's type resolver does not know Type; Data is
	// always set.
	Payload proto.Message
	// Data is the deterministic protobuf encoding of Payload, exactly the
	// bytes that were hashed and stored.
	Data []byte
}

// Errors returned by stores. Each is wrapped with context; test with
// errors.Is or errors.As.
var (
	// ErrVersionConflict means the stream was not at the expected version.
	// The error is a *ConflictError.
	ErrVersionConflict = errors.New("eventstore: stream version conflict")
	// ErrContentMismatch means an event id is already stored with different
	// content. The error is a *ContentMismatchError.
	ErrContentMismatch = errors.New("eventstore: event id reused with different content")
	// ErrPartialDuplicate means some, but not all, events of an append are
	// already stored. A batch is stored atomically, so a retry repeats the
	// whole batch; a mix points at a caller that reuses event ids.
	ErrPartialDuplicate = errors.New("eventstore: some events of the batch are already stored")
	// ErrInvalidEvent means an event or append call is malformed (missing
	// id, payload, occurred-at, stream part, or a duplicate id in one batch).
	ErrInvalidEvent = errors.New("eventstore: invalid event")
)

// ConflictError reports an optimistic concurrency failure: the stream had
// Actual events, the append expected Expected.
type ConflictError struct {
	Stream   StreamID
	Expected ExpectedVersion
	Actual   int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("eventstore: stream %s: expected version %s, actual %d", e.Stream, e.Expected, e.Actual)
}

// Unwrap returns ErrVersionConflict.
func (e *ConflictError) Unwrap() error { return ErrVersionConflict }

// ContentMismatchError reports an append of an event id that is stored with
// a different content hash.
type ContentMismatchError struct {
	EventID      uuid.UUID
	StoredHash   []byte
	AppendedHash []byte
}

func (e *ContentMismatchError) Error() string {
	return fmt.Sprintf("eventstore: event %s already stored with content hash %x, append has %x", e.EventID, e.StoredHash, e.AppendedHash)
}

// Unwrap returns ErrContentMismatch.
func (e *ContentMismatchError) Unwrap() error { return ErrContentMismatch }

// StreamAppend is one stream's part of an AppendGroup: events to append to
// Stream if it is at version Expected.
type StreamAppend struct {
	Stream   StreamID
	Expected ExpectedVersion
	Events   []Event
}

// AppendGroup is a set of appends to different streams that is stored
// atomically: all of its events or none. A journal entry and the open item
// it creates on the debtor's stream are one group.
type AppendGroup []StreamAppend

// GroupResult is the outcome of one AppendGroup of a batch append.
type GroupResult struct {
	// Events holds, per StreamAppend of the group and in its order, the
	// stored events with version, position, cursor, recorded-at and hashes
	// set. It is nil when Err is set.
	Events [][]Event
	// Replayed reports that every event of the group was stored before
	// with the same content, so nothing was written.
	Replayed bool
	// Err is why the group was not stored: a *ContentMismatchError, a
	// *ConflictError, ErrPartialDuplicate or ErrInvalidEvent (each
	// wrapped), or the storage error of a group that failed on its own.
	Err error
}
