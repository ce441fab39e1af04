package sepa

import (
	"strings"
	"time"
)

// ShopDebtor is what a debtor's master data in ingestion says for its
// direct debits: the account holder's name, the billing address and the
// mandates the shop published. It is personal data.
type ShopDebtor struct {
	Name                            string
	Country, PostCode, Town, Street string
	Mandates                        []ShopMandate
	// Erased is set when ingestion erased the debtor's personal data: it
	// then has no name, address or mandates, and the mandates stored for
	// it are erased too (postgres.Store.EraseMandates).
	Erased bool
}

// ShopMandate is a mandate as the shop published it: the reference, the
// IBAN it debits, the date of signature (zero when the source did not
// say) and whether it is for one collection only (sequence type OOFF).
type ShopMandate struct {
	Reference, IBAN string
	SignedOn        time.Time
	OneOff          bool
}

// PairByPosition returns the mandates of an ingestion that lists only the
// references and the IBANs of a debtor, without saying which IBAN is
// whose: the i-th IBAN is the i-th mandate's when the counts agree, else
// the first is every mandate's. They carry no signature date, so they are
// not usable until an operator sets one.
func PairByPosition(refs, ibans []string) []ShopMandate {
	var out []ShopMandate
	for i, ref := range refs {
		m := ShopMandate{Reference: ref}
		switch {
		case len(ibans) == len(refs):
			m.IBAN = ibans[i]
		case len(ibans) > 0:
			m.IBAN = ibans[0]
		}
		out = append(out, m)
	}
	return out
}

// MandatesOf returns tenant's debtor's mandates from its master data as
// mandates of source shop, in scheme CORE, with the debtor's name as the
// account holder's and its billing address. A mandate with a signature
// date is usable at once; one without waits for an operator to set it.
// They are not checked (Mandate.Check).
func (d ShopDebtor) MandatesOf(tenant, debtor string) []Mandate {
	var out []Mandate
	for _, sm := range d.Mandates {
		m := Mandate{Tenant: tenant, Reference: strings.TrimSpace(sm.Reference), Debtor: debtor, Name: d.Name, IBAN: sm.IBAN,
			Country: d.Country, PostCode: d.PostCode, Town: d.Town, Street: d.Street, Scheme: SchemeCore, OneOff: sm.OneOff,
			Source: SourceShop}
		if !sm.SignedOn.IsZero() {
			m.SignedOn = Day(sm.SignedOn)
		}
		out = append(out, m)
	}
	return out
}
