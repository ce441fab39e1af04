package mt940

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDetailsSlashTRTP reads the slash-tag :86: of ABN AMRO (opening with
// /TRTP/), ING and Rabobank: every code word ends the value before it, and
// lines wrapped at the SWIFT width (the first one 61 characters after the
// ":86:" tag) are joined without a separator, even inside a code word or a
// value.
func TestDetailsSlashTRTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  Details
	}{
		{"ABN AMRO SEPA credit transfer",
			[]string{"/TRTP/SEPA OVERBOEKING/IBAN/NL44RABO0123456789/BIC/RABONL2U/NAME/J. JANSEN/REMI/Factuur 2026-001/EREF/NOTPROVIDED/"},
			Details{Dialect: "slash", BookingText: "SEPA OVERBOEKING", CounterpartyIBAN: "NL44RABO0123456789", CounterpartyBIC: "RABONL2U",
				CounterpartyName: "J. JANSEN", Purpose: "Factuur 2026-001", Remittance: "Factuur 2026-001"}},
		{"ABN AMRO wrapped at 65 inside a code word",
			[]string{"/TRTP/SEPA OVERBOEKING/IBAN/NL44RABO0123456789/BIC/RABONL2U/N", "AME/J. JANSEN/REMI/Factuur 2026-001/EREF/NOTPROVIDED/"},
			Details{Dialect: "slash", BookingText: "SEPA OVERBOEKING", CounterpartyIBAN: "NL44RABO0123456789", CounterpartyBIC: "RABONL2U",
				CounterpartyName: "J. JANSEN", Purpose: "Factuur 2026-001", Remittance: "Factuur 2026-001"}},
		{"ABN AMRO SEPA direct debit with a return, wrapped inside values",
			[]string{"/TRTP/SEPA Incasso algemeen doorlopend/CSID/NL71ZZZ3412345600", "00/NAME/Stichting Foo/MARF/M-0001/REMI/Contributie 2011/IBAN/NL91",
				"ABNA0417164300/BIC/ABNANL2A/EREF/E2E-77/RTRN/MD06/"},
			Details{Dialect: "slash", BookingText: "SEPA Incasso algemeen doorlopend", CreditorID: "NL71ZZZ341234560000",
				CounterpartyName: "Stichting Foo", MandateID: "M-0001", Purpose: "Contributie 2011", Remittance: "Contributie 2011",
				CounterpartyIBAN: "NL91ABNA0417164300", CounterpartyBIC: "ABNANL2A", EndToEndID: "E2E-77", ReturnReason: "MD06"}},
		{"ABN AMRO transaction type with a slash, ordering party id, settlement date",
			[]string{"/TRTP/iDEAL/Wero/IBAN/NL58CITI2032329913/BIC/CITINL2X/NAME/Amazon EU SARL/ORDP//ID/123456/REMI/GGFNJSX Amazon/EREF/26-08-2026 0220434/ISDT/2026-08-26/"},
			Details{Dialect: "slash", BookingText: "iDEAL/Wero", CounterpartyIBAN: "NL58CITI2032329913", CounterpartyBIC: "CITINL2X",
				CounterpartyName: "Amazon EU SARL", Purpose: "GGFNJSX Amazon", Remittance: "GGFNJSX Amazon", EndToEndID: "26-08-2026 0220434"}},
		{"ING return wrapped inside the creditor id and inside /REMI/",
			[]string{"/RTRN/MS03//EREF/20120501P0123478//MARF/MND-120123//CSID/NL32", "ZZZ999999991234//CNTP/NL32INGB0000012345/INGBNL2A/J.Janssen///REM",
				"I/USTD//CONTRIBUTIE FEB 2014/"},
			Details{Dialect: "slash", ReturnReason: "MS03", EndToEndID: "20120501P0123478", MandateID: "MND-120123", CreditorID: "NL32ZZZ999999991234",
				CounterpartyIBAN: "NL32INGB0000012345", CounterpartyBIC: "INGBNL2A", CounterpartyName: "J.Janssen",
				Purpose: "CONTRIBUTIE FEB 2014", Remittance: "CONTRIBUTIE FEB 2014"}},
		{"ING batch reference, ultimate debtor and purpose code",
			[]string{"/PREF/M000000001111111//CSID/NL32ZZZ999999991234//ULTD/Jansen Holding/NL123//PURP//CD/SALA//REMI/USTD//Salaris/"},
			Details{Dialect: "slash", CreditorID: "NL32ZZZ999999991234", UltimateParty: "Jansen Holding", Purpose: "Salaris", Remittance: "Salaris"}},
		{"Rabobank parties with their own NAME and ID",
			[]string{"/EREF/E1//BENM//NAME/Rabo Klant/ID/12345//ULTB//NAME/Moeder BV//REMI/Factuur 7//ISDT/2013-01-02"},
			Details{Dialect: "slash", EndToEndID: "E1", CounterpartyName: "Rabo Klant", UltimateParty: "Moeder BV", Purpose: "Factuur 7", Remittance: "Factuur 7"}},
		{"Rabobank counterparty",
			[]string{"/CNTP/NL91ABNA0417164300/ABNANL2A/J. Jansen/AMSTERDAM//ULTC/Stichting X//REMI/Factuur 8/"},
			Details{Dialect: "slash", CounterpartyIBAN: "NL91ABNA0417164300", CounterpartyBIC: "ABNANL2A", CounterpartyName: "J. Jansen",
				UltimateParty: "Stichting X", Purpose: "Factuur 8", Remittance: "Factuur 8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, got := parseInfo(tt.lines)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDetailsREMIStructured reads ING's /REMI/: STRD/issuer/reference is
// a structured creditor reference and no remittance text; USTD//text is
// the text.
func TestDetailsREMIStructured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  Details
	}{
		{"RF reference",
			[]string{"/EREF/E2E-9//CNTP/NL91ABNA0417164300/ABNANL2A/J. Jansen/AMSTERDAM/", "/REMI/STRD/CUR/RF18539007547034//"},
			Details{Dialect: "slash", EndToEndID: "E2E-9", CounterpartyIBAN: "NL91ABNA0417164300", CounterpartyBIC: "ABNANL2A",
				CounterpartyName: "J. Jansen", Purpose: "RF18539007547034", CreditorReferences: []string{"RF18539007547034"}}},
		{"Dutch payment reference (betalingskenmerk)",
			[]string{"/EREF/15814016000676480//CNTP/NL32INGB0000012345/INGBNL2A/J.J", "anssen///REMI/STRD/CUR/9001123412341234/"},
			Details{Dialect: "slash", EndToEndID: "15814016000676480", CounterpartyIBAN: "NL32INGB0000012345", CounterpartyBIC: "INGBNL2A",
				CounterpartyName: "J.Janssen", Purpose: "9001123412341234", CreditorReferences: []string{"9001123412341234"}}},
		{"ISO issuer, RF reference written in groups",
			[]string{"/REMI/STRD/ISO/RF18 5390 0754 7034/"},
			Details{Dialect: "slash", Purpose: "RF18539007547034", CreditorReferences: []string{"RF18539007547034"}}},
		{"unstructured text",
			[]string{"/EREF/NOTPROVIDED//REMI/USTD//free text/"},
			Details{Dialect: "slash", Purpose: "free text", Remittance: "free text"}},
		{"unstructured text that is an RF reference",
			[]string{"/REMI/USTD//RF18539007547034/"},
			Details{Dialect: "slash", Purpose: "RF18539007547034", Remittance: "RF18539007547034", CreditorReferences: []string{"RF18539007547034"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, got := parseInfo(tt.lines)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
