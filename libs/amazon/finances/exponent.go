package finances

// exponent returns the ISO 4217 minor-unit exponent of code and whether code
// is one of the currencies this table names explicitly. Codes not listed have
// exponent 2, which is right for almost every currency; the caller warns about
// them. The table is deliberately small and unexported: the lead moves it into
// a shared package later.
func exponent(code string) (exp int, listed bool) {
	switch code {
	case "JPY", "KRW", "ISK", "CLP", "VND", "XOF", "XAF", "UGX", "PYG", "RWF",
		"KMF", "GNF", "DJF", "BIF", "VUV", "XPF":
		return 0, true
	case "BHD", "KWD", "OMR", "JOD", "IQD", "LYD", "TND":
		return 3, true
	case "USD", "EUR", "GBP", "CAD", "MXN", "BRL", "AUD", "INR", "SEK", "PLN",
		"TRY", "AED", "SAR", "SGD", "EGP", "ZAR", "CHF", "CNY", "NZD", "HUF",
		"CZK", "DKK", "NOK", "RON", "HKD":
		return 2, true
	}
	return 2, false
}
