package datev

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	extf "github.com/o2c-platform/o2c/libs/formats/datev"
)

// masterDataCases are debtors with their profiles and the records DATEV
// reads back from the master data file.
var masterDataCases = []struct {
	name   string
	debtor Debtor
	want   extf.Debtor
}{
	{
		name: "company with address, e-mail and language",
		debtor: Debtor{Account: "10000", DebtorID: "C-100", Profile: &Profile{Business: true, Name: "Müller & Söhne GmbH",
			Street: []string{"Königstraße 12"}, PostalCode: "70173", City: "Stuttgart", Country: "de", Email: "buchhaltung@mueller.example", Language: "de"}},
		want: extf.Debtor{Account: "10000", AddresseeType: "2", CompanyName: "Müller & Söhne GmbH", AddressKind: "STR",
			Street: "Königstraße 12", PostalCode: "70173", City: "Stuttgart", Country: "DE", Email: "buchhaltung@mueller.example",
			Language: "1", CustomerNumber: "C-100", ExternalNumber: "C-100"},
	},
	{
		name: "person split into Vorname and Name",
		debtor: Debtor{Account: "10001", DebtorID: "C-101", Profile: &Profile{Name: " Jörg  Ärmel-Übel ",
			Street: []string{"c/o Weiß", "Straße des 17. Juni 1"}, PostalCode: "10623", City: "Berlin", Country: "DE", Language: "fr"}},
		want: extf.Debtor{Account: "10001", AddresseeType: "1", FirstName: "Jörg", LastName: "Ärmel-Übel", AddressKind: "STR",
			Street: "c/o Weiß, Straße des 17. Juni 1", PostalCode: "10623", City: "Berlin", Country: "DE", Language: "4",
			CustomerNumber: "C-101", ExternalNumber: "C-101"},
	},
	{
		name:   "person of one word",
		debtor: Debtor{Account: "10002", DebtorID: "C-102", Profile: &Profile{Name: "Größenwahn", Language: "pl"}},
		want: extf.Debtor{Account: "10002", AddresseeType: "1", LastName: "Größenwahn",
			CustomerNumber: "C-102", ExternalNumber: "C-102"},
	},
	{
		name: "names, street and city cut to DATEV's lengths; a postal code, e-mail and country that do not fit left out",
		debtor: Debtor{Account: "10003", DebtorID: "C-103", Profile: &Profile{Business: true,
			Name:       "Süddeutsche Überlandwerke für Äpfel und Öle Aktiengesellschaft",
			Street:     []string{"Hauptstraße der Großgemeinde Öhringen-Überlingen 123a"},
			PostalCode: "12345-67890-1", City: "Frankfurt am Main-Höchst-Unterliederbach Süd", Country: "Deutschland",
			Email: strings.Repeat("ä", 50) + "@example.com"}},
		want: extf.Debtor{Account: "10003", AddresseeType: "2", CompanyName: "Süddeutsche Überlandwerke für Äpfel und Öle Aktien",
			AddressKind: "STR", Street: "Hauptstraße der Großgemeinde Öhringe", City: "Frankfurt am Main-Höchst-Unter",
			CustomerNumber: "C-103", ExternalNumber: "C-103"},
	},
	{
		name: "a person's long names cut to 30 characters each; characters Windows-1252 lacks replaced",
		debtor: Debtor{Account: "10004", DebtorID: "C-104", Profile: &Profile{
			Name: "Łucja Ëleonore Maximiliane Wilhelmine Müller-Lüdenscheidt-Oberammergau-Süd"}},
		want: extf.Debtor{Account: "10004", AddresseeType: "1", FirstName: "_ucja Ëleonore Maximiliane Wil",
			LastName: "Müller-Lüdenscheidt-Oberammerg", CustomerNumber: "C-104", ExternalNumber: "C-104"},
	},
	{
		name:   "erased: no personal data, named [erased] and the id",
		debtor: Debtor{Account: "10005", DebtorID: "C-105", Profile: &Profile{Erased: true}},
		want: extf.Debtor{Account: "10005", AddresseeType: "0", Name: "[erased] C-105",
			CustomerNumber: "C-105", ExternalNumber: "C-105"},
	},
	{
		name:   "no profile: the debtor id",
		debtor: Debtor{Account: "10006", DebtorID: "shop-customer-000000042"},
		want:   extf.Debtor{Account: "10006", AddresseeType: "0", Name: "shop-customer-000000042"},
	},
	{
		name:   "a profile without a name: the debtor id and the address",
		debtor: Debtor{Account: "10007", DebtorID: "C-107", Profile: &Profile{City: "Köln", Country: "DE"}},
		want: extf.Debtor{Account: "10007", AddresseeType: "0", Name: "C-107", AddressKind: "STR", City: "Köln", Country: "DE",
			CustomerNumber: "C-107", ExternalNumber: "C-107"},
	},
}

func TestRecord(t *testing.T) {
	t.Parallel()
	for _, tc := range masterDataCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, tc.debtor.Record()); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMasterDataRoundTrip writes the master data of every case, reads the
// file back with the category 16 reader and finds each record as DATEV
// would import it, umlauts and cut fields included; the same debtors give
// the same bytes.
func TestMasterDataRoundTrip(t *testing.T) {
	t.Parallel()
	c := testConfig(t, baseSettings)
	closed := Batch{Period: Period{2026, time.October}, Closed: true, CreatedAt: time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)}
	var debtors []Debtor
	var want []extf.Debtor
	for _, tc := range masterDataCases {
		debtors = append(debtors, tc.debtor)
		want = append(want, tc.want)
	}
	write := func() []byte {
		var buf bytes.Buffer
		if err := WriteDebtors(&buf, c, closed, debtors); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	file := write()
	if !bytes.Equal(file, write()) {
		t.Error("the same master data written twice gives different bytes")
	}
	if !bytes.Contains(file, []byte("M\xfcller & S\xf6hne GmbH")) {
		t.Error("the file does not hold the company name in Windows-1252")
	}
	r, err := extf.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var got []extf.Debtor
	for {
		d, err := r.NextDebtor()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records read back (-want +got):\n%s", diff)
	}
}
