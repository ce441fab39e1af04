package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"
)

// dunningServer is a fake of dunning's DunningService that records every
// request and answers with fixed results.
type dunningServer struct {
	dunningv1grpc.UnimplementedDunningServiceServer
	mu   sync.Mutex
	reqs []proto.Message
}

func (f *dunningServer) record(m proto.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, m)
}

func (f *dunningServer) requests() []proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]proto.Message(nil), f.reqs...)
}

var dunningDecision = &dunningv1.DunningDecisionRecorded{Tenant: "acme", DebtorId: "D-1", Date: &commonv1.Date{Year: 2026, Month: 10, Day: 23},
	ProcedureId: "consumer", ProcedureVersion: 1, Level: 2,
	Notice: &dunningv1.Notice{NoticeId: "M-20261023-D-1", Level: 2, Template: "reminder-2", Total: eurMoney(12150),
		Items: []*dunningv1.NoticeItem{{OpenItemId: "I-1", DocumentNumber: "RE-1", Open: eurMoney(11900), DaysOverdue: 22, Level: 2}},
		Interest: []*dunningv1.InterestPart{{ClaimOpenItemId: "I-1", From: &commonv1.Date{Year: 2026, Month: 10, Day: 10},
			To: &commonv1.Date{Year: 2026, Month: 10, Day: 23}, Days: 14, RateBp: 627, Principal: eurMoney(11900), Amount: eurMoney(29)}}},
	Charges: []*dunningv1.Charge{{Kind: "fee", ClaimOpenItemId: "I-1", Amount: eurMoney(250)}},
	Skipped: []*dunningv1.Skip{{OpenItemId: "I-2", Reason: "blocked:dispute"}},
	Rules:   []string{"item I-1 reaches level 2 (21 days past due)"}}

func (f *dunningServer) Run(req *dunningv1.RunRequest, stream dunningv1grpc.DunningService_RunServer) error {
	f.record(req)
	if err := stream.Send(&dunningv1.RunResponse{DebtorsTotal: 2, DebtorsDone: 2, Notices: 1, Charges: 1,
		Decisions: []*dunningv1.DunningDecisionRecorded{dunningDecision}}); err != nil {
		return err
	}
	return stream.Send(&dunningv1.RunResponse{DebtorsTotal: 2, DebtorsDone: 2, Notices: 1, Charges: 1, Done: true})
}

func (f *dunningServer) Status(_ context.Context, req *dunningv1.StatusRequest) (*dunningv1.StatusResponse, error) {
	f.record(req)
	return &dunningv1.StatusResponse{DebtorId: req.GetDebtorId(), AsOf: req.GetAsOf(), LastDecision: dunningDecision,
		Items:     []*dunningv1.ItemStatus{{OpenItemId: "I-1", DocumentNumber: "RE-1", Level: 2, Open: eurMoney(11900)}},
		Decisions: []*dunningv1.DunningDecisionRecorded{dunningDecision}}, nil
}

func (f *dunningServer) SetBlock(_ context.Context, req *dunningv1.SetBlockRequest) (*dunningv1.SetBlockResponse, error) {
	f.record(req)
	return &dunningv1.SetBlockResponse{Block: &dunningv1.Block{BlockId: "B-1", DebtorId: req.GetDebtorId(), Reason: req.GetReason()}}, nil
}

func (f *dunningServer) GetNotice(_ context.Context, req *dunningv1.GetNoticeRequest) (*dunningv1.GetNoticeResponse, error) {
	f.record(req)
	return &dunningv1.GetNoticeResponse{Text: "1. Mahnung\n", Pdf: []byte("%PDF-1.4 fake")}, nil
}

func (f *dunningServer) Simulate(_ context.Context, req *dunningv1.SimulateRequest) (*dunningv1.SimulateResponse, error) {
	f.record(req)
	return &dunningv1.SimulateResponse{Decisions: 3, NoticesWas: 2, NoticesWould: 1, ChargedWas: eurMoney(250), ChargedWould: eurMoney(0),
		Differences: []*dunningv1.Difference{{DebtorId: "D-1", Date: &commonv1.Date{Year: 2026, Month: 10, Day: 9},
			What: []string{"notice: level 1, would be level 0 (0: none)"}}}}, nil
}

