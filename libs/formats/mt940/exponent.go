package mt940

import "github.com/o2c-platform/o2c/libs/money"

// exponent returns the ISO 4217 minor-unit exponent of a currency code;
// codes libs/money does not know use 2, the exponent of almost every
// currency.
func exponent(currency string) int {
	exp, _ := money.ExponentOrTwo(currency)
	return exp
}

// exponent is the package's exponent with the last lookup remembered: a
// statement's entries are almost always in one currency.
func (r *Reader) exponent(currency string) int {
	if currency != r.expCur || r.expCur == "" {
		r.expCur, r.exp = currency, exponent(currency)
	}
	return r.exp
}
