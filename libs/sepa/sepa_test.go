package sepa

import (
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/fault/faulttest"
)

func TestFaultTable(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", Errors)
}

// checkDigits computes an IBAN's check digits with math/big, independently
// of mod97: 98 minus the remainder of BBAN + country + "00" with letters
// as two digits.
func checkDigits(tb testing.TB, country, bban string) string {
	tb.Helper()
	var digits strings.Builder
	for _, c := range bban + country + "00" {
		if c >= 'A' && c <= 'Z' {
			digits.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		} else {
			digits.WriteRune(c)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	if !ok {
		tb.Fatalf("bad digits %q", digits.String())
	}
	r := new(big.Int).Mod(n, big.NewInt(97)).Int64()
	cd := 98 - r
	return string([]byte{byte('0' + cd/10), byte('0' + cd%10)})
}

func TestCheckIBANEveryCountry(t *testing.T) {
	t.Parallel()
	for country, length := range ibanLength {
		bban := strings.Repeat("7", length-4)
		if length > 8 {
			bban = "AB" + bban[2:] // letters in the BBAN count as two digits
		}
		iban := country + checkDigits(t, country, bban) + bban
		if got, err := CheckIBAN(iban); err != nil || got != iban {
			t.Errorf("CheckIBAN(%s) = %q, %v; want it back", iban, got, err)
		}
		if _, err := CheckIBAN(iban + "7"); !errors.Is(err, ErrIBAN) {
			t.Errorf("%s with one character too many: %v, want ErrIBAN", country, err)
		}
		if _, err := CheckIBAN(iban[:len(iban)-1]); !errors.Is(err, ErrIBAN) {
			t.Errorf("%s with one character too few: %v, want ErrIBAN", country, err)
		}
		// Swapping two different neighbours is always caught by MOD 97.
		swapped := []byte(iban)
		i := len(swapped) - 2
		swapped[i], swapped[i+1] = '1', '2'
		fixed := string(swapped)
		swapped[i], swapped[i+1] = '2', '1'
		if _, err := CheckIBAN(fixed); err == nil {
			if _, err := CheckIBAN(string(swapped)); !errors.Is(err, ErrIBANChecksum) {
				t.Errorf("%s with swapped digits: %v, want ErrIBANChecksum", country, err)
			}
		}
	}
}

func TestCheckIBAN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      error
	}{
		{in: "DE89370400440532013000", want: "DE89370400440532013000"},
		{in: "DE89 3704 0044 0532 0130 00", want: "DE89370400440532013000"},
		{in: " de89370400440532013000 ", want: "DE89370400440532013000"},
		{in: "GB82WEST12345698765432", want: "GB82WEST12345698765432"},
		{in: "FR1420041010050500013M02606", want: "FR1420041010050500013M02606"},
		{in: "NL91ABNA0417164300", want: "NL91ABNA0417164300"},
		{in: "BE68539007547034", want: "BE68539007547034"},
		{in: "AT611904300234573201", want: "AT611904300234573201"},
		{in: "CH9300762011623852957", want: "CH9300762011623852957"},
		{in: "NO9386011117947", want: "NO9386011117947"},
		{in: "MT84MALT011000012345MTLCAST001S", want: "MT84MALT011000012345MTLCAST001S"},
		{in: "DE88370400440532013000", err: ErrIBANChecksum},
		{in: "DE89370400440532013001", err: ErrIBANChecksum},
		{in: "DE8937040044053201300", err: ErrIBAN},
		{in: "DE893704004405320130000", err: ErrIBAN},
		{in: "XX89370400440532013000", err: ErrIBAN},
		{in: "US12345678901234567890", err: ErrIBAN},
		{in: "DEXX370400440532013000", err: ErrIBAN},
		{in: "1E89370400440532013000", err: ErrIBAN},
		{in: "DE89-3704-0044-0532-0130-00", err: ErrIBAN},
		{in: "DE89370400440532013ÄÄ", err: ErrIBAN},
		{in: "", err: ErrIBAN},
		{in: "DE89", err: ErrIBAN},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := CheckIBAN(tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("CheckIBAN(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("CheckIBAN(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.in) {
				t.Errorf("error %q does not name the input", err)
			}
		})
	}
}

