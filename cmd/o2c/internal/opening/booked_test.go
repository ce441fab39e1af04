package opening

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

func TestDifferences(t *testing.T) {
	t.Parallel()
	dec1, dec31 := &commonv1.Date{Year: 2025, Month: 12, Day: 1}, &commonv1.Date{Year: 2025, Month: 12, Day: 31}
	cmd := &ledgerv1.RecordOpeningBalance{DebtorId: "K-1", DocumentNumber: "RE-1001", Amount: eur(12000), BookingDate: booking,
		DocumentDate: dec1, DueDate: dec31, PaymentReference: "RE-1001"}
	item := &ledgerv1.OpenItem{DocumentNumber: "RE-1001", Amount: eur(12000), DocumentDate: dec1, DueDate: dec31, PaymentReference: "RE-1001"}
	tests := []struct {
		name   string
		booked Booked
		want   []string
	}{
		{"the same", Booked{Amount: eur(12000), BookingDate: booking, Item: item}, nil},
		{"settled since: amount and date agree", Booked{Amount: eur(12000), BookingDate: booking}, nil},
		{"amount", Booked{Amount: eur(11900), BookingDate: booking, Item: item},
			[]string{"booked 119.00 EUR, the file says 120.00 EUR"}},
		{"currency", Booked{Amount: &commonv1.Money{MinorUnits: 12000, Currency: "CHF"}, BookingDate: booking},
			[]string{"booked 120.00 CHF, the file says 120.00 EUR"}},
		{"booking date", Booked{Amount: eur(12000), BookingDate: dec31, Item: item},
			[]string{"booked on 2025-12-31, --booking-date says 2026-01-01"}},
		{"dates and reference", Booked{Amount: eur(12000), BookingDate: booking,
			Item: &ledgerv1.OpenItem{DocumentDate: dec31, DueDate: dec1, PaymentReference: "X"}},
			[]string{"document date: booked 2025-12-31, the file says 2025-12-01", "due date: booked 2025-12-01, the file says 2025-12-31",
				`payment reference: booked "X", the file says "RE-1001"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Differences(cmd, tc.booked)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
