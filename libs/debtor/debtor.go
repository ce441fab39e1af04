// Package debtor says which debtor ids o2c keeps for itself. A shop names
// its customers with ids of its own (customer_id), and the ledger keeps a
// personal account per id; the receivables against a marketplace that
// collects orders (Amazon, eBay) sit on debtors whose ids o2c derives from
// the marketplace and currency (MarketplaceID). Those derived ids form a
// reserved namespace: an id from outside that falls into it would book a
// shop's customer onto the marketplace's account.
//
// The package is pure string work, so domain packages of every service can
// use it; it is the one place that defines the namespace.
package debtor

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MarketplacePrefix starts every debtor id o2c derives for a marketplace.
const MarketplacePrefix = "marketplace:"

// MarketplaceID returns the debtor id under which the receivables against a
// marketplace in one currency are kept, e.g. "marketplace:amazon.de:EUR".
func MarketplaceID(marketplace, currency string) string {
	return MarketplacePrefix + marketplace + ":" + currency
}

// Reserved reports whether id lies in the namespace of ids o2c derives
// itself: it starts with MarketplacePrefix, compared without regard to case
// and after leading white space and invisible format characters (such as a
// zero-width space), so that no look-alike of a marketplace debtor can be
// created from outside either.
func Reserved(id string) bool {
	s := strings.TrimLeftFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) })
	// Compare rune by rune: a case variant may differ in byte length (the
	// Kelvin sign folds to k).
	want := MarketplacePrefix
	for _, r := range s {
		if want == "" {
			break
		}
		p, size := utf8.DecodeRuneInString(want)
		if !strings.EqualFold(string(r), string(p)) {
			return false
		}
		want = want[size:]
	}
	return want == ""
}
