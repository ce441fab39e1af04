package mt940

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/o2c-platform/o2c/libs/formats/detect"
)

// TestProbeFiles reads the files of a probe of real-world layouts, one per
// class the parser once got wrong: field 25 option P, ABN AMRO's /TRTP/
// layout, ING's structured /REMI/, and a wrapped :86: line that looks like a
// trailer. Each is detected as MT940 and read without warnings.
func TestProbeFiles(t *testing.T) {
	t.Parallel()
	type entry struct {
		Info    string
		Details Details
	}
	tests := []struct {
		file    string
		account string
		entries []entry
	}{
		{"mt940_probe_25P.sta", "DE89370400440532013000", []entry{
			{"166?00GUTSCHRIFT?20x", Details{Dialect: "structured", GVC: "166", BookingText: "GUTSCHRIFT", Purpose: "x", Remittance: "x"}},
		}},
		{"mt940_probe_dash-continuation.sta", "10050000/0123456789", []entry{
			{"Zahlung Kunde 4711 Rechnung Nr. 2021-0815 vom 03.01.2021 Projekt -AB", Details{Dialect: "free",
				Purpose:    "Zahlung Kunde 4711 Rechnung Nr. 2021-0815 vom 03.01.2021 Projekt -AB",
				Remittance: "Zahlung Kunde 4711 Rechnung Nr. 2021-0815 vom 03.01.2021 Projekt -AB"}},
			{"Zweite Zahlung", Details{Dialect: "free", Purpose: "Zweite Zahlung", Remittance: "Zweite Zahlung"}},
		}},
		{"mt940_probe_ABN-AMRO_TRTP.sta", "517852257", []entry{
			{"/TRTP/SEPA OVERBOEKING/IBAN/NL44RABO0123456789/BIC/RABONL2U/NAME/ INSINGER DE BEAUFORT CJ/REMI/BETALINGSKENM.  123456789 FACTUUR 2011-0042/EREF/NOTPROVIDED",
				Details{Dialect: "slash", BookingText: "SEPA OVERBOEKING", CounterpartyIBAN: "NL44RABO0123456789", CounterpartyBIC: "RABONL2U",
					CounterpartyName: "INSINGER DE BEAUFORT CJ", Purpose: "BETALINGSKENM.  123456789 FACTUUR 2011-0042",
					Remittance: "BETALINGSKENM.  123456789 FACTUUR 2011-0042"}},
			{"/TRTP/SEPA Incasso algemeen doorlopend/CSID/NL71ZZZ341234560000/NAME/Stichting Foo/MARF/M-0001/REMI/Contributie 2011/IBAN/NL91ABNA0417164300/BIC/ABNANL2A/EREF/E2E-77",
				Details{Dialect: "slash", BookingText: "SEPA Incasso algemeen doorlopend", CreditorID: "NL71ZZZ341234560000",
					CounterpartyName: "Stichting Foo", MandateID: "M-0001", Purpose: "Contributie 2011", Remittance: "Contributie 2011",
					CounterpartyIBAN: "NL91ABNA0417164300", CounterpartyBIC: "ABNANL2A", EndToEndID: "E2E-77"}},
		}},
		{"mt940_probe_ING_REMI-STRD.sta", "NL69INGB0123456789", []entry{
			{"/EREF/E2E-9//CNTP/NL91ABNA0417164300/ABNANL2A/J. Jansen/AMSTERDAM//REMI/STRD/CUR/RF18539007547034//",
				Details{Dialect: "slash", EndToEndID: "E2E-9", CounterpartyIBAN: "NL91ABNA0417164300", CounterpartyBIC: "ABNANL2A",
					CounterpartyName: "J. Jansen", Purpose: "RF18539007547034", CreditorReferences: []string{"RF18539007547034"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data := readFixture(t, tt.file)
			if !detect.Is(detect.MT940, []byte(data)) {
				t.Error("not detected as MT940")
			}
			p := readAll(t, data, Options{})
			if len(p.statements) != 1 || p.statements[0].Account != tt.account || p.statements[0].BalanceCheck != CheckOK {
				t.Fatalf("statements %+v, want one of account %q that reconciles", p.statements, tt.account)
			}
			var got []entry
			for _, e := range p.entries[0] {
				got = append(got, entry{e.Info, e.Details})
			}
			if diff := cmp.Diff(tt.entries, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if len(p.warnings) != 0 {
				t.Errorf("unexpected warnings %q", p.warnings)
			}
		})
	}
}
