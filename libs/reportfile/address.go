package reportfile

import "strings"

// Address is a postal address as a letter's window shows it.
type Address struct {
	// Name is the person's or company's name.
	Name string
	// Lines are the street lines (street and number, c/o, ...), in order.
	Lines []string
	// PostalCode, City and Country (ISO 3166-1 alpha-2) complete it.
	PostalCode, City, Country string
}

// countryNames are the country lines DIN 5008 asks for on a letter
// abroad, in capitals; a country not listed is printed as its code.
var countryNames = map[string]string{
	"AT": "ÖSTERREICH", "BE": "BELGIEN", "CH": "SCHWEIZ", "CZ": "TSCHECHIEN", "DE": "DEUTSCHLAND",
	"DK": "DÄNEMARK", "ES": "SPANIEN", "FR": "FRANKREICH", "GB": "VEREINIGTES KÖNIGREICH", "IT": "ITALIEN",
	"LU": "LUXEMBURG", "NL": "NIEDERLANDE", "PL": "POLEN", "SE": "SCHWEDEN", "US": "VEREINIGTE STAATEN",
}

// AddressBlock returns a's lines for the window of a DIN 5008 letter: the
// name, the street lines, postal code and city, and the country in
// capitals when it is not home (the sender's country; empty means "DE").
// Empty lines are left out and white space runs become one space; at
// most six lines are returned, the window's, dropping street lines
// first. It returns nil when a has no name.
func AddressBlock(a Address, home string) []string {
	clean := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	name := clean(a.Name)
	if name == "" {
		return nil
	}
	var street []string
	for _, l := range a.Lines {
		if l = clean(l); l != "" {
			street = append(street, l)
		}
	}
	var tail []string
	if city := clean(clean(a.PostalCode) + " " + clean(a.City)); city != "" {
		tail = append(tail, city)
	}
	if home == "" {
		home = "DE"
	}
	if c := strings.ToUpper(clean(a.Country)); c != "" && c != strings.ToUpper(home) {
		if n, ok := countryNames[c]; ok {
			c = n
		}
		tail = append(tail, c)
	}
	if keep := 6 - 1 - len(tail); len(street) > keep {
		street = street[:keep]
	}
	out := append([]string{name}, street...)
	return append(out, tail...)
}
