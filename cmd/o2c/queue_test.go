package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

func eurMoney(minor int64) *commonv1.Money {
	return &commonv1.Money{MinorUnits: minor, Currency: "EUR"}
}

var (
	queueReceived = time.Date(2026, 11, 18, 21, 5, 0, 0, time.UTC)
	nov18         = &commonv1.Date{Year: 2026, Month: 11, Day: 18}
)

// waiting is a payment of 566.99 waiting with two proposals: two items of
// K-1001 less a bank fee, and one item of K-1002 on account.
func waiting() *matchingv1.Exception {
	return &matchingv1.Exception{
		Tenant: "acme", State: matchingv1.ExceptionState_EXCEPTION_STATE_OPEN, Decision: matchingv1.DecisionKind_DECISION_KIND_PROPOSED,
		Score: 80, Version: 3, Actor: "matching", ReceivedAt: timestamppb.New(queueReceived), UpdatedAt: timestamppb.New(queueReceived),
		Explanation: "customer number K-1001 in remittance; two open items fit → 80",
		Payment: &matchingv1.Payment{PaymentId: "TX-1", TransactionId: "TX-1", AccountIban: "DE89370400440532013000", Amount: eurMoney(56699),
			BookingDate: nov18, ValueDate: nov18, Remittance: "Kundennummer K-1001", EndToEndId: "NOTPROVIDED"},
		Payer: &matchingv1.Payer{Name: "Erika Mustermann", Iban: "DE75512108001245126199"},
		Proposals: []*matchingv1.Proposal{
			{Score: 80, DebtorId: "K-1001", Explanation: "customer number K-1001, RE-2026-1001 and RE-2026-1004 less 3.00 bank fee → 80",
				Allocations: []*matchingv1.Allocation{{OpenItemId: "item-1001", Amount: eurMoney(54699)}, {OpenItemId: "item-1004", Amount: eurMoney(2300)}},
				Difference:  &matchingv1.Difference{Kind: matchingv1.DifferenceKind_DIFFERENCE_KIND_BANK_FEE, Amount: eurMoney(-300)}},
			{Score: 40, DebtorId: "K-1002", Explanation: "payer name like K-1002's → 40"},
		},
	}
}

// queueServer is a fake of matching's MatchingService and the ledger's
// open items: it answers with the entries it holds and records every
// request.
type queueServer struct {
	matchingv1grpc.UnimplementedMatchingServiceServer
	ledgerv1grpc.UnimplementedLedgerServiceServer
	mu      sync.Mutex
	entries map[string]*matchingv1.Exception
	// pages are ListExceptions' answers in turn.
	pages [][]*matchingv1.Exception
	items []*ledgerv1.OpenItem
	// err, when set, is every MatchingService call's answer.
	err  error
	reqs []proto.Message
}

func newQueueServer() *queueServer {
	return &queueServer{
		entries: map[string]*matchingv1.Exception{"TX-1": waiting()},
		items: []*ledgerv1.OpenItem{
			{Id: "item-1001", DebtorId: "K-1001", DocumentNumber: "RE-2026-1001", OpenAmount: eurMoney(54699)},
			{Id: "item-1004", DebtorId: "K-1001", DocumentNumber: "RE-2026-1004", OpenAmount: eurMoney(4490)},
			{Id: "item-1007a", DebtorId: "K-1001", DocumentNumber: "RE-2026-1007", OpenAmount: eurMoney(1000)},
			{Id: "item-1007b", DebtorId: "K-1001", DocumentNumber: "RE-2026-1007", OpenAmount: eurMoney(2000)},
		},
	}
}

func (f *queueServer) record(req proto.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	return f.err
}

// requests returns the requests of type T recorded so far.
func requests[T proto.Message](f *queueServer) []T {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []T
	for _, r := range f.reqs {
		if t, ok := r.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

func (f *queueServer) entry(id string) (*matchingv1.Exception, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "payment %s: not in the queue", id)
	}
	return proto.Clone(e).(*matchingv1.Exception), nil
}

func (f *queueServer) ListExceptions(_ context.Context, req *matchingv1.ListExceptionsRequest) (*matchingv1.ListExceptionsResponse, error) {
	if err := f.record(req); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	page := 0
	if req.GetPageToken() != "" {
		page = int(req.GetPageToken()[0] - '0')
	}
	resp := &matchingv1.ListExceptionsResponse{}
	if page < len(f.pages) {
		resp.Exceptions = f.pages[page]
	}
	if page+1 < len(f.pages) {
		resp.NextPageToken = string(rune('0' + page + 1))
	}
	return resp, nil
}

