package engine

import (
	"slices"
	"strings"
)

// Forget takes back one Learn of payment p for debtor: a person undid the
// decision that taught it. The payer IBAN's confirmation count for the
// debtor drops by one and the IBAN stops pointing to the debtor only when
// no other confirmation of it stands. The payer's name stops being the
// debtor's alias when the IBAN no longer points to the debtor (or the
// payment had none): names are not counted, so a name taught by another
// standing decision of a payer without IBAN is forgotten with it. The
// debtor's master data (its own IBANs and name) is never touched, and
// Forget of something never learned changes nothing.
func (e *Engine) Forget(p Payment, debtor string) {
	di, ok := e.debIdx[strings.TrimSpace(debtor)]
	if !ok {
		return
	}
	if iban := normIBAN(p.CounterpartyIBAN); iban != "" {
		r := e.ibans[iban]
		if r == nil {
			return
		}
		k := slices.IndexFunc(r.learned, func(l learnedDebtor) bool { return l.debtor == di })
		if k < 0 {
			return
		}
		if r.learned[k].n--; r.learned[k].n > 0 {
			return
		}
		r.learned = slices.Delete(r.learned, k, k+1)
		if len(r.master) == 0 && len(r.learned) == 0 {
			delete(e.ibans, iban)
		}
	}
	n := parseName(p.CounterpartyName)
	if len(n.tokens) == 0 {
		return
	}
	d := &e.debtors[di]
	key := n.key()
	k := slices.IndexFunc(d.aliases, func(a nameInfo) bool { return a.key() == key })
	if k < 0 {
		return
	}
	gone := d.aliases[k]
	d.aliases = slices.Delete(d.aliases, k, k+1)
	for _, id := range gone.ids {
		if id < 0 || e.hasToken(d, id) {
			continue
		}
		e.tokDebtors[id] = slices.DeleteFunc(e.tokDebtors[id], func(x int32) bool { return x == di })
	}
}

// hasToken reports whether the debtor's master name or one of its aliases
// still has token id.
func (e *Engine) hasToken(d *debtorRec, id int32) bool {
	if slices.Contains(d.master.ids, id) {
		return true
	}
	for _, a := range d.aliases {
		if slices.Contains(a.ids, id) {
			return true
		}
	}
	return false
}
