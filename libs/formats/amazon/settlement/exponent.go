package settlement

import "github.com/o2c-platform/o2c/libs/money"

// exponent returns the number of decimals of the ISO 4217 currency code
// (2 for a well-formed code libs/money does not know) and whether code is a
// well-formed code (three ASCII capital letters).
func exponent(code string) (int, bool) {
	if len(code) != 3 {
		return 0, false
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return 0, false
		}
	}
	exp, _ := money.ExponentOrTwo(code)
	return exp, true
}
