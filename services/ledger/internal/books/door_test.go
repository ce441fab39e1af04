package books

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/storable"
)

// refused fails tb unless err wraps ErrInvalidCommand and every one of
// causes, names field, and came without events.
func refused(tb testing.TB, evs []proto.Message, err error, field string, causes ...error) {
	tb.Helper()
	if evs != nil {
		tb.Errorf("events with an error: %v", evs)
	}
	if !errors.Is(err, ErrInvalidCommand) {
		tb.Fatalf("error = %v, want ErrInvalidCommand", err)
	}
	for _, c := range causes {
		if !errors.Is(err, c) {
			tb.Errorf("error = %v, want it to wrap %v", err, c)
		}
	}
	var ic *InvalidCommandError
	if errors.As(err, &ic); ic == nil || ic.Field != field {
		tb.Errorf("error = %v, want it to name the field %q", err, field)
	}
}

func openingBalance(doc, debtor string, amount int64) *ledgerv1.RecordOpeningBalance {
	return &ledgerv1.RecordOpeningBalance{
		Tenant: tenant, IdempotencyKey: "opening:" + strings.ToValidUTF8(strings.ReplaceAll(doc, "\x00", ""), ""), DocumentNumber: doc, DebtorId: debtor, Amount: eur(amount),
		DocumentDate: date(2025, 12, 1), DueDate: date(2025, 12, 31), BookingDate: date(2026, 1, 1),
	}
}

// Given any books, when a command carries a value PostgreSQL cannot store,
// then it is refused as invalid, naming the field, before anything is
// decided: the projection never sees it.
func TestCommandsRefuseWhatCannotBeStored(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		run   func(l *Ledger) ([]proto.Message, error)
		field string
	}{
		{"NUL in an opening balance's document number", func(l *Ledger) ([]proto.Message, error) {
			return l.RecordOpeningBalance(openingBalance("OB\x001", "C-1", 1000), "10000", origin())
		}, "document_number"},
		{"NUL in a charge's document number", func(l *Ledger) ([]proto.Message, error) {
			return l.AssessCharge(&ledgerv1.AssessCharge{
				Tenant: tenant, IdempotencyKey: "charge:M-1", DocumentNumber: "M\x00-1", DebtorId: "C-1",
				Kind: ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE, Amount: eur(500), AssessedDate: date(2026, 11, 17), DueDate: date(2026, 11, 24),
			}, "", origin())
		}, "document_number"},
		{"NUL in an invoice's debtor id", func(l *Ledger) ([]proto.Message, error) {
			return invoice("RE-9", "C\x00-1", 1000, date(2026, 11, 30))(l)
		}, "debtor_id"},
		{"NUL in an invoice number", func(l *Ledger) ([]proto.Message, error) {
			return l.RegisterInvoice(&ledgerv1.RegisterInvoice{
				Tenant: tenant, IdempotencyKey: "invoice:RE-9", InvoiceNumber: "RE\x00-9", DebtorId: "C-1", Currency: "EUR",
				Vat: vat19(1000), Gross: eur(gross19(1000)), IssueDate: date(2026, 11, 2), DueDate: date(2026, 11, 30),
			}, "10000", origin())
		}, "invoice_number"},
		{"NUL in the idempotency key", func(l *Ledger) ([]proto.Message, error) {
			cmd := openingBalance("OB-2", "C-1", 1000)
			cmd.IdempotencyKey = "opening:\x00"
			return l.RecordOpeningBalance(cmd, "10000", origin())
		}, "idempotency_key"},
		{"invalid UTF-8 in a payment's remittance", func(l *Ledger) ([]proto.Message, error) {
			return l.ApplyPayment(&ledgerv1.ApplyPayment{
				Tenant: tenant, IdempotencyKey: "payment:P-9", PaymentId: "P-9", DebtorId: "C-1", Amount: eur(100),
				ValueDate: date(2026, 11, 18), Iban: iban, Remittance: "RE-1 M\xfcller",
			}, origin())
		}, "remittance"},
		{"a 1,001-byte write-off reason", func(l *Ledger) ([]proto.Message, error) {
			return l.WriteOff(&ledgerv1.WriteOff{
				Tenant: tenant, IdempotencyKey: "write-off:W-9", WriteOffId: "W-9", OpenItemId: itemID(l, "RE-1"), Amount: eur(100),
				WriteOffDate: date(2026, 11, 19), Reason: strings.Repeat("x", storable.MaxStringBytes+1),
			}, origin())
		}, "reason"},
		{"an unknown return kind", func(l *Ledger) ([]proto.Message, error) {
			return l.ReturnPayment(&ledgerv1.ReturnPayment{
				Tenant: tenant, IdempotencyKey: "return:P-1", PaymentId: "P-1", Kind: 99, ReturnDate: date(2026, 11, 19),
			}, origin())
		}, "kind"},
		{"NUL in a merge reason", func(l *Ledger) ([]proto.Message, error) {
			evs, _, err := l.MergeOut(&ledgerv1.MergeDebtor{
				Tenant: tenant, IdempotencyKey: "merge:C-1", DebtorId: "C-1", IntoDebtorId: "C-2", MergeDate: date(2026, 11, 20), Reason: "twice\x00",
			}, origin())
			return evs, err
		}, "reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := given(t, invoice("RE-1", "C-1", 10000, date(2026, 11, 30)), pay("P-1", "C-1", 500))
			evs, err := tc.run(l)
			refused(t, evs, err, tc.field, storable.ErrNotStorable)
		})
	}
}