func (f *queueServer) GetException(_ context.Context, req *matchingv1.GetExceptionRequest) (*matchingv1.GetExceptionResponse, error) {
	if err := f.record(req); err != nil {
		return nil, err
	}
	e, err := f.entry(req.GetPaymentId())
	return &matchingv1.GetExceptionResponse{Exception: e}, err
}

// decided returns the entry id as a person left it.
func (f *queueServer) decided(id string, st matchingv1.ExceptionState, note string) (*matchingv1.Exception, error) {
	e, err := f.entry(id)
	if err != nil {
		return nil, err
	}
	e.State, e.Actor, e.Note, e.Version = st, "user:clara", note, e.GetVersion()+1
	if st == matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED {
		e.Resolution, e.Match, e.LedgerPaymentId = matchingv1.Resolution_RESOLUTION_CONFIRMED, e.GetProposals()[0], id
	}
	return e, nil
}

func (f *queueServer) ConfirmProposal(_ context.Context, req *matchingv1.ConfirmProposalRequest) (*matchingv1.ConfirmProposalResponse, error) {
	if err := f.record(req); err != nil {
		return nil, err
	}
	e, err := f.decided(req.GetPaymentId(), matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED, req.GetNote())
	return &matchingv1.ConfirmProposalResponse{Exception: e}, err
}

func (f *queueServer) MatchManually(_ context.Context, req *matchingv1.MatchManuallyRequest) (*matchingv1.MatchManuallyResponse, error) {
	if err := f.record(req); err != nil {
		return nil, err
	}
	e, err := f.decided(req.GetPaymentId(), matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED, req.GetNote())
	return &matchingv1.MatchManuallyResponse{Exception: e}, err
}

func (f *queueServer) Split(_ context.Context, req *matchingv1.SplitRequest) (*matchingv1.SplitResponse, error) {
	if err := f.record(req); err != nil {
		return nil, err
	}
	e, err := f.decided(req.GetPaymentId(), matchingv1.ExceptionState_EXCEPTION_STATE_SPLIT, req.GetNote())
	if err != nil {
		return nil, err
	}
	resp := &matchingv1.SplitResponse{Exception: e}
	for i, a := range req.GetAmounts() {
		id := req.GetPaymentId() + "/" + string(rune('1'+i))
		e.PartIds = append(e.PartIds, id)
		resp.Parts = append(resp.Parts, &matchingv1.Exception{Tenant: "acme", State: matchingv1.ExceptionState_EXCEPTION_STATE_OPEN,
			Decision: matchingv1.DecisionKind_DECISION_KIND_UNMATCHED, ReceivedAt: timestamppb.New(queueReceived),
			Payment: &matchingv1.Payment{PaymentId: id, ParentPaymentId: req.GetPaymentId(), Amount: a, BookingDate: nov18, Remittance: "Kundennummer K-1001"}})
	}
	return resp, nil
}

func (f *queueServer) Park(_ context.Context, req *matchingv1.ParkRequest) (*matchingv1.ParkResponse, error) {
	if err := f.record(req); err != nil {
		return nil, err
	}
	e, err := f.decided(req.GetPaymentId(), matchingv1.ExceptionState_EXCEPTION_STATE_PARKED, req.GetNote())
	return &matchingv1.ParkResponse{Exception: e}, err
}

func (f *queueServer) Unmatch(_ context.Context, req *matchingv1.UnmatchRequest) (*matchingv1.UnmatchResponse, error) {
	if err := f.record(req); err != nil {
		return nil, err
	}
	e, err := f.decided(req.GetPaymentId(), matchingv1.ExceptionState_EXCEPTION_STATE_OPEN, req.GetReason())
	return &matchingv1.UnmatchResponse{Exception: e}, err
}

func (f *queueServer) ListOpenItems(_ context.Context, req *ledgerv1.ListOpenItemsRequest) (*ledgerv1.ListOpenItemsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &ledgerv1.ListOpenItemsResponse{}
	for _, it := range f.items {
		if it.GetDebtorId() == req.GetDebtorId() {
			out.OpenItems = append(out.OpenItems, it)
		}
	}
	return out, nil
}

