package queue

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// items is an Items of fixed open items.
type items map[string]Item

func (m items) Item(id string) (Item, bool) {
	it, ok := m[id]
	return it, ok
}

var day = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func eurMsg(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// receipt is a pending receipt of amount.
func receipt(amount int64, state State) Entry {
	return Entry{Tenant: "acme", State: state, Version: 1,
		Payment: engine.Payment{ID: "TX-1", Amount: money.MustNew(amount, "EUR"), BookingDate: day}}
}

var shelf = items{
	"I-1": {ID: "I-1", Debtor: "D-1", Currency: "EUR", Open: 10000, DiscountBP: 200},
	"I-2": {ID: "I-2", Debtor: "D-1", Currency: "EUR", Open: 5000},
	"I-3": {ID: "I-3", Debtor: "D-2", Currency: "EUR", Open: 5000},
	"I-4": {ID: "I-4", Debtor: "D-1", Currency: "CHF", Open: 5000},
}

var limits = Limits{ToleranceMinor: 500, TolerancePercentBP: 100, RoundingMinor: 5, FXPercentBP: 200, WriteOffMinor: 1000, MaxReturnChargeMinor: 2500}

// TestCheckManual: given a pending receipt and the debtor's open items,
// when a person matches it by hand, then the match is booked as chosen
// with its difference, or refused naming why.
func TestCheckManual(t *testing.T) {
	t.Parallel()
	alloc := func(item string, amount int64) engine.Allocation {
		return engine.Allocation{Item: item, Amount: amount}
	}
	for _, tc := range []struct {
		name     string
		amount   int64
		state    State
		m        Manual
		wantErr  error
		wantDiff *engine.Difference
	}{
		{name: "exact", amount: 15000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000), alloc("I-2", 5000)}}},
		{name: "parked payment", amount: 5000, state: Parked, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-2", 5000)}}},
		{name: "partial payment of an item", amount: 3000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-2", 3000)}}},
		{name: "cash discount within the terms", amount: 9800, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffCashDiscount},
			wantDiff: &engine.Difference{Kind: engine.DiffCashDiscount, Amount: -200}},
		{name: "cash discount beyond the terms", amount: 9700, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffCashDiscount},
			wantErr: ErrBeyondLimit},
		{name: "cash discount on an item without terms", amount: 4900, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-2", 5000)}, DifferenceKind: engine.DiffCashDiscount},
			wantErr: ErrBeyondLimit},
		{name: "bank fee within the tolerance", amount: 9900, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffBankFee},
			wantDiff: &engine.Difference{Kind: engine.DiffBankFee, Amount: -100}},
		{name: "bank fee beyond 1 %", amount: 9899, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffBankFee},
			wantErr: ErrBeyondLimit},
		{name: "underpayment within the write-off limit", amount: 9000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffUnderpayment},
			wantDiff: &engine.Difference{Kind: engine.DiffUnderpayment, Amount: -1000}},
		{name: "underpayment beyond the write-off limit", amount: 8999, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffUnderpayment},
			wantErr: ErrBeyondLimit},
		{name: "overpayment", amount: 20000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffOverpayment},
			wantDiff: &engine.Difference{Kind: engine.DiffOverpayment, Amount: 10000}},
		{name: "all as credit balance", amount: 20000, m: Manual{Debtor: "D-1", DifferenceKind: engine.DiffOverpayment},
			wantDiff: &engine.Difference{Kind: engine.DiffOverpayment, Amount: 20000}},
		{name: "overpayment called a shortfall", amount: 20000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffBankFee},
			wantErr: ErrDifferenceKind},
		{name: "shortfall called an overpayment", amount: 9000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffOverpayment},
			wantErr: ErrDifferenceKind},
		{name: "rounding either way", amount: 10004, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffRounding},
			wantDiff: &engine.Difference{Kind: engine.DiffRounding, Amount: 4}},
		{name: "rounding beyond its limit", amount: 9994, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffRounding},
			wantErr: ErrBeyondLimit},
		{name: "fx within 2 %", amount: 9800, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffFX},
			wantDiff: &engine.Difference{Kind: engine.DiffFX, Amount: -200}},
		{name: "a difference without a kind", amount: 9900, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}},
			wantErr: ErrDifferenceKind},
		{name: "a kind without a difference", amount: 10000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: engine.DiffRounding},
			wantErr: ErrDifferenceKind},
		{name: "an unknown kind", amount: 9900, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-1", 10000)}, DifferenceKind: "gift"},
			wantErr: ErrDifferenceKind},
		{name: "more than is open", amount: 5001, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-2", 5001)}}, wantErr: ErrExceedsOpen},
		{name: "an item of another debtor", amount: 5000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-3", 5000)}}, wantErr: ErrInvalidAllocation},
		{name: "an item in another currency", amount: 5000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-4", 5000)}}, wantErr: ErrInvalidAllocation},
		{name: "an unknown item", amount: 5000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-9", 5000)}}, wantErr: ErrUnknownItem},
		{name: "a zero allocation", amount: 5000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-2", 0)}}, wantErr: ErrInvalidAllocation},
		{name: "an item twice", amount: 4000, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-2", 2000), alloc("I-2", 2000)}}, wantErr: ErrInvalidAllocation},
		{name: "no debtor", amount: 5000, m: Manual{Allocations: []engine.Allocation{alloc("I-2", 5000)}}, wantErr: ErrInvalidAllocation},
		{name: "a matched payment", amount: 5000, state: Matched, m: Manual{Debtor: "D-1", Allocations: []engine.Allocation{alloc("I-2", 5000)}}, wantErr: ErrNotPending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			state := tc.state
			if state == "" {
				state = Open
			}
			p, err := CheckManual(receipt(tc.amount, state), tc.m, shelf, limits)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("CheckManual = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.wantDiff, p.Difference); diff != "" {
				t.Errorf("difference (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.m.Allocations, p.Allocations); diff != "" {
				t.Errorf("allocations (-want +got):\n%s", diff)
			}
			if p.Debtor != tc.m.Debtor {
				t.Errorf("debtor = %q, want %q", p.Debtor, tc.m.Debtor)
			}
		})
	}
}

// TestConfirm: given a pending payment with proposals, when a person
// confirms one, then it is booked as it stands, unless its items have
// less open by now or it is not there.
func TestConfirm(t *testing.T) {
	t.Parallel()
	e := receipt(15000, Open)
	e.Proposals = []Proposal{
		{Score: 80, Debtor: "D-1", Allocations: []engine.Allocation{{Item: "I-1", Amount: 10000}, {Item: "I-2", Amount: 5000}}},
		{Score: 60, Debtor: "D-1", Allocations: []engine.Allocation{{Item: "I-2", Amount: 6000}}, Difference: &engine.Difference{Kind: engine.DiffOverpayment, Amount: 9000}},
		{Score: 55},
	}
	for _, tc := range []struct {
		name    string
		index   int
		wantErr error
	}{
		{"the best", 0, nil},
		{"an item has less open now", 1, ErrProposalStale},
		{"no debtor", 2, ErrProposalStale},
		{"beyond the list", 3, ErrNoProposal},
		{"negative", -1, ErrNoProposal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Confirm(e, tc.index, shelf)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Confirm = %v, want %v", err, tc.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(e.Proposals[tc.index], p); diff != "" {
					t.Errorf("proposal (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestCheckSplit: given a pending receipt of 100.00, when it is split,
// then the parts must be non-zero, of its sign and sum to it.
func TestCheckSplit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		amounts []int64
		want    []Part
		wantErr error
	}{
		{"two parts", []int64{6000, 4000}, []Part{{"TX-1/1", 6000}, {"TX-1/2", 4000}}, nil},
		{"one part", []int64{10000}, nil, ErrInvalidSplit},
		{"too little", []int64{6000, 3000}, nil, ErrInvalidSplit},
		{"a zero part", []int64{10000, 0}, nil, ErrInvalidSplit},
		{"a negative part", []int64{11000, -1000}, nil, ErrInvalidSplit},
		{"too many parts", make([]int64, MaxParts+1), nil, ErrInvalidSplit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := CheckSplit(receipt(10000, Open), tc.amounts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("CheckSplit = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckParkAndUnmatch: parking needs a pending payment and a note;
// unmatching a matched receipt the ledger booked and a reason.
func TestCheckParkAndUnmatch(t *testing.T) {
	t.Parallel()
	booked := receipt(10000, Matched)
	booked.Match, booked.EntryID, booked.LedgerPaymentID = &Proposal{Debtor: "D-1"}, "E-1", "TX-1"
	notBooked := booked
	notBooked.EntryID = ""
	returned := booked
	returned.Returned = true
	ret := booked
	ret.Payment.Amount.Minor = -10000
	payout := booked
	payout.Match = &Proposal{Debtor: "marketplace:amazon.de:EUR", Settlement: &Settlement{ID: "S-1"}}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"park an open payment", CheckPark(receipt(1, Open), "waiting for the customer's answer"), nil},
		{"park a parked payment again", CheckPark(receipt(1, Parked), "still waiting"), nil},
		{"park without a note", CheckPark(receipt(1, Open), "  "), ErrNoNote},
		{"park a matched payment", CheckPark(booked, "why"), ErrNotPending},
		{"unmatch a booked payment", CheckUnmatch(booked, "wrong customer"), nil},
		{"unmatch without a reason", CheckUnmatch(booked, ""), ErrNoNote},
		{"unmatch an open payment", CheckUnmatch(receipt(1, Open), "why"), ErrNotMatched},
		{"unmatch before the ledger booked it", CheckUnmatch(notBooked, "why"), ErrNotBooked},
		{"unmatch a returned payment", CheckUnmatch(returned, "why"), ErrNotMatched},
		{"unmatch a return", CheckUnmatch(ret, "why"), ErrReturnUnmatch},
		{"unmatch a payout", CheckUnmatch(payout, "why"), ErrPayoutUnmatch},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}

// TestCheckManualReturn: given a booked receipt of 100.00, when a return of
// 103.00 is matched to it by hand, then the return reopens what it cleared
// and the 3.00 the bank netted is its bank fee.
func TestCheckManualReturn(t *testing.T) {
	t.Parallel()
	orig := receipt(10000, Matched)
	orig.Payment.ID, orig.LedgerPaymentID = "TX-0", "TX-0"
	orig.Match = &Proposal{Debtor: "D-1", Allocations: []engine.Allocation{{Item: "I-1", Amount: 10000}}}
	ret := receipt(-10300, Open)
	p, err := CheckManualReturn(ret, orig, limits)
	if err != nil {
		t.Fatal(err)
	}
	want := Proposal{Score: 100, Debtor: "D-1", Reverses: "TX-0", Explanation: "return of TX-0 matched by hand",
		Allocations: []engine.Allocation{{Item: "I-1", Amount: -10000}}, Difference: &engine.Difference{Kind: engine.DiffBankFee, Amount: -300}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("proposal (-want +got):\n%s", diff)
	}
	returned := orig
	returned.Returned = true
	for _, tc := range []struct {
		name      string
		ret, orig Entry
		want      error
	}{
		{"the payment was returned already", ret, returned, ErrInvalidReturn},
		{"a receipt is no return", receipt(10000, Open), orig, ErrInvalidReturn},
		{"the payment is not booked", ret, receipt(10000, Open), ErrInvalidReturn},
		{"less than the payment", receipt(-9000, Open), orig, ErrInvalidReturn},
		{"a charge beyond the largest", receipt(-13000, Open), orig, ErrBeyondLimit},
	} {
		if _, err := CheckManualReturn(tc.ret, tc.orig, limits); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestBooking: given a proposal, when it is booked, then the ledger
// commands carry its allocations, fees and differences as the ledger
// models them, with keys derived from the ledger payment id.
func TestBooking(t *testing.T) {
	t.Parallel()
	date := &commonv1.Date{Year: 2026, Month: 11, Day: 20}
	apply := func(amount int64, allocs []*ledgerv1.Allocation, fees ...*ledgerv1.Fee) *ledgerv1.ApplyPayment {
		return &ledgerv1.ApplyPayment{Tenant: "acme", IdempotencyKey: "matching:TX-1", PaymentId: "TX-1", DebtorId: "D-1",
			Amount: eurMsg(amount), ValueDate: date, ClearingAccount: "unidentified-receipts", Allocations: allocs, Fees: fees}
	}
	for _, tc := range []struct {
		name   string
		amount int64
		p      Proposal
		want   []proto.Message
	}{
		{"exact", 15000, Proposal{Debtor: "D-1", Allocations: []engine.Allocation{{Item: "I-1", Amount: 10000}, {Item: "I-2", Amount: 5000}}},
			[]proto.Message{apply(15000, []*ledgerv1.Allocation{{OpenItemId: "I-1", Amount: eurMsg(10000)}, {OpenItemId: "I-2", Amount: eurMsg(5000)}})}},
		{"cash discount on the item with terms", 14800, Proposal{Debtor: "D-1", Allocations: []engine.Allocation{{Item: "I-1", Amount: 10000}, {Item: "I-2", Amount: 5000}},
			Difference: &engine.Difference{Kind: engine.DiffCashDiscount, Amount: -200}},
			[]proto.Message{apply(14800, []*ledgerv1.Allocation{{OpenItemId: "I-1", Amount: eurMsg(9800), CashDiscount: eurMsg(200)}, {OpenItemId: "I-2", Amount: eurMsg(5000)}})}},
		{"bank fee as a fee leg", 9950, Proposal{Debtor: "D-1", Allocations: []engine.Allocation{{Item: "I-1", Amount: 10000}},
			Difference: &engine.Difference{Kind: engine.DiffBankFee, Amount: -50}},
			[]proto.Message{apply(10000, []*ledgerv1.Allocation{{OpenItemId: "I-1", Amount: eurMsg(10000)}}, &ledgerv1.Fee{Kind: "bank", Amount: eurMsg(50)})}},
		{"underpayment written off across the items", 14700, Proposal{Debtor: "D-1", Allocations: []engine.Allocation{{Item: "I-1", Amount: 10000}, {Item: "I-2", Amount: 5000}},
			Difference: &engine.Difference{Kind: engine.DiffUnderpayment, Amount: -300}},
			[]proto.Message{apply(14700, []*ledgerv1.Allocation{{OpenItemId: "I-1", Amount: eurMsg(9800), Difference: eurMsg(200)}, {OpenItemId: "I-2", Amount: eurMsg(4900), Difference: eurMsg(100)}})}},
		{"overpayment left as a credit balance", 12000, Proposal{Debtor: "D-1", Allocations: []engine.Allocation{{Item: "I-1", Amount: 10000}},
			Difference: &engine.Difference{Kind: engine.DiffOverpayment, Amount: 2000}},
			[]proto.Message{apply(12000, []*ledgerv1.Allocation{{OpenItemId: "I-1", Amount: eurMsg(10000)}})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Booking("acme", receipt(tc.amount, Open).Payment, tc.p, "TX-1", shelf)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReturnBooking: given a return of 103.00 reversing payment TX-0 with
// a charge of 3.00 the tenant passes on, when it is booked, then the ledger
// gets the ReturnPayment with the bank's fee and an AssessCharge of the
// returned-debit fee on the reopened item.
func TestReturnBooking(t *testing.T) {
	t.Parallel()
	p := Proposal{Debtor: "D-1", Reverses: "TX-0", ReturnCharge: 300,
		Allocations: []engine.Allocation{{Item: "I-1", Amount: -10000}}, Difference: &engine.Difference{Kind: engine.DiffBankFee, Amount: -300}}
	got, err := Booking("acme", receipt(-10300, Open).Payment, p, "TX-1", shelf)
	if err != nil {
		t.Fatal(err)
	}
	date := &commonv1.Date{Year: 2026, Month: 11, Day: 20}
	want := []proto.Message{
		&ledgerv1.ReturnPayment{Tenant: "acme", IdempotencyKey: "matching:return:TX-1", PaymentId: "TX-0",
			Kind: ledgerv1.ReturnKind_RETURN_KIND_RETURNED_DEBIT, ReturnDate: date, BankFee: eurMsg(300)},
		&ledgerv1.AssessCharge{Tenant: "acme", IdempotencyKey: "matching:return-charge:TX-1", DocumentNumber: "RLS TX-1", DebtorId: "D-1",
			ClaimOpenItemId: "I-1", Kind: ledgerv1.ChargeKind_CHARGE_KIND_RETURNED_DEBIT_FEE, Amount: eurMsg(300),
			AssessedDate: date, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 4}},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

// TestSettlementBooking: given an Amazon payout of 151.00 for orders of
// 119.00 and 59.50, less 15.00 commission and a refund of 12.50 on the
// second, when it is booked, then the refund is a credit note keyed by its
// adjustment id with the item's VAT split, and the ApplyPayment credits
// the marketplace debtor with the orders less the refund, the commission
// as a fee.
func TestSettlementBooking(t *testing.T) {
	t.Parallel()
	mp := "marketplace:amazon.de:EUR"
	shelf := withItems{items{
		"O-1": {ID: "O-1", Debtor: mp, Currency: "EUR", Open: 11900},
		"O-2": {ID: "O-2", Debtor: mp, Currency: "EUR", Open: 5950, VAT: []*ledgerv1.VatAmount{{RateBp: 1900, Net: eurMsg(5000), Vat: eurMsg(950)}}},
	}}
	p := Proposal{Debtor: mp, Allocations: []engine.Allocation{{Item: "O-1", Amount: 11900}, {Item: "O-2", Amount: 5950}},
		Settlement: &Settlement{ID: "S-1", Marketplace: "amazon", Fees: []Fee{{Kind: "Commission", Amount: 1500}},
			Refunds: []Refund{{AdjustmentID: "ADJ-1", Item: "O-2", OrderID: "302-1", Amount: 1250}}}}
	got, err := Booking("acme", receipt(15100, Open).Payment, p, "TX-1", shelf)
	if err != nil {
		t.Fatal(err)
	}
	date := &commonv1.Date{Year: 2026, Month: 11, Day: 20}
	want := []proto.Message{
		&ledgerv1.IssueCreditNote{Tenant: "acme", IdempotencyKey: "amazon-refund:ADJ-1", CreditNoteNumber: "amazon-refund:ADJ-1", DebtorId: mp,
			OpenItemId: "O-2", Currency: "EUR", Gross: eurMsg(1250), IssueDate: date,
			Vat: []*ledgerv1.VatAmount{{RateBp: 1900, Net: eurMsg(1050), Vat: eurMsg(200)}}},
		&ledgerv1.ApplyPayment{Tenant: "acme", IdempotencyKey: "matching:TX-1", PaymentId: "TX-1", DebtorId: mp,
			Amount: eurMsg(16600), ValueDate: date, ClearingAccount: "unidentified-receipts",
			Allocations: []*ledgerv1.Allocation{{OpenItemId: "O-1", Amount: eurMsg(11900)}, {OpenItemId: "O-2", Amount: eurMsg(4700)}},
			Fees:        []*ledgerv1.Fee{{Kind: "Commission", Amount: eurMsg(1500)}}},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	p.Settlement.Other = 500
	if _, err := Booking("acme", receipt(14600, Open).Payment, p, "TX-1", shelf); !errors.Is(err, ErrProposalStale) {
		t.Errorf("a payout with other lines: %v, want %v", err, ErrProposalStale)
	}
}

// TestSettlementBookingReserve: given an Amazon payout of 93.00 for an
// order of 119.00, less 15.00 commission and 10.00 reserve held back plus
// 3.05 of an earlier reserve released, when it is confirmed and booked,
// then the ApplyPayment credits the marketplace debtor with the whole
// order, the commission as a fee and the reserve as a Fee of kind
// marketplace-reserve of the net 6.95 held back; held back and released
// alike keep the sign the ledger expects.
func TestSettlementBookingReserve(t *testing.T) {
	t.Parallel()
	mp := "marketplace:amazon.de:EUR"
	shelf := withItems{items{"O-1": {ID: "O-1", Debtor: mp, Currency: "EUR", Open: 11900}}}
	date := &commonv1.Date{Year: 2026, Month: 11, Day: 20}
	tests := []struct {
		name    string
		reserve int64
		payout  int64
		want    []*ledgerv1.Fee
	}{
		{name: "held back", reserve: 695, payout: 9705,
			want: []*ledgerv1.Fee{{Kind: "Commission", Amount: eurMsg(1500)}, {Kind: ReserveFeeKind, Amount: eurMsg(695)}}},
		{name: "released", reserve: -305, payout: 10705,
			want: []*ledgerv1.Fee{{Kind: "Commission", Amount: eurMsg(1500)}, {Kind: ReserveFeeKind, Amount: eurMsg(-305)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := Proposal{Debtor: mp, Allocations: []engine.Allocation{{Item: "O-1", Amount: 11900}},
				Settlement: &Settlement{ID: "S-1", Marketplace: "amazon", Fees: []Fee{{Kind: "Commission", Amount: 1500}}, Reserve: tt.reserve}}
			e := receipt(tt.payout, Open)
			e.Proposals = []Proposal{p}
			confirmed, err := Confirm(e, 0, shelf)
			if err != nil {
				t.Fatalf("confirm a payout with a reserve: %v", err)
			}
			got, err := Booking("acme", e.Payment, confirmed, "TX-1", shelf)
			if err != nil {
				t.Fatal(err)
			}
			want := []proto.Message{&ledgerv1.ApplyPayment{Tenant: "acme", IdempotencyKey: "matching:TX-1", PaymentId: "TX-1", DebtorId: mp,
				Amount: eurMsg(11900), ValueDate: date, ClearingAccount: "unidentified-receipts",
				Allocations: []*ledgerv1.Allocation{{OpenItemId: "O-1", Amount: eurMsg(11900)}}, Fees: tt.want}}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
		})
	}
}

type withItems struct{ items }

// TestLedgerPaymentID: the first booking keeps the payment id, later ones
// after an unmatch number it.
func TestLedgerPaymentID(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "TX-1", 1: "TX-1", 2: "TX-1#2", 3: "TX-1#3"} {
		if got := LedgerPaymentID("TX-1", n); got != want {
			t.Errorf("LedgerPaymentID(TX-1, %d) = %q, want %q", n, got, want)
		}
	}
}
