package books

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// payWith is pay with allocations computed from the books at decision time.
func payWith(id, debtor string, amount int64, allocs func(l *Ledger) []*ledgerv1.Allocation) step {
	return func(l *Ledger) ([]proto.Message, error) { return pay(id, debtor, amount, allocs(l)...)(l) }
}

func creditNote(num, debtor, doc string, net int64) step {
	return func(l *Ledger) ([]proto.Message, error) {
		id := ""
		if doc != "" {
			id = itemID(l, doc)
		}
		return l.IssueCreditNote(&ledgerv1.IssueCreditNote{
			Tenant: tenant, IdempotencyKey: "credit-note:" + num, CreditNoteNumber: num, DebtorId: debtor, OpenItemId: id,
			Currency: "EUR", Vat: vat19(net), Gross: eur(gross19(net)), IssueDate: date(2026, 11, 10),
		}, origin())
	}
}

func charge(doc, debtor, claimDoc string, kind ledgerv1.ChargeKind, amount int64) step {
	return func(l *Ledger) ([]proto.Message, error) {
		claim := ""
		if claimDoc != "" {
			claim = itemID(l, claimDoc)
		}
		return l.AssessCharge(&ledgerv1.AssessCharge{
			Tenant: tenant, IdempotencyKey: "charge:" + doc, DocumentNumber: doc, DebtorId: debtor, ClaimOpenItemId: claim,
			Kind: kind, Amount: eur(amount), AssessedDate: date(2026, 11, 17), DueDate: date(2026, 11, 24),
		}, "", origin())
	}
}

func writeOff(id, doc string, amount int64) step {
	return func(l *Ledger) ([]proto.Message, error) {
		return l.WriteOff(&ledgerv1.WriteOff{
			Tenant: tenant, IdempotencyKey: "write-off:" + id, WriteOffId: id, OpenItemId: itemID(l, doc), Amount: eur(amount),
			WriteOffDate: date(2026, 11, 19), Reason: "insolvent",
		}, origin())
	}
}

func returnPayment(id string, kind ledgerv1.ReturnKind) step {
	return func(l *Ledger) ([]proto.Message, error) {
		return l.ReturnPayment(&ledgerv1.ReturnPayment{
			Tenant: tenant, IdempotencyKey: "return:" + id, PaymentId: id, Kind: kind, ReturnDate: date(2026, 11, 19),
		}, origin())
	}
}

func reverse(entryID func(l *Ledger) string) step {
	return func(l *Ledger) ([]proto.Message, error) {
		id := entryID(l)
		return l.ReverseEntry(&ledgerv1.ReverseEntry{Tenant: tenant, IdempotencyKey: "reverse:" + id, EntryId: id, Reason: "wrong debtor"}, origin())
	}
}

func entryOf(doc string) func(l *Ledger) string {
	return func(l *Ledger) string {
		for _, e := range l.Entries() {
			if e.DocumentNumber == doc && e.Reverses == "" {
				return e.ID
			}
		}
		return "missing:" + doc
	}
}

func closePeriod(y int, m time.Month, o Origin) step {
	return func(l *Ledger) ([]proto.Message, error) {
		return l.ClosePeriod(&ledgerv1.ClosePeriod{Tenant: tenant, IdempotencyKey: "close:" + Period{y, m}.String(), Year: int32(y), Month: int32(m), Reason: "month end"}, o)
	}
}

func reopenPeriod(y int, m time.Month, o Origin) step {
	return func(l *Ledger) ([]proto.Message, error) {
		return l.ReopenPeriod(&ledgerv1.ReopenPeriod{Tenant: tenant, IdempotencyKey: "reopen:" + Period{y, m}.String(), Year: int32(y), Month: int32(m), Reason: "late invoice"}, o)
	}
}

