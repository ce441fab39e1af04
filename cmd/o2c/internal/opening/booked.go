package opening

import (
	"fmt"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
)

// EntryText is how the posting text of the ledger's entry for an opening
// balance begins; the document number follows ("Saldenvortrag RE-1001",
// RecordOpeningBalance in services/ledger/internal/books). The journal shows
// it, and it is how a booked opening balance is told from an invoice with
// the same document number.
const EntryText = "Saldenvortrag "

// Booked is what the ledger's reports show of the opening balance booked
// under an item's idempotency key.
type Booked struct {
	// Amount is the amount booked on the debtor's personal account.
	Amount *commonv1.Money
	// BookingDate is the entry's effective date.
	BookingDate *commonv1.Date
	// Item is the open item as the ledger lists it, with its document and
	// due date and payment reference; nil when the ledger no longer lists
	// it (settled since), so those cannot be compared.
	Item *ledgerv1.OpenItem
}

// Differences returns what differs between cmd and what was booked under its
// key, one sentence each ("booked 119.00 EUR, the file says 120.00 EUR").
// None means the two agree in everything the ledger's reports show. They do
// not show the VAT split (vat_rate_bp, vat_amount), so a row that differs
// only there is not found here; the ledger still refuses it.
func Differences(cmd *ledgerv1.RecordOpeningBalance, b Booked) []string {
	var out []string
	if got, want := b.Amount, cmd.GetAmount(); got.GetMinorUnits() != want.GetMinorUnits() || got.GetCurrency() != want.GetCurrency() {
		out = append(out, fmt.Sprintf("booked %s, the file says %s", formatMoney(got), formatMoney(want)))
	}
	if !sameDate(b.BookingDate, cmd.GetBookingDate()) {
		out = append(out, fmt.Sprintf("booked on %s, --booking-date says %s", formatDate(b.BookingDate), formatDate(cmd.GetBookingDate())))
	}
	if b.Item == nil {
		return out
	}
	for _, d := range []struct {
		name         string
		booked, file *commonv1.Date
	}{{"document date", b.Item.GetDocumentDate(), cmd.GetDocumentDate()}, {"due date", b.Item.GetDueDate(), cmd.GetDueDate()}} {
		if !sameDate(d.booked, d.file) {
			out = append(out, fmt.Sprintf("%s: booked %s, the file says %s", d.name, formatDate(d.booked), formatDate(d.file)))
		}
	}
	if got, want := b.Item.GetPaymentReference(), cmd.GetPaymentReference(); got != want {
		out = append(out, fmt.Sprintf("payment reference: booked %q, the file says %q", got, want))
	}
	return out
}

func sameDate(a, b *commonv1.Date) bool {
	return a.GetYear() == b.GetYear() && a.GetMonth() == b.GetMonth() && a.GetDay() == b.GetDay()
}

// formatMoney writes an amount in its currency's decimals: "119.00 EUR".
func formatMoney(m *commonv1.Money) string {
	exp, ok := money.Exponent(m.GetCurrency())
	if !ok {
		exp = 2
	}
	return money.FormatMinor(m.GetMinorUnits(), exp) + " " + m.GetCurrency()
}
