package serve

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/o2c-platform/o2c/libs/fault"
)

// Code is the gRPC status code of a failure class; it is the only such table.
func Code(c fault.Class) codes.Code {
	switch c {
	case fault.Invalid:
		return codes.InvalidArgument
	case fault.Conflict:
		return codes.AlreadyExists
	case fault.NotFound:
		return codes.NotFound
	case fault.Precondition:
		return codes.FailedPrecondition
	case fault.Forbidden:
		return codes.PermissionDenied
	case fault.Transient:
		return codes.Unavailable
	case fault.Canceled:
		return codes.Canceled
	}
	return codes.Internal
}

// Status turns err into a gRPC status error by its class. A classified error
// keeps its message, which says what was wrong and where; an Unknown one
// becomes Internal with a generic message, since its text may expose
// internals (SQL, addresses); a Transient one says only that the service is
// unavailable for now (both are logged by ErrorInterceptor). A status error passes
// unchanged.
func Status(classify fault.Classifier, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	switch c := classify(err); c {
	case fault.Unknown, fault.Internal:
		return status.Error(codes.Internal, "internal error; the service logged the details")
	case fault.Transient:
		return status.Error(codes.Unavailable, "temporarily unavailable, try again")
	default:
		return status.Error(Code(c), err.Error())
	}
}

// ErrorInterceptor maps the errors a service's handlers return to gRPC
// status codes through classify (see Status), and logs, once, every error
// that is Unknown or Transient with the method name. Handlers return domain
// and storage errors as they are; they build no status of their own except
// for argument checks.
func ErrorInterceptor(log *slog.Logger, classify fault.Classifier) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err == nil {
			return resp, nil
		}
		return resp, statusOf(ctx, log, classify, info.FullMethod, err)
	}
}

// StreamErrorInterceptor is ErrorInterceptor for streaming RPCs: the error
// a stream handler returns reaches the client with the code and message
// its class gives, and unclassified errors are logged, not shown.
func StreamErrorInterceptor(log *slog.Logger, classify fault.Classifier) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		err := handler(srv, ss)
		if err == nil {
			return nil
		}
		return statusOf(ss.Context(), log, classify, info.FullMethod, err)
	}
}

// statusOf is the status an RPC's error is answered with: a status the
// handler built as it is, else the class's, logged as the class says with
// the call's context (so the line carries the call's trace).
func statusOf(ctx context.Context, log *slog.Logger, classify fault.Classifier, method string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch c := classify(err); {
	case errors.Is(err, context.DeadlineExceeded):
		// The caller's deadline: nothing for the operator.
	case c == fault.Unknown || c == fault.Internal:
		log.ErrorContext(ctx, "rpc failed", "method", method, "error", err)
	case c == fault.Transient:
		log.WarnContext(ctx, "rpc failed for now", "method", method, "error", err)
	}
	return Status(classify, err)
}
