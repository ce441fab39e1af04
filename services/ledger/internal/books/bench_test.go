package books

import (
	"fmt"
	"testing"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// BenchmarkInvoiceAndPayment decides and applies one invoice and its
// payment per iteration on books of 100 debtors, including the content hash
// and event construction; storage is not part of it.
func BenchmarkInvoiceAndPayment(b *testing.B) {
	l := New(tenant, testConfig())
	o := origin()
	i := 0
	for b.Loop() {
		i++
		debtor := fmt.Sprintf("D-%d", i%100)
		num := fmt.Sprintf("RE-%d", i)
		evs, err := l.RegisterInvoice(&ledgerv1.RegisterInvoice{
			Tenant: tenant, IdempotencyKey: "invoice:" + num, InvoiceNumber: num, DebtorId: debtor, Currency: "EUR",
			Vat: vat19(10000), Gross: eur(11900), IssueDate: date(2026, 11, 2), DueDate: date(2026, 11, 16),
		}, fmt.Sprint(10000+i%100), o)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Apply(evs...); err != nil {
			b.Fatal(err)
		}
		evs, err = l.ApplyPayment(&ledgerv1.ApplyPayment{
			Tenant: tenant, IdempotencyKey: "payment:" + num, PaymentId: num, DebtorId: debtor, Amount: eur(11900),
			ValueDate: date(2026, 11, 18), Iban: iban,
		}, o)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Apply(evs...); err != nil {
			b.Fatal(err)
		}
	}
}
