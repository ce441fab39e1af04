package sepa

import (
	"cmp"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/formats/pain"
)

// Credit is a credit balance item (a credit note, an overpayment): Open
// is negative.
type Credit struct {
	Item, Debtor, Document string
	Currency               string
	Open                   int64
	IssueDate              time.Time
}

// PayoutInput is what a payout run decides on.
type PayoutInput struct {
	Tenant  string
	Date    time.Time
	Config  Config
	Credits []Credit
	// OpenReceivables counts each debtor's open receivables (items with a
	// positive open amount).
	OpenReceivables map[string]int
	// Blocks maps a debtor or item id to a block (a dispute).
	Blocks   map[string]string
	Mandates []Mandate
	// PaidOut are the credit items already in a payout file, less those
	// whose transfer the bank rejected.
	PaidOut map[string]bool
	// Rejections counts, per credit item, the transfers of it the bank
	// rejected: the next payout of the item is a new transfer with a new
	// end-to-end id.
	Rejections map[string]int
}

// PayoutDue is a debtor's credit balance and whether the rules release it.
type PayoutDue struct {
	Debtor  string
	Credits []Credit
	// Amount is the balance paid out, positive euro cents.
	Amount int64
	// Released is true when every rule holds; Why says which rules held or
	// the first that did not.
	Released bool
	Why      string
	// Name and IBAN (BIC) are the account on file it goes to.
	Name, IBAN, BIC string
	EndToEndID      string
	// Mandate is the reference of the mandate whose account it goes to.
	Mandate string
}

// PayoutID returns the end-to-end id of a debtor's payout of a set of
// credit items: "O2CP" and 24 characters of a hash, the same for the same
// items.
func PayoutID(tenant, debtor string, items []string) string {
	return payoutID(tenant, debtor, items, 1)
}

// payoutID is PayoutID of the attempt'th transfer of the items: the
// first has PayoutID's id, a transfer after a rejected one a new id.
func payoutID(tenant, debtor string, items []string, attempt int) string {
	s := tenant + "\x00" + debtor + "\x00" + strings.Join(items, "\x00")
	if attempt > 1 {
		s += "\x00" + strconv.Itoa(attempt)
	}
	h := sha256.Sum256([]byte(s))
	return "O2CP" + base32.StdEncoding.EncodeToString(h[:])[:24]
}

// PlanPayouts applies the tenant's payout rules to each debtor's credit
// balance: at least the threshold, the youngest credit at least the
// minimum age, no open receivable, no block or dispute, an IBAN on file
// (a mandate not made unusable by a return). Debtors in order of id.
func PlanPayouts(in PayoutInput) []PayoutDue {
	r := in.Config.Payouts
	day := Day(in.Date)
	per := map[string][]Credit{}
	var debtors []string
	for _, c := range in.Credits {
		if c.Open >= 0 || c.Currency != "EUR" || in.PaidOut[c.Item] {
			continue
		}
		if _, ok := per[c.Debtor]; !ok {
			debtors = append(debtors, c.Debtor)
		}
		per[c.Debtor] = append(per[c.Debtor], c)
	}
	slices.Sort(debtors)
	accounts := map[string]Mandate{}
	for _, m := range in.Mandates {
		if m.Unusable != "" {
			continue
		}
		if cur, ok := accounts[m.Debtor]; !ok || cur.Revoked.After(m.Revoked) || m.SignedOn.After(cur.SignedOn) {
			accounts[m.Debtor] = m
		}
	}
	var out []PayoutDue
	for _, d := range debtors {
		cs := per[d]
		slices.SortFunc(cs, func(a, b Credit) int { return cmp.Compare(a.Item, b.Item) })
		due := PayoutDue{Debtor: d, Credits: cs}
		var youngest time.Time
		var ids []string
		attempt := 1
		for _, c := range cs {
			due.Amount -= c.Open
			ids = append(ids, c.Item)
			if c.IssueDate.After(youngest) {
				youngest = c.IssueDate
			}
			attempt = max(attempt, in.Rejections[c.Item]+1)
		}
		due.EndToEndID = payoutID(in.Tenant, d, ids, attempt)
		m, onFile := accounts[d]
		age := int(day.Sub(Day(youngest)).Hours() / 24)
		blocked := in.Blocks[d]
		for _, c := range cs {
			if b, ok := in.Blocks[c.Item]; ok && blocked == "" {
				blocked = b
			}
		}
		switch {
		case r.Disabled:
			due.Why = "payouts are off for the tenant"
		case due.Amount < r.ThresholdMinor:
			due.Why = fmt.Sprintf("balance %s EUR below the threshold %s EUR", euros(due.Amount), euros(r.ThresholdMinor))
		case age < r.MinAgeDays:
			due.Why = fmt.Sprintf("youngest credit %d days old, %d required", age, r.MinAgeDays)
		case in.OpenReceivables[d] > 0:
			due.Why = fmt.Sprintf("debtor has %d open receivable(s): set off first", in.OpenReceivables[d])
		case blocked != "":
			due.Why = "blocked: " + blocked
		case !onFile:
			due.Why = "no IBAN on file (no usable mandate)"
		default:
			due.Released = true
			due.Name, due.IBAN, due.BIC, due.Mandate = m.Name, m.IBAN, m.BIC, m.Reference
			due.Why = fmt.Sprintf("balance %s EUR ≥ %s EUR, %d days old, no open items, no block, IBAN on file (mandate %s)",
				euros(due.Amount), euros(r.ThresholdMinor), age, m.Reference)
		}
		out = append(out, due)
	}
	return out
}

// Payout builds the pain.001 message of the released payouts.
func Payout(msgID string, created, execution time.Time, acct CreditorAccount, dues []PayoutDue) pain.Payout {
	p := pain.Payout{MessageID: msgID, Created: created, Execution: Day(execution), Debtor: creditor(acct),
		PaymentInfoID: msgID}
	for _, d := range dues {
		if !d.Released {
			continue
		}
		var docs []string
		for _, c := range d.Credits {
			docs = append(docs, Remittance(c.Document, c.Item))
		}
		p.Transfers = append(p.Transfers, pain.Transfer{EndToEndID: d.EndToEndID, Amount: d.Amount,
			Creditor: pain.Party{Name: d.Name, IBAN: d.IBAN, BIC: d.BIC}, Remittance: "Guthaben / credit " + strings.Join(docs, " ")})
	}
	return p
}