func TestCheckStorable(t *testing.T) {
	t.Parallel()
	err := CheckStorable(openingBalance("OB\x001", "C-1", 1))
	refused(t, nil, err, "document_number", storable.ErrNotStorable)
	if want := "invalid command: document_number: contains a NUL byte at offset 2"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if err := CheckStorable(openingBalance("OB-1", "C-1", 1)); err != nil {
		t.Errorf("CheckStorable(valid) = %v", err)
	}
}

// Given any books, when a command names a debtor in the namespace of the
// ledger's marketplace debtors as a debtor of its own, then it is refused:
// an own-shop invoice cannot land on Amazon's account. (A merge naming a
// marketplace debtor is refused with its own reason: merge_test.go.)
func TestCommandsRefuseReservedDebtorIDs(t *testing.T) {
	t.Parallel()
	amazon := MarketplaceDebtorID("amazon", "EUR")
	for _, tc := range []struct {
		name  string
		run   func(l *Ledger) ([]proto.Message, error)
		field string
	}{
		{"own-shop invoice on the marketplace debtor", func(l *Ledger) ([]proto.Message, error) {
			return invoice("RE-9", amazon, 1000, date(2026, 11, 30))(l)
		}, "debtor_id"},
		{"upper-case variant", func(l *Ledger) ([]proto.Message, error) {
			return invoice("RE-9", "MARKETPLACE:amazon:EUR", 1000, date(2026, 11, 30))(l)
		}, "debtor_id"},
		{"leading white space", func(l *Ledger) ([]proto.Message, error) {
			return invoice("RE-9", " marketplace:amazon:EUR", 1000, date(2026, 11, 30))(l)
		}, "debtor_id"},
		{"marketplace order whose buyer has a reserved id", func(l *Ledger) ([]proto.Message, error) {
			return l.RegisterInvoice(&ledgerv1.RegisterInvoice{
				Tenant: tenant, IdempotencyKey: "invoice:AMZ-9", InvoiceNumber: "AMZ-9", DebtorId: amazon, Currency: "EUR",
				Vat: vat19(1000), Gross: eur(gross19(1000)), IssueDate: date(2026, 11, 2), DueDate: date(2026, 11, 2), Marketplace: "amazon",
			}, "", origin())
		}, "debtor_id"},
		{"opening balance", func(l *Ledger) ([]proto.Message, error) {
			return l.RecordOpeningBalance(openingBalance("OB-9", amazon, 1000), "10009", origin())
		}, "debtor_id"},
		{"dunning fee", func(l *Ledger) ([]proto.Message, error) {
			return charge("M-9", amazon, "", ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE, 500)(l)
		}, "debtor_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := given(t, invoice("RE-1", "C-1", 10000, date(2026, 11, 30)))
			evs, err := tc.run(l)
			refused(t, evs, err, tc.field, ErrReservedDebtor)
		})
	}
}

