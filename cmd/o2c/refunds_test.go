package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"
)

// refundServer is a fake of refund import's RefundService: RunImport
// streams progress in turn, ListRefunds answers pages in turn; every
// request is recorded.
type refundServer struct {
	refundv1grpc.UnimplementedRefundServiceServer
	mu       sync.Mutex
	progress []*refundv1.RunImportResponse
	pages    []*refundv1.ListRefundsResponse
	err      error
	reqs     []proto.Message
}

func (s *refundServer) RunImport(req *refundv1.RunImportRequest, stream grpc.ServerStreamingServer[refundv1.RunImportResponse]) error {
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	progress, err := s.progress, s.err
	s.mu.Unlock()
	if err != nil {
		return err
	}
	for _, p := range progress {
		if err := stream.Send(p); err != nil {
			return err
		}
	}
	return nil
}

func (s *refundServer) ListRefunds(_ context.Context, req *refundv1.ListRefundsRequest) (*refundv1.ListRefundsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, req)
	if s.err != nil {
		return nil, s.err
	}
	if len(s.pages) == 0 {
		return &refundv1.ListRefundsResponse{}, nil
	}
	p := s.pages[0]
	s.pages = s.pages[1:]
	return p, nil
}

// ReviewRefund answers with the refund as a review would leave it:
// booked or linked without credit note, reviewed by user:clara.
func (s *refundServer) ReviewRefund(_ context.Context, req *refundv1.ReviewRefundRequest) (*refundv1.ReviewRefundResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, req)
	if s.err != nil {
		return nil, s.err
	}
	r := &refundv1.Refund{AdjustmentId: req.GetAdjustmentId(), OrderId: "302-1", Sku: "SKU-1", State: refundv1.RefundState_REFUND_STATE_LINKED,
		ReviewedBy: "user:clara", Reason: "dismissed on review by user:clara: " + req.GetReason()}
	switch req.GetAction() {
	case refundv1.ReviewAction_REVIEW_ACTION_BOOK:
		r.State, r.CreditNoteNumber = refundv1.RefundState_REFUND_STATE_BOOKED, "amazon-refund:"+req.GetAdjustmentId()
	case refundv1.ReviewAction_REVIEW_ACTION_KEEP:
		r.State, r.CreditNoteNumber, r.CreditedAgainKept = refundv1.RefundState_REFUND_STATE_BOOKED, "amazon-refund:"+req.GetAdjustmentId(), []string{"GS-7"}
	}
	return &refundv1.ReviewRefundResponse{Refund: r}, nil
}

func (s *refundServer) requests() []proto.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]proto.Message(nil), s.reqs...)
}

