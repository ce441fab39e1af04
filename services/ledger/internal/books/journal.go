package books

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/debtor"
	tenantid "github.com/o2c-platform/o2c/libs/tenant"
)

// ManualEntry is a journal entry posted as it is (PostJournalEntry) rather
// than derived from a command. Legs are signed: a debit is positive, a
// credit negative, in minor units of their currency.
type ManualEntry struct {
	Tenant         string
	IdempotencyKey string
	EffectiveDate  *commonv1.Date
	DocumentNumber string
	Text           string
	Legs           []*ledgerv1.JournalLeg
}

// Limits of a manual entry. maxLegs legs of at most maxAmount each cannot
// overflow int64.
const (
	maxLegs    = 1000
	maxKeyLen  = 200
	maxTextLen = 1000
)

// entryNamespace derives manual entry ids from (tenant, idempotency key).
var entryNamespace = uuid.MustParse("0f7a3c52-9d1e-5b84-a6c3-2e5d8f1b9a70")

// JournalEntryID returns the id of the manual entry posted under key by
// tenant: the same key always names the same entry.
func JournalEntryID(tenant, key string) uuid.UUID {
	return nameID(entryNamespace, tenant, "\x00", key)
}

// JournalEntry checks a manual entry and returns the event that books it,
// with the entry id JournalEntryID. It checks what needs no books: a
// tenant id, a key, text and document number within limits and storable,
// a calendar date, 2 to 1000 legs, each on an account, in an ISO 4217
// currency, non-zero and at most 10^15 minor units, a debtor only on a
// debtor personal account, and the legs balancing per currency. Its
// errors wrap ErrInvalidCommand (an *InvalidCommandError naming the
// field), also ErrUnbalanced when the legs do not balance, or
// ErrReservedDebtor. Ledger.PostJournalEntry adds the period check.
func JournalEntry(e ManualEntry) (*ledgerv1.JournalEntryPosted, error) {
	if err := checkManual(e); err != nil {
		return nil, fmt.Errorf("journal entry %s: %w", e.IdempotencyKey, err)
	}
	legs := make([]*ledgerv1.JournalLeg, len(e.Legs))
	for i, l := range e.Legs {
		legs[i] = cloneLeg(l)
	}
	posted := &ledgerv1.JournalEntryPosted{
		Tenant:         e.Tenant,
		EntryId:        JournalEntryID(e.Tenant, e.IdempotencyKey).String(),
		EffectiveDate:  cloneDate(e.EffectiveDate),
		DocumentNumber: e.DocumentNumber,
		Text:           e.Text,
		Legs:           legs,
		IdempotencyKey: e.IdempotencyKey,
	}
	if err := CheckBalanced(posted); err != nil {
		return nil, fmt.Errorf("journal entry %s: %w: %w", e.IdempotencyKey, invalid("legs", "do not balance"), err)
	}
	return posted, nil
}

// cloneLeg returns what proto.CloneOf(l) returns, copying the fields
// directly when neither l nor its amount carries unknown fields (the
// reflective clone was a tenth of the allocations of a manual entry's
// post). TestCloneLegCopiesEveryField sets every field the message has.
func cloneLeg(l *ledgerv1.JournalLeg) *ledgerv1.JournalLeg {
	if l == nil || len(l.ProtoReflect().GetUnknown()) > 0 || (l.Amount != nil && len(l.Amount.ProtoReflect().GetUnknown()) > 0) {
		return proto.CloneOf(l)
	}
	c := &ledgerv1.JournalLeg{Account: l.Account, DebtorId: l.DebtorId, TaxKey: l.TaxKey}
	if l.Amount != nil {
		c.Amount = &commonv1.Money{MinorUnits: l.Amount.MinorUnits, Currency: l.Amount.Currency}
	}
	return c
}

// cloneDate returns what proto.CloneOf(d) returns, as cloneLeg does.
func cloneDate(d *commonv1.Date) *commonv1.Date {
	if d == nil || len(d.ProtoReflect().GetUnknown()) > 0 {
		return proto.CloneOf(d)
	}
	return &commonv1.Date{Year: d.Year, Month: d.Month, Day: d.Day}
}