// Given a marketplace order, which the ledger itself puts on the
// marketplace's debtor, when the marketplace pays it out, then the payment
// names that debtor and is booked: the reserved namespace is closed to new
// debtors, not to the one the marketplace field created.
func TestMarketplaceDebtorTakesPayments(t *testing.T) {
	t.Parallel()
	amazon := MarketplaceDebtorID("amazon", "EUR")
	l := given(t, func(l *Ledger) ([]proto.Message, error) {
		return l.RegisterInvoice(&ledgerv1.RegisterInvoice{
			Tenant: tenant, IdempotencyKey: "invoice:AMZ-1", InvoiceNumber: "AMZ-1", DebtorId: "buyer-1", Currency: "EUR",
			Vat: vat19(1000), Gross: eur(gross19(1000)), IssueDate: date(2026, 11, 2), DueDate: date(2026, 11, 2), Marketplace: "amazon",
		}, "", origin())
	})
	if _, err := run(t, l, func(l *Ledger) ([]proto.Message, error) {
		return l.ApplyPayment(&ledgerv1.ApplyPayment{
			Tenant: tenant, IdempotencyKey: "payout:1", PaymentId: "AMZ-PAYOUT-1", DebtorId: amazon, Amount: eur(gross19(1000)),
			ValueDate: date(2026, 11, 18), ClearingAccount: "amazon",
		}, origin())
	}); err != nil {
		t.Fatalf("payout on the marketplace debtor: %v", err)
	}
	if got := openByDocument(l)["invoice:AMZ-1"]; got != 0 {
		t.Errorf("AMZ-1 open = %d, want 0", got)
	}
}

// manyLines returns VAT lines at 0 % of at most maxAmount each that sum to
// 2^64 + want: wrapping int64 arithmetic sees want.
func manyLines(want int64) []*ledgerv1.VatAmount {
	var lines []*ledgerv1.VatAmount
	// 2^64 + want = 18446 · 10^15 + rest.
	const twoTo64Minus = 18446744073709551616 - 18446*1_000_000_000_000_000
	for range 18446 {
		lines = append(lines, &ledgerv1.VatAmount{RateBp: 0, Net: eur(maxAmount), Vat: eur(0)})
	}
	return append(lines, &ledgerv1.VatAmount{RateBp: 0, Net: eur(twoTo64Minus + want), Vat: eur(0)})
}

// Given any books, when a command's amounts are beyond the ledger's bound or
// sum beyond int64 (where wrapping arithmetic once saw a small, matching
// total and booked it), then it is refused as invalid.
func TestCommandsRefuseOverflow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		run    func(l *Ledger) ([]proto.Message, error)
		field  string
		causes []error
	}{
		{"VAT lines that wrap to the gross", func(l *Ledger) ([]proto.Message, error) {
			return l.RegisterInvoice(&ledgerv1.RegisterInvoice{
				Tenant: tenant, IdempotencyKey: "invoice:RE-9", InvoiceNumber: "RE-9", DebtorId: "C-1", Currency: "EUR",
				Vat: manyLines(100), Gross: eur(100), IssueDate: date(2026, 11, 2), DueDate: date(2026, 11, 30),
			}, "10000", origin())
		}, "vat", []error{money.ErrOverflow}},
		{"payment fees that wrap below the payment", func(l *Ledger) ([]proto.Message, error) {
			var fees []*ledgerv1.Fee
			for _, v := range manyLines(50) {
				fees = append(fees, &ledgerv1.Fee{Kind: "bank", Amount: v.GetNet()})
			}
			return l.ApplyPayment(&ledgerv1.ApplyPayment{
				Tenant: tenant, IdempotencyKey: "payment:P-9", PaymentId: "P-9", DebtorId: "C-1", Amount: eur(100),
				ValueDate: date(2026, 11, 18), Iban: iban, Fees: fees,
			}, origin())
		}, "fees", []error{money.ErrOverflow}},
		{"an invoice of 2·10^15", func(l *Ledger) ([]proto.Message, error) {
			return l.RegisterInvoice(&ledgerv1.RegisterInvoice{
				Tenant: tenant, IdempotencyKey: "invoice:RE-9", InvoiceNumber: "RE-9", DebtorId: "C-1", Currency: "EUR",
				Vat:   []*ledgerv1.VatAmount{{RateBp: 0, Net: eur(2 * money.MaxAbs), Vat: eur(0)}},
				Gross: eur(2 * money.MaxAbs), IssueDate: date(2026, 11, 2), DueDate: date(2026, 11, 30),
			}, "10000", origin())
		}, "gross", nil},
		{"an opening balance below -10^15", func(l *Ledger) ([]proto.Message, error) {
			return l.RecordOpeningBalance(openingBalance("OB-9", "C-1", -money.MaxAbs-1), "10000", origin())
		}, "amount", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := given(t, invoice("RE-1", "C-1", 10000, date(2026, 11, 30)))
			evs, err := tc.run(l)
			refused(t, evs, err, tc.field, tc.causes...)
		})
	}
}

