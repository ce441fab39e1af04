package finances

import "github.com/o2c-platform/o2c/libs/money"

// exponent returns the ISO 4217 minor-unit exponent of code and whether
// libs/money knows the code. Unknown codes have exponent 2, which is right
// for almost every currency; the caller warns about them.
func exponent(code string) (exp int, listed bool) {
	return money.ExponentOrTwo(code)
}
