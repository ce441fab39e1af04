package main

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// startHint is how to get the services running for the commands that call
// them.
const startHint = "Start everything with `make demo ARGS=--keep-running`"

// service is a service the CLI calls: its name as the user knows it, the
// flag that sets its address and the address used.
type service struct {
	name, flag, addr string
}

func ledgerAt(addr string) service { return service{"ledger", "--ledger", addr} }

// serviceAt names the service whose address flag is --<flag>: "ledger",
// "ingestion service".
func serviceAt(flag, addr string) service {
	if flag == "ledger" {
		return ledgerAt(addr)
	}
	return service{flag + " service", "--" + flag, addr}
}

// userError is a failed call said in the user's terms: what went wrong and
// the next step. It wraps the gRPC error, so status.Code still sees the code.
type userError struct {
	msg string
	err error
}

func (e *userError) Error() string { return e.msg }
func (e *userError) Unwrap() error { return e.err }

// explain turns the error of a call to svc into a sentence for the user with
// the next step, by its gRPC status code; it is the CLI's one such mapping.
// No "rpc error: code = …" text is left: the status message (desc) is kept
// where it says what was wrong. An error without a gRPC status, and one
// explained already, are returned unchanged; nil stays nil.
func explain(svc service, err error) error {
	if err == nil {
		return nil
	}
	var done *userError
	if errors.As(err, &done) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	// FromError on a wrapped status prefixes the wrapper's text; the
	// status's own message is what the service said.
	var inner interface{ GRPCStatus() *status.Status }
	if errors.As(err, &inner) {
		st = inner.GRPCStatus()
	}
	desc := strings.TrimSpace(st.Message())
	name, at := svc.name, svc.name
	if svc.addr != "" {
		at = svc.name + " at " + svc.addr
	}
	var msg string
	if st.Code() == codes.Unavailable || st.Code() == codes.Unauthenticated {
		if m := credentialsProblem(err, at, desc, st.Code() == codes.Unauthenticated); m != "" {
			return &userError{msg: m, err: err}
		}
	}
	switch st.Code() {
	case codes.Unavailable:
		if cause, unreachable := connectionFailure(desc); unreachable {
			msg = fmt.Sprintf("cannot reach the %s%s: is it running? %s, or point %s at it", at, cause, startHint, svc.flag)
		} else {
			msg = fmt.Sprintf("the %s is unavailable for now (%s): try again in a moment; if it persists, see its log", at, desc)
		}
	case codes.DeadlineExceeded:
		msg = fmt.Sprintf("the %s did not answer in time: try again; if it persists, see its log", at)
	case codes.Canceled:
		msg = fmt.Sprintf("the call to the %s was interrupted", name)
	case codes.InvalidArgument:
		msg = fmt.Sprintf("the %s refused the request: %s", name, desc)
	case codes.NotFound:
		msg = orElse(desc, "the "+name+" has no such thing")
	case codes.AlreadyExists:
		msg = fmt.Sprintf("the %s refused the request, it conflicts with what it already holds: %s", name, desc)
	case codes.FailedPrecondition:
		msg = fmt.Sprintf("the %s cannot do this now: %s", name, desc)
	case codes.PermissionDenied:
		msg = fmt.Sprintf("the %s does not allow this: %s", name, desc)
	case codes.Unauthenticated:
		msg = fmt.Sprintf("the %s wants credentials this CLI did not send: %s", at, desc)
	case codes.ResourceExhausted:
		msg = fmt.Sprintf("the %s is overloaded or the request is too large: %s; try again later", name, desc)
	case codes.Aborted:
		msg = fmt.Sprintf("the %s gave up because something changed at the same time: %s; run the command again", name, desc)
	case codes.Unimplemented:
		msg = fmt.Sprintf("the service at %s does not offer this call (%s): is %s pointing at the %s, and is it the version of this o2c?", orElse(svc.addr, "the address given"), desc, svc.flag, name)
	case codes.OutOfRange:
		msg = fmt.Sprintf("the %s refused the request: %s", name, desc)
	default: // Internal, Unknown, DataLoss
		msg = fmt.Sprintf("the %s failed (see its log)", at)
		if desc != "" && !strings.HasPrefix(desc, "internal error") {
			msg += ": " + desc
		}
	}
	return &userError{msg: msg, err: err}
}

// connectionFailure reports whether an UNAVAILABLE status describes a call
// that never reached the service (nothing listening, no such host, not a
// gRPC server), and a short parenthesised cause for the message.
func connectionFailure(desc string) (cause string, unreachable bool) {
	for _, c := range []struct{ marker, cause string }{
		{"connection refused", "connection refused"},
		{"no such host", "no such host"},
		{"i/o timeout", "timed out connecting"},
		{"connection closed before server preface", "not a gRPC server"},
		{"name resolver", "address not resolved"},
		{"connection error", ""},
		{"transport:", ""},
	} {
		if strings.Contains(desc, c.marker) {
			if c.cause != "" {
				return " (" + c.cause + ")", true
			}
			return "", true
		}
	}
	return "", false
}

func orElse(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
