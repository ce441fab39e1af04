package main

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
)

// collectionsServer is a fake of collections' CollectionsService that
// records every request and answers with a fixed case.
type collectionsServer struct {
	collectionsv1grpc.UnimplementedCollectionsServiceServer
	mu   sync.Mutex
	reqs []proto.Message
}

func (f *collectionsServer) record(m proto.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, m)
}

func (f *collectionsServer) requests() []proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]proto.Message(nil), f.reqs...)
}

var collectionsCase = &collectionsv1.Case{Tenant: "acme", CaseId: "CASE-1", Agency: "agency-sim", AgencyReference: "SIM-CASE-1",
	Status: collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED, Progress: collectionsv1.ProgressStatus_PROGRESS_STATUS_PAYMENT_PLAN,
	Debtor:     &collectionsv1.Debtor{DebtorId: "K-3001", Kind: "b2c"},
	ReleasedOn: &commonv1.Date{Year: 2026, Month: 9, Day: 21}, ReleaseReason: "dunning",
	Items: []*collectionsv1.CaseItem{
		{OpenItemId: "OI-1", ClaimOpenItemId: "OI-1", DocumentNumber: "RE-2026-0101", Component: "principal", HandedOver: eurMoney(11900), Open: eurMoney(5000),
			DueDate: &commonv1.Date{Year: 2026, Month: 7, Day: 31}, DefaultDate: &commonv1.Date{Year: 2026, Month: 8, Day: 31}, TaxRateBp: 1900},
		{OpenItemId: "OI-2", ClaimOpenItemId: "OI-1", DocumentNumber: "M-20260824-K-3001", Component: "fee", HandedOver: eurMoney(250), Open: eurMoney(0)},
	},
	DunningHistory: []*collectionsv1.DunningStep{{NoticeId: "M-20260810-K-3001", Date: &commonv1.Date{Year: 2026, Month: 8, Day: 10}, Level: 1}},
	Questions: []*collectionsv1.Question{
		{QuestionId: "Q-1", Text: "Was the parcel delivered?", Answer: "Yes, on 2 July.", AnsweredBy: "finance:acme"},
		{QuestionId: "Q-2", Text: "New address?"},
	},
	Recalls:        []*collectionsv1.Recall{{RecallId: "R-1", OpenItemIds: []string{"OI-2"}, Reason: "fee waived", Confirmed: true}},
	DirectPayments: []*collectionsv1.DirectPayment{{OpenItemId: "OI-1", Amount: eurMoney(2000), Date: &commonv1.Date{Year: 2026, Month: 10, Day: 2}}},
	Totals: &collectionsv1.Totals{HandedOver: eurMoney(12150), Collected: eurMoney(5150), PaidDirectly: eurMoney(2000), Open: eurMoney(5000),
		Commission: eurMoney(1250), Recalled: eurMoney(0), WrittenOff: eurMoney(0), Recovered: eurMoney(0)},
}

func (f *collectionsServer) ListCases(_ context.Context, req *collectionsv1.ListCasesRequest) (*collectionsv1.ListCasesResponse, error) {
	f.record(req)
	return &collectionsv1.ListCasesResponse{Cases: []*collectionsv1.Case{collectionsCase}}, nil
}

func (f *collectionsServer) GetCase(_ context.Context, req *collectionsv1.GetCaseRequest) (*collectionsv1.GetCaseResponse, error) {
	f.record(req)
	return &collectionsv1.GetCaseResponse{Case: collectionsCase}, nil
}

func (f *collectionsServer) ReleaseItems(_ context.Context, req *collectionsv1.ReleaseItemsRequest) (*collectionsv1.ReleaseItemsResponse, error) {
	f.record(req)
	return &collectionsv1.ReleaseItemsResponse{Case: collectionsCase}, nil
}

func (f *collectionsServer) RecallCase(_ context.Context, req *collectionsv1.RecallCaseRequest) (*collectionsv1.RecallCaseResponse, error) {
	f.record(req)
	return &collectionsv1.RecallCaseResponse{Case: collectionsCase, Recall: &collectionsv1.Recall{RecallId: "R-2", OpenItemIds: req.GetOpenItemIds(), Reason: req.GetReason()}}, nil
}

func (f *collectionsServer) AnswerQuestion(_ context.Context, req *collectionsv1.AnswerQuestionRequest) (*collectionsv1.AnswerQuestionResponse, error) {
	f.record(req)
	return &collectionsv1.AnswerQuestionResponse{Question: &collectionsv1.Question{QuestionId: req.GetQuestionId(), Answer: req.GetAnswer()}}, nil
}

func (f *collectionsServer) Report(_ context.Context, req *collectionsv1.ReportRequest) (*collectionsv1.ReportResponse, error) {
	f.record(req)
	return &collectionsv1.ReportResponse{AsOf: &commonv1.Date{Year: 2026, Month: 12, Day: 1}, Agencies: []*collectionsv1.AgencyReport{{
		Agency: "agency-sim", Cases: map[string]int32{"accepted": 1, "closed": 2}, HandedOver: eurMoney(30000), Collected: eurMoney(15000),
		PaidDirectly: eurMoney(2000), WrittenOff: eurMoney(8000), Recovered: eurMoney(1000), Commission: eurMoney(2250), RecoveryRateBp: 5333,
		Ageing: []*collectionsv1.AgeingBucket{{Band: "0-30", Cases: 0, Open: eurMoney(0)}, {Band: "31-90", Cases: 1, Open: eurMoney(5000)}},
	}}}, nil
}