// refundsCLI runs `o2c refunds args...` against f.
func refundsCLI(t testing.TB, f *refundServer, args ...string) (int, string, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	refundv1grpc.RegisterRefundServiceServer(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return runCLI(t, append(append([]string{"refunds"}, args...), "--refund-import", lis.Addr().String())...)
}

// TestRefundsImportPrintsEachSellerAccount runs an import of two seller
// accounts, one of which fails: the request carries the tenant, seller and
// --since as asked, each seller account's result is one line (progress
// messages are not printed on standard output), and the exit status is 1
// for the failure.
func TestRefundsImportPrintsEachSellerAccount(t *testing.T) {
	t.Parallel()
	f := &refundServer{progress: []*refundv1.RunImportResponse{
		{SellerAccount: "eu-main", Pages: 1, Events: 100, RefundsNew: 3},
		{SellerAccount: "eu-main", Pages: 3, Events: 1234, RefundsNew: 7, RefundsDuplicate: 2, Linked: 1, Held: 1, Waiting: 1, Reversed: 1, SettlementReports: 1, Done: true},
		{SellerAccount: "na", Pages: 1, Events: 1, Done: true, Error: "listFinancialEvents: throttled after 5 retries"},
	}}
	code, stdout, stderr := refundsCLI(t, f, "import", "--tenant", "acme", "--seller", "eu-main", "--since", "2026-11-01")
	if code != 1 {
		t.Errorf("exit %d, want 1 for the failed seller account; stderr %q", code, stderr)
	}
	want := "eu-main  IMPORTED  3 pages, 1,234 events: 7 booked, 2 duplicate, 1 linked, 1 held, 1 waiting, 1 reversed; 1 settlement report\n" +
		"na  FAILED  1 page, 1 event: 0 booked, 0 duplicate, 0 linked, 0 held, 0 waiting, 0 reversed; 0 settlement reports: listFinancialEvents: throttled after 5 retries\n"
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	wantReq := []proto.Message{&refundv1.RunImportRequest{Tenant: "acme", SellerAccount: "eu-main",
		Since: timestamppb.New(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))}}
	if diff := cmp.Diff(wantReq, f.requests(), protocmp.Transform()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestRefundsImportJSON prints one JSON line per seller account, and exit
// status 0 when none failed.
func TestRefundsImportJSON(t *testing.T) {
	t.Parallel()
	f := &refundServer{progress: []*refundv1.RunImportResponse{
		{SellerAccount: "eu-main", Pages: 2, Events: 150, RefundsNew: 2, Linked: 1, Done: true},
	}}
	code, stdout, stderr := refundsCLI(t, f, "import", "--tenant", "acme", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got importRunLine
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	want := importRunLine{SellerAccount: "eu-main", Pages: 2, Events: 150, New: 2, Linked: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON line (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]proto.Message{&refundv1.RunImportRequest{Tenant: "acme"}}, f.requests(), protocmp.Transform()); diff != "" {
		t.Errorf("without --seller and --since the request names the tenant only (-want +got):\n%s", diff)
	}
}

// TestRefundsRefusesBadArguments checks the arguments the CLI refuses
// before calling anything, and that the service's refusal is explained.
func TestRefundsRefusesBadArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		err  error
		want string
	}{
		{"no tenant", []string{"import"}, nil, "--tenant is required"},
		{"bad since", []string{"import", "--tenant", "acme", "--since", "1.11.2026"}, nil, `--since "1.11.2026": want a date`},
		{"bad output", []string{"list", "--tenant", "acme", "--output", "xml"}, nil, `unknown --output "xml"`},
		{"bad limit", []string{"list", "--tenant", "acme", "--limit", "0"}, nil, "--limit 0"},
		{"unknown seller", []string{"import", "--tenant", "acme", "--seller", "xx"}, status.Error(codes.NotFound, "seller account xx is not in tenant acme's refunds section"),
			"seller account xx is not in tenant acme's refunds section"},
		{"unknown tenant", []string{"list", "--tenant", "acme2", "--order", "302-1"}, status.Error(codes.NotFound, "tenant acme2 does not exist"), "tenant acme2 does not exist"},
		{"review without adjustment", []string{"review", "--tenant", "acme", "--book", "--reason", "x"}, nil, "--adjustment is required"},
		{"review without action", []string{"review", "--tenant", "acme", "--adjustment", "adj-1", "--reason", "x"}, nil, "exactly one of --book, --dismiss and --keep"},
		{"review with both actions", []string{"review", "--tenant", "acme", "--adjustment", "adj-1", "--book", "--dismiss", "--reason", "x"}, nil,
			"exactly one of --book, --dismiss and --keep"},
		{"review to keep and book", []string{"review", "--tenant", "acme", "--adjustment", "adj-1", "--keep", "--book", "--reason", "x"}, nil,
			"exactly one of --book, --dismiss and --keep"},
		{"review without reason", []string{"review", "--tenant", "acme", "--adjustment", "adj-1", "--dismiss"}, nil, "--reason is required"},
		{"review of a refund not held", []string{"review", "--tenant", "acme", "--adjustment", "adj-1", "--book", "--reason", "x"},
			status.Error(codes.FailedPrecondition, "refund not held for review: refund adj-1|302-1|SKU-1 is booked"), "refund adj-1|302-1|SKU-1 is booked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &refundServer{err: tc.err}
			code, _, stderr := refundsCLI(t, f, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tc.want)
			}
			if tc.err == nil && len(f.requests()) > 0 {
				t.Errorf("called the service: %v", f.requests())
			}
		})
	}
}