// PostJournalEntry decides a manual entry on the books: the checks of
// JournalEntry, the tenant of the books, and the period, which must be
// open (else a *PeriodClosedError). Only the tenant's period events need
// to be applied to the books for this decision; the entry's own stream
// (StreamTypeEntry) makes a second post under the same key a replay or an
// idempotency conflict.
func (l *Ledger) PostJournalEntry(e ManualEntry) (*ledgerv1.JournalEntryPosted, error) {
	posted, err := JournalEntry(e)
	if err != nil {
		return nil, err
	}
	if e.Tenant != l.tenant {
		return nil, fmt.Errorf("journal entry %s: %w", e.IdempotencyKey, invalid("tenant", "%q, these are the books of %q", e.Tenant, l.tenant))
	}
	if err := l.CheckOpen(DateOf(posted.GetEffectiveDate())); err != nil {
		return nil, fmt.Errorf("journal entry %s: %w", e.IdempotencyKey, err)
	}
	return posted, nil
}

// CheckOpen returns a *PeriodClosedError when d falls in a closed period.
func (l *Ledger) CheckOpen(d Date) error {
	if l.closed[d.Period()] {
		return &PeriodClosedError{Period: d.Period(), Date: d}
	}
	return nil
}

func checkManual(e ManualEntry) error {
	switch {
	case !tenantid.Valid(e.Tenant):
		return invalid("tenant", "%q is not a tenant id (lowercase letters, digits, dashes)", e.Tenant)
	case e.IdempotencyKey == "" || len(e.IdempotencyKey) > maxKeyLen || !storableText(e.IdempotencyKey):
		return invalid("idempotency_key", "must be 1 to %d bytes of UTF-8 without NUL bytes", maxKeyLen)
	case len(e.Text) > maxTextLen || !storableText(e.Text):
		return invalid("text", "must be up to %d bytes of UTF-8 without NUL bytes", maxTextLen)
	case len(e.DocumentNumber) > maxKeyLen || !storableText(e.DocumentNumber):
		return invalid("document_number", "must be up to %d bytes of UTF-8 without NUL bytes", maxKeyLen)
	case len(e.Legs) < 2 || len(e.Legs) > maxLegs:
		return invalid("legs", "an entry has 2 to %d legs, this one %d", maxLegs, len(e.Legs))
	}
	if d := DateOf(e.EffectiveDate); e.EffectiveDate == nil || !d.Valid() || d.Year < 1900 {
		return invalid("effective_date", "%v is not a calendar date from 1900 on", d)
	}
	for i, l := range e.Legs {
		a := l.GetAmount()
		if l.GetAccount() == "" || len(l.GetAccount()) > 20 || !storableText(l.GetAccount()) {
			return invalid(fmt.Sprintf("legs[%d].account", i), "%q must be 1 to 20 characters", l.GetAccount())
		}
		if err := checkCurrency(a.GetCurrency()); err != nil {
			return invalid(fmt.Sprintf("legs[%d].amount.currency", i), "%q is not an ISO 4217 currency", a.GetCurrency())
		}
		if m := a.GetMinorUnits(); m == 0 || m > maxAmount || m < -maxAmount {
			return invalid(fmt.Sprintf("legs[%d].amount.minor_units", i), "%d must be non-zero and at most 10^15 in size", m)
		}
		if len(l.GetDebtorId()) > maxKeyLen || len(l.GetTaxKey()) > 10 || !storableText(l.GetDebtorId()) || !storableText(l.GetTaxKey()) {
			return invalid(fmt.Sprintf("legs[%d]", i), "debtor_id or tax_key too long, not UTF-8 or with a NUL byte")
		}
		if debtor.Reserved(l.GetDebtorId()) {
			return fmt.Errorf("legs[%d].debtor_id %q: %w", i, l.GetDebtorId(), ErrReservedDebtor)
		}
		if l.GetDebtorId() != "" && !IsDebtorAccount(l.GetAccount()) {
			return invalid(fmt.Sprintf("legs[%d].account", i), "names debtor %q but %q is not a debtor personal account (5 to 9 digits, leading 1-6)", l.GetDebtorId(), l.GetAccount())
		}
	}
	return nil
}

// IsDebtorAccount reports whether account can be a debtor personal account:
// 5 to 9 digits with a leading 1 to 6, the union of the debtor ranges of
// every account length (see DebtorRange).
func IsDebtorAccount(account string) bool {
	if len(account) < 5 || len(account) > 9 || account[0] < '1' || account[0] > '6' {
		return false
	}
	for _, r := range account {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// storableText reports whether PostgreSQL can store s as text: valid UTF-8
// without NUL bytes.
func storableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}