// serveQueue serves f as matching's MatchingService and the ledger's
// LedgerService on one free port until the test ends, and returns the
// flags that point the CLI at it.
func serveQueue(t testing.TB, f *queueServer) []string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	matchingv1grpc.RegisterMatchingServiceServer(s, f)
	ledgerv1grpc.RegisterLedgerServiceServer(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return []string{"--tenant", "acme", "--matching", lis.Addr().String(), "--ledger", lis.Addr().String()}
}

// queueCLI runs `o2c queue args...` against f.
func queueCLI(t testing.TB, f *queueServer, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append(append([]string{"queue"}, args...), serveQueue(t, f)...)...)
}

// TestQueueListPassesTheFiltersAndPages lists the queue with every filter:
// the ages, states and exact amounts reach ListExceptions as asked, pages
// are followed up to --limit, and each payment is one row of the table.
func TestQueueListPassesTheFiltersAndPages(t *testing.T) {
	t.Parallel()
	f := newQueueServer()
	second := waiting()
	second.Payment.PaymentId, second.Payment.Amount, second.Payment.Remittance = "TX-2", eurMoney(-2840), "RUECKLASTSCHRIFT AM04 RE-2026-1004 Entkalker und Buch"
	second.State, second.Decision, second.Score, second.Proposals = matchingv1.ExceptionState_EXCEPTION_STATE_PARKED, matchingv1.DecisionKind_DECISION_KIND_UNMATCHED, 0, nil
	f.pages = [][]*matchingv1.Exception{{waiting()}, {second}, {waiting()}}

	code, stdout, stderr := queueCLI(t, f, "list", "--older-than", "3d", "--newer-than", "2w", "--min-amount", "10,5", "--max-amount", "1234.56",
		"--debtor", "K-1001", "--state", "open,parked", "--state", "matched", "--limit", "2")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := `PAYMENT  RECEIVED              BOOKED            AMOUNT  CUR  STATE   DECISION   SCORE  DEBTOR  REMITTANCE
TX-1     2026-11-18T21:05:00Z  2026-11-18        566.99  EUR  open    proposed   80     K-1001  Kundennummer K-1001
TX-2     2026-11-18T21:05:00Z  2026-11-18        -28.40  EUR  parked  unmatched  0      -       RUECKLASTSCHRIFT AM04 RE-2026-1004 Entk…
2 payments
`
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("o2c queue list (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr, "more than 2") {
		t.Errorf("stderr %q does not say there are more", stderr)
	}
	first := &matchingv1.ListExceptionsRequest{Tenant: "acme", DebtorId: "K-1001", PageSize: 2,
		States: []matchingv1.ExceptionState{matchingv1.ExceptionState_EXCEPTION_STATE_OPEN, matchingv1.ExceptionState_EXCEPTION_STATE_PARKED,
			matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED},
		MinAge: durationpb.New(72 * time.Hour), MaxAge: durationpb.New(14 * 24 * time.Hour),
		MinAmount: eurMoney(1050), MaxAmount: eurMoney(123456)}
	next := proto.Clone(first).(*matchingv1.ListExceptionsRequest)
	next.PageSize, next.PageToken = 1, "1"
	if diff := cmp.Diff([]*matchingv1.ListExceptionsRequest{first, next}, requests[*matchingv1.ListExceptionsRequest](f), protocmp.Transform()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestQueueListRefusesUnclearFilters: a filter the CLI cannot take exactly
// is refused, naming the flag and what it wants, before matching is asked.
func TestQueueListRefusesUnclearFilters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--min-amount", "10.005"}, "--min-amount 10.005: EUR has 2 decimals; give the amount exactly"},
		{[]string{"--max-amount", "1.000,00"}, "--max-amount 1.000,00: not a decimal amount"},
		{[]string{"--min-amount", "-5"}, "the bounds are of the absolute amount"},
		{[]string{"--min-amount", "5", "--currency", "XXY"}, `"XXY" is not a currency`},
		{[]string{"--older-than", "3 days"}, `--older-than "3 days": want an age such as 3d`},
		{[]string{"--state", "waiting"}, `--state "waiting": want open, parked, matched, split or all`},
		{[]string{"--output", "yaml"}, `unknown --output "yaml"`},
	} {
		f := newQueueServer()
		code, _, stderr := queueCLI(t, f, append([]string{"list"}, tc.args...)...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("list %v: exit %d, stderr %q; want 1 and %q", tc.args, code, stderr, tc.want)
		}
		if n := len(requests[*matchingv1.ListExceptionsRequest](f)); n != 0 {
			t.Errorf("list %v: matching was asked %d times", tc.args, n)
		}
	}
	code, _, stderr := runCLI(t, "queue", "list", "--matching", nothingListening(t))
	if code != 1 || !strings.Contains(stderr, "--tenant is required") {
		t.Errorf("without --tenant: exit %d, stderr %q", code, stderr)
	}
}