// TestRefundsListShowsAnOrdersRefunds lists an order's refunds over two
// pages: the order id reaches ListRefunds, the page token is followed, and
// each refund is a row saying what became of it.
func TestRefundsListShowsAnOrdersRefunds(t *testing.T) {
	t.Parallel()
	posted := timestamppb.New(time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC))
	f := &refundServer{pages: []*refundv1.ListRefundsResponse{
		{Refunds: []*refundv1.Refund{{AdjustmentId: "adj-1", OrderId: "302-1", Kind: refundv1.RefundKind_REFUND_KIND_REFUND, Amount: eurMoney(1495),
			Posted: posted, Source: refundv1.RefundSource_REFUND_SOURCE_API, State: refundv1.RefundState_REFUND_STATE_BOOKED,
			CreditNoteNumber: "amazon-refund:adj-1"}}, NextPageToken: "p2"},
		{Refunds: []*refundv1.Refund{{AdjustmentId: "adj-2", OrderId: "302-1", Kind: refundv1.RefundKind_REFUND_KIND_REFUND, Amount: eurMoney(1495),
			Posted: posted, Source: refundv1.RefundSource_REFUND_SOURCE_API, State: refundv1.RefundState_REFUND_STATE_LINKED,
			Reason: "the shop credited it", CreditNoteNumber: "GS-2026-0001"}}},
	}}
	code, stdout, stderr := refundsCLI(t, f, "list", "--tenant", "acme", "--order", "302-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"amazon-refund:adj-1", "booked", "GS-2026-0001", "linked", "the shop credited it", "2 refunds"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the list does not show %q:\n%s", want, stdout)
		}
	}
	wantReqs := []proto.Message{
		&refundv1.ListRefundsRequest{Tenant: "acme", OrderId: "302-1", PageSize: 100},
		&refundv1.ListRefundsRequest{Tenant: "acme", OrderId: "302-1", PageSize: 100, PageToken: "p2"},
	}
	if diff := cmp.Diff(wantReqs, f.requests(), protocmp.Transform()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	code, stdout, _ = refundsCLI(t, &refundServer{}, "list", "--tenant", "acme", "--order", "302-9")
	if code != 0 || stdout != "no refund imported for order 302-9\n" {
		t.Errorf("an order without refunds: exit %d, stdout %q", code, stdout)
	}

	empty := &refundServer{}
	code, stdout, _ = refundsCLI(t, empty, "list", "--tenant", "acme", "--to-review")
	if code != 0 || stdout != "no refund waits for review\n" {
		t.Errorf("nothing to review: exit %d, stdout %q", code, stdout)
	}
	if diff := cmp.Diff([]proto.Message{&refundv1.ListRefundsRequest{Tenant: "acme", ToReview: true, PageSize: 100}}, empty.requests(), protocmp.Transform()); diff != "" {
		t.Errorf("--to-review requests (-want +got):\n%s", diff)
	}
}

// TestRefundsReview books one held refund and dismisses another: the
// request carries the adjustment, order, SKU, action and reason as given,
// and the answer says what became of the refund and who reviewed it.
func TestRefundsReview(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantReq *refundv1.ReviewRefundRequest
		want    string
	}{
		{name: "book", args: []string{"--adjustment", "adj-1", "--book", "--reason", "goodwill agreed"},
			wantReq: &refundv1.ReviewRefundRequest{Tenant: "acme", AdjustmentId: "adj-1", Action: refundv1.ReviewAction_REVIEW_ACTION_BOOK,
				Reason: "goodwill agreed"},
			want: "refund adj-1 of order 302-1 (SKU-1) booked as credit note amazon-refund:adj-1, reviewed by user:clara\n"},
		{name: "dismiss", args: []string{"--adjustment", "adj-2", "--order", "302-1", "--sku", "SKU-1", "--dismiss", "--reason", "Amazon pays it back"},
			wantReq: &refundv1.ReviewRefundRequest{Tenant: "acme", AdjustmentId: "adj-2", OrderId: "302-1", Sku: "SKU-1",
				Action: refundv1.ReviewAction_REVIEW_ACTION_DISMISS, Reason: "Amazon pays it back"},
			want: "refund adj-2 of order 302-1 (SKU-1) dismissed: no credit note, the deduction stays with the marketplace's debtor, reviewed by user:clara\n"},
		{name: "keep", args: []string{"--adjustment", "adj-3", "--keep", "--reason", "goodwill on top"},
			wantReq: &refundv1.ReviewRefundRequest{Tenant: "acme", AdjustmentId: "adj-3", Action: refundv1.ReviewAction_REVIEW_ACTION_KEEP,
				Reason: "goodwill on top"},
			want: "refund adj-3 of order 302-1 (SKU-1) kept as credit note amazon-refund:adj-3 beside the shop's GS-7, reviewed by user:clara\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &refundServer{}
			code, stdout, stderr := refundsCLI(t, f, append([]string{"review", "--tenant", "acme"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if diff := cmp.Diff(tt.want, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]proto.Message{tt.wantReq}, f.requests(), protocmp.Transform()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
	code, stdout, stderr := refundsCLI(t, &refundServer{}, "review", "--tenant", "acme", "--adjustment", "adj-1", "--book", "--reason", "x", "-o", "json")
	var got importedRefundLine
	if err := json.Unmarshal([]byte(stdout), &got); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s %s", code, err, stdout, stderr)
	}
	if got.State != "booked" || got.ReviewedBy != "user:clara" || got.CreditNoteNumber != "amazon-refund:adj-1" {
		t.Errorf("JSON line %+v; want booked as amazon-refund:adj-1 by user:clara", got)
	}
}
