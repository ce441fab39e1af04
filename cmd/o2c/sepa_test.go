package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/libs/formats/pain"
)

// sepaServer is a fake of matching's SepaService that records every
// request and answers with fixed results.
type sepaServer struct {
	matchingv1grpc.UnimplementedSepaServiceServer
	mu   sync.Mutex
	reqs []proto.Message
}

func (f *sepaServer) record(m proto.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, m)
}

func (f *sepaServer) requests() []proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]proto.Message(nil), f.reqs...)
}

var (
	sepaDay     = &commonv1.Date{Year: 2026, Month: 11, Day: 20}
	sepaFileOne = &matchingv1.SepaFile{Name: "pain008-20261123-CORE-001.xml", Path: "/var/o2c/sepa/acme/pain008-20261123-CORE-001.xml",
		MessageType: "pain.008.001.08", MessageId: "O2C-ACME-20261120-1", Account: "DE02120300000000202051", Scheme: "CORE",
		Date: &commonv1.Date{Year: 2026, Month: 11, Day: 23}, Count: 1, Total: eurMoney(11900), EndToEndIds: []string{"E2E-1"}}
	sepaSubmitted = &matchingv1.Debit{OpenItemId: "I-1", DebtorId: "K-1", DocumentNumber: "RE-1", EndToEndId: "E2E-1", Mandate: "M-1",
		Amount: eurMoney(11900), Sequence: "FRST", Scheme: "CORE", CollectionDate: &commonv1.Date{Year: 2026, Month: 11, Day: 23},
		PreNotified: &commonv1.Date{Year: 2026, Month: 11, Day: 6}, State: "submitted", File: sepaFileOne.Name, Attempt: 1}
	sepaMandate = &matchingv1.Mandate{Tenant: "acme", Reference: "M-1", DebtorId: "K-1", Name: "Erika Mustermann", Iban: "DE02120300000000202051",
		Scheme: "CORE", NextSequence: "RCUR", SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 15}, Source: "operator", Version: 3,
		Amendment: &matchingv1.MandateAmendment{OriginalReference: "M-0"}}
)

func (f *sepaServer) Collect(_ context.Context, req *matchingv1.CollectRequest) (*matchingv1.CollectResponse, error) {
	f.record(req)
	return &matchingv1.CollectResponse{Files: []*matchingv1.SepaFile{sepaFileOne}, Submitted: []*matchingv1.Debit{sepaSubmitted},
		PreNotified: []*matchingv1.Debit{{OpenItemId: "I-2", DebtorId: "K-2", DocumentNumber: "RE-2", Mandate: "M-2", Amount: eurMoney(5000),
			Sequence: "RCUR", Scheme: "CORE", CollectionDate: &commonv1.Date{Year: 2026, Month: 12, Day: 4}, PreNotified: sepaDay, State: "prenotified"}},
		Skipped:          []*matchingv1.Skipped{{OpenItemId: "I-3", DebtorId: "K-3", Reason: "dunning block: dispute"}},
		PreNotifications: []string{"/var/o2c/sepa/acme/prenotifications/K-2-M-2.txt"}}, nil
}

func (f *sepaServer) Payouts(_ context.Context, req *matchingv1.PayoutsRequest) (*matchingv1.PayoutsResponse, error) {
	f.record(req)
	return &matchingv1.PayoutsResponse{Due: []*matchingv1.PayoutDue{
		{DebtorId: "K-4", OpenItemIds: []string{"I-4"}, Amount: eurMoney(2500), Released: true, Why: "25.00 EUR >= 1.00 EUR, 20 days old, IBAN on file",
			EndToEndId: "PAY-K-4-1"},
		{DebtorId: "K-5", OpenItemIds: []string{"I-5"}, Amount: eurMoney(50), Why: "below the threshold of 1.00 EUR"},
	}, File: &matchingv1.SepaFile{Name: "pain001-20261121.xml", Path: "/var/o2c/sepa/acme/pain001-20261121.xml", MessageType: "pain.001.001.09",
		Account: "DE02120300000000202051", Date: &commonv1.Date{Year: 2026, Month: 11, Day: 23}, Count: 1, Total: eurMoney(2500)}}, nil
}

func (f *sepaServer) ListMandates(_ context.Context, req *matchingv1.ListMandatesRequest) (*matchingv1.ListMandatesResponse, error) {
	f.record(req)
	return &matchingv1.ListMandatesResponse{Mandates: []*matchingv1.Mandate{sepaMandate,
		{Tenant: "acme", Reference: "M-9", DebtorId: "K-1", Iban: "DE02120300000000202051", NextSequence: "FRST", UnusableReason: "AC04"}}}, nil
}