// TestCommands reads as: given these commands were booked, when this one
// is decided, then it fails with wantErr, or the open items and account
// balances afterwards are these.
func TestCommands(t *testing.T) {
	t.Parallel()
	due := date(2026, 11, 16)
	re1 := invoice("RE-1", "C-1", 10000, due) // 119.00
	re2 := invoice("RE-2", "C-1", 5000, date(2026, 11, 30))
	tests := []struct {
		name     string
		given    []step
		when     step
		wantErr  error
		wantOpen map[string]int64
		wantBal  map[string]int64
	}{
		{
			name: "invoice opens an item over the gross amount", when: re1,
			wantOpen: map[string]int64{"invoice:RE-1": 11900},
			wantBal:  map[string]int64{"10000": 11900, "8400": -10000, "1776": -1900},
		},
		{
			name: "same invoice number under another key is a duplicate", given: []step{re1},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.RegisterInvoice(&ledgerv1.RegisterInvoice{
					Tenant: tenant, IdempotencyKey: "other", InvoiceNumber: "RE-1", DebtorId: "C-1", Currency: "EUR",
					Vat: vat19(100), Gross: eur(119), IssueDate: date(2026, 11, 2), DueDate: due,
				}, "10000", origin())
			},
			wantErr: ErrDuplicateDocument,
		},
		{
			name: "same key with other content is a conflict", given: []step{re1},
			when:    invoice("RE-1", "C-1", 10001, due),
			wantErr: ErrIdempotencyConflict,
		},
		{
			name: "gross that is not net plus VAT is rejected",
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.RegisterInvoice(&ledgerv1.RegisterInvoice{
					Tenant: tenant, IdempotencyKey: "k", InvoiceNumber: "RE-9", DebtorId: "C-1", Currency: "EUR",
					Vat: vat19(100), Gross: eur(120), IssueDate: date(2026, 11, 2), DueDate: due,
				}, "10000", origin())
			},
			wantErr: ErrInvalidCommand,
		},
		{
			name: "an unknown debtor without an assigned account is rejected", when: pay("P-1", "C-9", 100),
			wantErr: ErrUnknownDebtor,
		},
		{
			name: "invoice dated in a closed period is rejected", given: []step{closePeriod(2026, time.November, cfo())},
			when: re1, wantErr: ErrPeriodClosed,
		},
		{
			name:  "a period can be booked again after it is reopened",
			given: []step{closePeriod(2026, time.November, cfo()), reopenPeriod(2026, time.November, cfo())},
			when:  re1, wantOpen: map[string]int64{"invoice:RE-1": 11900},
		},
		{
			name: "only an authorised actor closes a period", when: closePeriod(2026, time.October, origin()),
			wantErr: ErrNotAuthorised,
		},
		{
			name: "reopening an open period is rejected", when: reopenPeriod(2026, time.October, cfo()),
			wantErr: ErrPeriodState,
		},
		{
			name: "lump-sum payment with allocations clears exactly those", given: []step{re1, re2},
			when: payWith("P-1", "C-1", 12000, func(l *Ledger) []*ledgerv1.Allocation {
				return []*ledgerv1.Allocation{alloc(l, "RE-1", 6000), alloc(l, "RE-2", 5950)}
			}),
			wantOpen: map[string]int64{"invoice:RE-1": 5900, "invoice:RE-2": 0, "credit_balance:P-1": -50},
			wantBal:  map[string]int64{"10000": 5850, "1200": 12000, "8400": -15000, "1776": -2850},
		},
		{
			name: "allocation to another debtor's item is rejected", given: []step{re1, invoice("RE-3", "C-2", 100, due)},
			when: payWith("P-1", "C-1", 100, func(l *Ledger) []*ledgerv1.Allocation {
				return []*ledgerv1.Allocation{alloc(l, "RE-3", 100)}
			}),
			wantErr: ErrInvalidAllocation,
		},
		{
			name: "allocation of more than is open is rejected", given: []step{re1},
			when: payWith("P-1", "C-1", 20000, func(l *Ledger) []*ledgerv1.Allocation {
				return []*ledgerv1.Allocation{alloc(l, "RE-1", 11901)}
			}),
			wantErr: ErrInvalidAllocation,
		},
		{
			name: "allocations summing to more than the payment are rejected", given: []step{re1, re2},
			when: payWith("P-1", "C-1", 100, func(l *Ledger) []*ledgerv1.Allocation {
				return []*ledgerv1.Allocation{alloc(l, "RE-1", 60), alloc(l, "RE-2", 41)}
			}),
			wantErr: ErrInvalidAllocation,
		},
		{
			name:     "overpayment becomes a credit balance that the next invoice consumes",
			given:    []step{re1, pay("P-1", "C-1", 20000)},
			when:     re2,
			wantOpen: map[string]int64{"invoice:RE-1": 0, "credit_balance:P-1": -2150, "invoice:RE-2": 0},
			wantBal:  map[string]int64{"10000": -2150, "1200": 20000, "8400": -15000, "1776": -2850},
		},
		{
			name: "without allocations costs, then interest, then principal of the claim due first (§366, §367 BGB)",
			given: []step{re2, re1,
				charge("M-1", "C-1", "RE-1", ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE, 500),
				charge("Z-1", "C-1", "RE-1", ledgerv1.ChargeKind_CHARGE_KIND_DEFAULT_INTEREST, 100)},
			when:     pay("P-1", "C-1", 700),
			wantOpen: map[string]int64{"invoice:RE-1": 11800, "invoice:RE-2": 5950, "dunning_fee:M-1": 0, "default_interest:Z-1": 0},
		},
		{
			name:  "without allocations a claim the payer named comes first",
			given: []step{re1, re2},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.ApplyPayment(&ledgerv1.ApplyPayment{
					Tenant: tenant, IdempotencyKey: "p", PaymentId: "P-1", DebtorId: "C-1", Amount: eur(5950),
					ValueDate: date(2026, 11, 18), Iban: iban, NamedReferences: []string{"RE-2"},
				}, origin())
			},
			wantOpen: map[string]int64{"invoice:RE-1": 11900, "invoice:RE-2": 0},
		},
		{
			name: "cash discount reduces revenue and VAT in proportion", given: []step{re1},
			when: payWith("P-1", "C-1", 11662, func(l *Ledger) []*ledgerv1.Allocation {
				return []*ledgerv1.Allocation{{OpenItemId: itemID(l, "RE-1"), Amount: eur(11662), CashDiscount: eur(238)}}
			}),
			wantOpen: map[string]int64{"invoice:RE-1": 0},
			wantBal:  map[string]int64{"1200": 11662, "8736": 200, "8400": -10000, "1776": -1862},
		},
		{
			name:  "payment fees are an expense and the bank gets the rest",
			given: []step{re1},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.ApplyPayment(&ledgerv1.ApplyPayment{
					Tenant: tenant, IdempotencyKey: "p", PaymentId: "P-1", DebtorId: "C-1", Amount: eur(11900),
					ValueDate: date(2026, 11, 18), ClearingAccount: "paypal", Fees: []*ledgerv1.Fee{{Kind: "paypal", Amount: eur(300)}},
				}, origin())
			},
			wantOpen: map[string]int64{"invoice:RE-1": 0},
			wantBal:  map[string]int64{"1363": 11600, "4970": 300, "8400": -10000, "1776": -1900},
		},
		{
			name:  "a marketplace reserve withheld is a receivable, one released lowers it, and the entry balances",
			given: []step{re1},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.ApplyPayment(&ledgerv1.ApplyPayment{
					Tenant: tenant, IdempotencyKey: "p", PaymentId: "P-1", DebtorId: "C-1", Amount: eur(11900),
					ValueDate: date(2026, 11, 18), ClearingAccount: "paypal", Fees: []*ledgerv1.Fee{
						{Kind: "Commission", Amount: eur(1500)},
						{Kind: FeeKindMarketplaceReserve, Amount: eur(1000)},
						{Kind: FeeKindMarketplaceReserve, Amount: eur(-305)},
					},
				}, origin())
			},
			wantOpen: map[string]int64{"invoice:RE-1": 0},
			wantBal:  map[string]int64{"1363": 9705, "4970": 1500, "1369": 695, "8400": -10000, "1776": -1900},
		},
		{
			name:  "a negative amount of an ordinary fee kind is still refused",
			given: []step{re1},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.ApplyPayment(&ledgerv1.ApplyPayment{
					Tenant: tenant, IdempotencyKey: "p", PaymentId: "P-1", DebtorId: "C-1", Amount: eur(11900),
					ValueDate: date(2026, 11, 18), ClearingAccount: "paypal", Fees: []*ledgerv1.Fee{{Kind: "reserve", Amount: eur(-305)}},
				}, origin())
			},
			wantErr: ErrInvalidCommand,
		},
		{
			name:  "a marketplace reserve of zero is refused",
			given: []step{re1},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.ApplyPayment(&ledgerv1.ApplyPayment{
					Tenant: tenant, IdempotencyKey: "p", PaymentId: "P-1", DebtorId: "C-1", Amount: eur(11900),
					ValueDate: date(2026, 11, 18), ClearingAccount: "paypal", Fees: []*ledgerv1.Fee{{Kind: FeeKindMarketplaceReserve, Amount: eur(0)}},
				}, origin())
			},
			wantErr: ErrInvalidCommand,
		},
		{
			name: "credit note reverses revenue and VAT and clears the invoice; the excess is a credit balance",
			given: []step{re1, payWith("P-1", "C-1", 10000, func(l *Ledger) []*ledgerv1.Allocation {
				return []*ledgerv1.Allocation{alloc(l, "RE-1", 10000)}
			})},
			when:     creditNote("GS-1", "C-1", "RE-1", 5000),
			wantOpen: map[string]int64{"invoice:RE-1": 0, "credit_balance:GS-1": -4050},
			wantBal:  map[string]int64{"10000": -4050, "1200": 10000, "8400": -5000, "1776": -950},
		},
		{
			name: "write-off corrects output VAT (§17 UStG)", given: []step{re1},
			when:     writeOff("W-1", "RE-1", 11900),
			wantOpen: map[string]int64{"invoice:RE-1": 0},
			wantBal:  map[string]int64{"2406": 10000, "8400": -10000},
		},
		{
			name:  "recovery of a written-off item reverses the VAT correction",
			given: []step{re1, writeOff("W-1", "RE-1", 11900)},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.RecoverWrittenOff(&ledgerv1.RecoverWrittenOff{
					Tenant: tenant, IdempotencyKey: "r", RecoveryId: "R-1", OpenItemId: itemID(l, "RE-1"), Amount: eur(5950),
					ValueDate: date(2026, 11, 25), Iban: iban,
				}, origin())
			},
			wantOpen: map[string]int64{"invoice:RE-1": 0},
			wantBal:  map[string]int64{"1200": 5950, "2406": 10000, "2732": -5000, "1776": -950, "8400": -10000},
		},
		{
			name: "recovery of more than was written off is rejected", given: []step{re1, writeOff("W-1", "RE-1", 100)},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.RecoverWrittenOff(&ledgerv1.RecoverWrittenOff{
					Tenant: tenant, IdempotencyKey: "r", RecoveryId: "R-1", OpenItemId: itemID(l, "RE-1"), Amount: eur(101),
					ValueDate: date(2026, 11, 25), Iban: iban,
				}, origin())
			},
			wantErr: ErrExceedsOpen,
		},
		{
			name:     "a returned debit reopens what the payment cleared, including what its credit balance cleared since",
			given:    []step{re1, pay("P-1", "C-1", 20000), re2},
			when:     returnPayment("P-1", ledgerv1.ReturnKind_RETURN_KIND_RETURNED_DEBIT),
			wantOpen: map[string]int64{"invoice:RE-1": 11900, "invoice:RE-2": 5950, "credit_balance:P-1": 0},
			wantBal:  map[string]int64{"10000": 17850, "8400": -15000, "1776": -2850},
		},
		{
			name:  "a payment returned twice is rejected",
			given: []step{re1, pay("P-1", "C-1", 100), returnPayment("P-1", ledgerv1.ReturnKind_RETURN_KIND_CHARGEBACK)},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.ReturnPayment(&ledgerv1.ReturnPayment{
					Tenant: tenant, IdempotencyKey: "again", PaymentId: "P-1", Kind: ledgerv1.ReturnKind_RETURN_KIND_CHARGEBACK, ReturnDate: date(2026, 11, 20),
				}, origin())
			},
			wantErr: ErrAlreadyReversed,
		},
		{
			name: "reversing an unsettled invoice cancels its item", given: []step{re1},
			when:     reverse(entryOf("RE-1")),
			wantOpen: map[string]int64{"invoice:RE-1": 0},
			wantBal:  map[string]int64{},
		},
		{
			name:  "reversing a paid invoice is rejected until the payment is reversed",
			given: []step{re1, pay("P-1", "C-1", 100)},
			when:  reverse(entryOf("RE-1")), wantErr: ErrItemSettled,
		},
		{
			name:     "reversing a write-off reopens the item and restores the VAT",
			given:    []step{re1, writeOff("W-1", "RE-1", 11900)},
			when:     reverse(entryOf("W-1")),
			wantOpen: map[string]int64{"invoice:RE-1": 11900},
			wantBal:  map[string]int64{"10000": 11900, "8400": -10000, "1776": -1900},
		},
		{
			name:  "agency collection credits the debtor with what was collected, commission is a cost",
			given: []step{re1},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.RecordAgencyCollection(&ledgerv1.RecordAgencyCollection{
					Tenant: tenant, IdempotencyKey: "a", CollectionId: "I-1", Agency: "agency", DebtorId: "C-1",
					Collected: eur(11900), Commission: eur(1000), CollectedDate: date(2026, 11, 25),
				}, origin())
			},
			wantOpen: map[string]int64{"invoice:RE-1": 0},
			wantBal:  map[string]int64{"1362": 10900, "4950": 1000, "8400": -10000, "1776": -1900},
		},
		{
			name:  "agency collection: input VAT on the commission is deductible, recovered costs and interest are income without VAT",
			given: []step{re1},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.RecordAgencyCollection(&ledgerv1.RecordAgencyCollection{
					Tenant: tenant, IdempotencyKey: "a", CollectionId: "I-1", Agency: "agency", DebtorId: "C-1",
					Collected: eur(12400), Commission: eur(1000), CommissionInputVat: eur(190), RecoveredCosts: eur(300),
					RecoveredInterest: eur(200), CollectedDate: date(2026, 11, 25),
				}, origin())
			},
			wantOpen: map[string]int64{"invoice:RE-1": 0},
			wantBal: map[string]int64{"1362": 11210, "4950": 1000, "1576": 190, "2700": -300, "2650": -200, "8400": -10000,
				"1776": -1900},
		},
		{
			name:  "agency collection: commission with its input VAT beyond what was collected is rejected",
			given: []step{re1},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.RecordAgencyCollection(&ledgerv1.RecordAgencyCollection{
					Tenant: tenant, IdempotencyKey: "a", CollectionId: "I-1", Agency: "agency", DebtorId: "C-1",
					Collected: eur(1000), Commission: eur(900), CommissionInputVat: eur(171), CollectedDate: date(2026, 11, 25),
				}, origin())
			},
			wantErr: ErrInvalidCommand,
		},
		{
			name:  "a credit balance is paid out",
			given: []step{re1, pay("P-1", "C-1", 12000)},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.PayOutCreditBalance(&ledgerv1.PayOutCreditBalance{
					Tenant: tenant, IdempotencyKey: "o", PayoutId: "O-1", DebtorId: "C-1", OpenItemId: itemID(l, "P-1"),
					Amount: eur(100), PayoutDate: date(2026, 11, 26), Iban: iban,
				}, origin())
			},
			wantOpen: map[string]int64{"invoice:RE-1": 0, "credit_balance:P-1": 0},
			wantBal:  map[string]int64{"1200": 11900, "8400": -10000, "1776": -1900},
		},
		{
			name:  "a credit balance whose transfer the statement booked is paid out from unidentified payments",
			given: []step{re1, pay("P-1", "C-1", 12000)},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.PayOutCreditBalance(&ledgerv1.PayOutCreditBalance{
					Tenant: tenant, IdempotencyKey: "o", PayoutId: "O-1", DebtorId: "C-1", OpenItemId: itemID(l, "P-1"),
					Amount: eur(100), PayoutDate: date(2026, 11, 26), ClearingAccount: "unidentified-payments",
				}, origin())
			},
			wantOpen: map[string]int64{"invoice:RE-1": 0, "credit_balance:P-1": 0},
			wantBal:  map[string]int64{"1200": 12000, "1599": -100, "8400": -10000, "1776": -1900},
		},
		{
			name:  "a payout naming both a bank and a clearing account is refused",
			given: []step{re1, pay("P-1", "C-1", 12000)},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.PayOutCreditBalance(&ledgerv1.PayOutCreditBalance{
					Tenant: tenant, IdempotencyKey: "o", PayoutId: "O-1", DebtorId: "C-1", OpenItemId: itemID(l, "P-1"),
					Amount: eur(100), PayoutDate: date(2026, 11, 26), Iban: iban, ClearingAccount: "unidentified-payments",
				}, origin())
			},
			wantErr: ErrInvalidCommand,
		},
		{
			name: "a marketplace order is a receivable against the marketplace, not dunned",
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.RegisterInvoice(&ledgerv1.RegisterInvoice{
					Tenant: tenant, IdempotencyKey: "mp", InvoiceNumber: "RE-A", DebtorId: "buyer-7", OrderId: "302-1", Currency: "EUR",
					Vat: vat19(100), Gross: eur(119), IssueDate: date(2026, 11, 2), DueDate: due, Marketplace: "amazon",
				}, "", origin())
			},
			wantOpen: map[string]int64{"invoice:RE-A": 119},
			wantBal:  map[string]int64{"69000": 119, "8400": -100, "1776": -19},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := given(t, tt.given...)
			_, err := run(t, l, tt.when)
			if tt.wantErr != nil || err != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if tt.wantOpen != nil {
				if diff := cmp.Diff(tt.wantOpen, openByDocument(l)); diff != "" {
					t.Errorf("open items (-want +got):\n%s", diff)
				}
			}
			if tt.wantBal != nil {
				if diff := cmp.Diff(tt.wantBal, balances(l)); diff != "" {
					t.Errorf("balances (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestCreditBalanceNamesTheItemItsCreditNoteCredited: the credit balance a
// credit note opens beyond the open amount of the item it names carries
// that item (so that refund import can tell the order a shop credited
// after its marketplace refund was booked); one of a credit note naming
// no item, or of an overpayment, carries none. The books read it back
// from the event.
func TestCreditBalanceNamesTheItemItsCreditNoteCredited(t *testing.T) {
	t.Parallel()
	re1 := invoice("RE-1", "C-1", 10000, date(2026, 11, 16)) // 119.00
	pay := payWith("P-1", "C-1", 11900+500, func(l *Ledger) []*ledgerv1.Allocation {
		return []*ledgerv1.Allocation{alloc(l, "RE-1", 11900)}
	})
	for _, tc := range []struct {
		name     string
		given    []step
		when     step
		doc      string
		credited string // document of the credited item, "" for none
	}{
		{"credit note naming the paid invoice", []step{re1, payWith("P-1", "C-1", 11900, func(l *Ledger) []*ledgerv1.Allocation {
			return []*ledgerv1.Allocation{alloc(l, "RE-1", 11900)}
		})}, creditNote("GS-1", "C-1", "RE-1", 5000), "GS-1", "RE-1"},
		{"credit note naming no item", []step{re1, pay}, creditNote("GS-2", "C-1", "", 5000), "GS-2", ""},
		{"overpayment", []step{re1}, pay, "P-1", ""},
	} {
		l := given(t, tc.given...)
		evs, err := tc.when(l)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := ""
		if tc.credited != "" {
			want = itemID(l, tc.credited)
		}
		var opened *ledgerv1.OpenItemOpened
		for _, ev := range evs {
			if o, ok := ev.(*ledgerv1.OpenItemOpened); ok && o.GetKind() == KindCreditBalance && o.GetDocumentNumber() == tc.doc {
				opened = o
			}
		}
		if opened == nil {
			t.Fatalf("%s: no credit balance %s among %v", tc.name, tc.doc, names(evs))
		}
		if got := opened.GetCreditedOpenItemId(); got != want {
			t.Errorf("%s: credited_open_item_id %q, want %q", tc.name, got, want)
		}
		if err := l.Apply(evs...); err != nil {
			t.Fatal(err)
		}
		if it, ok := l.Item(opened.GetOpenItemId()); !ok || it.CreditedItem != want {
			t.Errorf("%s: books read back %+v, want CreditedItem %q", tc.name, it, want)
		}
	}
}
