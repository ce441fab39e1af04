package datev

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDebtorTextLimits fills each name and address field with umlauts up
// to DATEV's length, which counts characters (each umlaut is one byte in
// Windows-1252, two in UTF-8): the record round trips through the reader,
// and one character more is refused naming the field.
func TestDebtorTextLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		field string
		max   int
		set   func(*Debtor, string)
	}{
		{"Name (Adressattyp Unternehmen)", 50, func(d *Debtor, s string) { d.AddresseeType, d.CompanyName = "2", s }},
		{"Name (Adressattyp natürl. Person)", 30, func(d *Debtor, s string) { d.AddresseeType, d.LastName = "1", s }},
		{"Vorname (Adressattyp natürl. Person)", 30, func(d *Debtor, s string) { d.AddresseeType, d.FirstName = "1", s }},
		{"Name (Adressattyp keine Angabe)", 50, func(d *Debtor, s string) { d.AddresseeType, d.Name = "0", s }},
		{"Straße", 36, func(d *Debtor, s string) { d.Street = s }},
		{"Postleitzahl", 10, func(d *Debtor, s string) { d.PostalCode = s }},
		{"Ort", 30, func(d *Debtor, s string) { d.City = s }},
		{"E-Mail", 60, func(d *Debtor, s string) { d.Email = s }},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			t.Parallel()
			full := Debtor{Account: "10000"}
			tc.set(&full, strings.Repeat("ü", tc.max))
			_, got := readDebtors(t, writeDebtors(t, validDebtorHeader(), full))
			if diff := cmp.Diff([]Debtor{full}, got); diff != "" {
				t.Errorf("a field of %d umlauts (-want +got):\n%s", tc.max, diff)
			}

			over := Debtor{Account: "10000"}
			tc.set(&over, strings.Repeat("ü", tc.max+1))
			w, err := NewDebtorWriter(&strings.Builder{}, validDebtorHeader())
			if err != nil {
				t.Fatal(err)
			}
			var fe *FieldError
			if err := w.Write(over); !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("%d characters: err = %v, want a FieldError on %s", tc.max+1, err, tc.field)
			}
		})
	}
}
