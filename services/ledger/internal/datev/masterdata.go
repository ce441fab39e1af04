package datev

import (
	"strings"

	extf "github.com/o2c-platform/o2c/libs/formats/datev"
)

// ErasedName is the Name (Adressattyp keine Angabe) of an erased debtor's
// master data record, followed by its debtor id: the record carries no
// personal data, the tax advisor sees the account, "[erased]" and the id.
const ErasedName = "[erased]"

// Profile is a debtor's master data as ingestion keeps it, as far as the
// Debitoren/Kreditoren file has fields for it. The ledger keeps none of it
// except what a closed period's export recorded.
type Profile struct {
	// Business is true for a company (Adressattyp Unternehmen), false for
	// a consumer (natürliche Person).
	Business bool `json:"business,omitempty"`
	// Name is the person's or company's name.
	Name string `json:"name,omitempty"`
	// Street holds the billing address's street lines, in order.
	Street []string `json:"street,omitempty"`
	// PostalCode, City and Country (ISO 3166-1 alpha-2) complete the
	// billing address.
	PostalCode string `json:"postal_code,omitempty"`
	City       string `json:"city,omitempty"`
	Country    string `json:"country,omitempty"`
	// Email is the address for invoices and reminders.
	Email string `json:"email,omitempty"`
	// Language is the preferred language as an ISO 639-1 code ("de").
	Language string `json:"language,omitempty"`
	// Erased is true once the debtor's personal data was erased; the
	// other fields are then empty.
	Erased bool `json:"erased,omitempty"`
}

// languages maps ISO 639-1 codes to DATEV's Sprache.
var languages = map[string]string{"de": "1", "fr": "4", "en": "5", "es": "10", "it": "19"}

// Record returns the master data record of d. Without a profile it names
// the debtor by its id (Adressattyp keine Angabe), as the ledger knows no
// more; an erased debtor is named ErasedName and its id, with no personal
// data. A company's name goes into Name (Adressattyp Unternehmen); a
// person's is split at its last space into Vorname and Name (natürl.
// Person), a single word being the Name. Text is made Windows-1252 safe
// (textOf) and cut to DATEV's field lengths (names, street, city), since
// a cut name still names the debtor; a postal code, e-mail, country or
// language that does not fit DATEV's rules is left out instead, since a
// cut one would be wrong. Several street lines are joined with ", ".
// The debtor id is the Kunden-/Lief.-Nr. and Nummer Fremdsystem where it
// fits their 15 characters.
func (d Debtor) Record() extf.Debtor {
	rec := extf.Debtor{Account: d.Account}
	if id := textOf(d.DebtorID); id == d.DebtorID && len(id) <= 15 {
		rec.CustomerNumber, rec.ExternalNumber = id, id
	}
	p := d.Profile
	switch {
	case p == nil || (!p.Erased && p.Name == ""):
		rec.AddresseeType, rec.Name = "0", fit(d.DebtorID, 50)
		if p == nil {
			return rec
		}
	case p.Erased:
		rec.AddresseeType, rec.Name = "0", fit(ErasedName+" "+d.DebtorID, 50)
		return rec
	case p.Business:
		rec.AddresseeType, rec.CompanyName = "2", fit(p.Name, 50)
	default:
		rec.AddresseeType = "1"
		name := strings.Join(strings.Fields(p.Name), " ")
		if i := strings.LastIndexByte(name, ' '); i > 0 {
			rec.FirstName, rec.LastName = fit(name[:i], 30), fit(name[i+1:], 30)
		} else {
			rec.LastName = fit(name, 30)
		}
	}
	var street []string
	for _, l := range p.Street {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			street = append(street, l)
		}
	}
	rec.Street = fit(strings.Join(street, ", "), 36)
	if pc := textOf(strings.TrimSpace(p.PostalCode)); len([]rune(pc)) <= 10 && !strings.ContainsRune(pc, '_') {
		rec.PostalCode = pc
	}
	rec.City = fit(p.City, 30)
	if c := strings.ToUpper(strings.TrimSpace(p.Country)); len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' {
		rec.Country = c
	}
	if e := strings.TrimSpace(p.Email); len(e) <= 60 && textOf(e) == e {
		rec.Email = e
	}
	rec.Language = languages[strings.ToLower(strings.TrimSpace(p.Language))]
	if rec.Street != "" || rec.PostalCode != "" || rec.City != "" {
		rec.AddressKind = "STR"
	}
	return rec
}

// fit makes s a DATEV text field of at most n characters: runs of white
// space become one space, characters Windows-1252 cannot hold become '_'
// (textOf), and the rest is cut after n characters.
func fit(s string, n int) string {
	r := []rune(textOf(strings.Join(strings.Fields(s), " ")))
	if len(r) > n {
		r = r[:n]
	}
	return strings.TrimRight(string(r), " ")
}
