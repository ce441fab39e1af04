package mt940

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An MT942 intraday report and the MT940 statement of the same day, written
// by the same bank: the two bookings of the report reappear in the
// statement, which also has a third booking equal to the second in amount,
// date and references (a genuinely different booking).
const mt942Intraday = `{1:F01BANKDEFFAXXX0000000000}{2:O942BANKDEFFXXXXN}{4:
:20:INTRA1
:25:DE89370400440532013000
:28C:7/1
:34F:EURD0,
:13D:2101151200+0100
:61:2101150115C100,00NTRFNONREF//B1
:86:166?00GUTSCHRIFT?20EREF+E2E-1?21SVWZ+Invoice 1?32ACME GmbH
:61:2101150115D20,00NMSCNONREF
:86:Card payment
:90D:1EUR20,00
:90C:1EUR100,00
-}`

const mt940Daily = `:20:DAILY
:25:DE89370400440532013000
:28C:15/1
:60F:C210114EUR1000,00
:61:2101150115C100,00NTRFNONREF//B1
:86:166?00GUTSCHRIFT?20EREF+E2E-1?21SVWZ+Invoice 1?32ACME GmbH
:61:2101150115D20,00NMSCNONREF
:86:Card payment
:61:2101150115D20,00NMSCNONREF
:86:Card payment
:62F:C210115EUR1060,00
-`

func fingerprints(p parsed) []string {
	var out []string
	for _, es := range p.entries {
		for _, e := range es {
			out = append(out, e.Fingerprint())
		}
	}
	return out
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	intra := readAll(t, mt942Intraday, Options{})
	daily := readAll(t, mt940Daily, Options{})
	if intra.format != "mt942" || daily.format != "mt940" {
		t.Fatalf("formats %q, %q", intra.format, daily.format)
	}
	fi, fd := fingerprints(intra), fingerprints(daily)
	if len(fi) != 2 || len(fd) != 3 {
		t.Fatalf("got %d and %d entries", len(fi), len(fd))
	}
	// MT942 -> MT940: every intraday booking is found in the statement.
	if fi[0] != fd[0] || fi[1] != fd[1] {
		t.Errorf("intraday %q, daily %q: the same bookings differ", fi, fd)
	}
	// MT940 -> MT942: the statement's third booking is new.
	if fd[2] == fi[0] || fd[2] == fi[1] || fd[2] == fd[1] {
		t.Errorf("third booking %q collides with %q / %q", fd[2], fi, fd[:2])
	}
	// Statement id and :28C: do not matter.
	other := strings.Replace(strings.Replace(mt940Daily, ":20:DAILY", ":20:OTHER", 1), ":28C:15/1", ":28C:99/2", 1)
	if got := fingerprints(readAll(t, other, Options{})); !cmp.Equal(got, fd) {
		t.Errorf("fingerprints depend on :20:/:28C:: %q vs %q", got, fd)
	}
	// A different account gives different fingerprints.
	acct := strings.Replace(mt940Daily, "DE89370400440532013000", "DE02120300000000202051", 1)
	if got := fingerprints(readAll(t, acct, Options{})); got[0] == fd[0] {
		t.Error("fingerprint does not depend on the account")
	}
}

