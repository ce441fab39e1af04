package agency_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/cmd/agency-sim/agency"
)

// fakeAgencyService is an in-memory AgencyService with one tenant's cases:
// it keeps each case's status and totals, answers a repeated idempotency
// key with the same content as the first call and refuses it with other
// content (ALREADY_EXISTS), as the contract says, and records every write
// it booked.
type fakeAgencyService struct {
	collectionsv1grpc.UnimplementedAgencyServiceServer
	mu     sync.Mutex
	cases  map[string]*collectionsv1.Case
	order  []string
	seen   map[string]proto.Message // idempotency key -> request
	booked []string                 // idempotency keys booked, in order
	// failOnce fails the first write with this key (UNAVAILABLE), as a
	// lost connection would.
	failOnce map[string]bool
	// loseAnswer books the first write with this key but answers it
	// UNAVAILABLE, as a connection lost after the write would.
	loseAnswer map[string]bool
}

func newFake(cases ...*collectionsv1.Case) *fakeAgencyService {
	f := &fakeAgencyService{cases: map[string]*collectionsv1.Case{}, seen: map[string]proto.Message{}, failOnce: map[string]bool{},
		loseAnswer: map[string]bool{}}
	for _, c := range cases {
		f.cases[c.GetCaseId()] = c
		f.order = append(f.order, c.GetCaseId())
	}
	return f
}

func eur(minor int64) *commonv1.Money { return &commonv1.Money{MinorUnits: minor, Currency: "EUR"} }

// submitted is a submitted case of handedOver EUR cents, paidDirectly of
// them already paid to the merchant.
func submitted(id string, handedOver, paidDirectly int64) *collectionsv1.Case {
	return &collectionsv1.Case{Tenant: "demo", CaseId: id, Agency: "agency-sim", Status: collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED,
		Totals: &collectionsv1.Totals{HandedOver: eur(handedOver), PaidDirectly: eur(paidDirectly), Open: eur(handedOver - paidDirectly), Collected: eur(0)}}
}

// write runs an idempotent write: a key seen with the same request
// answers the case as it is, with another request ALREADY_EXISTS.
func (f *fakeAgencyService) write(key string, req proto.Message, caseID string, apply func(c *collectionsv1.Case) error) (*collectionsv1.Case, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.cases[caseID]
	if !ok {
		return nil, status.Error(codes.NotFound, "no such case")
	}
	if key == "" {
		return nil, status.Error(codes.InvalidArgument, "no idempotency key")
	}
	if prev, ok := f.seen[key]; ok {
		if !proto.Equal(prev, req) {
			return nil, status.Errorf(codes.AlreadyExists, "key %s with other content", key)
		}
		return proto.Clone(c).(*collectionsv1.Case), nil
	}
	if f.failOnce[key] {
		delete(f.failOnce, key)
		return nil, status.Error(codes.Unavailable, "connection lost")
	}
	if err := apply(c); err != nil {
		return nil, err
	}
	f.seen[key] = proto.Clone(req)
	f.booked = append(f.booked, key)
	if f.loseAnswer[key] {
		delete(f.loseAnswer, key)
		return nil, status.Error(codes.Unavailable, "connection lost after the write")
	}
	return proto.Clone(c).(*collectionsv1.Case), nil
}

// add adds a case, as a release would.
func (f *fakeAgencyService) add(c *collectionsv1.Case) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cases[c.GetCaseId()] = c
	f.order = append(f.order, c.GetCaseId())
}

// bookedKeys returns the keys booked so far.
func (f *fakeAgencyService) bookedKeys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.booked...)
}

// StreamCases sends every case as it stands and then holds the stream
// open until the call ends (no later changes are sent).
func (f *fakeAgencyService) StreamCases(_ *collectionsv1.StreamCasesRequest, stream grpc.ServerStreamingServer[collectionsv1.StreamCasesResponse]) error {
	f.mu.Lock()
	var cases []*collectionsv1.Case
	for _, id := range f.order {
		cases = append(cases, proto.Clone(f.cases[id]).(*collectionsv1.Case))
	}
	f.mu.Unlock()
	for _, c := range cases {
		if err := stream.Send(&collectionsv1.StreamCasesResponse{Case: c}); err != nil {
			return err
		}
	}
	<-stream.Context().Done()
	return stream.Context().Err()
}