// serveDunning serves f on a free port until the test ends and returns
// the flags that point the CLI at it.
func serveDunning(t testing.TB, f *dunningServer) []string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	dunningv1grpc.RegisterDunningServiceServer(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return []string{"--tenant", "acme", "--dunning", lis.Addr().String()}
}

// TestDunningCommands runs each `o2c dunning` command against a fake
// service and checks the request it sends and what it prints.
func TestDunningCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	procedure := filepath.Join(dir, "procedure.json")
	if err := os.WriteFile(procedure, []byte(`{"procedures": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(dir, "notice.pdf")
	// The subtests run in parallel after this function returns; the
	// copy's file is checked when they are done.
	t.Cleanup(func() {
		got, err := os.ReadFile(pdf)
		if err != nil || !bytes.HasPrefix(got, []byte("%PDF")) {
			t.Errorf("the notice's PDF was not written: %q, %v", got, err)
		}
	})
	tests := []struct {
		name    string
		args    []string
		want    proto.Message
		printed []string
	}{
		{"run", []string{"run", "--date", "2026-10-23", "--dry-run"},
			&dunningv1.RunRequest{Tenant: "acme", Date: &commonv1.Date{Year: 2026, Month: 10, Day: 23}, DryRun: true},
			[]string{"M-20261023-D-1 level 2", "fee 2.50 EUR on I-1", "2 of 2 debtors decided", "would send (dry run, nothing stored) 1 notice"}},
		{"status", []string{"status", "--debtor", "D-1", "--as-of", "2026-10-31"},
			&dunningv1.StatusRequest{Tenant: "acme", DebtorId: "D-1", AsOf: &commonv1.Date{Year: 2026, Month: 10, Day: 31}},
			[]string{"debtor D-1 as of 2026-10-31", "procedure consumer version 1", "skipped I-2: blocked:dispute",
				"14 days at 6.27 % on 119.00 EUR = 0.29 EUR", "rule: item I-1 reaches level 2"}},
		{"block", []string{"block", "--debtor", "D-1", "--item", "I-2", "--reason", "dispute", "--source", "T-7", "--expires", "2026-12-31"},
			&dunningv1.SetBlockRequest{Tenant: "acme", DebtorId: "D-1", OpenItemId: "I-2", Reason: "dispute", Source: "T-7",
				Expires: &commonv1.Date{Year: 2026, Month: 12, Day: 31}},
			[]string{"block B-1 set"}},
		{"notice copy", []string{"notices", "--get", "M-20261023-D-1", "--out", pdf},
			&dunningv1.GetNoticeRequest{Tenant: "acme", NoticeId: "M-20261023-D-1"},
			[]string{"notice M-20261023-D-1 written to " + pdf}},
		{"simulate", []string{"simulate", "--procedure", procedure, "--from", "2026-10-01", "--to", "2026-10-31"},
			&dunningv1.SimulateRequest{Tenant: "acme", ProcedureJson: []byte(`{"procedures": []}`), From: &commonv1.Date{Year: 2026, Month: 10, Day: 1},
				To: &commonv1.Date{Year: 2026, Month: 10, Day: 31}},
			[]string{"2026-10-09  D-1  notice: level 1, would be level 0", "3 decisions replayed, 1 difference: notices 2 -> 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &dunningServer{}
			args := append(append([]string{"dunning"}, tt.args...), serveDunning(t, f)...)
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

// TestDunningNeedsATenant: every dunning command refuses to run without
// --tenant and says why.
func TestDunningNeedsATenant(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCLI(t, "dunning", "procedures", "--dunning", nothingListening(t))
	if code == 0 || !strings.Contains(stderr, "--tenant is required") {
		t.Errorf("exit %d, stderr %q; want --tenant required", code, stderr)
	}
}
