package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"
)

// failingLedger answers every call it implements with err.
type failingLedger struct {
	ledgerv1grpc.UnimplementedLedgerServiceServer
	ledgerv1grpc.UnimplementedLedgerQueryServiceServer
	ledgerv1grpc.UnimplementedLedgerCommandServiceServer
	rejectionv1grpc.UnimplementedRejectionServiceServer
	err error
}

func (f *failingLedger) ListOpenItems(context.Context, *ledgerv1.ListOpenItemsRequest) (*ledgerv1.ListOpenItemsResponse, error) {
	return nil, f.err
}

func (f *failingLedger) GetAccountBalance(context.Context, *ledgerv1.GetAccountBalanceRequest) (*ledgerv1.GetAccountBalanceResponse, error) {
	return nil, f.err
}

func (f *failingLedger) MergeDebtor(context.Context, *ledgerv1.MergeDebtorRequest) (*ledgerv1.MergeDebtorResponse, error) {
	return nil, f.err
}

func (f *failingLedger) ListRejections(context.Context, *rejectionv1.ListRejectionsRequest) (*rejectionv1.ListRejectionsResponse, error) {
	return nil, f.err
}

// serveGRPC serves the ledger's services (and a RejectionService) from srv
// on 127.0.0.1 and a free port until the test ends, and returns the address.
func serveGRPC(t testing.TB, srv interface {
	ledgerv1grpc.LedgerServiceServer
	ledgerv1grpc.LedgerQueryServiceServer
	ledgerv1grpc.LedgerCommandServiceServer
	rejectionv1grpc.RejectionServiceServer
}) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	ledgerv1grpc.RegisterLedgerServiceServer(s, srv)
	ledgerv1grpc.RegisterLedgerQueryServiceServer(s, srv)
	ledgerv1grpc.RegisterLedgerCommandServiceServer(s, srv)
	rejectionv1grpc.RegisterRejectionServiceServer(s, srv)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// nothingListening returns an address on 127.0.0.1 where nothing listens.
func nothingListening(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

// runCLI runs the CLI as main does and returns its exit status and output.
func runCLI(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLIExplainsStatusCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code codes.Code
		desc string
		want string
	}{
		{codes.InvalidArgument, `tenant "Demo": not a tenant id`, `o2c: the ledger refused the request: tenant "Demo": not a tenant id`},
		{codes.NotFound, "debtor K-9 has no personal account", "o2c: debtor K-9 has no personal account"},
		{codes.AlreadyExists, "merge:K-1:K-2: idempotency key already used for a different command",
			"o2c: the ledger refused the request, it conflicts with what it already holds: merge:K-1:K-2: idempotency key already used"},
		{codes.FailedPrecondition, "period 2026-10 is closed", "o2c: the ledger cannot do this now: period 2026-10 is closed"},
		{codes.PermissionDenied, "ops may not close periods", "o2c: the ledger does not allow this: ops may not close periods"},
		{codes.Internal, "internal error; the service logged the details", "o2c: the ledger at ADDR failed (see its log)\n"},
		{codes.Unavailable, "temporarily unavailable, try again", "o2c: the ledger at ADDR is unavailable for now (temporarily unavailable, try again): try again in a moment"},
		{codes.Unimplemented, "unknown service", "o2c: the service at ADDR does not offer this call (unknown service): is --ledger pointing at the ledger"},
	}
	commands := []struct {
		name string
		args []string
	}{
		{"open-items", []string{"open-items", "--tenant", "demo"}},
		{"ledger balance", []string{"ledger", "balance", "--tenant", "demo", "--account", "1400"}},
		{"merge-debtor", []string{"ledger", "merge-debtor", "K-1", "--into", "K-2", "--reason", "same person", "--tenant", "demo"}},
	}
	for _, tc := range tests {
		t.Run(tc.code.String(), func(t *testing.T) {
			t.Parallel()
			addr := serveGRPC(t, &failingLedger{err: status.Error(tc.code, tc.desc)})
			want := strings.ReplaceAll(tc.want, "ADDR", addr)
			for _, c := range commands {
				code, _, stderr := runCLI(t, append(c.args, "--ledger", addr)...)
				if code != 1 || !strings.Contains(stderr, want) || strings.Contains(stderr, "rpc error") {
					t.Errorf("%s: exit %d, stderr %q; want 1 and %q, without rpc internals", c.name, code, stderr, want)
				}
			}
		})
	}
}

func TestCLIExplainsNothingListening(t *testing.T) {
	t.Parallel()
	addr := nothingListening(t)
	want := "o2c: cannot reach the ledger at " + addr + " (connection refused): is it running? " + startHint + ", or point --ledger at it"
	for _, args := range [][]string{
		{"open-items", "--tenant", "demo", "--ledger", addr},
		{"ledger", "trial-balance", "--tenant", "demo", "--ledger", addr},
		{"ledger", "merge-debtor", "K-1", "--into", "K-2", "--reason", "same", "--tenant", "demo", "--ledger", addr},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, want) || strings.Contains(stderr, "rpc error") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and %q", args[0], code, stderr, want)
		}
	}
}

func TestRejectedNamesTheServiceItCannotReach(t *testing.T) {
	t.Parallel()
	down := nothingListening(t)
	up := serveGRPC(t, &failingLedger{err: status.Error(codes.Internal, "internal error; the service logged the details")})
	code, stdout, stderr := runCLI(t, "rejected", "--ingestion", down, "--ledger", up)
	for _, want := range []string{
		"cannot reach the ingestion service at " + down + " (connection refused): is it running?",
		"or point --ingestion at it",
		"the ledger at " + up + " failed (see its log)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 1 || strings.Contains(stderr, "rpc error") || !strings.Contains(stdout, "0 rejections") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, an empty list and no rpc internals", code, stdout, stderr)
	}
}

func TestExplainLeavesOtherErrorsAlone(t *testing.T) {
	t.Parallel()
	if explain(ledgerAt("x"), nil) != nil {
		t.Error("explain(nil) is not nil")
	}
	plain := context.Canceled
	if got := explain(ledgerAt("x"), plain); got != plain {
		t.Errorf("a plain error became %v", got)
	}
	once := explain(ledgerAt("x"), status.Error(codes.NotFound, "no debtor K-1"))
	if twice := explain(ledgerAt("x"), once); twice != once || status.Code(twice) != codes.NotFound {
		t.Errorf("explaining twice gave %v (code %s), want the first explanation with its code", twice, status.Code(twice))
	}
}
