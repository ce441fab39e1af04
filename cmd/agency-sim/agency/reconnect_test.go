package agency_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"

	"github.com/o2c-platform/o2c/cmd/agency-sim/agency"
)

// freeAddr returns a local address nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	if err := lis.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// start serves f on addr until the returned stop is called (or the test
// ends), as collections would after a restart.
func start(t testing.TB, f *fakeAgencyService, addr string) (stop func()) {
	t.Helper()
	var lis net.Listener
	var err error
	for range 50 { // the port was just given up by the previous server
		if lis, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	collectionsv1grpc.RegisterAgencyServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return srv.Stop
}

// client is a client of addr, which need not be served yet.
func client(t testing.TB, addr string) collectionsv1grpc.AgencyServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return collectionsv1grpc.NewAgencyServiceClient(conn)
}

// await returns the next value of ch for which ok holds, failing the test
// if none comes before the test's deadline guard.
func await[T any](t testing.TB, ch <-chan T, what string, ok func(T) bool) T {
	t.Helper()
	guard := time.After(2 * time.Minute) // a hang guard, not a timing goal
	for {
		select {
		case v := <-ch:
			if ok(v) {
				return v
			}
		case <-guard:
			t.Fatalf("no %s", what)
		}
	}
}

// TestRunReconnectingOutlivesCollections starts the agency while
// collections is down, starts collections, loses the answer to a payment
// report, stops collections and starts it again with a new case: the
// agency logs each failure, waits, reconnects, works both cases to their
// end and books every step once; it returns nil when its context ends.
func TestRunReconnectingOutlivesCollections(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	f := newFake(submitted("C-1", 10000, 0))
	f.loseAnswer["C-1/payment/2"] = true
	a := newAgency(t, client(t, addr), agency.DefaultTerms())
	logs := make(chan string, 1000)
	worked := make(chan *collectionsv1.Case, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- a.RunReconnecting(ctx, agency.Backoff{First: 10 * time.Millisecond, Max: 50 * time.Millisecond, Attempts: 1000},
			func(format string, args ...any) {
				select {
				case logs <- fmt.Sprintf(format, args...):
				default:
				}
			},
			func(c *collectionsv1.Case) { worked <- c })
	}()
	unreachable := func(s string) bool { return strings.Contains(s, "collections unreachable") }
	await(t, logs, "failure logged while collections is down", unreachable)

	stop := start(t, f, addr)
	closed := func(id string) func(*collectionsv1.Case) bool {
		return func(c *collectionsv1.Case) bool {
			return c.GetCaseId() == id && c.GetStatus() == collectionsv1.CaseStatus_CASE_STATUS_CLOSED
		}
	}
	c1 := await(t, worked, "C-1 closed", closed("C-1"))
	stop()
	for len(logs) > 0 {
		<-logs
	}
	await(t, logs, "failure logged after collections stopped", unreachable)
	f.add(submitted("C-2", 5000, 0))
	start(t, f, addr)
	await(t, worked, "C-2 closed", closed("C-2"))
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunReconnecting after its context ended: %v, want nil", err)
	}

	var want []string
	for _, id := range []string{"C-1", "C-2"} {
		want = append(want, id+"/accept", id+"/status/PROGRESS_STATUS_CONTACTED", id+"/status/PROGRESS_STATUS_PAYMENT_PLAN",
			id+"/payment/1", id+"/payment/2", id+"/payment/3", id+"/close")
	}
	if diff := cmp.Diff(want, f.bookedKeys()); diff != "" {
		t.Errorf("booked (-want +got):\n%s", diff)
	}
	if got := c1.GetTotals().GetCollected().GetMinorUnits(); got != 12500 || c1.GetClosingCode() != collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL {
		t.Errorf("C-1 collected %d closed %v, want 125.00 paid in full", got, c1.GetClosingCode())
	}
}

// TestRunReconnectingGivesUp: without collections the agency gives up
// after the attempts its backoff allows, having logged each failure but
// the last; a backoff without attempts is refused.
func TestRunReconnectingGivesUp(t *testing.T) {
	t.Parallel()
	a := newAgency(t, client(t, freeAddr(t)), agency.DefaultTerms())
	var logged []string
	logf := func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	tests := []struct {
		name    string
		b       agency.Backoff
		want    string
		wantLog int
	}{
		{"three attempts", agency.Backoff{First: time.Millisecond, Max: 2 * time.Millisecond, Attempts: 3}, "collections unreachable after 3 attempts", 2},
		{"no attempts", agency.Backoff{First: time.Millisecond, Max: time.Millisecond}, "want a positive first wait", 0},
		{"no first wait", agency.Backoff{Max: time.Millisecond, Attempts: 1}, "want a positive first wait", 0},
	}
	for _, tt := range tests {
		logged = nil
		err := a.RunReconnecting(context.Background(), tt.b, logf, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
		if len(logged) != tt.wantLog {
			t.Errorf("%s: logged %q, want %d lines", tt.name, logged, tt.wantLog)
		}
	}
}