func TestCheckBIC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		valid bool
	}{
		{"COBADEFFXXX", true},
		{"COBADEFF", true},
		{"DEUTDEDB101", true},
		{"GENODEF1S04", true},
		{"1234DEFF", true},
		{"COBADEF", false},
		{"COBADEFFXX", false},
		{"COBADEFFXXXX", false},
		{"cobadeffxxx", false},
		{"COBA1EFFXXX", false},
		{"COBAD3FFXXX", false},
		{"COBADEF-XXX", false},
		{"", false},
	}
	for _, tt := range tests {
		err := CheckBIC(tt.in)
		if tt.valid && err != nil {
			t.Errorf("CheckBIC(%q) = %v, want nil", tt.in, err)
		}
		if !tt.valid && !errors.Is(err, ErrBIC) {
			t.Errorf("CheckBIC(%q) = %v, want ErrBIC", tt.in, err)
		}
	}
}

func TestCheckCreditorID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		valid    bool
	}{
		{in: "DE98ZZZ09999999999", want: "DE98ZZZ09999999999", valid: true},
		{in: "de98zzz09999999999", want: "DE98ZZZ09999999999", valid: true},
		{in: "DE98 ZZZ 09999999999", want: "DE98ZZZ09999999999", valid: true},
		// The business code is not part of the check.
		{in: "DE98ABC09999999999", want: "DE98ABC09999999999", valid: true},
		{in: "NL53ZZZ091734220000", want: "NL53ZZZ091734220000", valid: true},
		{in: "DE97ZZZ09999999999"},
		{in: "DE98ZZZ09999999998"},
		{in: "DE98ZZZ0999999999"},
		{in: "DE98ZZZ099999999999"},
		{in: "DE98ZZZ0999999999A"},
		{in: "D198ZZZ09999999999"},
		{in: "DEX8ZZZ09999999999"},
		{in: "DE98ZZZ-9999999999"},
		{in: "DE98ZZZ"},
		{in: ""},
		{in: "IT66ZZZ" + strings.Repeat("1", 29)},
	}
	for _, tt := range tests {
		got, err := CheckCreditorID(tt.in)
		if tt.valid {
			if err != nil || got != tt.want {
				t.Errorf("CheckCreditorID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if !errors.Is(err, ErrCreditorID) || got != "" {
			t.Errorf("CheckCreditorID(%q) = %q, %v; want ErrCreditorID", tt.in, got, err)
		}
	}
}

func TestCheckCreditorIDComputed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ country, national string }{
		{"DE", "00000012345"}, {"FR", "123456"}, {"AT", "00000012345"}, {"ES", "B12345678"},
		{"IT", "0000012345678901"}, {"NL", "091734220000"},
	} {
		id := tc.country + checkDigits(t, tc.country, tc.national) + "ZZZ" + tc.national
		if _, err := CheckCreditorID(id); err != nil {
			t.Errorf("CheckCreditorID(%s) = %v", id, err)
		}
	}
}

func TestLatin(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Max Mustermann", "Max Mustermann"},
		{"Jörg Müller-Lüdenscheidt", "Joerg Mueller-Luedenscheidt"},
		{"Äpfel Öl Übermaß", "Aepfel Oel Uebermass"},
		{"Straße", "Strasse"},
		{"Café Crème", "Cafe Creme"},
		{"Müller & Söhne", "Mueller + Soehne"},
		{"a < b > c", "a ( b ) c"},
		{"Rechnung 4711 🎉 danke 👍🏽", "Rechnung 4711  danke "},
		{"Zoë Ærø Łódź Ñandú Šťastný", "Zoe AEro Lodz Nandu Stastny"},
		{"Preis: 10 €", "Preis: 10 EUR"},
		{`"quoted" ‚low‘ «guill»`, "'quoted' 'low' 'guill'"},
		{"mail@example.com", "mail(at)example.com"},
		{"tab\there\nnew\u00a0nbsp", "tab here new nbsp"},
		{"50% off #1 *new*", "50  off  1  new "},
		{"semi;colon! [x] {y} a_b~c", "semi,colon. (x) (y) a-b-c"},
		{"東京", ""},
		{"ok\xffbad", "okbad"},
		{"/-?:().,'+ ", "/-?:().,'+ "},
	}
	for _, tt := range tests {
		got := Latin(tt.in)
		if got != tt.want {
			t.Errorf("Latin(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !IsLatin(got) {
			t.Errorf("Latin(%q) = %q holds characters outside the set", tt.in, got)
		}
	}
}