func (f *sepaServer) PutMandate(_ context.Context, req *matchingv1.PutMandateRequest) (*matchingv1.PutMandateResponse, error) {
	f.record(req)
	return &matchingv1.PutMandateResponse{Mandate: sepaMandate}, nil
}

func (f *sepaServer) RevokeMandate(_ context.Context, req *matchingv1.RevokeMandateRequest) (*matchingv1.RevokeMandateResponse, error) {
	f.record(req)
	if req.GetReference() == "M-404" {
		return nil, status.Error(codes.NotFound, "no mandate M-404 of tenant acme")
	}
	return &matchingv1.RevokeMandateResponse{Mandate: &matchingv1.Mandate{Reference: req.GetReference(), DebtorId: "K-1"}}, nil
}

func (f *sepaServer) ListCollections(_ context.Context, req *matchingv1.ListCollectionsRequest) (*matchingv1.ListCollectionsResponse, error) {
	f.record(req)
	return &matchingv1.ListCollectionsResponse{Debits: []*matchingv1.Debit{sepaSubmitted}, Files: []*matchingv1.SepaFile{sepaFileOne}}, nil
}

func (f *sepaServer) GetFile(_ context.Context, req *matchingv1.GetFileRequest) (*matchingv1.GetFileResponse, error) {
	f.record(req)
	return &matchingv1.GetFileResponse{File: sepaFileOne, Content: []byte("<?xml version=\"1.0\"?><Document/>\n")}, nil
}

func (f *sepaServer) ImportStatusReport(_ context.Context, req *matchingv1.ImportStatusReportRequest) (*matchingv1.ImportStatusReportResponse, error) {
	f.record(req)
	return &matchingv1.ImportStatusReportResponse{MessageId: "STS-1", OriginalMessageId: sepaFileOne.MessageId,
		OriginalMessageType: "pain.008.001.08", File: sepaFileOne.Name, GroupStatus: "PART", Applied: []*matchingv1.StatusApplied{
			{EndToEndId: "E2E-1", PaymentInfoId: "O2C-ACME-20261120-1-FRST", Status: "RJCT", Reason: "AC04", Kind: "debit",
				OpenItemIds: []string{"I-1"}, DebtorId: "K-1", Amount: eurMoney(11900), Mandate: "M-1", MandateUnusable: true,
				Outcome: "rejected", Note: "rejected before settlement (AC04 account closed)"},
			{EndToEndId: "NOT-OURS", Status: "RJCT", Reason: "AC01", Outcome: "unknown", Note: "no transaction of the file has this end-to-end id"},
		}}, nil
}

// serveSepa serves f on a free port until the test ends and returns the
// flags that point the CLI at it.
func serveSepa(t testing.TB, f *sepaServer) []string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	matchingv1grpc.RegisterSepaServiceServer(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return []string{"--tenant", "acme", "--matching", lis.Addr().String()}
}

