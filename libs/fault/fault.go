// Package fault is the one classification of failures every o2c service
// uses. A domain owns its sentinel errors and a Table that puts each into a
// Class; from the Class alone follow the gRPC status code an RPC returns
// (package serve) and the verdict a JetStream consumer gives the message
// (package bus): acknowledge, redeliver later, or terminate and record a
// rejection. Nothing else decides either, so the two cannot drift apart.
//
// The package is pure: it imports neither transport nor storage, so domain
// packages may depend on it.
package fault

import (
	"context"
	"errors"
)

// Class is what kind of failure an error is.
type Class int

const (
	// Unknown is an error nobody classified: a bug or an unforeseen storage
	// failure. An RPC answers Internal with a generic message and the error
	// is logged once; a consumer redelivers the message and records it as a
	// rejection when its last delivery fails too.
	Unknown Class = iota
	// Invalid means the request or message is malformed or breaks a rule of
	// the domain; sending it again changes nothing.
	Invalid
	// Conflict means it contradicts something already recorded, such as an
	// idempotency key or document number used for other content.
	Conflict
	// NotFound means it names something that does not exist.
	NotFound
	// Precondition means the state does not allow it now (a closed period,
	// an item settled, a debtor merged away).
	Precondition
	// Forbidden means the caller may not do it.
	Forbidden
	// Transient means a passing condition (contention, a connection lost,
	// shutting down): the same request may succeed later.
	Transient
	// Canceled means the caller went away (its context ended).
	Canceled
	// Internal is a known failure that means a bug or broken data (an
	// invariant does not hold). It is treated like Unknown — generic
	// Internal status, redelivery until the consumer gives up — but was
	// classified on purpose.
	Internal
)

var classNames = [...]string{
	Unknown: "unknown", Invalid: "invalid", Conflict: "conflict", NotFound: "not_found",
	Precondition: "precondition", Forbidden: "forbidden", Transient: "transient", Canceled: "canceled",
	Internal: "internal",
}

// String returns the class as a reason code, e.g. "not_found".
func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return "unknown"
	}
	return classNames[c]
}

// Permanent reports whether retrying cannot help: the message is rejected.
func (c Class) Permanent() bool {
	switch c {
	case Invalid, Conflict, NotFound, Precondition, Forbidden:
		return true
	}
	return false
}

// Rule puts every error that errors.Is Err into Class.
type Rule struct {
	Err   error
	Class Class
}

// Table is a domain's classification, first matching rule wins.
type Table []Rule

// Classifier classifies an error; Unknown means "not mine".
type Classifier func(error) Class

// Classify returns the class of the first rule err matches, or Unknown.
func (t Table) Classify(err error) Class {
	for _, r := range t {
		if errors.Is(err, r.Err) {
			return r.Class
		}
	}
	return Unknown
}

// Chain returns a Classifier that asks each classifier in turn and returns
// the first answer other than Unknown. Errors marked with Mark, and context
// errors, are classified before any of them.
func Chain(cs ...Classifier) Classifier {
	return func(err error) Class {
		if err == nil {
			return Unknown
		}
		var m marked
		if errors.As(err, &m) {
			return m.class
		}
		for _, c := range cs {
			if c == nil {
				continue
			}
			if cl := c(err); cl != Unknown {
				return cl
			}
		}
		switch {
		case errors.Is(err, context.Canceled):
			return Canceled
		case errors.Is(err, context.DeadlineExceeded):
			return Transient
		}
		return Unknown
	}
}

// marked is an error with its class attached by the code that saw it fail.
type marked struct {
	class Class
	err   error
}

func (m marked) Error() string { return m.err.Error() }
func (m marked) Unwrap() error { return m.err }

// Mark attaches class to err, for failures that have no sentinel of their
// own (a message that cannot be decoded is Invalid). Chain honours it before
// any table. Mark(nil, c) is nil.
func Mark(err error, class Class) error {
	if err == nil {
		return nil
	}
	return marked{class: class, err: err}
}

// Detail is what a rejection records beyond the error text: a finer reason
// code than the class and the document the message concerns.
type Detail struct {
	// Code replaces the class name as the rejection's reason code, e.g.
	// "decode" or "tenant_mismatch".
	Code string
	// Document is the invoice number, idempotency key or other id the
	// message is about.
	Document string
}

type detailed struct {
	d   Detail
	err error
}

func (d detailed) Error() string { return d.err.Error() }
func (d detailed) Unwrap() error { return d.err }

// WithDetail attaches d to err without changing its class.
func WithDetail(err error, d Detail) error {
	if err == nil {
		return nil
	}
	return detailed{d: d, err: err}
}

// DetailOf returns the Detail attached to err (the outermost one), if any.
func DetailOf(err error) Detail {
	var d detailed
	if errors.As(err, &d) {
		return d.d
	}
	return Detail{}
}