func TestCheckBalancedOverflow(t *testing.T) {
	t.Parallel()
	leg := func(m int64) *ledgerv1.JournalLeg { return &ledgerv1.JournalLeg{Account: "1200", Amount: eur(m)} }
	e := &ledgerv1.JournalEntryPosted{EntryId: "e", Legs: []*ledgerv1.JournalLeg{leg(1 << 62), leg(1 << 62), leg(1 << 62), leg(1 << 62)}}
	err := CheckBalanced(e)
	if !errors.Is(err, ErrUnbalanced) || !errors.Is(err, money.ErrOverflow) {
		t.Errorf("legs summing to 2^64 (0 when wrapped): error = %v, want ErrUnbalanced and money.ErrOverflow", err)
	}
}

func TestSplitVAT(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		vat    []VAT
		amount int64
		want   []VAT
	}{
		{"19 % and 7 %", []VAT{{RateBP: 1900, Net: 10000, Tax: 1900}, {RateBP: 700, Net: 5000, Tax: 350}}, 1725,
			[]VAT{{RateBP: 1900, Net: 1000, Tax: 190}, {RateBP: 700, Net: 500, Tax: 35}}},
		{"no VAT lines: one tax-free part", nil, 500, []VAT{{RateBP: 0, Net: 500}}},
		// Each of these once came back as one tax-free part.
		{"lines whose sum wraps to zero", []VAT{{RateBP: 1900, Net: 1 << 62, Tax: 1 << 62}, {RateBP: 700, Net: 1 << 62, Tax: 1 << 62}}, 100, nil},
		{"a negative line", []VAT{{RateBP: 1900, Net: -5, Tax: 10}}, 100, nil},
		{"lines that carry nothing", []VAT{{RateBP: 1900}}, 100, nil},
		{"an amount beyond the bound", []VAT{{RateBP: 1900, Net: 100, Tax: 19}}, 2 * maxAmount, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := splitVAT(tc.vat, tc.amount, "EUR")
			if tc.want == nil {
				if !errors.Is(err, ErrVATSplit) || !errors.Is(err, ErrInvalidCommand) {
					t.Fatalf("splitVAT = %v, %v; want ErrVATSplit", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("splitVAT = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i].RateBP != tc.want[i].RateBP || got[i].Net != tc.want[i].Net || got[i].Tax != tc.want[i].Tax {
					t.Errorf("part %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// Given an invoice whose stored VAT lines cannot carry a proportional split
// (as an event stored before the ledger bounded amounts could hold), when
// part of it is written off, then the write-off is refused with ErrVATSplit
// instead of booking the whole amount as tax-free bad debt.
func TestWriteOffRefusesAFailedVATSplit(t *testing.T) {
	t.Parallel()
	l := New(tenant, testConfig())
	evs, err := invoice("RE-1", "C-1", 10000, date(2026, 11, 30))(l)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if o, ok := ev.(*ledgerv1.OpenItemOpened); ok {
			c := o.GetClassification()
			huge := func() *ledgerv1.VatAmount {
				return &ledgerv1.VatAmount{RateBp: 1900, Net: eur(1 << 62), Vat: eur(1 << 62)}
			}
			c.Vat = []*ledgerv1.VatAmount{huge(), huge()}
		}
	}
	if err := l.Apply(evs...); err != nil {
		t.Fatal(err)
	}
	before := len(l.Entries())
	evs, err = writeOff("W-1", "RE-1", 5000)(l)
	refused(t, evs, err, "amount", ErrVATSplit)
	if len(l.Entries()) != before {
		t.Error("a refused write-off changed the books")
	}
}
