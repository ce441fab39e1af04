package mt940

// exponent returns the ISO 4217 minor-unit exponent of currency: the number
// of decimals its minor unit has. Currencies the table does not list are
// taken to have two decimals, which is what most ISO 4217 currencies use.
// The table is deliberately small and unexported; it is expected to move to
// libs/money.
func exponent(currency string) int {
	switch currency {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
		"RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	case "CLF", "UYW":
		return 4
	}
	return 2
}