func (f *fakeAgencyService) ListCases(_ context.Context, req *collectionsv1.AgencyServiceListCasesRequest) (*collectionsv1.AgencyServiceListCasesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &collectionsv1.AgencyServiceListCasesResponse{}
	for _, id := range f.order {
		c := f.cases[id]
		for _, s := range req.GetStatuses() {
			if c.GetStatus() == s {
				resp.Cases = append(resp.Cases, proto.Clone(c).(*collectionsv1.Case))
			}
		}
	}
	return resp, nil
}

func (f *fakeAgencyService) AcceptCase(_ context.Context, req *collectionsv1.AcceptCaseRequest) (*collectionsv1.AcceptCaseResponse, error) {
	c, err := f.write(req.GetIdempotencyKey(), req, req.GetCaseId(), func(c *collectionsv1.Case) error {
		if c.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED {
			return status.Error(codes.FailedPrecondition, "not submitted")
		}
		c.Status, c.AgencyReference = collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED, req.GetAgencyReference()
		return nil
	})
	return &collectionsv1.AcceptCaseResponse{Case: c}, err
}

func (f *fakeAgencyService) ReportStatus(_ context.Context, req *collectionsv1.ReportStatusRequest) (*collectionsv1.ReportStatusResponse, error) {
	c, err := f.write(req.GetIdempotencyKey(), req, req.GetCaseId(), func(c *collectionsv1.Case) error {
		if c.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED {
			return status.Error(codes.FailedPrecondition, "not accepted")
		}
		c.Progress = req.GetStatus()
		return nil
	})
	return &collectionsv1.ReportStatusResponse{Case: c}, err
}

func (f *fakeAgencyService) ReportPayment(_ context.Context, req *collectionsv1.ReportPaymentRequest) (*collectionsv1.ReportPaymentResponse, error) {
	c, err := f.write(req.GetIdempotencyKey(), req, req.GetCaseId(), func(c *collectionsv1.Case) error {
		claim := req.GetCollected().GetMinorUnits() - req.GetNewCosts().GetMinorUnits()
		if claim > c.GetTotals().GetOpen().GetMinorUnits() {
			return status.Errorf(codes.InvalidArgument, "collected %d beyond the open %d", claim, c.GetTotals().GetOpen().GetMinorUnits())
		}
		t := c.GetTotals()
		t.Open = eur(t.GetOpen().GetMinorUnits() - claim)
		t.Collected = eur(t.GetCollected().GetMinorUnits() + req.GetCollected().GetMinorUnits())
		t.Commission = eur(t.GetCommission().GetMinorUnits() + req.GetCommission().GetMinorUnits() + req.GetFees().GetMinorUnits())
		return nil
	})
	return &collectionsv1.ReportPaymentResponse{Case: c}, err
}

func (f *fakeAgencyService) CloseCase(_ context.Context, req *collectionsv1.CloseCaseRequest) (*collectionsv1.CloseCaseResponse, error) {
	c, err := f.write(req.GetIdempotencyKey(), req, req.GetCaseId(), func(c *collectionsv1.Case) error {
		open := c.GetTotals().GetOpen().GetMinorUnits()
		if req.GetCode() == collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL && open != 0 {
			return status.Error(codes.FailedPrecondition, "money is open")
		}
		c.Status, c.ClosingCode = collectionsv1.CaseStatus_CASE_STATUS_CLOSED, req.GetCode()
		c.Totals.WrittenOff, c.Totals.Open = eur(open), eur(0)
		return nil
	})
	return &collectionsv1.CloseCaseResponse{Case: c}, err
}

func (f *fakeAgencyService) ConfirmRecall(_ context.Context, req *collectionsv1.ConfirmRecallRequest) (*collectionsv1.ConfirmRecallResponse, error) {
	c, err := f.write(req.GetIdempotencyKey(), req, req.GetCaseId(), func(c *collectionsv1.Case) error {
		for _, r := range c.GetRecalls() {
			if r.GetRecallId() == req.GetRecallId() {
				r.Confirmed = true
				if len(r.GetOpenItemIds()) == 0 {
					c.Status = collectionsv1.CaseStatus_CASE_STATUS_RECALLED
					c.Totals.Recalled, c.Totals.Open = c.GetTotals().GetOpen(), eur(0)
				}
				return nil
			}
		}
		return status.Error(codes.NotFound, "no such recall")
	})
	return &collectionsv1.ConfirmRecallResponse{Case: c}, err
}

// serve serves f and returns a client of it.
func serve(t testing.TB, f *fakeAgencyService) collectionsv1grpc.AgencyServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	collectionsv1grpc.RegisterAgencyServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return collectionsv1grpc.NewAgencyServiceClient(conn)
}