// TestQueueShowPrintsTheProposals shows a waiting payment: its payer,
// state and explanation, then the ranked proposals with the items by
// their document numbers (from the ledger), the difference and why; as
// JSON the same in minor units.
func TestQueueShowPrintsTheProposals(t *testing.T) {
	t.Parallel()
	f := newQueueServer()
	code, stdout, stderr := queueCLI(t, f, "show", "TX-1")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := `payment:     TX-1
amount:      566.99 EUR
booked:      2026-11-18 (value date 2026-11-18)
account:     DE89370400440532013000
payer:       Erika Mustermann, DE75512108001245126199
remittance:  Kundennummer K-1001
received:    2026-11-18T21:05:00Z
state:       open; the engine decided proposed, score 80
changed:     2026-11-18T21:05:00Z by matching
version:     3
why:         customer number K-1001 in remittance; two open items fit → 80

#  SCORE  DEBTOR  OPEN ITEM                                              AMOUNT  CUR
0  80     K-1001  RE-2026-1001                                           546.99  EUR
                  RE-2026-1004                                            23.00  EUR
                  difference: bank fee                                    -3.00  EUR
   why: customer number K-1001, RE-2026-1001 and RE-2026-1004 less 3.00 bank fee → 80
1  40     K-1002  no item named: on account, the ledger allocates
   why: payer name like K-1002's → 40
`
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("o2c queue show (-want +got):\n%s", diff)
	}

	code, stdout, stderr = queueCLI(t, f, "show", "TX-1", "--output", "json")
	if code != 0 {
		t.Fatalf("json: exit %d\n%s%s", code, stdout, stderr)
	}
	var got struct {
		Payment     string `json:"payment"`
		AmountMinor int64  `json:"amount_minor"`
		Debtor      string `json:"debtor"`
		Proposals   []struct {
			Score       int32 `json:"score"`
			Allocations []struct {
				OpenItem       string `json:"open_item"`
				DocumentNumber string `json:"document_number"`
				AmountMinor    int64  `json:"amount_minor"`
			} `json:"allocations"`
			Difference *struct {
				Kind        string `json:"kind"`
				AmountMinor int64  `json:"amount_minor"`
			} `json:"difference"`
		} `json:"proposals"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if got.Payment != "TX-1" || got.AmountMinor != 56699 || got.Debtor != "K-1001" || len(got.Proposals) != 2 ||
		len(got.Proposals[0].Allocations) != 2 || got.Proposals[0].Allocations[0].DocumentNumber != "RE-2026-1001" ||
		got.Proposals[0].Allocations[1].AmountMinor != 2300 || got.Proposals[0].Difference == nil ||
		*got.Proposals[0].Difference != (struct {
			Kind        string `json:"kind"`
			AmountMinor int64  `json:"amount_minor"`
		}{"bank_fee", -300}) || got.Proposals[1].Difference != nil {
		t.Errorf("json: %+v\n%s", got, stdout)
	}

	code, _, stderr = queueCLI(t, f, "show", "TX-404")
	if code != 1 || !strings.Contains(stderr, "payment TX-404: not in the queue") {
		t.Errorf("unknown payment: exit %d, stderr %q", code, stderr)
	}
}

// TestQueueMatchSendsExactAmounts matches by hand: items named by document
// number or id reach MatchManually as the ledger's ids with their amounts
// in minor units, the debtor defaults to the best proposal's, the
// difference must be what is left, and every mistake is refused before
// matching is asked, saying what was wrong.
func TestQueueMatchSendsExactAmounts(t *testing.T) {
	t.Parallel()
	alloc := func(id string, minor int64) *matchingv1.ManualAllocation {
		return &matchingv1.ManualAllocation{OpenItemId: id, Amount: eurMoney(minor)}
	}
	tests := []struct {
		name string
		args []string
		want *matchingv1.MatchManuallyRequest
		err  string
	}{
		{"by document number with a bank fee", []string{"--item", "RE-2026-1001=546.99", "--item", "re-2026-1004=23", "--difference", "bank-fee=3.00", "--note", "called her"},
			&matchingv1.MatchManuallyRequest{Tenant: "acme", PaymentId: "TX-1", DebtorId: "K-1001", Note: "called her", ExpectedVersion: 3,
				Allocations:    []*matchingv1.ManualAllocation{alloc("item-1001", 54699), alloc("item-1004", 2300)},
				DifferenceKind: matchingv1.DifferenceKind_DIFFERENCE_KIND_BANK_FEE}, ""},
		{"a difference where nothing is left", []string{"--item", "item-1001=546,99", "--item", "item-1004=20", "--difference", "overpayment"},
			nil, "--difference overpayment: the items' 566.99 EUR are the whole payment"},
		{"by id, decimal comma, the version seen", []string{"--item", "item-1001=546,99", "--difference", "overpayment=20.00", "--version", "2"},
			&matchingv1.MatchManuallyRequest{Tenant: "acme", PaymentId: "TX-1", DebtorId: "K-1001", ExpectedVersion: 2,
				Allocations: []*matchingv1.ManualAllocation{alloc("item-1001", 54699)}, DifferenceKind: matchingv1.DifferenceKind_DIFFERENCE_KIND_OVERPAYMENT}, ""},
		{"all of it as credit balance of another debtor", []string{"--debtor", "K-1002", "--difference", "overpayment"},
			&matchingv1.MatchManuallyRequest{Tenant: "acme", PaymentId: "TX-1", DebtorId: "K-1002", ExpectedVersion: 3,
				DifferenceKind: matchingv1.DifferenceKind_DIFFERENCE_KIND_OVERPAYMENT}, ""},
		{"a return", []string{"--reverses", "TX-0"},
			&matchingv1.MatchManuallyRequest{Tenant: "acme", PaymentId: "TX-1", ReversesPaymentId: "TX-0", ExpectedVersion: 3}, ""},
		{"a rest without a kind", []string{"--item", "RE-2026-1001=546.99"}, nil,
			"the payment of 566.99 EUR less the items' 546.99 EUR leaves 20.00 EUR: say what it is with --difference KIND"},
		{"a difference of the wrong amount", []string{"--item", "RE-2026-1001=546.99", "--difference", "bank_fee=2.00"}, nil,
			"--difference bank_fee=2.00: the payment of 566.99 EUR less the items' 546.99 EUR leaves 20.00 EUR"},
		{"an unknown kind", []string{"--item", "RE-2026-1001=546.99", "--difference", "gift=20"}, nil, `"gift" is not a kind`},
		{"too many decimals", []string{"--item", "RE-2026-1001=546.989"}, nil, "--item RE-2026-1001 546.989: EUR has 2 decimals; give the amount exactly"},
		{"not an amount", []string{"--item", "RE-2026-1001=546.99 EUR"}, nil, "--item RE-2026-1001 546.99 EUR: not a decimal amount"},
		{"no amount", []string{"--item", "RE-2026-1001"}, nil, `--item "RE-2026-1001": want ITEM=AMOUNT`},
		{"a negative amount", []string{"--item", "RE-2026-1001=-5"}, nil, "is not a positive amount"},
		{"an item of nobody", []string{"--item", "RE-2026-9999=546.99"}, nil,
			"--item RE-2026-9999: not an open item of debtor K-1001, whose open items are RE-2026-1001 (546.99 open), RE-2026-1004 (44.90 open)"},
		{"a document number of two items", []string{"--item", "RE-2026-1007=5"}, nil,
			"--item RE-2026-1007: debtor K-1001 has 2 open items of that document number; name one by its id: item-1007a, item-1007b"},
		{"nothing to book", nil, nil, "say what the payment pays: --item ITEM=AMOUNT"},
		{"a return with items", []string{"--reverses", "TX-0", "--item", "RE-2026-1001=5"}, nil, "give it without --item, --debtor and --difference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newQueueServer()
			code, stdout, stderr := queueCLI(t, f, append([]string{"match", "TX-1"}, tt.args...)...)
			got := requests[*matchingv1.MatchManuallyRequest](f)
			if tt.err != "" {
				if code != 1 || !strings.Contains(stderr, tt.err) {
					t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tt.err)
				}
				if len(got) != 0 {
					t.Errorf("matching was asked to book %v", got)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			if diff := cmp.Diff([]*matchingv1.MatchManuallyRequest{tt.want}, got, protocmp.Transform()); diff != "" {
				t.Errorf("MatchManually (-want +got):\n%s", diff)
			}
			if !strings.Contains(stdout, "Matched payment TX-1 by hand as user:clara") || !strings.Contains(stdout, "state:       matched (confirmed)") {
				t.Errorf("output:\n%s", stdout)
			}
		})
	}
}

// TestQueueSplitNeedsPartsThatAddUp splits a payment: the parts reach
// Split exactly, a return's parts take its sign, and parts that do not add
// up to the payment are refused with what is missing.
func TestQueueSplitNeedsPartsThatAddUp(t *testing.T) {
	t.Parallel()
	f := newQueueServer()
	code, stdout, stderr := queueCLI(t, f, "split", "TX-1", "--part", "546.99", "--part", "20,00", "--note", "two orders")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := &matchingv1.SplitRequest{Tenant: "acme", PaymentId: "TX-1", Amounts: []*commonv1.Money{eurMoney(54699), eurMoney(2000)},
		Note: "two orders", ExpectedVersion: 3}
	if diff := cmp.Diff([]*matchingv1.SplitRequest{want}, requests[*matchingv1.SplitRequest](f), protocmp.Transform()); diff != "" {
		t.Errorf("Split (-want +got):\n%s", diff)
	}
	for _, w := range []string{"Split payment TX-1 into 2 parts as user:clara", "TX-1/1", "546.99", "TX-1/2", "20.00", "2 payments"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}

	ret := waiting()
	ret.Payment.PaymentId, ret.Payment.Amount = "TX-R", eurMoney(-2840)
	f.entries["TX-R"] = ret
	if code, stdout, stderr := queueCLI(t, f, "split", "TX-R", "--part", "24.90", "--part", "-3.50"); code != 0 {
		t.Fatalf("return: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := requests[*matchingv1.SplitRequest](f); len(got) != 2 || !cmp.Equal(got[1].GetAmounts(), []*commonv1.Money{eurMoney(-2490), eurMoney(-350)}, protocmp.Transform()) {
		t.Errorf("return's parts: %v", got)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--part", "500", "--part", "60"}, "the parts add up to 560.00 EUR, the payment is 566.99 EUR (6.99 EUR missing)"},
		{[]string{"--part", "500", "--part", "70"}, "(3.01 EUR too much)"},
		{[]string{"--part", "566.99"}, "split needs at least two --part amounts"},
		{[]string{"--part", "566.99", "--part", "0"}, "--part 0: a part is not zero"},
		{[]string{"--part", "600", "--part", "-33.01"}, "--part -33.01: the parts of a payment of 566.99 EUR have its sign"},
	} {
		if code, _, stderr := queueCLI(t, f, append([]string{"split", "TX-1"}, tc.args...)...); code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("split %v: exit %d, stderr %q; want 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if n := len(requests[*matchingv1.SplitRequest](f)); n != 2 {
		t.Errorf("%d splits sent, want the 2 that add up", n)
	}
}

// TestQueueDecisionsReachMatching confirms, parks and unmatches: each
// request carries the proposal, note or reason and version given, a
// missing note or reason is refused, and a refusal by matching is said in
// the user's terms.
func TestQueueDecisionsReachMatching(t *testing.T) {
	t.Parallel()
	f := newQueueServer()
	if code, stdout, stderr := queueCLI(t, f, "confirm", "TX-1", "--proposal", "1", "--note", "K-1002 called", "--version", "3"); code != 0 ||
		!strings.Contains(stdout, "Confirmed proposal 1 of payment TX-1 as user:clara") {
		t.Errorf("confirm: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := queueCLI(t, f, "park", "TX-1", "--note", "asked for a remittance advice"); code != 0 || !strings.Contains(stdout, "Parked payment TX-1") {
		t.Errorf("park: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := queueCLI(t, f, "unmatch", "TX-1", "--reason", "wrong debtor", "--version", "7"); code != 0 || !strings.Contains(stdout, "Unmatched payment TX-1") {
		t.Errorf("unmatch: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"park", "TX-1"}, "--note is required"},
		{[]string{"unmatch", "TX-1"}, "--reason is required"},
		{[]string{"confirm", "TX-1", "--proposal", "-1"}, "proposals are numbered from 0"},
	} {
		if code, _, stderr := queueCLI(t, f, tc.args...); code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
	want := []proto.Message{
		&matchingv1.ConfirmProposalRequest{Tenant: "acme", PaymentId: "TX-1", ProposalIndex: 1, Note: "K-1002 called", ExpectedVersion: 3},
		&matchingv1.ParkRequest{Tenant: "acme", PaymentId: "TX-1", Note: "asked for a remittance advice"},
		&matchingv1.UnmatchRequest{Tenant: "acme", PaymentId: "TX-1", Reason: "wrong debtor", ExpectedVersion: 7},
	}
	f.mu.Lock()
	got := f.reqs
	f.mu.Unlock()
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	f.err = status.Error(codes.FailedPrecondition, "payment TX-1 changed since version 3 (now 4): show it again")
	code, _, stderr := queueCLI(t, f, "confirm", "TX-1", "--version", "3")
	if want := "o2c: the matching service cannot do this now: payment TX-1 changed since version 3 (now 4): show it again"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("refused: exit %d, stderr %q; want %q", code, stderr, want)
	}
}

func TestParseAmountIsExact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		cur  string
		want int64
		err  string
	}{
		{"10", "EUR", 1000, ""},
		{"10.5", "EUR", 1050, ""},
		{"10,50", "EUR", 1050, ""},
		{"-0.01", "EUR", -1, ""},
		{"1234567.89", "EUR", 123456789, ""},
		{"10.500", "EUR", 1050, ""},
		{"1500", "JPY", 1500, ""},
		{"1.5", "JPY", 0, "JPY has 0 decimals"},
		{"0.001", "EUR", 0, "EUR has 2 decimals"},
		{"1e3", "EUR", 0, "not a decimal amount"},
		{"", "EUR", 0, "not a decimal amount"},
		{"99999999999999999999", "EUR", 0, "too large"},
	} {
		got, err := parseAmount("--x", tc.in, tc.cur)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseAmount(%q, %s) = %d, %v; want an error with %q", tc.in, tc.cur, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseAmount(%q, %s) = %d, %v; want %d", tc.in, tc.cur, got, err, tc.want)
		}
	}
}

func TestParseAge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3d", 72 * time.Hour, true},
		{"2w", 14 * 24 * time.Hour, true},
		{"12h", 12 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"0d", 0, true},
		{"-3d", 0, false},
		{"-1h", 0, false},
		{"3", 0, false},
		{"three days", 0, false},
	} {
		got, err := parseAge("--older-than", tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAge(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestQueueAgainstTheRunningSystem works the demo's exception queue with
// the CLI against the real services, as a clerk with the demo's
// credentials: the day's statement leaves K-1001's transfer and an unknown
// payer's 50.00 in the queue; confirming the first and matching the second
// by hand to what K-1001 still owes (the rest kept as credit) leaves the
// queue and K-1001's open items empty; unmatching the second reopens the
// item in the ledger and puts the payment back.
func TestQueueAgainstTheRunningSystem(t *testing.T) {
	sys := startSystem(t)
	ctx := context.Background()
	queue := []string{"--tenant", "demo", "--matching", addrOf(t, sys, "matching"), "--ledger", addrOf(t, sys, "ledger"), "--credentials", sys.CredentialsFile}
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, append(append([]string{"queue"}, args...), queue...)...)
	}
	if _, err := demo.Publish(ctx, sys, telemetry.Providers{}); err != nil {
		t.Fatal(err)
	}
	items, err := demo.WaitForOpenItems(ctx, sys.Conn("ledger"), demo.ExpectedOpenItems)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := sys.ConnectNATS(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.WaitForMatchingItems(ctx, js); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.ImportBankFiles(ctx, sys.Conn("ingestion")); err != nil {
		t.Fatal(err)
	}
	decided, err := demo.WaitForDecisions(ctx, sys.Conn("matching"), demo.StatementReceipts)
	if err != nil {
		t.Fatal(err)
	}
	byAmount := map[int64]string{}
	for _, e := range decided {
		byAmount[e.GetPayment().GetAmount().GetMinorUnits()] = e.GetPayment().GetPaymentId()
	}
	transfer, unknown := byAmount[demo.PaymentAmount], byAmount[5000]

	// The Amazon payout waits until its settlement report is complete,
	// then is booked by itself.
	want := []string{transfer, unknown}
	var waitingIDs []string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		code, stdout, stderr := cli("list", "--output", "json")
		if code != 0 {
			t.Fatalf("list: exit %d\n%s%s", code, stdout, stderr)
		}
		waitingIDs = nil
		for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
			var e struct{ Payment string }
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("list --output json: %v: %q", err, l)
			}
			waitingIDs = append(waitingIDs, e.Payment)
		}
		if cmp.Equal(waitingIDs, want, cmpopts.SortSlices(func(a, b string) bool { return a < b })) || time.Now().After(deadline) {
			break
		}
	}
	if !cmp.Equal(waitingIDs, want, cmpopts.SortSlices(func(a, b string) bool { return a < b })) {
		t.Fatalf("waiting %v, want K-1001's transfer %s and the unknown payer's %s", waitingIDs, transfer, unknown)
	}
	code, stdout, stderr := cli("show", transfer)
	if code != 0 || !strings.Contains(stdout, "payer:       Erika Mustermann, DE75512108001245126199") || !regexp.MustCompile(`(?m)^0\s+\d+\s+K-1001\s`).MatchString(stdout) {
		t.Errorf("show %s: exit %d\n%s%s", transfer, code, stdout, stderr)
	}
	// The clerk confirms the proposal that applies the whole transfer to
	// K-1001's items, as the demo does.
	var index int
	for _, e := range decided {
		if e.GetPayment().GetPaymentId() == transfer {
			index = demo.WholeTransfer(e)
		}
	}
	if code, stdout, stderr := cli("confirm", transfer, "--proposal", strconv.Itoa(index), "--note", "customer number in the text"); code != 0 ||
		!strings.Contains(stdout, fmt.Sprintf("Confirmed proposal %d of payment %s as finance:demo", index, transfer)) {
		t.Fatalf("confirm: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := demo.WaitForOpenAmount(ctx, sys.Conn("ledger"), total(items)-demo.MatchedAutomatically-demo.PaymentAmount); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := cli("match", unknown, "--debtor", "K-1001", "--item", "RE-2026-1004=24.90", "--difference", "overpayment=25.10",
		"--note", "her neighbour paid for her"); code != 0 || !strings.Contains(stdout, "state:       matched (manual)") {
		t.Fatalf("match: exit %d\n%s%s", code, stdout, stderr)
	}
	// RE-2026-1004 is cleared and 25.10 is K-1001's credit balance, an
	// open item of its own.
	if _, err := demo.WaitForOpenAmount(ctx, sys.Conn("ledger"), total(items)-demo.MatchedAutomatically-demo.PaymentAmount-5000); err != nil {
		t.Fatal(err)
	}
	listed := func(what string, ok func(stdout string) bool) {
		t.Helper()
		// The queue is matching's projection of its own events: it
		// shows a decision once the projection has applied it.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			code, stdout, _ := cli("list")
			if code == 0 && ok(stdout) {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: exit %d\n%s", what, code, stdout)
				return
			}
		}
	}
	listed("the queue after both decisions", func(stdout string) bool { return stdout == "0 payments\n" })
	// Unmatch needs the ledger's journal entry of the booking, which
	// matching learns from the ledger's events a moment later.
	deadline := time.Now().Add(time.Minute)
	for {
		code, stdout, stderr = cli("unmatch", unknown, "--reason", "the neighbour paid for himself")
		if code == 0 || time.Now().After(deadline) || !strings.Contains(stderr, "cannot do this now") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != 0 || !strings.Contains(stdout, "state:       open") {
		t.Fatalf("unmatch: exit %d\n%s%s", code, stdout, stderr)
	}
	open, err := demo.WaitForOpenAmount(ctx, sys.Conn("ledger"), total(items)-demo.MatchedAutomatically-demo.PaymentAmount)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].GetDocumentNumber() != "RE-2026-1004" || open[0].GetOpenAmount().GetMinorUnits() != 2490 {
		t.Errorf("after unmatching: open items %v, want RE-2026-1004 with 24.90 again", open)
	}
	listed("the queue after unmatching", func(stdout string) bool {
		return strings.Contains(stdout, unknown) && strings.HasSuffix(stdout, "1 payment\n")
	})
}

// total is what items leave open.
func total(items []*ledgerv1.OpenItem) int64 {
	var sum int64
	for _, it := range items {
		sum += it.GetOpenAmount().GetMinorUnits()
	}
	return sum
}
