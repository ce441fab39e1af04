package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
)

// fakePending answers ListPending with pending for tenant "acme" and for
// no tenant, and with err otherwise; it records the tenants asked.
type fakePending struct {
	ingestionv1grpc.UnimplementedIngestionServiceServer
	pending []*ingestionv1.PendingMessage
	err     error
	asked   chan string
}

func (f *fakePending) ListPending(_ context.Context, req *ingestionv1.ListPendingRequest) (*ingestionv1.ListPendingResponse, error) {
	f.asked <- req.GetTenant()
	if f.err != nil {
		return nil, f.err
	}
	var out []*ingestionv1.PendingMessage
	for _, p := range f.pending {
		if req.GetTenant() == "" || p.GetTenant() == req.GetTenant() {
			out = append(out, p)
		}
	}
	return &ingestionv1.ListPendingResponse{Pending: out}, nil
}

// serveIngestion serves srv as the IngestionService on a free port until
// the test ends and returns its address.
func serveIngestion(t testing.TB, srv ingestionv1grpc.IngestionServiceServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	ingestionv1grpc.RegisterIngestionServiceServer(s, srv)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// TestPendingListsWhatWaitsForWhat lists the held messages a tenant's
// ingestion answers: what waits for what since when and until when, the
// tenant asked passed on, every tenant's without --tenant, and a refusal
// explained in the user's terms.
func TestPendingListsWhatWaitsForWhat(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	f := &fakePending{asked: make(chan string, 10), pending: []*ingestionv1.PendingMessage{
		{Tenant: "acme", EventType: "credit_note.issued", Document: "GS-1", WaitsForKind: "invoice", WaitsForKey: "RE-1",
			Reason: "GS-1: invoice RE-1 not known (yet)", HeldSince: timestamppb.New(since), ExpiresAt: timestamppb.New(since.Add(336 * time.Hour))},
		{Tenant: "acme", EventType: "payment.charged_back", Document: "stripe/dp_1", WaitsForKind: "capture", WaitsForKey: "stripe/ch_1",
			HeldSince: timestamppb.New(since.Add(time.Minute)), ExpiresAt: timestamppb.New(since.Add(time.Minute + 336*time.Hour))},
		{Tenant: "beta", EventType: "invoice.issued", Document: "RE-7", WaitsForKind: "customer", WaitsForKey: "C-7",
			HeldSince: timestamppb.New(since.Add(time.Hour)), ExpiresAt: timestamppb.New(since.Add(25 * time.Hour))},
	}}
	addr := serveIngestion(t, f)

	code, stdout, stderr := runCLI(t, "pending", "--tenant", "acme", "--ingestion", addr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := `TENANT  MESSAGE               DOCUMENT     WAITS FOR            SINCE                 REJECTED AFTER
acme    credit_note.issued    GS-1         invoice RE-1         2026-11-02T12:00:00Z  2026-11-16T12:00:00Z
acme    payment.charged_back  stripe/dp_1  capture stripe/ch_1  2026-11-02T12:01:00Z  2026-11-16T12:01:00Z
2 held messages
`
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("o2c pending --tenant acme (-want +got):\n%s", diff)
	}
	if got := <-f.asked; got != "acme" {
		t.Errorf("asked for tenant %q, want acme", got)
	}

	code, stdout, stderr = runCLI(t, "pending", "--ingestion", addr)
	if code != 0 || !strings.Contains(stdout, "beta    invoice.issued") || !strings.HasSuffix(stdout, "3 held messages\n") {
		t.Errorf("o2c pending for every tenant: exit %d, want beta's invoice and 3 held messages\n%s%s", code, stdout, stderr)
	}
	if got := <-f.asked; got != "" {
		t.Errorf("asked for tenant %q, want every tenant", got)
	}

	code, stdout, _ = runCLI(t, "pending", "--tenant", "gamma", "--ingestion", addr)
	if code != 0 || stdout != "0 held messages\n" {
		t.Errorf("o2c pending for a tenant with nothing held: exit %d, %q", code, stdout)
	}

	denied := serveIngestion(t, &fakePending{asked: make(chan string, 1),
		err: status.Error(codes.PermissionDenied, "/o2c.ingestion.v1.IngestionService/ListPending: a tenant is required")})
	code, _, stderr = runCLI(t, "pending", "--ingestion", denied)
	if want := "o2c: the ingestion service does not allow this: /o2c.ingestion.v1.IngestionService/ListPending: a tenant is required"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("refused: exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
}
