package sepa

import "strings"

// ReturnReason is what o2c does with a mandate after a collection under it
// came back with an ISO 20022 return reason code.
type ReturnReason struct {
	// Text is the code's meaning in a few words.
	Text string
	// Unusable means the mandate cannot be collected from again until an
	// operator amends it (a new IBAN, a new mandate): the account is gone,
	// blocked, or there is no valid mandate. Otherwise the next
	// collection under the mandate goes ahead as planned.
	Unusable bool
}

// ReturnReasons are the return reason codes of SEPA direct debits (EPC
// rulebook, Annex: R-transaction reason codes) and what each means for the
// mandate. A code not listed leaves the mandate usable: an operator sees
// the return in the exception queue.
var ReturnReasons = map[string]ReturnReason{
	"AC01": {Text: "account identifier incorrect", Unusable: true},
	"AC04": {Text: "account closed", Unusable: true},
	"AC06": {Text: "account blocked", Unusable: true},
	"AC13": {Text: "debtor account is a consumer account (B2B)", Unusable: true},
	"AG01": {Text: "transaction forbidden on this account", Unusable: true},
	"AG02": {Text: "operation code or scheme not valid", Unusable: false},
	"AM04": {Text: "insufficient funds", Unusable: false},
	"AM05": {Text: "duplicate collection", Unusable: false},
	"BE05": {Text: "creditor identifier unknown to the bank", Unusable: false},
	"CNOR": {Text: "creditor bank not registered", Unusable: false},
	"DNOR": {Text: "debtor bank not registered", Unusable: false},
	"FF01": {Text: "invalid file format", Unusable: false},
	"MD01": {Text: "no valid mandate", Unusable: true},
	"MD02": {Text: "mandate data missing or incorrect", Unusable: false},
	"MD06": {Text: "refund request by the debtor (authorised collection)", Unusable: false},
	"MD07": {Text: "debtor deceased", Unusable: true},
	"MS02": {Text: "refused by the debtor, reason not specified", Unusable: false},
	"MS03": {Text: "reason not specified by the bank", Unusable: false},
	"RC01": {Text: "bank identifier incorrect", Unusable: false},
	"RR01": {Text: "debtor identification missing (regulatory)", Unusable: false},
	"RR02": {Text: "debtor name or address missing (regulatory)", Unusable: false},
	"RR03": {Text: "creditor name or address missing (regulatory)", Unusable: false},
	"RR04": {Text: "regulatory reason", Unusable: false},
	"SL01": {Text: "specific service of the debtor's bank (creditor blocked by the debtor)", Unusable: true},
}

// MakesUnusable reports whether a return with the reason code makes the
// mandate unusable.
func MakesUnusable(code string) bool {
	return ReturnReasons[strings.ToUpper(strings.TrimSpace(code))].Unusable
}
