package database_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/serve"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// kind is how IsTransient and IsPermanent classify an error.
type kind struct{ Transient, Permanent bool }

var (
	transient = kind{Transient: true}
	permanent = kind{Permanent: true}
	neither   = kind{}
)

func classify(err error) kind {
	return kind{Transient: database.IsTransient(err), Permanent: database.IsPermanent(err)}
}

func pgErr(code string) error { return &pgconn.PgError{Severity: "ERROR", Code: code} }

func TestClassifyConstructedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want kind
	}{
		{"nil", nil, neither},
		{"admin shutdown 57P01", pgErr("57P01"), transient},
		{"crash shutdown 57P02", pgErr("57P02"), transient},
		{"cannot connect now 57P03", pgErr("57P03"), transient},
		{"query canceled 57014", pgErr("57014"), neither},
		{"connection failure 08006", pgErr("08006"), transient},
		{"too many connections 53300", pgErr("53300"), transient},
		{"disk full 53100", pgErr("53100"), transient},
		{"serialization failure 40001", pgErr("40001"), transient},
		{"deadlock 40P01", pgErr("40P01"), transient},
		{"NUL byte 22021", pgErr("22021"), permanent},
		{"division by zero 22012", pgErr("22012"), permanent},
		{"unique violation 23505", pgErr("23505"), permanent},
		{"index row too large 54000", pgErr("54000"), permanent},
		{"undefined table 42P01", pgErr("42P01"), neither},
		{"wrapped twice", fmt.Errorf("project: %w", fmt.Errorf("insert: %w", pgErr("40P01"))), transient},
		{"inside an EventError", &eventstore.EventError{Projection: "p", Err: pgErr("22021")}, permanent},
		{"undecodable event", &eventstore.EventError{Projection: "p", Err: fmt.Errorf("%w: bad wire type", eventstore.ErrUndecodable)}, permanent},
		{"unexpected EOF", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), transient},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, transient},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), transient},
		{"conn closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), transient},
		{"canceled", fmt.Errorf("query: %w", context.Canceled), neither},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), neither},
		{"canceled while the server went away", errors.Join(context.Canceled, io.ErrUnexpectedEOF), neither},
		{"plain error", errors.New("the read model rejects the event"), neither},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, classify(tt.err)); diff != "" {
				t.Errorf("classify(%v) (-want +got):\n%s", tt.err, diff)
			}
		})
	}
}

// TestClassifyServerErrors classifies errors as pgx returns them from a
// real server, so that a change in how pgx wraps them shows up here.
func TestClassifyServerErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDB(t, pgtest.Template{Name: "database_errors_empty"})
	connect := func(t *testing.T) *pgx.Conn {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return conn
	}

	t.Run("NUL byte in text", func(t *testing.T) {
		t.Parallel()
		_, err := connect(t).Exec(ctx, `SELECT $1::text`, "bad\x00text")
		if got := classify(err); got != permanent {
			t.Errorf("classify(%v) = %+v, want permanent", err, got)
		}
	})
	t.Run("division by zero", func(t *testing.T) {
		t.Parallel()
		_, err := connect(t).Exec(ctx, `SELECT 1 / (random() * 0)::int`)
		if got := classify(err); got != permanent {
			t.Errorf("classify(%v) = %+v, want permanent", err, got)
		}
	})
	t.Run("terminated session", func(t *testing.T) {
		t.Parallel()
		conn := connect(t)
		_, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`)
		if got := classify(err); got != transient {
			t.Errorf("terminate: classify(%v) = %+v, want transient", err, got)
		}
		_, err = conn.Exec(ctx, `SELECT 1`)
		if got := classify(err); got != transient {
			t.Errorf("query on the closed connection: classify(%v) = %+v, want transient", err, got)
		}
	})
	t.Run("nobody listening", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = pgx.Connect(ctx, "postgres://postgres@"+addr+"/postgres?sslmode=disable&connect_timeout=5")
		if got := classify(err); got != transient {
			t.Errorf("classify(%v) = %+v, want transient", err, got)
		}
	})
	t.Run("cancelled query", func(t *testing.T) {
		t.Parallel()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := connect(t).Exec(cctx, `SELECT 1`)
		if err == nil || classify(err) != neither {
			t.Errorf("classify(%v) = %+v, want neither (shutdown, not a failure)", err, classify(err))
		}
	})
}

// TestClassifyRefusedEvent follows an event the store refuses before
// storing it (issue #22: a payload NATS could not carry) through the fault
// chain every service has: it is Invalid, so an RPC answers
// InvalidArgument with the store's reason instead of Internal, and a
// consumer rejects the message instead of redelivering it.
func TestClassifyRefusedEvent(t *testing.T) {
	t.Parallel()
	stream := eventstore.StreamID{Tenant: "acme", Type: "note", ID: "n-1"}
	ev := func(payload proto.Message) eventstore.Event {
		e := eventstore.Event{Payload: payload}
		e.EventID, e.OccurredAt = uuid.New(), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		return e
	}
	oversized := wrapperspb.Bytes(make([]byte, eventstore.MaxEventBytes+1))
	tests := []struct {
		name   string
		stream eventstore.StreamID
		events []eventstore.Event
	}{
		{"payload above MaxEventBytes", stream, []eventstore.Event{ev(oversized)}},
		{"stream id above MaxStreamIDBytes", eventstore.StreamID{Tenant: "acme", Type: "note", ID: strings.Repeat("x", eventstore.MaxStreamIDBytes+1)}, []eventstore.Event{ev(wrapperspb.String("n"))}},
		{"no payload", stream, []eventstore.Event{ev(nil)}},
	}
	chain := fault.Chain(database.Classify)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := eventstore.Prepare(tt.stream, tt.events)
			if !errors.Is(err, eventstore.ErrInvalidEvent) {
				t.Fatalf("Prepare = %v, want ErrInvalidEvent", err)
			}
			err = fmt.Errorf("append note: %w", err)
			if diff := cmp.Diff(permanent, classify(err)); diff != "" {
				t.Errorf("IsTransient/IsPermanent (-want +got):\n%s", diff)
			}
			if got := database.Classify(err); got != fault.Invalid {
				t.Errorf("Classify = %v, want invalid", got)
			}
			st := status.Convert(serve.Status(chain, err))
			if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "invalid event") {
				t.Errorf("status = %v %q, want InvalidArgument with the store's reason", st.Code(), st.Message())
			}
		})
	}
}