func TestStatementLine(t *testing.T) {
	t.Parallel()
	type got struct {
		amount                       int64
		value, booking               string
		mark, funds                  string
		reversal                     bool
		typ, custRef, bankRef, suppl string
	}
	tests := []struct {
		name, line string
		want       got
	}{
		{"credit with funds code R", "0709070904CR50990,05NTRFNONREF//0724710333343453",
			got{5099005, "2007-09-07", "2007-09-04", "C", "R", false, "NTRF", "NONREF", "0724710333343453", ""}},
		{"reversal of credit is a debit", "0709040904RCR204,88NRTINONREF",
			got{-20488, "2007-09-04", "2007-09-04", "RC", "R", true, "NRTI", "NONREF", "", ""}},
		{"reversal of debit is a credit", "0709040904RD10,NRTINONREF",
			got{1000, "2007-09-04", "2007-09-04", "RD", "", true, "NRTI", "NONREF", "", ""}},
		{"debit with funds code", "1203290329DD20000,00NTRF1004688128      //6128522200250001",
			got{-2000000, "2012-03-29", "2012-03-29", "D", "D", false, "NTRF", "1004688128", "6128522200250001", ""}},
		{"no entry date, no decimals", "200219C65,NMSC",
			got{6500, "2020-02-19", "2020-02-19", "C", "", false, "NMSC", "", "", ""}},
		{"zero padded", "2001010101C000000000025,00N062NONREF",
			got{2500, "2020-01-01", "2020-01-01", "C", "", false, "N062", "NONREF", "", ""}},
		{"one decimal", "1901310131C0,3NTRFNONREF",
			got{30, "2019-01-31", "2019-01-31", "C", "", false, "NTRF", "NONREF", "", ""}},
		{"space before type", "2006080608D12,35 NRTIKREF+//2016021783252833",
			got{-1235, "2020-06-08", "2020-06-08", "D", "", false, "NRTI", "KREF+", "2016021783252833", ""}},
		{"F type code", "1312091209C79,7FMSC01916//NONREF",
			got{7970, "2013-12-09", "2013-12-09", "C", "", false, "FMSC", "01916", "NONREF", ""}},
		{"entry date in previous year", "2101021231D5,NTRFREF",
			got{-500, "2021-01-02", "2020-12-31", "D", "", false, "NTRF", "REF", "", ""}},
		{"entry date in next year", "2012310102C5,NTRFREF",
			got{500, "2020-12-31", "2021-01-02", "C", "", false, "NTRF", "REF", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := ":20:X\n:25:A\n:60F:C200101EUR0,\n:61:" + tt.line + "\n:62F:C200101EUR0,\n"
			p := readAll(t, data, Options{})
			e := p.entries[0][0]
			have := got{e.Amount, e.ValueDate.String(), e.BookingDate.String(), e.Mark, e.FundsCode, e.Reversal, e.TypeCode, e.CustomerReference, e.BankReference, e.Supplementary}
			if diff := cmp.Diff(tt.want, have, cmp.AllowUnexported(got{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text, currency string
		want           int64
		exact          string
		wantErr        bool
	}{
		{"1234,56", "EUR", 123456, "", false},
		{"300,", "EUR", 30000, "", false},
		{"0,3", "EUR", 30, "", false},
		{"000000000025,00", "EUR", 2500, "", false},
		{"15000", "EUR", 1500000, "", false},
		{"100,", "JPY", 100, "", false},
		{"100,5", "JPY", 100, "100,5", false},
		{"101,5", "JPY", 102, "101,5", false},
		{"100,51", "JPY", 101, "100,51", false},
		{"1,2345", "BHD", 1234, "1,2345", false},
		{"1,2355", "BHD", 1236, "1,2355", false},
		{"1,23451", "BHD", 1235, "1,23451", false},
		{"1,234", "BHD", 1234, "", false},
		{"12.50", "EUR", 0, "", true},
		{",", "EUR", 0, "", true},
		{"1234567890123456,00", "EUR", 0, "", true},
	}
	for _, tt := range tests {
		m, exact, err := parseAmount(tt.text, tt.currency)
		if (err != nil) != tt.wantErr || m != tt.want || exact != tt.exact {
			t.Errorf("parseAmount(%q, %s) = %d, %q, %v; want %d, %q, error %v", tt.text, tt.currency, m, exact, err, tt.want, tt.exact, tt.wantErr)
		}
	}
}

func TestDetails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  Details
	}{
		{"structured, marker wrapped over lines, keywords across subfields",
			[]string{"191?00SEPA-UEBERW?100399?20EREF+ 1234567890123 PAYPAL?2", "2MREF+ 12AB234CD6E7F CRED+ A?24B12CDE0000000000000000034 S?25VWZ+ Rechnung 1", "7?30BYLADEM1001?31DE02120300000000202051?32Max Muster?33mann?34903"},
			Details{Dialect: "structured", GVC: "191", BookingText: "SEPA-UEBERW", PrimaNota: "0399",
				Purpose:    "EREF+ 1234567890123 PAYPALMREF+ 12AB234CD6E7F CRED+ AB12CDE0000000000000000034 SVWZ+ Rechnung 17",
				Remittance: "Rechnung 17", EndToEndID: "1234567890123 PAYPAL", MandateID: "12AB234CD6E7F", CreditorID: "AB12CDE0000000000000000034",
				CounterpartyName: "Max Mustermann", CounterpartyIBAN: "DE02120300000000202051", CounterpartyBIC: "BYLADEM1001",
				ReturnCode: "903", ReturnReason: "AC06"}},
		// A SEPA reference is at most 35 characters: a later subfield
		// continues it only while it stays within them.
		{"EREF of exactly 35 characters over two subfields, then MTLG: text",
			[]string{"159?00RETOURE?20EREF+ABCDEFGHIJKLMNOPQRSTUV?21WXYZ012345678?22MTLG:Konto erloschen?23 Rueckueberweisung?34903"},
			Details{Dialect: "structured", GVC: "159", BookingText: "RETOURE",
				Purpose:    "EREF+ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678MTLG:Konto erloschen Rueckueberweisung",
				EndToEndID: "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678", Remittance: "MTLG:Konto erloschen Rueckueberweisung",
				ReturnCode: "903", ReturnReason: "AC06"}},
		{"EREF of 35 characters in one subfield, then a short continuation",
			[]string{"159?20EREF+ ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678?21MTLG:x"},
			Details{Dialect: "structured", GVC: "159", Purpose: "EREF+ ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678MTLG:x",
				EndToEndID: "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678", Remittance: "MTLG:x"}},
		{"EREF of 34 characters takes a one-character subfield",
			[]string{"166?20EREF+ABCDEFGHIJKLMNOPQRSTUV?21WXYZ01234567?228?23SVWZ+Rechnung 17"},
			Details{Dialect: "structured", GVC: "166", Purpose: "EREF+ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678SVWZ+Rechnung 17",
				EndToEndID: "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678", Remittance: "Rechnung 17"}},
		{"EREF of 34 characters does not take a two-character subfield",
			[]string{"166?20EREF+ABCDEFGHIJKLMNOPQRSTUV?21WXYZ01234567?2289"},
			Details{Dialect: "structured", GVC: "166", Purpose: "EREF+ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
				EndToEndID: "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234567", Remittance: "89"}},
		{"short EREF continued over two subfields",
			[]string{"166?00GUTSCHRIFT?20EREF+ RE-2026-0004?21711 PAYPAL"},
			Details{Dialect: "structured", GVC: "166", BookingText: "GUTSCHRIFT", Purpose: "EREF+ RE-2026-0004711 PAYPAL",
				EndToEndID: "RE-2026-0004711 PAYPAL"}},
		{"short EREF continued, then the remittance keyword",
			[]string{"166?20EREF+EndToEndIdTFNR20001000?2101?22SVWZ+TO 13 TFNr 20001"},
			Details{Dialect: "structured", GVC: "166", Purpose: "EREF+EndToEndIdTFNR2000100001SVWZ+TO 13 TFNr 20001",
				EndToEndID: "EndToEndIdTFNR2000100001", Remittance: "TO 13 TFNr 20001"}},
		{"short EREF, then text that would take it past 35, then SVWZ",
			[]string{"159?20EREF+TFNR 40001 00005?21MTLG:Grund nicht s", "pezifizie?22SVWZ+Rechnung 17"},
			Details{Dialect: "structured", GVC: "159", Purpose: "EREF+TFNR 40001 00005MTLG:Grund nicht spezifizieSVWZ+Rechnung 17",
				EndToEndID: "TFNR 40001 00005", Remittance: "MTLG:Grund nicht spezifizie Rechnung 17"}},
		{"NOTPROVIDED is complete: the next subfield is remittance",
			[]string{"166?20EREF+NOTPROVIDED?21Rechnung 17"},
			Details{Dialect: "structured", GVC: "166", Purpose: "EREF+NOTPROVIDEDRechnung 17", Remittance: "Rechnung 17"}},
		{"KREF runs on no further than EREF",
			[]string{"191?00SEPA-UEBERW?100399?20KREF+TFNr 01022 MSGID CTSc-?2", "101 EBB?22MTLG:SEPA-Ueberweisungsauft?23rag Datei mit 0000001 Zahlu?24ngen"},
			Details{Dialect: "structured", GVC: "191", BookingText: "SEPA-UEBERW", PrimaNota: "0399",
				Purpose:     "KREF+TFNr 01022 MSGID CTSc-01 EBBMTLG:SEPA-Ueberweisungsauftrag Datei mit 0000001 Zahlungen",
				CustomerRef: "TFNr 01022 MSGID CTSc-01 EBB", Remittance: "MTLG:SEPA-Ueberweisungsauftrag Datei mit 0000001 Zahlungen"}},
		{"MREF and CRED continued within 35, text before the first keyword",
			[]string{"171?20Lastschrift MREF+M-2026?21-17 CRED+DE98ZZZ09999999?22999"},
			Details{Dialect: "structured", GVC: "171", Purpose: "Lastschrift MREF+M-2026-17 CRED+DE98ZZZ09999999999",
				Remittance: "Lastschrift", MandateID: "M-2026-17", CreditorID: "DE98ZZZ09999999999"}},
		{"structured without keywords, ?60 continues the purpose",
			[]string{"051?00UEBERWEISUNG?20Gehalt ?21Oktober?3050060400?310847564700?60 und November"},
			Details{Dialect: "structured", GVC: "051", BookingText: "UEBERWEISUNG", Purpose: "Gehalt Oktober und November",
				Remittance: "Gehalt Oktober und November", CounterpartyBankCode: "50060400", CounterpartyAccount: "0847564700"}},
		{"Triodos > separator",
			[]string{"000>100987654321", ">20ALGEMENE TUSSENREKENING KOS>21TEN VAN 01-10-2010 TOT EN M", ">22ET 31-12-2010>310390123456"},
			Details{Dialect: "structured", GVC: "000", PrimaNota: "0987654321",
				Purpose:    "ALGEMENE TUSSENREKENING KOSTEN VAN 01-10-2010 TOT EN MET 31-12-2010",
				Remittance: "ALGEMENE TUSSENREKENING KOSTEN VAN 01-10-2010 TOT EN MET 31-12-2010", CounterpartyAccount: "0390123456"}},
		{"RF creditor reference",
			[]string{"166?20SVWZ+RF18 5390 0754 7034"},
			Details{Dialect: "structured", GVC: "166", Purpose: "SVWZ+RF18 5390 0754 7034", Remittance: "RF18 5390 0754 7034",
				CreditorReferences: []string{"RF18539007547034"}}},
		{"Dutch slash tags",
			[]string{"/EREF/E2E 1//MARF/M-7//CSID/NL98ZZZ999999999999//NAME/Jan/de Vries//IBAN/NL91ABNA0417164300//BIC/ABNANL2A//REMI/USTD//Factuur 2024/17/"},
			Details{Dialect: "slash", EndToEndID: "E2E 1", MandateID: "M-7", CreditorID: "NL98ZZZ999999999999", CounterpartyName: "Jan/de Vries",
				CounterpartyIBAN: "NL91ABNA0417164300", CounterpartyBIC: "ABNANL2A", Purpose: "Factuur 2024/17", Remittance: "Factuur 2024/17"}},
		{"Dutch return",
			[]string{"/RTRN/MS03/EREF/X1/REMI/Terugboeking"},
			Details{Dialect: "slash", ReturnReason: "MS03", EndToEndID: "X1", Purpose: "Terugboeking", Remittance: "Terugboeking"}},
		{"free text, wrapped at 65 and short lines",
			[]string{"GIRO AUS ONLINE-SIC 80701 AUFTRAGGEBER: XXXXXXXXX XXX XXXXXXXXSTR", "ASSE 111", "MITTEILUNGEN: 1"},
			Details{Dialect: "free", Purpose: "GIRO AUS ONLINE-SIC 80701 AUFTRAGGEBER: XXXXXXXXX XXX XXXXXXXXSTRASSE 111 MITTEILUNGEN: 1",
				Remittance: "GIRO AUS ONLINE-SIC 80701 AUFTRAGGEBER: XXXXXXXXX XXX XXXXXXXXSTRASSE 111 MITTEILUNGEN: 1"}},
		{"only /OCMT/ is free text",
			[]string{"/OCMT/USD2853,12/", "PAYMENT OF INVOICES"},
			Details{Dialect: "free", Purpose: "/OCMT/USD2853,12/ PAYMENT OF INVOICES", Remittance: "/OCMT/USD2853,12/ PAYMENT OF INVOICES"}},
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

func TestQuirks(t *testing.T) {
	t.Parallel()
	t.Run("CR only, reversal, :61: without :86:", func(t *testing.T) {
		t.Parallel()
		p := readAll(t, quirkSeeds()[2], Options{})
		e := p.entries[0][0]
		if e.Amount != -100 || !e.Reversal || e.Details.Dialect != "" || p.statements[0].BalanceCheck != CheckOK {
			t.Errorf("entry %+v, check %q", e, p.statements[0].BalanceCheck)
		}
	})
	t.Run("IBAN with currency, slash :86:, TAB and soft hyphen, year end", func(t *testing.T) {
		t.Parallel()
		p := readAll(t, quirkSeeds()[3], Options{})
		s, e := p.statements[0], p.entries[0][0]
		if s.Account != "NL69INGB0123456789" || s.AccountCurrency != "EUR" || s.Currency != "EUR" {
			t.Errorf("account %q %q %q", s.Account, s.AccountCurrency, s.Currency)
		}
		if e.BookingDate.String() != "2020-12-31" || e.ValueDate.String() != "2021-01-02" {
			t.Errorf("dates %s %s", e.BookingDate, e.ValueDate)
		}
		if e.Details.Remittance != "Inv 12" || e.Details.EndToEndID != "E1" || e.Details.CounterpartyName != "A B" {
			t.Errorf("details %+v", e.Details)
		}
		if s.BalanceCheck != CheckIncomplete {
			t.Errorf("statement without closing balance: check %q", s.BalanceCheck)
		}
	})
	t.Run("SOH, leading empty line, blank lines, extra :86: after :62F:, charges", func(t *testing.T) {
		t.Parallel()
		data := "\x01\r\n\r\n:20:S1\r\n:25:DE89370400440532013000\r\n\r\n:28C:1\r\n:60F:C200101EUR10,00\r\n" +
			":61:2001010101D1,00NTRFNONREF\r\n/OCMT/EUR0,50//CHGS/EUR0,50/\r\n\r\n:86:Fee\r\n:62F:C200101EUR9,00\r\n:86:Statement note\r\n-\x03"
		p := readAll(t, data, Options{})
		s, e := p.statements[0], p.entries[0][0]
		if s.Info != "Statement note" || e.Info != "Fee" || e.Charges != 50 || s.BalanceCheck != CheckOK || s.Sequence != "1" {
			t.Errorf("statement %+v entry %+v", s, e)
		}
	})
	t.Run("closing balance missing: incomplete", func(t *testing.T) {
		t.Parallel()
		p := readAll(t, ":20:A\n:25:B\n:60F:C200101EUR1,\n:61:200101C1,NTRF\n:86:x\n:61:200101C2,NTRF\n", Options{})
		if len(p.entries[0]) != 2 || p.statements[0].BalanceCheck != CheckIncomplete {
			t.Errorf("entries %d, check %q", len(p.entries[0]), p.statements[0].BalanceCheck)
		}
	})
	t.Run("JPY from :25: suffix, rounding warns", func(t *testing.T) {
		t.Parallel()
		p := readAll(t, quirkSeeds()[4], Options{})
		e := p.entries[0][0]
		if e.Currency != "JPY" || e.Amount != 100 || e.AmountExact != "100,5" || !hasWarning(p.warnings, "rounded half-even") {
			t.Errorf("entry %+v warnings %q", e, p.warnings)
		}
	})
	t.Run("non-ASCII UTF-8 kept", func(t *testing.T) {
		t.Parallel()
		p := readAll(t, readFixture(t, "mt940_DE_Kontist.txt"), Options{})
		if got := p.entries[0][1].Details.CounterpartyName; got != "Lucien Schünke" {
			t.Errorf("name %q", got)
		}
		if len(p.warnings) != 0 {
			t.Errorf("warnings %q", p.warnings)
		}
	})
}

func TestEncodingOverride(t *testing.T) {
	t.Parallel()
	data := readFixture(t, "mt940_HU_Raiffeisen-CMI_cp852.sta")
	p := readAll(t, data, Options{Encoding: "cp852"})
	if got := p.entries[0][0].Supplementary; got != "Csoportos átutalás jóváírása" {
		t.Errorf("cp852 supplementary = %q", got)
	}
	if hasWarning(p.warnings, "Windows-1252") {
		t.Errorf("override still warns: %q", p.warnings)
	}
	latin := readAll(t, readFixture(t, "mt940_DE_iso8859-1.txt"), Options{})
	if got := latin.entries[0][1].Details.BookingText; got != "ÜBERWEISUNG" {
		t.Errorf("Windows-1252 fallback booking text = %q", got)
	}
	if _, err := tryRead(data, Options{Encoding: "ebcdic"}); !errors.Is(err, ErrUnknownEncoding) {
		t.Errorf("unknown encoding: err = %v", err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data string
		line       int
		msg        string
	}{
		{"not MT940", "hello\nworld\n", 2, "no :20:"},
		{"bad mark", ":20:A\n:25:B\n:60F:C200101EUR1,\n:61:200101X1,NTRF\n", 4, "mark"},
		{"bad amount", ":20:A\n:25:B\n:60F:C200101EUR1,\n:61:200101C1.5NTRF\n:62F:C200101EUR1,\n", 4, "amount"},
		{"bad date", ":20:A\n:25:B\n:60F:C201301EUR1,\n", 3, "YYMMDD"},
		{"no currency", ":20:A\n:25:B\n:61:200101C1,NTRF\n", 3, "currency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tryRead(tt.data, Options{})
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != tt.line || !strings.Contains(se.Error(), tt.msg) {
				t.Errorf("err = %v, want line %d mentioning %q", err, tt.line, tt.msg)
			}
		})
	}
}
