package notice

import (
	"strings"
	"unicode/utf8"
)

// maxReference is the length of a SEPA remittance text (unstructured
// remittance information), the most a payer's bank passes on.
const maxReference = 140

// Reference returns the payment reference a notice asks the debtor to give
// with the transfer: the customer number and the invoice numbers of the
// notice's items, separated by spaces, e.g. "KD 10042 RE-2026-0001
// RE-2026-0002". These are the numbers the matching engine looks for in a
// remittance. The text is kept within the 140 characters of a SEPA
// remittance by leaving out the invoice numbers that do not fit whole (the
// customer number still names the debtor); a number is never cut, so that
// matching does not read a cut number as another.
func Reference(customer string, documents []string) string {
	var b strings.Builder
	add := func(s string) {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" {
			return
		}
		n := utf8.RuneCountInString(s)
		if b.Len() > 0 {
			n++
		}
		if utf8.RuneCountInString(b.String())+n > maxReference {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	if c := strings.TrimSpace(customer); c != "" {
		add("KD " + c)
	}
	seen := map[string]bool{}
	for _, d := range documents {
		d = strings.TrimSpace(d)
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		add(d)
	}
	return b.String()
}
