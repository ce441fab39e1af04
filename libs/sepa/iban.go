package sepa

import (
	"fmt"
	"strings"
)

// ibanLength is the total length of an IBAN per country as the SWIFT IBAN
// registry gives it (release 2024), including the country code and the
// check digits.
var ibanLength = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
	"BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
	"DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
	"GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
	"MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
	"SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
	"YE": 30,
}

// IBANLength returns the length of an IBAN of country (ISO 3166 alpha-2,
// upper case) and whether the registry knows the country.
func IBANLength(country string) (int, bool) {
	n, ok := ibanLength[country]
	return n, ok
}

// CheckIBAN checks an IBAN and returns it in its electronic form: upper
// case, without spaces. It accepts the paper form with single spaces
// between groups of four and lower-case letters. The country must be in
// the IBAN registry, the length must be the country's, and the check digits
// must match (ISO 7064 MOD 97-10). The national part (BBAN) is checked for
// letters and digits only, not against each country's structure.
func CheckIBAN(s string) (normal string, err error) {
	normal = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if len(normal) < 5 {
		return "", fmt.Errorf("%q: too short: %w", s, ErrIBAN)
	}
	for i := 0; i < len(normal); i++ {
		c := normal[i]
		switch {
		case i < 2 && !isUpper(c):
			return "", fmt.Errorf("%q: country code must be two letters: %w", s, ErrIBAN)
		case i >= 2 && i < 4 && !isDigit(c):
			return "", fmt.Errorf("%q: check digits must be two digits: %w", s, ErrIBAN)
		case !isUpper(c) && !isDigit(c):
			return "", fmt.Errorf("%q: character %q at position %d is neither letter nor digit: %w", s, c, i+1, ErrIBAN)
		}
	}
	want, ok := ibanLength[normal[:2]]
	if !ok {
		return "", fmt.Errorf("%q: country %s has no IBAN: %w", s, normal[:2], ErrIBAN)
	}
	if len(normal) != want {
		return "", fmt.Errorf("%q: an IBAN of %s has %d characters, not %d: %w", s, normal[:2], want, len(normal), ErrIBAN)
	}
	if mod97(normal[4:], normal[:4]) != 1 {
		return "", fmt.Errorf("%q: %w", s, ErrIBANChecksum)
	}
	return normal, nil
}

// mod97 returns the ISO 7064 MOD 97-10 remainder of a followed by b, with
// letters counted as two digits (A = 10 … Z = 35). Both hold only upper-case
// letters and digits.
func mod97(a, b string) int {
	r := 0
	for _, s := range [2]string{a, b} {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if isDigit(c) {
				r = (r*10 + int(c-'0')) % 97
			} else {
				v := int(c-'A') + 10
				r = (r*100 + v) % 97
			}
		}
	}
	return r
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
