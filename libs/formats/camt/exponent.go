package camt

import moneypkg "github.com/o2c-platform/o2c/libs/money"

// exponent returns the ISO 4217 minor-unit exponent of a currency code;
// codes libs/money does not know use 2, the exponent of almost every
// currency.
func exponent(currency string) int {
	exp, _ := moneypkg.ExponentOrTwo(currency)
	return exp
}