// TestSepaCommands runs each `o2c sepa` command against a fake
// SepaService and checks the request it sends and what it prints.
func TestSepaCommands(t *testing.T) {
	t.Parallel()
	copyTo := filepath.Join(t.TempDir(), "copy.xml")
	report := filepath.Join(t.TempDir(), "sts-1.xml")
	reportContent := []byte("<Document>a pain.002</Document>")
	if err := os.WriteFile(report, reportContent, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		got, err := os.ReadFile(copyTo)
		if err != nil || !strings.Contains(string(got), "<Document/>") {
			t.Errorf("the file's copy was not written: %q, %v", got, err)
		}
	})
	tests := []struct {
		name    string
		args    []string
		want    proto.Message
		printed []string
	}{
		{"collect", []string{"collect", "--date", "2026-11-20"},
			&matchingv1.CollectRequest{Tenant: "acme", Date: sepaDay},
			[]string{"collection run of 2026-11-20\n", "pain008-20261123-CORE-001.xml is /var/o2c/sepa/acme/pain008-20261123-CORE-001.xml",
				"O2C-ACME-20261120-1", "E2E-1", "FRST", "2026-12-04", "/var/o2c/sepa/acme/prenotifications/K-2-M-2.txt",
				"dunning block: dispute", "1 file, 1 debit submitted (119.00 EUR), 1 debit pre-notified"}},
		{"collect dry run", []string{"collect", "--date", "2026-11-20", "--dry-run"},
			&matchingv1.CollectRequest{Tenant: "acme", Date: sepaDay, DryRun: true},
			[]string{"dry run: nothing stored"}},
		{"payouts", []string{"payouts", "--date", "2026-11-21"},
			&matchingv1.PayoutsRequest{Tenant: "acme", Date: &commonv1.Date{Year: 2026, Month: 11, Day: 21}},
			[]string{"K-4     25.00 EUR  yes", "K-5     0.50 EUR   no", "below the threshold", "pain001-20261121.xml is /var/o2c/sepa/acme/pain001-20261121.xml",
				"2 debtors with a credit balance, 1 released (25.00 EUR)"}},
		{"mandates", []string{"mandates", "--debtor", "K-1"},
			&matchingv1.ListMandatesRequest{Tenant: "acme", DebtorId: "K-1"},
			[]string{"M-1", "RCUR", "amended: reference was M-0, carried by the next collection", "unusable (return AC04)"}},
		{"mandate put", []string{"mandate", "put", "--reference", "M-1", "--debtor", "K-1", "--name", "Erika Mustermann",
			"--iban", "DE02120300000000202051", "--signed", "2026-01-15", "--scheme", "b2b", "--original-reference", "M-0", "--expected-version", "2"},
			&matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Tenant: "acme", Reference: "M-1", DebtorId: "K-1", Name: "Erika Mustermann",
				Iban: "DE02120300000000202051", SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 15}, Scheme: "B2B"},
				OriginalReference: "M-0", ExpectedVersion: 2},
			[]string{"mandate M-1 of K-1 stored (version 3), next collection RCUR"}},
		{"mandate revoke", []string{"mandate", "revoke", "M-1", "--note", "customer's letter"},
			&matchingv1.RevokeMandateRequest{Tenant: "acme", Reference: "M-1", Note: "customer's letter"},
			[]string{"mandate M-1 of K-1 revoked"}},
		{"collections", []string{"collections", "--state", "submitted"},
			&matchingv1.ListCollectionsRequest{Tenant: "acme", State: "submitted"},
			[]string{"RE-1", "submitted", "pain008-20261123-CORE-001.xml is /var/o2c/sepa/acme"}},
		{"file copy", []string{"file", "pain008-20261123-CORE-001.xml", "--out", copyTo},
			&matchingv1.GetFileRequest{Tenant: "acme", Name: "pain008-20261123-CORE-001.xml"},
			[]string{"pain008-20261123-CORE-001.xml (pain.008.001.08, 1 transaction, 119.00 EUR) written to " + copyTo}},
		{"status report", []string{"status-report", report},
			&matchingv1.ImportStatusReportRequest{Tenant: "acme", Content: reportContent, Name: "sts-1.xml"},
			[]string{"status report STS-1 on pain.008.001.08 O2C-ACME-20261120-1 (file: pain008-20261123-CORE-001.xml), group status PART",
				"E2E-1", "119.00 EUR", "AC04", "rejected before settlement", "NOT-OURS", "unknown",
				"2 transactions: 1 rejected, 0 recorded, 0 unchanged, 1 unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &sepaServer{}
			args := append(append([]string{"sepa"}, tt.args...), serveSepa(t, f)...)
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

// TestSepaJSONIsTheResponse: with -o json collect prints the service's
// answer as one JSON line that reads back into the same message.
func TestSepaJSONIsTheResponse(t *testing.T) {
	t.Parallel()
	f := &sepaServer{}
	code, stdout, stderr := runCLI(t, append([]string{"sepa", "collect", "--date", "2026-11-20", "-o", "json"}, serveSepa(t, f)...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1:\n%s", len(lines), stdout)
	}
	got := &matchingv1.CollectResponse{}
	if err := protojson.Unmarshal([]byte(lines[0]), got); err != nil {
		t.Fatal(err)
	}
	want, _ := f.Collect(context.Background(), &matchingv1.CollectRequest{})
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

// TestSepaRefusals: the commands say what is missing before calling, and
// a service's NOT_FOUND reaches the user as its own sentence.
func TestSepaRefusals(t *testing.T) {
	t.Parallel()
	f := &sepaServer{}
	flags := serveSepa(t, f)
	// The subtests run in parallel after this function returns; the
	// requests are checked when they are done.
	t.Cleanup(func() {
		for _, r := range f.requests() {
			if _, ok := r.(*matchingv1.RevokeMandateRequest); !ok {
				t.Errorf("a command refused before the call called the service: %v", r)
			}
		}
	})
	empty := filepath.Join(t.TempDir(), "empty.xml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(t.TempDir(), "huge.xml")
	if err := os.WriteFile(huge, make([]byte, pain.MaxStatusReportSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"status report missing", append([]string{"sepa", "status-report", filepath.Join(t.TempDir(), "none.xml")}, flags...), "none.xml"},
		{"status report empty", append([]string{"sepa", "status-report", empty}, flags...), "empty: nothing was sent"},
		{"status report too large", append([]string{"sepa", "status-report", huge}, flags...), "larger than 3 MiB"},
		{"status report without file", append([]string{"sepa", "status-report"}, flags...), "accepts 1 arg"},
		{"no tenant", []string{"sepa", "mandates", "--matching", nothingListening(t)}, "--tenant is required"},
		{"no date", append([]string{"sepa", "collect"}, flags...), "--date is required"},
		{"bad date", append([]string{"sepa", "collect", "--date", "20.11.2026"}, flags...), `--date "20.11.2026": want a date YYYY-MM-DD`},
		{"put without iban", append([]string{"sepa", "mandate", "put", "--reference", "M-1", "--debtor", "K-1", "--name", "E"}, flags...),
			"--reference, --debtor, --name and --iban are required"},
		{"unknown mandate", append([]string{"sepa", "mandate", "revoke", "M-404"}, flags...), "o2c: no mandate M-404 of tenant acme"},
		{"unknown output", append([]string{"sepa", "mandates", "-o", "xml"}, flags...), `unknown --output "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, tt.args...)
			if code == 0 || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "rpc error") {
				t.Errorf("exit %d, stderr %q; want it to say %q", code, stderr, tt.want)
			}
		})
	}
}

// TestSepaAgainstTheRunningSystem runs `o2c sepa` against the real
// matching service with the demo's credentials file (an operator and
// accountant of the demo tenant): a mandate entered is listed with its
// next sequence, an invalid IBAN is refused with the field named, a dry
// run collects nothing and writes nothing, a revoked mandate says so.
func TestSepaAgainstTheRunningSystem(t *testing.T) {
	sys := startSystem(t)
	matching := addrOf(t, sys, "matching")
	cli := func(args ...string) (int, string, string) {
		return runCLI(t, append(append([]string{"sepa"}, args...), "--tenant", "demo", "--matching", matching, "--credentials", sys.CredentialsFile)...)
	}
	put := []string{"mandate", "put", "--reference", "MNDT-T-1", "--debtor", "K-9001", "--name", "Jörg Müller & Söhne",
		"--iban", "DE12 5001 0517 0648 4898 90", "--signed", "2026-10-01"}
	code, stdout, stderr := cli(put...)
	if code != 0 || !strings.Contains(stdout, "mandate MNDT-T-1 of K-9001 stored (version 1), next collection FRST: usable") {
		t.Fatalf("mandate put: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = cli("mandates", "--debtor", "K-9001")
	if code != 0 || !strings.Contains(stdout, "MNDT-T-1") || !strings.Contains(stdout, "DE12500105170648489890") || !strings.Contains(stdout, "2029-10-01") {
		t.Errorf("mandates: exit %d, want MNDT-T-1 with its normal IBAN and its expiry 36 months after signature:\n%s%s", code, stdout, stderr)
	}
	bad := append([]string(nil), put...)
	bad[9] = "DE13500105170648489890" // one check digit off
	code, _, stderr = cli(bad...)
	if code == 0 || !strings.Contains(stderr, "refused the request") || !strings.Contains(strings.ToLower(stderr), "iban") {
		t.Errorf("mandate put with a wrong check digit: exit %d, stderr %q; want it refused naming the IBAN", code, stderr)
	}
	code, stdout, stderr = cli("collect", "--date", "2026-11-20", "--dry-run")
	if code != 0 || !strings.Contains(stdout, "dry run") || !strings.Contains(stdout, "0 files, 0 debits submitted") {
		t.Errorf("collect --dry-run: exit %d\n%s%s", code, stdout, stderr)
	}
	if entries, err := os.ReadDir(sys.SepaDir); err == nil && len(entries) > 0 {
		t.Errorf("a dry run wrote into %s: %v", sys.SepaDir, entries)
	}
	code, stdout, stderr = cli("payouts", "--date", "2026-12-01", "--dry-run")
	if code != 0 || !strings.Contains(stdout, "payouts of 2026-12-01 (dry run") {
		t.Errorf("payouts --dry-run: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = cli("mandate", "revoke", "MNDT-T-1", "--note", "customer's letter")
	if code != 0 || !strings.Contains(stdout, "mandate MNDT-T-1 of K-9001 revoked") {
		t.Errorf("mandate revoke: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = cli("mandates")
	if code != 0 || !strings.Contains(stdout, "revoked ") {
		t.Errorf("mandates after the revocation: exit %d, want it shown revoked:\n%s", code, stdout)
	}
	code, _, stderr = cli("mandate", "revoke", "MNDT-NONE")
	if code == 0 || strings.Contains(stderr, "rpc error") || !strings.Contains(stderr, "MNDT-NONE") {
		t.Errorf("revoking an unknown mandate: exit %d, stderr %q; want it refused naming the reference", code, stderr)
	}
}
