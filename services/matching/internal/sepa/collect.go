package sepa

import (
	"cmp"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Item is an open item as a collection run sees it.
type Item struct {
	ID, Debtor, Document string
	Currency             string
	// Open is what is still open, in euro cents; positive for a
	// receivable.
	Open int64
	// DueDate is when the item falls due; a collection is never made
	// before it.
	DueDate time.Time
	// DirectDebit says the item is to be collected by direct debit: its
	// order was placed with that payment method, or (without an order)
	// its debtor pays by direct debit.
	DirectDebit bool
}

// The states of a debit.
const (
	// Prenotified: the debtor was told of the collection; not yet in a
	// file.
	Prenotified = "prenotified"
	// Submitted: in a pain.008 file; waits for the statement.
	Submitted = "submitted"
	// Booked: the statement showed the collection and matching cleared
	// the item by its end-to-end id.
	Booked = "booked"
	// Returned: the collection came back (Reason says why).
	Returned = "returned"
	// Rejected: the bank rejected the submitted collection before
	// settlement in a status report (pain.002; Reason is its code). No
	// money moved and nothing was booked, so unlike a return nothing is
	// reopened; the item is collected again under a new attempt, as after
	// a return, unless the code made the mandate unusable. A state of its
	// own rather than Returned: the statement never shows it, and an
	// operator reading the list must not look there for a return.
	Rejected = "rejected"
	// Cancelled: pre-notified, then not collected (the item was paid,
	// blocked, its amount changed or the mandate became unusable).
	Cancelled = "cancelled"
)

// Debit is one collection of one open item under a mandate: pre-notified
// in one run, submitted in a later one.
type Debit struct {
	Item, Debtor, Document string
	// Attempt counts the item's collections from 1; a returned item is
	// collected again under a new attempt (and end-to-end id).
	Attempt    int
	EndToEndID string
	Mandate    string
	Amount     int64
	Sequence   string
	Scheme     string
	// Account is the creditor account's IBAN.
	Account string
	// Collection is the collection date told to the debtor, moved later
	// when no run submitted it in time.
	Collection time.Time
	// PreNotified is the day the debtor was told.
	PreNotified time.Time
	State       string
	// File is the name of the pain.008 file that carries it.
	File string
	// Reason says why it was cancelled, or the return or rejection
	// reason code.
	Reason string
	// BankStatus is the latest status a status report (pain.002) gave
	// the collection (ACCP, ACSC, RJCT ...), empty before any.
	BankStatus string
}

// Skip is an item a run left out, and why.
type Skip struct {
	Item, Debtor, Reason string
}

// RunInput is what a collection run decides on.
type RunInput struct {
	Tenant string
	// Date is the run's day.
	Date   time.Time
	Config Config
	Items  []Item
	// Mandates are the tenant's mandates (of the items' debtors at
	// least).
	Mandates []Mandate
	// Blocks maps a debtor or item id to why it must not be collected
	// (a dunning block, a dispute).
	Blocks map[string]string
	// Debits are the items' latest debits, one per item at most.
	Debits []Debit
}

// Plan is what a collection run does.
type Plan struct {
	// PreNotify are new debits: the debtor is told now.
	PreNotify []Debit
	// Submit are pre-notified debits due for submission now, with their
	// final collection date and sequence type.
	Submit []Debit
	// Cancel are pre-notified debits no longer to be collected.
	Cancel []Debit
	// Skipped are the direct-debit items left alone, with why.
	Skipped []Skip
}

// EndToEndID returns the end-to-end identification of an item's attempt:
// "O2C" and 24 characters of base32 of a hash of tenant, item and
// attempt, so the same collection always has the same id and a new
// attempt a new one.
func EndToEndID(tenant, item string, attempt int) string {
	h := sha256.Sum256([]byte(tenant + "\x00" + item + "\x00" + strconv.Itoa(attempt)))
	return "O2C" + base32.StdEncoding.EncodeToString(h[:])[:24]
}

// mandateFor picks the debtor's mandate to collect under: a usable one,
// the latest collected, else the latest signed. The reason is why none is
// usable.
func mandateFor(ms []Mandate, day time.Time) (Mandate, string) {
	var best *Mandate
	reason := "no mandate"
	for i := range ms {
		m := &ms[i]
		if why := m.Usable(day); why != "" {
			reason = why
			continue
		}
		if best == nil || m.LastCollected.After(best.LastCollected) ||
			m.LastCollected.Equal(best.LastCollected) && m.SignedOn.After(best.SignedOn) {
			best = m
		}
	}
	if best == nil {
		return Mandate{}, reason
	}
	return *best, ""
}

// CollectionDate is the earliest collection date a debit pre-notified on
// day may have: on or after the due date, at least the pre-notification
// period and the submission lead time away, on a business day.
func CollectionDate(c Config, day, due time.Time, scheme string) time.Time {
	d := Day(day).AddDate(0, 0, c.PreNotificationDays)
	if due = Day(due); due.After(d) {
		d = due
	}
	if lead := AddBusinessDays(day, c.Lead(scheme)); lead.After(d) {
		d = lead
	}
	return NextBusinessDay(d)
}

// PlanRun decides a collection run: which direct-debit items are
// pre-notified now, which pre-notified ones are submitted now, which are
// cancelled. An item with a submitted or booked debit is never collected
// again (a rerun finds nothing new); a returned or rejected one is
// pre-notified again under a new attempt when its mandate is still usable.
func PlanRun(in RunInput) Plan {
	day := Day(in.Date)
	byDebtor := map[string][]Mandate{}
	for _, m := range in.Mandates {
		byDebtor[m.Debtor] = append(byDebtor[m.Debtor], m)
	}
	latest := map[string]Debit{}
	for _, d := range in.Debits {
		if cur, ok := latest[d.Item]; !ok || d.Attempt > cur.Attempt {
			latest[d.Item] = d
		}
	}
	items := slices.Clone(in.Items)
	slices.SortFunc(items, func(a, b Item) int { return cmp.Compare(a.ID, b.ID) })
	var p Plan
	usedOneOff := map[string]bool{}
	for _, it := range items {
		prev, had := latest[it.ID]
		skip := func(reason string) {
			if had && prev.State == Prenotified {
				prev.State, prev.Reason = Cancelled, reason
				p.Cancel = append(p.Cancel, prev)
			}
			p.Skipped = append(p.Skipped, Skip{Item: it.ID, Debtor: it.Debtor, Reason: reason})
		}
		if !it.DirectDebit {
			if had && prev.State == Prenotified {
				prev.State, prev.Reason = Cancelled, "no longer paid by direct debit"
				p.Cancel = append(p.Cancel, prev)
			}
			continue
		}
		if had && (prev.State == Submitted || prev.State == Booked) {
			if it.Open > 0 {
				p.Skipped = append(p.Skipped, Skip{Item: it.ID, Debtor: it.Debtor,
					Reason: "collected in " + prev.File + " (" + prev.EndToEndID + "), " + prev.State})
			}
			continue
		}
		switch {
		case it.Open <= 0:
			if had && prev.State == Prenotified {
				prev.State, prev.Reason = Cancelled, "item no longer open"
				p.Cancel = append(p.Cancel, prev)
			}
			continue
		case it.Currency != "EUR":
			skip("currency " + it.Currency + ": SEPA collects euros only")
			continue
		}
		if why, ok := in.Blocks[it.ID]; ok {
			skip("item blocked: " + why)
			continue
		}
		if why, ok := in.Blocks[it.Debtor]; ok {
			skip("debtor blocked: " + why)
			continue
		}
		m, why := mandateFor(byDebtor[it.Debtor], day)
		if why != "" {
			skip(why)
			continue
		}
		if m.OneOff && usedOneOff[m.Reference] {
			skip("one-off mandate " + m.Reference + " used by another item of this run")
			continue
		}
		acct, err := in.Config.Account(m.Account)
		if err != nil {
			skip(err.Error())
			continue
		}
		if had && prev.State == Prenotified {
			if prev.Amount != it.Open || prev.Mandate != m.Reference {
				prev.State, prev.Reason = Cancelled, "amount or mandate changed since the pre-notification"
				p.Cancel = append(p.Cancel, prev)
				// Told again below, under a new attempt.
			} else {
				earliest := AddBusinessDays(day, in.Config.Lead(m.Scheme))
				if earliest.Before(Day(prev.Collection)) {
					p.Skipped = append(p.Skipped, Skip{Item: it.ID, Debtor: it.Debtor,
						Reason: "pre-notified for " + prev.Collection.Format(time.DateOnly) + "; submitted " +
							strconv.Itoa(in.Config.Lead(m.Scheme)) + " business day(s) before"})
					continue
				}
				if earliest.After(Day(prev.Collection)) {
					// No run submitted it in time: collected later than
					// told, never earlier.
					prev.Collection = earliest
				}
				prev.Sequence, prev.Scheme, prev.Account = m.Sequence(), m.Scheme, acct.IBAN
				if m.OneOff {
					usedOneOff[m.Reference] = true
				}
				p.Submit = append(p.Submit, prev)
				continue
			}
		}
		attempt := 1
		if had {
			attempt = prev.Attempt + 1
		}
		d := Debit{Item: it.ID, Debtor: it.Debtor, Document: it.Document, Attempt: attempt,
			EndToEndID: EndToEndID(in.Tenant, it.ID, attempt), Mandate: m.Reference, Amount: it.Open,
			Sequence: m.Sequence(), Scheme: m.Scheme, Account: acct.IBAN,
			Collection: CollectionDate(in.Config, day, it.DueDate, m.Scheme), PreNotified: day, State: Prenotified}
		if m.OneOff {
			usedOneOff[m.Reference] = true
		}
		p.PreNotify = append(p.PreNotify, d)
	}
	return p
}

// FileKey is what one pain.008 file collects: one creditor account, one
// scheme (German banks take CORE and B2B in separate files), one
// collection date.
type FileKey struct {
	Account, Scheme string
	Collection      time.Time
}

// Name returns the file's name: tenant, collection date, scheme, the
// account's last digits and the run's sequence.
func (k FileKey) Name(tenant string, seq int) string {
	acct := k.Account
	if len(acct) > 8 {
		acct = acct[len(acct)-8:]
	}
	return fmt.Sprintf("pain008-%s-%s-%s-%s-%d.xml", tenant, k.Collection.Format("20060102"), k.Scheme, acct, seq)
}

// Group groups debits to submit into files, in a stable order (account,
// scheme, date), each file's debits by sequence type then item.
func Group(ds []Debit) ([]FileKey, map[FileKey][]Debit) {
	out := map[FileKey][]Debit{}
	var keys []FileKey
	for _, d := range ds {
		k := FileKey{Account: d.Account, Scheme: d.Scheme, Collection: Day(d.Collection)}
		if _, ok := out[k]; !ok {
			keys = append(keys, k)
		}
		out[k] = append(out[k], d)
	}
	slices.SortFunc(keys, func(a, b FileKey) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Scheme, b.Scheme), a.Collection.Compare(b.Collection))
	})
	for _, k := range keys {
		slices.SortFunc(out[k], func(a, b Debit) int {
			return cmp.Or(cmp.Compare(a.Sequence, b.Sequence), cmp.Compare(a.Item, b.Item))
		})
	}
	return keys, out
}