// TestLatinAlwaysInSet checks every character up to U+FFFF and a few
// beyond: the result is in the set and never longer than four bytes per
// input character.
func TestLatinAlwaysInSet(t *testing.T) {
	t.Parallel()
	for r := rune(0); r <= 0x1FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		in := string(r)
		got := Latin(in)
		if !IsLatin(got) {
			t.Fatalf("Latin(%U) = %q, outside the set", r, got)
		}
		if len(got) > 4 {
			t.Fatalf("Latin(%U) = %q, longer than four bytes", r, got)
		}
		if InLatinSet(r) && got != in {
			t.Fatalf("Latin(%U) = %q changed a character of the set", r, got)
		}
	}
}

func TestLatinMapsEveryLatin1Letter(t *testing.T) {
	t.Parallel()
	for r := rune(0xC0); r <= 0x17F; r++ {
		if r == 0xD7 || r == 0xF7 { // × and ÷ are not letters
			continue
		}
		if Latin(string(r)) == "" {
			t.Errorf("Latin(%q %U) drops a Latin letter", r, r)
		}
	}
}

func TestMessageID(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 3, 15, 9, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		prefix string
		seq    int
		want   string
	}{
		{"DEMO", 1, "DEMO-20261207T021509-1"},
		{"Müller GmbH / Konto 2", 12, "MuellerGmbHKonto-20261207T021509-12"},
		{"", 3, "20261207T021509-3"},
		{"X", -5, "X-20261207T021509-0"},
		{strings.Repeat("A", 40), 123456789, strings.Repeat("A", 9) + "-20261207T021509-123456789"},
	}
	for _, tt := range tests {
		got := MessageID(tt.prefix, at, tt.seq)
		if got != tt.want {
			t.Errorf("MessageID(%q, %d) = %q, want %q", tt.prefix, tt.seq, got, tt.want)
		}
		if len(got) > MaxIDLength || !IsLatin(got) || strings.Contains(got, " ") {
			t.Errorf("MessageID(%q, %d) = %q is not a valid identifier", tt.prefix, tt.seq, got)
		}
	}
}

func TestMessageIDUnique(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 3, 15, 9, 0, time.UTC)
	seen := map[string]bool{}
	for _, prefix := range []string{"tenant-a-DE89", "tenant-b-DE89", strings.Repeat("long-tenant-name", 3)} {
		for seq := range 1000 {
			for _, t2 := range []time.Time{at, at.Add(time.Second)} {
				id := MessageID(prefix, t2, seq)
				if seen[id] {
					t.Fatalf("MessageID(%q, %v, %d) = %q repeated", prefix, t2, seq, id)
				}
				seen[id] = true
			}
		}
	}
	if diff := cmp.Diff(6000, len(seen)); diff != "" {
		t.Errorf("distinct ids (-want +got):\n%s", diff)
	}
	if !utf8.ValidString(MessageID("ä", at, 1)) {
		t.Error("MessageID is not valid UTF-8")
	}
}

func FuzzCheckIBAN(f *testing.F) {
	for _, s := range []string{"DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "", "DE00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CheckIBAN(s)
		if err != nil {
			return
		}
		again, err := CheckIBAN(got)
		if err != nil || again != got {
			t.Fatalf("CheckIBAN(%q) = %q, but again %q, %v", s, got, again, err)
		}
		if checkDigits(t, got[:2], got[4:]) != got[2:4] {
			t.Fatalf("CheckIBAN accepted %q with wrong check digits", got)
		}
	})
}

func TestCountries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		country   string
		sepa, eea bool
	}{
		{"DE", true, true}, {"NO", true, true}, {"CH", true, false}, {"GB", true, false},
		{"MK", true, false}, {"US", false, false}, {"TR", false, false}, {"", false, false},
	} {
		if InSEPA(tc.country) != tc.sepa || InEEA(tc.country) != tc.eea {
			t.Errorf("%q: InSEPA %v InEEA %v, want %v %v", tc.country, InSEPA(tc.country), InEEA(tc.country), tc.sepa, tc.eea)
		}
		if tc.eea && !tc.sepa {
			t.Errorf("%q in the EEA but not in SEPA", tc.country)
		}
	}
	for c := range sepaCountries {
		if _, ok := ibanLength[c]; !ok {
			t.Errorf("SEPA country %s has no IBAN length", c)
		}
	}
}

func FuzzLatin(f *testing.F) {
	for _, s := range []string{"Jörg Müller & Söhne", "🎉", "\xff", "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Latin(s)
		if !IsLatin(got) {
			t.Fatalf("Latin(%q) = %q outside the set", s, got)
		}
		if Latin(got) != got {
			t.Fatalf("Latin(%q) = %q is not stable", s, got)
		}
		if len(got) > 4*len(s) {
			t.Fatalf("Latin(%q) = %q grew more than four times", s, got)
		}
	})
}
