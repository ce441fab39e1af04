package settlement

// zeroExponent and threeExponent list the ISO 4217 currencies whose minor
// unit is not the usual hundredth. Every other well-formed code is taken to
// have two decimals.
var (
	zeroExponent = [...]string{"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
	// threeExponent are the currencies with a thousandth as minor unit.
	threeExponent = [...]string{"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
)

// exponent returns the number of decimals of the ISO 4217 currency code and
// whether code is a well-formed code (three ASCII capital letters).
func exponent(code string) (int, bool) {
	if len(code) != 3 {
		return 0, false
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return 0, false
		}
	}
	for _, c := range zeroExponent {
		if c == code {
			return 0, true
		}
	}
	for _, c := range threeExponent {
		if c == code {
			return 3, true
		}
	}
	return 2, true
}
