package sepa

import "fmt"

// CheckBIC checks the form of a BIC (ISO 9362): 8 or 11 upper-case
// characters, the institution code (four letters or digits), the ISO 3166
// country code (two letters), the location (two letters or digits) and
// optionally the branch (three letters or digits). This is the pattern of
// the BICFIDec2014Identifier type of the ISO 20022 schemas; whether the
// BIC exists is not checked. SEPA files may omit the BIC (IBAN only).
func CheckBIC(s string) error {
	if len(s) != 8 && len(s) != 11 {
		return fmt.Errorf("%q: a BIC has 8 or 11 characters, not %d: %w", s, len(s), ErrBIC)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i >= 4 && i < 6 {
			if !isUpper(c) {
				return fmt.Errorf("%q: characters 5 and 6 must be the country code: %w", s, ErrBIC)
			}
			continue
		}
		if !isUpper(c) && !isDigit(c) {
			return fmt.Errorf("%q: character %q at position %d is not an upper-case letter or digit: %w", s, c, i+1, ErrBIC)
		}
	}
	return nil
}
