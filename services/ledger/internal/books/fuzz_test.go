package books

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// FuzzCommands decodes arbitrary bytes as one of the commands and decides
// it against books holding two invoices, a payment and a closed period. No
// input may panic; a rejected command changes nothing; an accepted one must
// apply cleanly and keep every invariant.
func FuzzCommands(f *testing.F) {
	seeds := []struct {
		kind byte
		m    proto.Message
	}{
		{0, &ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "p", PaymentId: "P-9", DebtorId: "C-1", Amount: eur(5000), ValueDate: date(2026, 11, 18), Iban: iban}},
		{1, &ledgerv1.IssueCreditNote{Tenant: tenant, IdempotencyKey: "c", CreditNoteNumber: "GS-9", DebtorId: "C-1", Currency: "EUR", Vat: vat19(100), Gross: eur(119), IssueDate: date(2026, 11, 19)}},
		{2, &ledgerv1.WriteOff{Tenant: tenant, IdempotencyKey: "w", WriteOffId: "W-9", Amount: eur(10), WriteOffDate: date(2026, 11, 19)}},
		{3, &ledgerv1.ReturnPayment{Tenant: tenant, IdempotencyKey: "r", PaymentId: "P-1", Kind: ledgerv1.ReturnKind_RETURN_KIND_CHARGEBACK, ReturnDate: date(2026, 11, 20)}},
		{4, &ledgerv1.RegisterInvoice{Tenant: tenant, IdempotencyKey: "i", InvoiceNumber: "RE-9", DebtorId: "C-1", Currency: "EUR", Vat: vat19(100), Gross: eur(119), IssueDate: date(2026, 11, 2), DueDate: date(2026, 11, 9)}},
		{5, &ledgerv1.AssessCharge{Tenant: tenant, IdempotencyKey: "a", DocumentNumber: "M-9", DebtorId: "C-1", Kind: ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE, Amount: eur(500), AssessedDate: date(2026, 11, 17), DueDate: date(2026, 11, 24)}},
		{6, &ledgerv1.ClosePeriod{Tenant: tenant, IdempotencyKey: "cl", Year: 2026, Month: 11, Reason: "x"}},
		{7, &ledgerv1.RecordOpeningBalance{Tenant: tenant, IdempotencyKey: "o", DocumentNumber: "A-1", DebtorId: "C-1", Amount: eur(-100), DocumentDate: date(2025, 1, 1), DueDate: date(2025, 1, 1), BookingDate: date(2026, 1, 1)}},
		{8, receipt("T-9", -500)},
		{9, statement("S-9", 100500, new(int64(100000)))},
	}
	for _, s := range seeds {
		b, err := proto.Marshal(s.m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s.kind, b)
	}
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		l := given(t,
			invoice("RE-1", "C-1", 10000, date(2026, 11, 16)),
			invoice("RE-2", "C-1", 5000, date(2026, 11, 30)),
			pay("P-1", "C-1", 20000),
			closePeriod(2026, time.October, cfo()),
		)
		before := len(l.Entries())
		var evs []proto.Message
		var err error
		switch kind % 10 {
		case 0:
			cmd := &ledgerv1.ApplyPayment{}
			if proto.Unmarshal(data, cmd) != nil {
				return
			}
			evs, err = l.ApplyPayment(cmd, origin())
		case 1:
			cmd := &ledgerv1.IssueCreditNote{}
			if proto.Unmarshal(data, cmd) != nil {
				return
			}
			cmd.OpenItemId = fuzzItem(l, cmd.GetOpenItemId())
			evs, err = l.IssueCreditNote(cmd, origin())
		case 2:
			cmd := &ledgerv1.WriteOff{}
			if proto.Unmarshal(data, cmd) != nil {
				return
			}
			cmd.OpenItemId = fuzzItem(l, cmd.GetOpenItemId())
			evs, err = l.WriteOff(cmd, origin())
		case 3:
			cmd := &ledgerv1.ReturnPayment{}
			if proto.Unmarshal(data, cmd) != nil {
				return
			}
			evs, err = l.ReturnPayment(cmd, origin())
		case 4:
			cmd := &ledgerv1.RegisterInvoice{}
			if proto.Unmarshal(data, cmd) != nil {
				return
			}
			evs, err = l.RegisterInvoice(cmd, "10003", origin())
		case 5:
			cmd := &ledgerv1.AssessCharge{}
			if proto.Unmarshal(data, cmd) != nil {
				return
			}
			cmd.ClaimOpenItemId = fuzzItem(l, cmd.GetClaimOpenItemId())
			evs, err = l.AssessCharge(cmd, "", origin())
		case 6:
			cmd := &ledgerv1.ClosePeriod{}
			if proto.Unmarshal(data, cmd) != nil {
				return
			}
			evs, err = l.ClosePeriod(cmd, cfo())
		case 7:
			cmd := &ledgerv1.RecordOpeningBalance{}
			if proto.Unmarshal(data, cmd) != nil {
				return
			}
			evs, err = l.RecordOpeningBalance(cmd, "10004", origin())
		case 8:
			cmd := &ledgerv1.RecordBankTransaction{}
			if proto.Unmarshal(data, cmd) != nil {
				return
			}
			evs, err = l.RecordBankTransaction(cmd, origin())
		case 9:
			cmd := &ledgerv1.RecordStatementBalance{}
			if proto.Unmarshal(data, cmd) != nil {
				return
			}
			evs, err = l.RecordStatementBalance(cmd, AccountHistory{}, origin())
		}
		if err != nil {
			if evs != nil {
				t.Fatalf("events with an error: %v", err)
			}
			if errors.Is(err, ErrInvariant) {
				t.Fatalf("invariant error from a command: %v", err)
			}
			if len(l.Entries()) != before {
				t.Fatal("a rejected command changed the books")
			}
			return
		}
		if err := l.Apply(evs...); err != nil {
			t.Fatalf("apply: %v", err)
		}
		if err := l.Check(); err != nil {
			t.Fatalf("invariants: %v", err)
		}
	})
}

// fuzzItem maps a fuzzed item reference onto a real item when it names a
// document number ("RE-1"), so that the fuzzer reaches the allocation code.
func fuzzItem(l *Ledger, ref string) string {
	if ref == "" {
		return ""
	}
	for _, it := range l.Items() {
		if it.DocumentNumber == ref {
			return it.ID
		}
	}
	return ref
}
