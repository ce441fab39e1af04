package matchbench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// mod97 returns the ISO 7064 MOD 97-10 remainder of s, letters counting as
// 10 (A) to 35 (Z).
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			r = (r*100 + int(c-'A') + 10) % 97
		default:
			return -1
		}
	}
	return r
}

// makeIBAN returns the IBAN of country and bban with its check digits.
func makeIBAN(country, bban string) string {
	m := mod97(bban + country + "00")
	return fmt.Sprintf("%s%02d%s", country, 98-m, bban)
}

// ibanLength is the IBAN length of the countries payers come from.
var ibanLength = map[string]int{
	"DE": 22, "AT": 20, "NL": 18, "BE": 16, "LU": 20, "FR": 27, "ES": 24, "IT": 27, "CH": 21, "PL": 28,
	"GB": 22, "DK": 18, "CZ": 24, "IE": 22,
}

// ValidIBAN reports whether s (without spaces) is an IBAN of a country in
// ibanLength with that country's length and the right check digits.
func ValidIBAN(s string) bool {
	if len(s) < 5 || ibanLength[s[:2]] != len(s) {
		return false
	}
	return mod97(s[4:]+s[:4]) == 1
}

// makeRF returns the ISO 11649 creditor reference of ref (digits and
// capital letters).
func makeRF(ref string) string {
	m := mod97(ref + "RF00")
	return fmt.Sprintf("RF%02d%s", 98-m, ref)
}

// ValidRF reports whether s (without spaces) is an ISO 11649 creditor
// reference whose check digits are right.
func ValidRF(s string) bool {
	if len(s) < 5 || len(s) > 25 || !strings.HasPrefix(s, "RF") {
		return false
	}
	return mod97(s[4:]+s[:4]) == 1
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

func letters(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + r.IntN(26))
	}
	return string(b)
}

// German bank codes of real institutes, so that IBANs look familiar.
var blz = []string{
	"10010010", "10020890", "12030000", "20050550", "20070000", "25050180", "30050110", "37040044",
	"37050198", "43060967", "50010517", "50040000", "50070010", "60050101", "66010075", "70020270",
	"70150000", "76050101", "86055592", "10050000", "36010043", "44050199", "51230800", "60090800",
}

var nlBanks = []string{"INGB", "RABO", "ABNA", "SNSB", "TRIO", "ASNB"}

// randomIBAN returns a valid IBAN, mostly German, else from a neighbour.
func randomIBAN(r *rand.Rand) string {
	switch x := r.IntN(100); {
	case x < 84:
		return makeIBAN("DE", blz[r.IntN(len(blz))]+digits(r, 10))
	case x < 90:
		return makeIBAN("AT", digits(r, 16))
	case x < 95:
		return makeIBAN("NL", nlBanks[r.IntN(len(nlBanks))]+"0"+digits(r, 9))
	default:
		// Belgian accounts carry a national check: the first ten digits
		// mod 97 (97 for 0).
		n := digits(r, 10)
		v := 0
		for _, c := range n {
			v = (v*10 + int(c-'0')) % 97
		}
		if v == 0 {
			v = 97
		}
		return makeIBAN("BE", fmt.Sprintf("%s%02d", n, v))
	}
}

// groupBy4 writes s in groups of four characters, as printed on invoices.
func groupBy4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// mangle applies the chosen number noise to a document number of format f
// and returns the result with the names of what was done.
func mangle(r *rand.Rand, f numberFormat, num string, n Noise, amountExact bool) (string, []string) {
	var noise []string
	prefix, body := f.Prefix, strings.TrimPrefix(num, f.Prefix)
	if prefix != "" && r.Float64() < n.DropPrefix {
		noise = append(noise, "drop_prefix")
		// "RE-2026-" keeps its year sometimes: "2026-000123".
		parts := strings.FieldsFunc(prefix, func(c rune) bool { return c == '-' || c == '/' })
		if len(parts) > 1 && r.IntN(2) == 0 {
			prefix = strings.Join(parts[1:], prefix[len(parts[0]):len(parts[0])+1]) + prefix[len(prefix)-1:]
		} else {
			prefix = ""
		}
	}
	if r.Float64() < n.LeadingZeros {
		trimmed := strings.TrimLeft(body, "0")
		if trimmed != body && r.IntN(3) > 0 {
			body = trimmed
			noise = append(noise, "zeros_dropped")
		} else {
			body = strings.Repeat("0", 1+r.IntN(2)) + body
			noise = append(noise, "zeros_added")
		}
	}
	if amountExact && r.Float64() < n.Typo {
		b := []byte(body)
		var at []int
		for i, c := range b {
			if c >= '1' && c <= '9' || (c == '0' && i > 0) {
				at = append(at, i)
			}
		}
		if len(at) > 0 {
			i := at[r.IntN(len(at))]
			d := byte('0' + r.IntN(9))
			if d >= b[i] {
				d++
			}
			b[i] = d
			body = string(b)
			noise = append(noise, "typo")
		}
	}
	s := prefix + body
	if r.Float64() < n.Separators {
		noise = append(noise, "separators")
		switch r.IntN(4) {
		case 0: // separators removed
			s = strings.NewReplacer("-", "", "/", "", " ", "").Replace(s)
		case 1: // separators become spaces
			s = strings.NewReplacer("-", " ", "/", " ").Replace(s)
		case 2: // a space inside the digits
			if len(body) > 3 {
				k := len(s) - 3 - r.IntN(min(3, len(body)-3))
				s = s[:k] + " " + s[k:]
			} else {
				s += " "
			}
		default: // dots for separators or digit groups
			if strings.ContainsAny(s, "-/") {
				s = strings.NewReplacer("-", ".", "/", ".").Replace(s)
			} else {
				s = groupBy4(s)
			}
		}
	}
	return s, noise
}

// addDays returns the date d (YYYY-MM-DD) plus n days, or d when it is no
// date.
func addDays(d string, n int) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}
