package camt

// exponent returns the ISO 4217 minor-unit exponent of a currency code:
// how many decimal digits its minor unit has. Codes not listed use 2, the
// exponent of almost every currency. The table lives here until the money
// package takes it over.
func exponent(currency string) int {
	switch currency {
	case "JPY", "KRW", "ISK", "CLP", "VND", "XOF", "XAF", "UGX", "PYG",
		"RWF", "KMF", "GNF", "DJF", "BIF", "VUV", "XPF":
		return 0
	case "BHD", "KWD", "OMR", "JOD", "IQD", "LYD", "TND":
		return 3
	}
	return 2
}