// serveCollections serves f on a free port until the test ends and
// returns the flags that point the CLI at it.
func serveCollections(t testing.TB, f *collectionsServer) []string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	collectionsv1grpc.RegisterCollectionsServiceServer(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return []string{"--tenant", "acme", "--collections", lis.Addr().String()}
}

// TestCollectionsCommands runs each `o2c collections` command against a
// fake service and checks the request it sends and what it prints.
func TestCollectionsCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    proto.Message
		printed []string
	}{
		{"cases", []string{"cases", "--agency", "agency-sim", "--status", "accepted,closed"},
			&collectionsv1.ListCasesRequest{Tenant: "acme", Agency: "agency-sim",
				Statuses: []collectionsv1.CaseStatus{collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED, collectionsv1.CaseStatus_CASE_STATUS_CLOSED}},
			[]string{"CASE-1", "SIM-CASE-1", "accepted", "payment-plan", "K-3001", "2026-09-21", "121.50 EUR", "51.50 EUR", "20.00 EUR"}},
		{"case", []string{"case", "CASE-1"},
			&collectionsv1.GetCaseRequest{Tenant: "acme", CaseId: "CASE-1"},
			[]string{"case CASE-1  agency agency-sim (reference SIM-CASE-1)  accepted; progress: payment-plan", "released 2026-09-21: dunning",
				"RE-2026-0101", "19.00 %", "2026-08-31", "2026-08-10  level 1  M-20260810-K-3001", "2026-10-02  OI-1  20.00 EUR",
				"answered by finance:acme: Yes, on 2 July.", "not answered yet (o2c collections answer CASE-1 --question Q-2",
				"R-1  OI-2: fee waived (confirmed by the agency)", "agency's commission and fees 12.50 EUR"}},
		{"release", []string{"release", "--debtor", "K-3001", "--item", "OI-1,OI-2", "--reason", "moved without address", "--agency", "agency-sim", "--date", "2026-09-21"},
			&collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "K-3001", OpenItemIds: []string{"OI-1", "OI-2"}, Reason: "moved without address",
				Agency: "agency-sim", Date: &commonv1.Date{Year: 2026, Month: 9, Day: 21}},
			[]string{"case CASE-1: 2 items of debtor K-3001 (121.50 EUR) handed to agency-sim"}},
		{"recall part", []string{"recall", "CASE-1", "--item", "OI-2", "--reason", "fee waived"},
			&collectionsv1.RecallCaseRequest{Tenant: "acme", CaseId: "CASE-1", OpenItemIds: []string{"OI-2"}, Reason: "fee waived"},
			[]string{"recall R-2 of OI-2 requested from agency-sim: CASE-1"}},
		{"recall whole", []string{"recall", "CASE-1", "--reason", "paid in instalments to us"},
			&collectionsv1.RecallCaseRequest{Tenant: "acme", CaseId: "CASE-1", Reason: "paid in instalments to us"},
			[]string{"recall R-2 of the whole case requested"}},
		{"answer", []string{"answer", "CASE-1", "--question", "Q-2", "--text", "Hauptstr. 1, Berlin"},
			&collectionsv1.AnswerQuestionRequest{Tenant: "acme", CaseId: "CASE-1", QuestionId: "Q-2", Answer: "Hauptstr. 1, Berlin"},
			[]string{"question Q-2 of case CASE-1 answered: Hauptstr. 1, Berlin"}},
		{"report", []string{"report", "--as-of", "2026-12-01"},
			&collectionsv1.ReportRequest{Tenant: "acme", AsOf: &commonv1.Date{Year: 2026, Month: 12, Day: 1}},
			[]string{"collections as of 2026-12-01", "1 accepted, 2 closed", "300.00 EUR", "53.33 %",
				"open at agency-sim by age since release: 31-90 days: 50.00 EUR in 1 case"}},
		{"cases as json", []string{"cases", "-o", "json"},
			&collectionsv1.ListCasesRequest{Tenant: "acme"},
			[]string{`"case_id":"CASE-1"`, `"agency_reference":"SIM-CASE-1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &collectionsServer{}
			args := append(append([]string{"collections"}, tt.args...), serveCollections(t, f)...)
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			if diff := cmp.Diff(tt.want, reqs[0], protocmp.Transform()); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			for _, p := range tt.printed {
				if !strings.Contains(stdout, p) {
					t.Errorf("output does not say %q:\n%s", p, stdout)
				}
			}
		})
	}
}

// TestCollectionsRefusesIncompleteCommands: the commands say what is
// missing before they call the service.
func TestCollectionsRefusesIncompleteCommands(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cases"}, "--tenant is required"},
		{[]string{"cases", "--tenant", "acme", "--status", "open"}, `--status "open": want one of accepted, closed, recalled, rejected, submitted`},
		{[]string{"release", "--tenant", "acme", "--debtor", "K-1"}, "--debtor and --reason are required"},
		{[]string{"recall", "CASE-1", "--tenant", "acme"}, "--reason is required"},
		{[]string{"answer", "CASE-1", "--tenant", "acme", "--question", "Q-1"}, "--question and --text are required"},
		{[]string{"report", "--tenant", "acme", "--as-of", "1.12.2026"}, "--as-of \"1.12.2026\": want a date YYYY-MM-DD"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, append(append([]string{"collections"}, tc.args...), "--collections", nothingListening(t))...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want an error saying %q", code, stderr, tc.want)
			}
		})
	}
}
