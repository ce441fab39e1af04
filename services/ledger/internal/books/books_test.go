package books

import (
	"errors"
	"testing"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func TestCheckBalanced(t *testing.T) {
	t.Parallel()
	e := &ledgerv1.JournalEntryPosted{Legs: []*ledgerv1.JournalLeg{{Amount: eur(100)}, {Amount: eur(-99)}}}
	if err := CheckBalanced(e); !errors.Is(err, ErrUnbalanced) {
		t.Fatalf("err = %v, want ErrUnbalanced", err)
	}
	e.Legs[1].Amount = eur(-100)
	if err := CheckBalanced(e); err != nil {
		t.Fatal(err)
	}
}
