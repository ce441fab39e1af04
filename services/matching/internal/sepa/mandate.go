package sepa

import (
	"fmt"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/sepa"
)

// The schemes of a mandate.
const (
	SchemeCore = "CORE"
	SchemeB2B  = "B2B"
)

// The sequence types of a collection.
const (
	SeqFirst     = "FRST"
	SeqRecurring = "RCUR"
	SeqOneOff    = "OOFF"
)

// Where a mandate came from.
const (
	SourceShop     = "shop"
	SourceOperator = "operator"
)

// ExpiryMonths is how long a mandate may go unused: a mandate without a
// collection for 36 months expires (EPC rulebook, SDD Core and B2B 4.1).
const ExpiryMonths = 36

// Mandate is a debtor's SEPA direct-debit mandate to the tenant. It holds
// personal data (name, IBAN) that the collection files need: unlike
// matching's other tables, the mandate table stores it.
type Mandate struct {
	Tenant string
	// Reference is the mandate reference (Mandatsreferenz), unique per
	// creditor: at most 35 characters of the SEPA set.
	Reference string
	Debtor    string
	// Name is the account holder's name; IBAN and BIC (may be empty) the
	// account to debit.
	Name, IBAN, BIC string
	// Country, PostCode, Town and Street are the debtor's address, needed
	// when the debtor's account lies outside the EEA.
	Country, PostCode, Town, Street string
	// SignedOn is the date of signature; zero when the source did not say
	// (then the mandate is not usable until an operator sets it).
	SignedOn time.Time
	// Scheme is CORE or B2B.
	Scheme string
	// OneOff is a mandate for a single collection (OOFF).
	OneOff bool
	// Account is the creditor account's IBAN collected to; empty for the
	// tenant's first.
	Account string
	// Source is "shop" or "operator".
	Source string
	// FirstBooked is set once a collection under the mandate was booked
	// (the statement showed it): later ones are RCUR.
	FirstBooked bool
	// LastCollected is the collection date of the latest collection
	// submitted, zero before the first.
	LastCollected time.Time
	// Amendment is what changed since the last collection, carried into
	// the next one and cleared when that was submitted; nil when nothing.
	Amendment *Amendment
	// Revoked is when the mandate was revoked (by the debtor, the
	// operator, or dropped by the shop), zero while it holds.
	Revoked time.Time
	// Unusable is the return reason code that made the mandate unusable
	// (AC04, MD01 ...), "" when none.
	Unusable string
	// Note is free text of the operator.
	Note string
	// Version counts the changes, for optimistic concurrency.
	Version int64
}

// Amendment is what changed in a mandate since its last collection.
type Amendment struct {
	// OriginalReference is the reference before it changed, "" when it
	// did not.
	OriginalReference string
	// OriginalCreditorID is the creditor identifier before it changed.
	OriginalCreditorID string
	// NewAccount is set when the debtor's IBAN changed: the file says
	// SMNDA (same mandate, new debtor account).
	NewAccount bool
}

