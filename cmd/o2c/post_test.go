package main

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
)

// postLedger is a LedgerService that takes every entry, answering a key
// it saw before as a replay, and records the requests.
type postLedger struct {
	ledgerv1grpc.UnimplementedLedgerServiceServer
	mu   sync.Mutex
	reqs []*ledgerv1.PostJournalEntryRequest
}

func (p *postLedger) PostJournalEntry(_ context.Context, r *ledgerv1.PostJournalEntryRequest) (*ledgerv1.PostJournalEntryResponse, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	replay := false
	for _, seen := range p.reqs {
		replay = replay || seen.GetIdempotencyKey() == r.GetIdempotencyKey()
	}
	p.reqs = append(p.reqs, r)
	return &ledgerv1.PostJournalEntryResponse{EntryId: "E-" + r.GetIdempotencyKey()[len(r.GetIdempotencyKey())-4:], Replayed: replay}, nil
}

func (p *postLedger) requests() []*ledgerv1.PostJournalEntryRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*ledgerv1.PostJournalEntryRequest(nil), p.reqs...)
}

func postCLI(t *testing.T, p *postLedger, args ...string) (int, string, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	ledgerv1grpc.RegisterLedgerServiceServer(s, p)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return runCLI(t, append(append([]string{"ledger", "post"}, args...), "--ledger", lis.Addr().String())...)
}

// TestLedgerPostBooksABalancedEntry posts an agency's payout from
// unidentified receipts to its clearing account, split over two credit
// accounts: the request carries the date, text, document and the legs
// with debits positive and credits negative, under a key derived from the
// entry; the same command again is the same key, which the ledger answers
// as a replay, and the output says so.
func TestLedgerPostBooksABalancedEntry(t *testing.T) {
	t.Parallel()
	p := &postLedger{}
	args := []string{"--tenant", "demo", "--date", "2026-12-04", "--document", "AG-2026-11", "--text", "Auszahlung Inkasso November",
		"--debit", "1591=1234.56", "--credit", "1362=1200.00", "--credit", "4970=34,56"}
	code, stdout, stderr := postCLI(t, p, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	eur := func(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }
	reqs := p.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	key := reqs[0].GetIdempotencyKey()
	want := &ledgerv1.PostJournalEntryRequest{Tenant: "demo", IdempotencyKey: key, EffectiveDate: &commonv1.Date{Year: 2026, Month: 12, Day: 4},
		DocumentNumber: "AG-2026-11", Text: "Auszahlung Inkasso November", Legs: []*ledgerv1.JournalLeg{
			{Account: "1591", Amount: eur(123456)}, {Account: "1362", Amount: eur(-120000)}, {Account: "4970", Amount: eur(-3456)}}}
	if diff := cmp.Diff(want, reqs[0], protocmp.Transform()); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(key, "cli-post:") {
		t.Errorf("key %q, want one derived from the entry", key)
	}
	for _, w := range []string{"posted entry", "2026-12-04", "1591", "1234.56 EUR", "1362", "1200.00 EUR"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}
	code, stdout, _ = postCLI(t, p, args...)
	if code != 0 || !strings.Contains(stdout, "already posted") || p.requests()[1].GetIdempotencyKey() != key {
		t.Errorf("the same command again: exit %d, key %q, output:\n%s", code, p.requests()[1].GetIdempotencyKey(), stdout)
	}
	// Another text is another entry; --key is used as given.
	postCLI(t, p, append(args[:len(args):len(args)], "--text", "Auszahlung Inkasso Dezember")...)
	postCLI(t, p, append(args[:len(args):len(args)], "--key", "agency-sim:payout:2026-11")...)
	r := p.requests()
	if r[2].GetIdempotencyKey() == key || r[3].GetIdempotencyKey() != "agency-sim:payout:2026-11" {
		t.Errorf("keys %q and %q; want a new derived one and the one given", r[2].GetIdempotencyKey(), r[3].GetIdempotencyKey())
	}
}

// TestLedgerPostRefusesWhatDoesNotBook: an entry that does not balance, an
// amount with more decimals than the currency, a negative or zero amount,
// a side missing, a malformed leg, amounts that overflow when summed, no
// text or no date are refused with a message naming the problem, and
// nothing reaches the ledger.
func TestLedgerPostRefusesWhatDoesNotBook(t *testing.T) {
	t.Parallel()
	base := []string{"--tenant", "demo", "--date", "2026-12-04", "--text", "Umbuchung"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--debit", "1591=10.00", "--credit", "1362=9.99"}, "the debits sum to 10.00 EUR and the credits to 9.99 EUR"},
		{[]string{"--debit", "1591=10.001", "--credit", "1362=10.00"}, "EUR has 2 decimals"},
		{[]string{"--debit", "1591=-10", "--credit", "1362=-10"}, "above zero"},
		{[]string{"--debit", "1591=0", "--credit", "1362=0"}, "above zero"},
		{[]string{"--debit", "1591=10"}, "at least one --debit and one --credit"},
		{[]string{"--debit", "1591:10", "--credit", "1362=10"}, "want ACCOUNT=AMOUNT"},
		{[]string{"--debit", "=10", "--credit", "1362=10"}, "want ACCOUNT=AMOUNT"},
		{[]string{"--debit", "1591=ten", "--credit", "1362=10"}, "not a decimal amount"},
		{overflowing(), "beyond what an amount can hold"},
		{[]string{"--debit", "1591=10", "--credit", "1362=10", "--currency", "XXY"}, "not a currency"},
	} {
		p := &postLedger{}
		code, _, stderr := postCLI(t, p, append(base[:len(base):len(base)], tt.args...)...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want it refused saying %q", tt.args, code, stderr, tt.want)
		}
		if n := len(p.requests()); n != 0 {
			t.Errorf("%v: %d requests reached the ledger", tt.args, n)
		}
	}
	for _, args := range [][]string{
		{"--tenant", "demo", "--date", "2026-12-04", "--debit", "1591=1", "--credit", "1362=1"},
		{"--tenant", "demo", "--text", "x", "--debit", "1591=1", "--credit", "1362=1"},
	} {
		p := &postLedger{}
		if code, _, stderr := postCLI(t, p, args...); code == 0 || len(p.requests()) != 0 || !strings.Contains(stderr, "required") {
			t.Errorf("%v: exit %d, stderr %q; want a required flag named", args, code, stderr)
		}
	}
}

// overflowing is ten debits of the largest amount an amount flag takes,
// whose sum does not fit into int64, and a credit.
func overflowing() []string {
	var args []string
	for range 10 {
		args = append(args, "--debit", "1591=9999999999999999.99")
	}
	return append(args, "--credit", "1362=1")
}
