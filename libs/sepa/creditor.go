package sepa

import (
	"fmt"
	"strings"
)

// CheckCreditorID checks a SEPA creditor identifier and returns it upper
// case without spaces. Its form is the country code, two check digits, a
// three-character creditor business code the check ignores (ZZZ when the
// creditor has none) and the national identifier, 35 characters at most
// (18 in Germany: DE98ZZZ09999999999). The check digits are ISO 7064 MOD
// 97-10 over the national identifier followed by the country code and
// "00", letters counted as two digits (A = 10 … Z = 35), as the EPC's
// "Creditor Identifier Overview" defines them. A German identifier must
// have 18 characters and an 11-digit national part.
func CheckCreditorID(s string) (normal string, err error) {
	normal = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if len(normal) < 8 || len(normal) > 35 {
		return "", fmt.Errorf("%q: a creditor identifier has 8 to 35 characters, not %d: %w", s, len(normal), ErrCreditorID)
	}
	for i := 0; i < len(normal); i++ {
		c := normal[i]
		switch {
		case i < 2 && !isUpper(c):
			return "", fmt.Errorf("%q: country code must be two letters: %w", s, ErrCreditorID)
		case i >= 2 && i < 4 && !isDigit(c):
			return "", fmt.Errorf("%q: check digits must be two digits: %w", s, ErrCreditorID)
		case !isUpper(c) && !isDigit(c):
			return "", fmt.Errorf("%q: character %q at position %d is neither letter nor digit: %w", s, c, i+1, ErrCreditorID)
		}
	}
	national := normal[7:]
	if normal[:2] == "DE" {
		if len(normal) != 18 {
			return "", fmt.Errorf("%q: a German creditor identifier has 18 characters, not %d: %w", s, len(normal), ErrCreditorID)
		}
		for i := 0; i < len(national); i++ {
			if !isDigit(national[i]) {
				return "", fmt.Errorf("%q: the national part of a German creditor identifier is digits only: %w", s, ErrCreditorID)
			}
		}
	}
	if mod97(national, normal[:2]+normal[2:4]) != 1 {
		return "", fmt.Errorf("%q: check digits do not match: %w", s, ErrCreditorID)
	}
	return normal, nil
}