// Check checks a mandate as entered and returns it in normal form (IBAN
// without spaces, upper case; scheme CORE when empty).
func (m Mandate) Check(now time.Time) (Mandate, error) {
	m.Reference = strings.TrimSpace(m.Reference)
	switch {
	case m.Reference == "" || len(m.Reference) > sepa.MaxIDLength || !sepa.IsLatin(m.Reference) || strings.Contains(m.Reference, " "):
		return m, fmt.Errorf("%w: reference %q: 1 to 35 characters of the SEPA set without spaces", ErrInvalidMandate, m.Reference)
	case strings.TrimSpace(m.Debtor) == "":
		return m, fmt.Errorf("%w %s: debtor required", ErrInvalidMandate, m.Reference)
	case strings.TrimSpace(m.Name) == "":
		return m, fmt.Errorf("%w %s: account holder's name required", ErrInvalidMandate, m.Reference)
	}
	iban, err := sepa.CheckIBAN(m.IBAN)
	if err != nil {
		return m, fmt.Errorf("%w %s: iban: %w", ErrInvalidMandate, m.Reference, err)
	}
	m.IBAN = iban
	if m.BIC = strings.ToUpper(strings.TrimSpace(m.BIC)); m.BIC != "" {
		if err := sepa.CheckBIC(m.BIC); err != nil {
			return m, fmt.Errorf("%w %s: bic: %w", ErrInvalidMandate, m.Reference, err)
		}
	}
	switch m.Scheme = strings.ToUpper(m.Scheme); m.Scheme {
	case "":
		m.Scheme = SchemeCore
	case SchemeCore, SchemeB2B:
	default:
		return m, fmt.Errorf("%w %s: scheme %q: CORE or B2B", ErrInvalidMandate, m.Reference, m.Scheme)
	}
	if !m.SignedOn.IsZero() && Day(m.SignedOn).After(Day(now)) {
		return m, fmt.Errorf("%w %s: signed on %s, after today", ErrInvalidMandate, m.Reference, m.SignedOn.Format(time.DateOnly))
	}
	return m, nil
}

// Amend returns next, the mandate as changed by the operator or the shop,
// with the amendment the next collection must carry: a new IBAN, a new
// reference (when the reference changed, next.Reference differs from
// prev's and prev is the mandate under its old one). The collection state
// (first booked, last collected, amendments not yet carried) goes over.
func Amend(prev, next Mandate) Mandate {
	next.FirstBooked, next.LastCollected, next.Version = prev.FirstBooked, prev.LastCollected, prev.Version
	next.Unusable, next.Revoked = prev.Unusable, prev.Revoked
	a := Amendment{}
	if prev.Amendment != nil {
		a = *prev.Amendment
	}
	if prev.LastCollected.IsZero() {
		// Nothing was collected yet: the bank has seen no other version.
		next.Amendment = nil
		return next
	}
	if prev.Reference != next.Reference && a.OriginalReference == "" {
		a.OriginalReference = prev.Reference
	}
	if prev.IBAN != next.IBAN {
		a.NewAccount = true
		// A return for the old account (AC04 ...) says nothing of the new.
		next.Unusable = ""
	}
	if a != (Amendment{}) {
		next.Amendment = &a
	}
	return next
}

// Expires returns the day a mandate expires when it is not used until
// then: 36 months after its last collection, or after its signature while
// it was never used. Zero when the signature date is unknown.
func (m Mandate) Expires() time.Time {
	from := m.LastCollected
	if from.IsZero() {
		from = m.SignedOn
	}
	if from.IsZero() {
		return time.Time{}
	}
	return Day(from).AddDate(0, ExpiryMonths, 0)
}

// Usable returns "" when a collection may be made under the mandate on
// day, else why not.
func (m Mandate) Usable(day time.Time) string {
	switch {
	case !m.Revoked.IsZero():
		return "mandate revoked on " + m.Revoked.Format(time.DateOnly)
	case m.Unusable != "":
		return "mandate unusable after a return with reason " + m.Unusable + " (" + ReturnReasons[m.Unusable].Text + ")"
	case m.SignedOn.IsZero():
		return "mandate's signature date unknown (set it with PutMandate)"
	case m.OneOff && !m.LastCollected.IsZero():
		return "one-off mandate already used"
	case !Day(day).Before(m.Expires()):
		return "mandate expired on " + m.Expires().Format(time.DateOnly) + " (unused for 36 months)"
	}
	return ""
}

// Sequence returns the sequence type of the mandate's next collection:
// OOFF for a one-off mandate, FRST until a collection under it was booked,
// RCUR after. Since November 2016 the rulebooks no longer require FRST (a
// first collection may be RCUR); o2c keeps FRST/RCUR as the issue asks.
func (m Mandate) Sequence() string {
	switch {
	case m.OneOff:
		return SeqOneOff
	case m.FirstBooked:
		return SeqRecurring
	}
	return SeqFirst
}
