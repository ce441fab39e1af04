package collections

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
)

// Candidate is an item offered for release, with what decides whether it
// may go.
type Candidate struct {
	Item
	// Currency of the item.
	Currency string
	// Blocked and Disputed say whether a dunning block (Disputed: with the
	// reason "dispute") lies on the item or its debtor.
	Blocked, Disputed bool
	// InCase is the active case already holding the item; empty for none.
	InCase string
	// CollectedIn is the case that collected the item in full (its open
	// amount in the case is zero although the item was not recalled);
	// empty for none. The ledger books that collection later, so its open
	// amount may still show the item open.
	CollectedIn string
}

// Release is a release of one debtor's items.
type Release struct {
	Tenant, CaseID, DebtorID string
	// Debtor holds kind, group and country (no personal data).
	Debtor *collectionsv1.Debtor
	Items  []Candidate
	Date   time.Time
	// Source is "dunning" or "manual"; Reason the operator's or the
	// procedure's; Actor who released.
	Source, Reason, Actor string
	History               []*collectionsv1.DunningStep
	// Agency names the agency; empty lets the rules choose.
	Agency string
	// Named says the items were named by the caller rather than gathered
	// (every open item of the debtor): a named item in an open case or
	// collected in full refuses the whole release.
	Named bool
	// Key and Hash are a manual release's idempotency key and its
	// request's hash without the key; empty without key.
	Key, Hash string
}

// TimeBarred reports whether a claim due on due is time-barred on date:
// the regular limitation of §195 BGB (three years) runs from the end of the
// year the claim arose (§199 (1) BGB), taken here as the due date's year.
// A zero due date is never time-barred.
func TimeBarred(due, date time.Time) bool {
	if due.IsZero() {
		return false
	}
	end := time.Date(due.Year()+3, time.December, 31, 0, 0, 0, 0, time.UTC)
	return date.After(end)
}

// Eligible splits candidates into the items that may go to collections
// on date and the reasons the others may not ("<item>: <reason>").
func Eligible(items []Candidate, date time.Time) (ok []Candidate, skipped []string) {
	for _, it := range items {
		var why string
		switch {
		case it.Open <= 0:
			why = "nothing open"
		case it.InCase != "":
			why = "already in collection (case " + it.InCase + ")"
		case it.CollectedIn != "":
			why = "collected in full (case " + it.CollectedIn + ")"
		case it.Disputed:
			why = "disputed"
		case it.Blocked:
			why = "blocked"
		case TimeBarred(it.DueDate, date):
			why = "time-barred"
		}
		if why != "" {
			skipped = append(skipped, it.ID+": "+why)
			continue
		}
		ok = append(ok, it)
	}
	return ok, skipped
}

// DecideRelease decides a release under the tenant's configuration: it
// returns CaseReleased and CaseSubmitted for the eligible items and the
// chosen agency, ErrInCollection when an item named is in an open case or
// was collected in full, ErrNotEligible when nothing (or too little) may
// go, or ErrNoAgency.
func DecideRelease(r Release, cfg Config) ([]proto.Message, error) {
	switch {
	case r.Tenant == "" || r.CaseID == "" || r.DebtorID == "":
		return nil, fmt.Errorf("%w: release without tenant, case or debtor", ErrInvalid)
	case r.Date.IsZero():
		return nil, fmt.Errorf("%w: release without date", ErrInvalid)
	}
	if r.Named {
		for _, it := range r.Items {
			switch {
			case it.InCase != "":
				return nil, fmt.Errorf("%w: item %s is in open case %s", ErrInCollection, it.ID, it.InCase)
			case it.CollectedIn != "":
				return nil, fmt.Errorf("%w: item %s was collected in full in case %s", ErrInCollection, it.ID, it.CollectedIn)
			}
		}
	}
	ok, skipped := Eligible(r.Items, r.Date)
	if len(ok) == 0 {
		return nil, fmt.Errorf("%w: no item may go: %s", ErrNotEligible, strings.Join(skipped, "; "))
	}
	cur := ok[0].Currency
	var total int64
	oldest := time.Time{}
	for _, it := range ok {
		if it.Currency != cur {
			return nil, fmt.Errorf("%w: items in %s and %s: a case has one currency", ErrInvalid, cur, it.Currency)
		}
		if total+it.Open < total {
			return nil, ErrOverflow
		}
		total += it.Open
		if !it.DueDate.IsZero() && (oldest.IsZero() || it.DueDate.Before(oldest)) {
			oldest = it.DueDate
		}
	}
	if total < cfg.MinReleaseAmountMinor {
		return nil, fmt.Errorf("%w: open total %d is below the tenant's minimum %d", ErrNotEligible, total, cfg.MinReleaseAmountMinor)
	}
	debtor := proto.CloneOf(r.Debtor)
	if debtor == nil {
		debtor = &collectionsv1.Debtor{}
	}
	debtor.DebtorId = r.DebtorID
	age := 0
	if !oldest.IsZero() {
		age = int(r.Date.Sub(oldest).Hours() / 24)
	}
	var agency Agency
	var rule string
	if r.Agency != "" {
		a, found := cfg.Agency(r.Agency)
		if !found {
			return nil, fmt.Errorf("%w: agency %q is not configured for the tenant", ErrNoAgency, r.Agency)
		}
		agency, rule = a, "named by "+r.Actor
	} else {
		a, why, err := cfg.Choose(Profile{CaseID: r.CaseID, Country: debtor.GetCountry(), Group: debtor.GetGroup(), TotalMinor: total, AgeDays: age})
		if err != nil {
			return nil, err
		}
		agency, rule = a, why
	}
	ref := &collectionsv1.CaseRef{Tenant: r.Tenant, CaseId: r.CaseID, DebtorId: r.DebtorID}
	rel := &collectionsv1.CaseReleased{Ref: ref, ReleasedOn: DateProto(r.Date), Source: r.Source, Reason: r.Reason,
		DunningHistory: r.History, Debtor: debtor, Actor: r.Actor, IdempotencyKey: r.Key, RequestHash: r.Hash}
	c := &Case{Currency: cur}
	for _, it := range ok {
		rel.Items = append(rel.Items, &collectionsv1.CaseItem{
			OpenItemId: it.ID, ClaimOpenItemId: it.Claim, DocumentNumber: it.Document, Component: it.Component,
			HandedOver: c.Money(it.Open), Open: c.Money(it.Open), DocumentDate: DateProto(it.DocumentDate),
			DueDate: DateProto(it.DueDate), DefaultDate: DateProto(it.DefaultDate), TaxRateBp: int32(it.TaxRateBP),
		})
	}
	sub := &collectionsv1.CaseSubmitted{
		Ref:  &collectionsv1.CaseRef{Tenant: r.Tenant, CaseId: r.CaseID, DebtorId: r.DebtorID, Agency: agency.ID},
		Rule: rule, CommissionBp: int32(agency.CommissionBP),
	}
	return []proto.Message{rel, sub}, nil
}
