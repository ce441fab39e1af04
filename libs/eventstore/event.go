package eventstore

import "github.com/o2c-platform/o2c/libs/eventstore/es"

// The event types live in package es, which imports no storage driver, so
// that domain packages can load and append events without depending on
// pgx. The aliases below keep every eventstore name working; see package es
// for their documentation.
type (
	// StreamID names one stream; see es.StreamID.
	StreamID = es.StreamID
	// ExpectedVersion is the version an append expects; see es.ExpectedVersion.
	ExpectedVersion = es.ExpectedVersion
	// Cursor is a place in the ordered log; see es.Cursor.
	Cursor = es.Cursor
	// Envelope is everything about an event except its payload; see es.Envelope.
	Envelope = es.Envelope
	// Event is an envelope and its payload; see es.Event.
	Event = es.Event
	// ConflictError reports an optimistic concurrency failure; see es.ConflictError.
	ConflictError = es.ConflictError
	// ContentMismatchError reports a reused event id; see es.ContentMismatchError.
	ContentMismatchError = es.ContentMismatchError
	// StreamAppend is one stream's part of an AppendGroup; see es.StreamAppend.
	StreamAppend = es.StreamAppend
	// AppendGroup is an atomic multi-stream append; see es.AppendGroup.
	AppendGroup = es.AppendGroup
	// GroupResult is the outcome of one AppendGroup; see es.GroupResult.
	GroupResult = es.GroupResult
)

const (
	// AnyVersion appends at the end of the stream whatever its version is;
	// see es.AnyVersion.
	AnyVersion = es.AnyVersion
	// NoStream appends only if the stream has no events yet; see es.NoStream.
	NoStream = es.NoStream
)

// Errors returned by stores; see package es for their meaning.
var (
	ErrVersionConflict  = es.ErrVersionConflict
	ErrContentMismatch  = es.ErrContentMismatch
	ErrPartialDuplicate = es.ErrPartialDuplicate
	ErrInvalidEvent     = es.ErrInvalidEvent
)