func newAgency(t testing.TB, client collectionsv1grpc.AgencyServiceClient, terms agency.Terms) *agency.Agency {
	t.Helper()
	a, err := agency.New(client, "demo", terms, func() time.Time { return time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPlan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		terms      agency.Terms
		handedOver int64
		want       []agency.Instalment
	}{
		{
			name: "default terms: three instalments, costs with the first", terms: agency.DefaultTerms(), handedOver: 10000,
			want: []agency.Instalment{
				// 3334 of the claim + 2500 costs; commission 15 % of 3334 = 500.1 -> 500; VAT 19 % of 3000 = 570.
				{N: 1, Collected: 5834, NewCosts: 2500, Fees: 2500, Commission: 500, InputVAT: 570, Currency: "EUR"},
				// 3333; commission 499.95 -> 500; VAT 19 % of 500 = 95.
				{N: 2, Collected: 3333, Commission: 500, InputVAT: 95, Currency: "EUR"},
				{N: 3, Collected: 3333, Commission: 500, InputVAT: 95, Currency: "EUR"},
			},
		},
		{
			name: "60 % in two, no costs", terms: agency.Terms{Instalments: 2, ShareBP: 6000, CommissionBP: 1000, VATRateBP: 1900}, handedOver: 12345,
			want: []agency.Instalment{
				// 60 % of 123.45 = 74.07: 3704 + 3703; commission 10 %.
				{N: 1, Collected: 3704, Commission: 370, InputVAT: 70, Currency: "EUR"},
				{N: 2, Collected: 3703, Commission: 370, InputVAT: 70, Currency: "EUR"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAgency(t, nil, tc.terms)
			got, err := a.Plan(submitted("C-1", tc.handedOver, 0))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRefusesBadTerms(t *testing.T) {
	t.Parallel()
	for _, terms := range []agency.Terms{{Instalments: 0, ShareBP: 10000}, {Instalments: 1, ShareBP: 10001}, {Instalments: 1, ShareBP: 100, CostsMinor: -1}} {
		if _, err := agency.New(nil, "demo", terms, nil); err == nil {
			t.Errorf("New with terms %+v: no error", terms)
		}
	}
	if _, err := agency.New(nil, "", agency.DefaultTerms(), nil); err == nil {
		t.Error("New without a tenant: no error")
	}
}

// TestWork works cases to their end and checks what was booked, in which
// order, and how the case closed.
func TestWork(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		terms      agency.Terms
		c          *collectionsv1.Case
		wantBooked []string
		wantCode   collectionsv1.ClosingCode
		wantTotals *collectionsv1.Totals
	}{
		{
			name: "collected in full", terms: agency.DefaultTerms(), c: submitted("C-1", 10000, 0),
			wantBooked: []string{"C-1/accept", "C-1/status/PROGRESS_STATUS_CONTACTED", "C-1/status/PROGRESS_STATUS_PAYMENT_PLAN",
				"C-1/payment/1", "C-1/payment/2", "C-1/payment/3", "C-1/close"},
			wantCode:   collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL,
			wantTotals: &collectionsv1.Totals{HandedOver: eur(10000), PaidDirectly: eur(0), Open: eur(0), Collected: eur(12500), Commission: eur(4000), WrittenOff: eur(0)},
		},
		{
			name: "60 % collected, the rest written off", terms: agency.Terms{Instalments: 2, ShareBP: 6000, CommissionBP: 1000, VATRateBP: 1900}, c: submitted("C-2", 12345, 0),
			wantBooked: []string{"C-2/accept", "C-2/status/PROGRESS_STATUS_CONTACTED", "C-2/status/PROGRESS_STATUS_PAYMENT_PLAN",
				"C-2/payment/1", "C-2/payment/2", "C-2/close"},
			wantCode:   collectionsv1.ClosingCode_CLOSING_CODE_UNCOLLECTABLE,
			wantTotals: &collectionsv1.Totals{HandedOver: eur(12345), PaidDirectly: eur(0), Open: eur(0), Collected: eur(7407), Commission: eur(740), WrittenOff: eur(4938)},
		},
		{
			// 80.00 of 100.00 reached the merchant directly: the agency
			// collects the 20.00 left (with its costs) and no more.
			name: "a direct payment is not collected again", terms: agency.DefaultTerms(), c: submitted("C-3", 10000, 8000),
			wantBooked: []string{"C-3/accept", "C-3/status/PROGRESS_STATUS_CONTACTED", "C-3/status/PROGRESS_STATUS_PAYMENT_PLAN",
				"C-3/payment/1", "C-3/close"},
			wantCode:   collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL,
			wantTotals: &collectionsv1.Totals{HandedOver: eur(10000), PaidDirectly: eur(8000), Open: eur(0), Collected: eur(4500), Commission: eur(2800), WrittenOff: eur(0)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(tc.c)
			a := newAgency(t, serve(t, f), tc.terms)
			got, err := a.Work(context.Background(), proto.Clone(tc.c).(*collectionsv1.Case))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantBooked, f.booked); diff != "" {
				t.Errorf("booked (-want +got):\n%s", diff)
			}
			if got.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_CLOSED || got.GetClosingCode() != tc.wantCode {
				t.Errorf("case %s %s, want closed %s", got.GetStatus(), got.GetClosingCode(), tc.wantCode)
			}
			if !proto.Equal(tc.wantTotals, got.GetTotals()) {
				t.Errorf("totals %v, want %v", got.GetTotals(), tc.wantTotals)
			}
			// Worked again, an ended case is left alone.
			if _, err := a.Work(context.Background(), got); err != nil {
				t.Fatal(err)
			}
			if len(f.booked) != len(tc.wantBooked) {
				t.Errorf("working the closed case again booked %v", f.booked[len(tc.wantBooked):])
			}
		})
	}
}

// TestWorkAgainAfterAFailure fails the second instalment's report once, as
// a lost connection would, and works the case again: every step is booked
// once, the instalments already reported are not reported again, and the
// repeated steps carry the same content under the same key (the fake
// refuses anything else).
func TestWorkAgainAfterAFailure(t *testing.T) {
	t.Parallel()
	c := submitted("C-9", 10000, 0)
	f := newFake(c)
	f.failOnce["C-9/payment/2"] = true
	a := newAgency(t, serve(t, f), agency.DefaultTerms())
	if _, err := a.Work(context.Background(), proto.Clone(c).(*collectionsv1.Case)); status.Code(err) != codes.Unavailable {
		t.Fatalf("first run: %v, want the lost connection (Unavailable)", err)
	}
	accepted, err := a.Cases(context.Background(), collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED)
	if err != nil || len(accepted) != 1 {
		t.Fatalf("accepted cases after the failure: %v, %v; want C-9", accepted, err)
	}
	got, err := a.WorkAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"C-9/accept", "C-9/status/PROGRESS_STATUS_CONTACTED", "C-9/status/PROGRESS_STATUS_PAYMENT_PLAN",
		"C-9/payment/1", "C-9/payment/2", "C-9/payment/3", "C-9/close"}
	if diff := cmp.Diff(want, f.booked); diff != "" {
		t.Errorf("booked (-want +got):\n%s", diff)
	}
	if len(got) != 1 || got[0].GetTotals().GetCollected().GetMinorUnits() != 12500 || got[0].GetClosingCode() != collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL {
		t.Errorf("after the second run: %v; want C-9 paid in full with 125.00 collected", got)
	}
}

// TestConfirmRecalls confirms the open recalls of a case, and only those.
func TestConfirmRecalls(t *testing.T) {
	t.Parallel()
	c := submitted("C-5", 10000, 0)
	c.Status = collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED
	c.Recalls = []*collectionsv1.Recall{{RecallId: "R-1", OpenItemIds: []string{"OI-1"}, Confirmed: true}, {RecallId: "R-2"}}
	f := newFake(c)
	a := newAgency(t, serve(t, f), agency.DefaultTerms())
	got, err := a.Work(context.Background(), proto.Clone(c).(*collectionsv1.Case))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"C-5/recall/R-2"}, f.booked); diff != "" {
		t.Errorf("booked (-want +got):\n%s", diff)
	}
	if got.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_RECALLED {
		t.Errorf("case %s after the whole recall was confirmed, want recalled and nothing collected", got.GetStatus())
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	c := submitted("C-1", 12345, 0)
	c.AgencyReference = "SIM-C-1"
	c.Status, c.ClosingCode = collectionsv1.CaseStatus_CASE_STATUS_CLOSED, collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL
	want := "case C-1 (SIM-C-1) closed, paid-in-full: handed over 123.45, collected 0.00, paid directly 0.00, written off 0.00, open 123.45 EUR; commission 0.00"
	if got := agency.Describe(c); got != want {
		t.Errorf("Describe:\n got %s\nwant %s", got, want)
	}
}
