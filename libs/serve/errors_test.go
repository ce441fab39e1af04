package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/o2c-platform/o2c/libs/fault"
)

var (
	errBad   = errors.New("bad argument")
	errGone  = errors.New("no such thing")
	errLater = errors.New("busy")
)

var table = fault.Table{
	{Err: errBad, Class: fault.Invalid},
	{Err: errGone, Class: fault.NotFound},
	{Err: errLater, Class: fault.Transient},
}

// TestErrorInterceptor checks the code and message every class gets, that
// unclassified and transient errors are logged once and their text kept
// from the client, and that a status the handler built passes unchanged.
func TestErrorInterceptor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err      error
		code     codes.Code
		inMsg    string
		logLines int
	}{
		{fmt.Errorf("field x: %w", errBad), codes.InvalidArgument, "field x", 0},
		{fmt.Errorf("debtor K-1: %w", errGone), codes.NotFound, "debtor K-1", 0},
		{fmt.Errorf("pool: %w", errLater), codes.Unavailable, "try again", 1},
		{errors.New("SELECT secret FROM t failed"), codes.Internal, "internal error", 1},
		{fmt.Errorf("waiting: %w", context.Canceled), codes.Canceled, "waiting", 0},
		{fmt.Errorf("waiting: %w", context.DeadlineExceeded), codes.DeadlineExceeded, "waiting", 0},
		{status.Error(codes.ResourceExhausted, "own status"), codes.ResourceExhausted, "own status", 0},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			unary := ErrorInterceptor(log, fault.Chain(table.Classify))
			_, uerr := unary(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/x.v1.S/M"},
				func(context.Context, any) (any, error) { return nil, tt.err })
			stream := StreamErrorInterceptor(log, fault.Chain(table.Classify))
			serr := stream(nil, bareStream{}, &grpc.StreamServerInfo{FullMethod: "/x.v1.S/Stream"},
				func(any, grpc.ServerStream) error { return tt.err })
			for _, err := range []error{uerr, serr} {
				st := status.Convert(err)
				if st.Code() != tt.code || !strings.Contains(st.Message(), tt.inMsg) {
					t.Errorf("status = %v %q, want %v containing %q", st.Code(), st.Message(), tt.code, tt.inMsg)
				}
				if strings.Contains(st.Message(), "secret") {
					t.Errorf("unclassified error text reached the client: %q", st.Message())
				}
			}
			if n := strings.Count(logs.String(), "\n"); n != 2*tt.logLines {
				t.Errorf("%d log lines, want %d (once per RPC):\n%s", n, 2*tt.logLines, logs.String())
			}
		})
	}
}

// bareStream is a server stream with a background context and nothing
// else: the interceptor reads only its context.
type bareStream struct{ grpc.ServerStream }

func (bareStream) Context() context.Context { return context.Background() }
