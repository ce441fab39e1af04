package database

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// IsTransient reports whether err is a failure that goes away by itself, so
// that the operation is worth repeating after a pause: the server is
// unreachable, restarting, shutting down or out of resources, or the
// transaction lost a serialization race or a deadlock. In detail:
//
//   - a failed connection attempt (*pgconn.ConnectError) unless the server
//     refused it for a reason a retry cannot change (bad password, no such
//     database: SQLSTATE classes 28 and 3D);
//   - a connection lost or closed in use: network errors, an unexpected
//     EOF, pgconn.ErrConnClosed, and errors pgconn marks as safe to retry;
//   - SQLSTATE class 08 (connection exception), class 53 (insufficient
//     resources), 57P01 admin_shutdown, 57P02 crash_shutdown,
//     57P03 cannot_connect_now, 40001 serialization_failure and
//     40P01 deadlock_detected.
//
// Context cancellation and deadlines are never transient: they mean the
// caller is shutting down or gave up, and IsTransient returns false for
// any error that wraps context.Canceled or context.DeadlineExceeded.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return transientState(pgErr.Code)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr),
		errors.As(err, &netErr),
		errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		pgconn.SafeToRetry(err),
		pgconn.Timeout(err):
		return true
	}
	return false
}

// transientState reports whether a SQLSTATE names a transient failure (see
// IsTransient).
func transientState(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03", "40001", "40P01":
		return true
	}
	return sqlClass(code) == "08" || sqlClass(code) == "53"
}

// IsPermanent reports whether err is a failure that repeating the same
// operation on the same data cannot cure: PostgreSQL rejected the data
// (SQLSTATE class 22, data exception, e.g. 22021 "invalid byte sequence
// for encoding UTF8: 0x00"), an integrity constraint (class 23), or a
// program limit (class 54, e.g. a value too large to index), a stored
// event whose payload does not decode (eventstore.ErrUndecodable), or an
// event the store refuses before storing it (eventstore.ErrInvalidEvent:
// among others a payload above eventstore.MaxEventBytes, which NATS could
// not carry). Every service's fault chain holds Classify, so such a refusal
// reaches an RPC's caller as InvalidArgument with its reason, whichever
// door let the oversized input through.
//
// An error can be neither transient nor permanent (a missing table, a bug
// in a handler): IsPermanent says only what is known to be permanent.
func IsPermanent(err error) bool {
	if errors.Is(err, eventstore.ErrUndecodable) || errors.Is(err, eventstore.ErrInvalidEvent) {
		return true
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch sqlClass(pgErr.Code) {
	case "22", "23", "54":
		return true
	}
	return false
}

// sqlClass returns the class (first two characters) of a SQLSTATE.
func sqlClass(code string) string {
	if len(code) < 2 {
		return ""
	}
	return code[:2]
}
