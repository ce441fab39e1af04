package books

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// TestReasonsWriteMoneyWithCurrency: what the books refuse names amounts as
// a clerk reads them, never as bare minor units.
func TestReasonsWriteMoneyWithCurrency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		when func(l *Ledger) ([]proto.Message, error)
		want string
	}{
		{"write-off beyond what is open", func(l *Ledger) ([]proto.Message, error) {
			return l.WriteOff(&ledgerv1.WriteOff{Tenant: tenant, IdempotencyKey: "w", WriteOffId: "W-1", OpenItemId: itemID(l, "RE-1"),
				Amount: eur(99999), WriteOffDate: date(2026, 11, 25)}, origin())
		}, "write off 999.99 EUR of item"},
		{"allocation beyond what is open", func(l *Ledger) ([]proto.Message, error) {
			return pay("P-9", "C-1", 20000, alloc(l, "RE-1", 20000))(l)
		}, "allocates 200.00 EUR, only 119.00 EUR open"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := given(t, invoice("RE-1", "C-1", 10000, date(2026, 12, 1)))
			_, err := tc.when(l)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to say %q", err, tc.want)
			}
		})
	}
}
