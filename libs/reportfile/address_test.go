package reportfile_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/reportfile"
)

func TestAddressBlock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a    reportfile.Address
		home string
		want []string
	}{
		{"domestic", reportfile.Address{Name: "Erika  Mustermann", Lines: []string{"Heidestraße 17", " "}, PostalCode: "51147", City: "Köln", Country: "DE"}, "",
			[]string{"Erika Mustermann", "Heidestraße 17", "51147 Köln"}},
		{"abroad", reportfile.Address{Name: "Zoë Müller", Lines: []string{"Rue de Lausanne 9"}, PostalCode: "1201", City: "Genève", Country: "ch"}, "DE",
			[]string{"Zoë Müller", "Rue de Lausanne 9", "1201 Genève", "SCHWEIZ"}},
		{"abroad, a country without a name", reportfile.Address{Name: "A", City: "Reykjavík", Country: "IS"}, "DE",
			[]string{"A", "Reykjavík", "IS"}},
		{"home elsewhere", reportfile.Address{Name: "B", City: "Wien", Country: "AT"}, "AT", []string{"B", "Wien"}},
		{"six lines at most, street lines dropped first",
			reportfile.Address{Name: "C GmbH", Lines: []string{"z. Hd. Buchhaltung", "c/o D", "Gebäude 3", "Weg 1", "Hinterhaus"}, PostalCode: "1010", City: "Wien", Country: "AT"}, "",
			[]string{"C GmbH", "z. Hd. Buchhaltung", "c/o D", "Gebäude 3", "1010 Wien", "ÖSTERREICH"}},
		{"no name", reportfile.Address{Lines: []string{"Weg 1"}, City: "Ulm"}, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, reportfile.AddressBlock(tc.a, tc.home)); diff != "" {
				t.Errorf("AddressBlock (-want +got):\n%s", diff)
			}
		})
	}
}
