package books

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/debtor"
	"github.com/o2c-platform/o2c/libs/money"
)

// ErrDebtorMerged means a merge names a debtor that was already merged into
// another: a debtor merged away is neither merged again nor the target of a
// merge, so a merge never runs backwards and its items never move twice.
// The wrapped *MergedDebtorError names the debtor and its merge.
var ErrDebtorMerged = errors.New("debtor was merged into another")

// MergedDebtorError is the typed form of ErrDebtorMerged: DebtorID was
// merged into IntoDebtorID on Date (the merge date), and the refused merge
// named it as its target when Target is set, else as its duplicate.
type MergedDebtorError struct {
	DebtorID, IntoDebtorID string
	Date                   Date
	Target                 bool
}

func (e *MergedDebtorError) Error() string {
	what := "merged again"
	if e.Target {
		what = "a merge target"
	}
	return fmt.Sprintf("%s was merged into %s on %s; a merged debtor cannot be %s", e.DebtorID, e.IntoDebtorID, e.Date, what)
}

// Is makes errors.Is(err, ErrDebtorMerged) true.
func (e *MergedDebtorError) Is(target error) bool { return target == ErrDebtorMerged }

// ErrIncompatibleDebtors means a merge names two debtors that must stay
// apart. A marketplace debtor (MarketplaceDebtorID) holds what a
// marketplace collects for the merchant and is never dunned: merged with a
// personal debtor, a customer would be dunned for the marketplace's debt,
// or the marketplace's payout would clear a customer's invoice. There is
// one marketplace debtor per marketplace and currency, so two of them are
// never duplicates either. The wrapped *IncompatibleDebtorsError says why.
var ErrIncompatibleDebtors = errors.New("debtors cannot be merged")

// IncompatibleDebtorsError is the typed form of ErrIncompatibleDebtors.
type IncompatibleDebtorsError struct {
	DebtorID, IntoDebtorID string
	// Reason says what keeps the two apart.
	Reason string
}

func (e *IncompatibleDebtorsError) Error() string {
	return fmt.Sprintf("%s cannot be merged into %s: %s", e.DebtorID, e.IntoDebtorID, e.Reason)
}

// Is makes errors.Is(err, ErrIncompatibleDebtors) true.
func (e *IncompatibleDebtorsError) Is(target error) bool { return target == ErrIncompatibleDebtors }

// CheckMergeable returns an *IncompatibleDebtorsError when a debtor must
// not be merged into another because of what they are: a marketplace
// debtor and a personal one, two marketplaces, one marketplace in two
// currencies. An id in the reserved namespace (debtor.Reserved) counts as a
// marketplace debtor. Ids that are equal or empty pass: they are not a
// question of kind, and MergeDebtor refuses them as invalid. The ledger
// does not know whether a personal debtor is a consumer or a business, so
// personal debtors are all of one kind, and as a merge moves every
// currency, their currencies do not matter.
func CheckMergeable(debtorID, intoDebtorID string) error {
	mDup, mInto := debtor.Reserved(debtorID), debtor.Reserved(intoDebtorID)
	if debtorID == "" || intoDebtorID == "" || debtorID == intoDebtorID || !mDup && !mInto {
		return nil
	}
	refuse := func(format string, args ...any) error {
		return &IncompatibleDebtorsError{DebtorID: debtorID, IntoDebtorID: intoDebtorID, Reason: fmt.Sprintf(format, args...)}
	}
	if mDup != mInto {
		mp := debtorID
		if mInto {
			mp = intoDebtorID
		}
		return refuse("marketplace debtor %s collects through the marketplace and is never merged with a personal debtor", mp)
	}
	mp1, cur1, ok1 := MarketplaceOf(debtorID)
	mp2, cur2, ok2 := MarketplaceOf(intoDebtorID)
	switch {
	case ok1 && ok2 && mp1 != mp2:
		return refuse("they hold the receivables of two marketplaces (%s and %s)", mp1, mp2)
	case ok1 && ok2 && cur1 != cur2:
		return refuse("they hold the receivables of %s in two currencies (%s and %s), and a marketplace debtor keeps one", mp1, cur1, cur2)
	}
	return refuse("there is one marketplace debtor per marketplace and currency, so marketplace debtors are never merged")
}

// refuseMerged refuses a merge that names a debtor these books saw merged
// away, as the duplicate or as the target.
func (l *Ledger) refuseMerged(cmd *ledgerv1.MergeDebtor) error {
	if m, ok := l.mergedInto[cmd.GetDebtorId()]; ok {
		return &MergedDebtorError{DebtorID: cmd.GetDebtorId(), IntoDebtorID: m.into, Date: m.date}
	}
	if m, ok := l.mergedInto[cmd.GetIntoDebtorId()]; ok {
		return &MergedDebtorError{DebtorID: cmd.GetIntoDebtorId(), IntoDebtorID: m.into, Date: m.date, Target: true}
	}
	return nil
}

// Merge is the duplicate's side of a debtor merge, produced by MergeOut and
// consumed by MergeIn on the survivor's books.
type Merge struct {
	// Items are the duplicate's items that were open, with what was open
	// as their amount and their VAT scaled to it.
	Items []OpenItem
	// Moved maps each item's id on the duplicate to its id on the survivor.
	Moved map[string]string
}

// MergeOut decides the duplicate's side of MergeDebtor on the books of the
// duplicate. It refuses debtors of different kinds (CheckMergeable), a
// duplicate merged away before and a target merged into the duplicate
// before (ErrDebtorMerged). Every open item is cleared with SETTLEMENT_KIND_MERGE, and its
// balance leaves the personal account through the merge clearing account
// (one entry per merge, one leg pair per currency). The duplicate keeps its
// history. The returned Merge goes to MergeIn on the survivor's books; both
// sides must be stored together.
func (l *Ledger) MergeOut(cmd *ledgerv1.MergeDebtor, o Origin) ([]proto.Message, Merge, error) {
	var m Merge
	evs, err := l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		date, err := checkMerge(cmd)
		if err != nil {
			return err
		}
		dup := cmd.GetDebtorId()
		if err := l.refuseMerged(cmd); err != nil {
			return err
		}
		account, known := l.debtors[dup]
		if !known {
			return fmt.Errorf("%w %q", ErrUnknownDebtor, dup)
		}
		entryID := b.derive("merge", b.key, "out")
		doc := "MERGE-" + cmd.GetIntoDebtorId()
		totals := map[string]int64{}
		var curs []string
		m.Moved = map[string]string{}
		merged := &ledgerv1.DebtorMerged{Tenant: l.tenant, DebtorId: dup, IntoDebtorId: cmd.GetIntoDebtorId(),
			Reason: cmd.GetReason(), EntryId: entryID, Actor: o.Actor}
		for _, it := range l.liveItems(dup) {
			open := b.openOf(it)
			if open == 0 {
				continue
			}
			moved := *it
			moved.Settlements = nil
			moved.Amount = open
			if len(it.VAT) > 0 && open != it.Amount {
				// VAT follows the money: what moves carries its share.
				if moved.VAT, err = splitVAT(it.VAT, open, it.Currency); err != nil {
					return fmt.Errorf("item %s: %w", it.ID, err)
				}
			}
			to := b.derive("merge", b.key, "item", it.ID)
			m.Items = append(m.Items, moved)
			m.Moved[it.ID] = to
			merged.Items = append(merged.Items, &ledgerv1.MergedItem{FromOpenItemId: it.ID, ToOpenItemId: to,
				Amount: &commonv1.Money{MinorUnits: open, Currency: it.Currency}})
			if _, seen := totals[it.Currency]; !seen {
				curs = append(curs, it.Currency)
			}
			if totals[it.Currency], err = money.Add(totals[it.Currency], open); err != nil {
				return overflow("debtor_id", err)
			}
			b.settle(it, open, ledgerv1.SettlementKind_SETTLEMENT_KIND_MERGE, doc, entryID, to, date, "merge into "+cmd.GetIntoDebtorId())
		}
		var legs []Leg
		for _, cur := range curs {
			legs = append(legs,
				Leg{Account: account, Currency: cur, Minor: -totals[cur], DebtorID: dup},
				Leg{Account: b.account(DebtorMergeClearing), Currency: cur, Minor: totals[cur]})
		}
		if len(legs) > 0 {
			if err := b.post(entryID, date, doc, "Zusammenführung mit "+cmd.GetIntoDebtorId(), legs); err != nil {
				return err
			}
		} else {
			merged.EntryId = ""
		}
		b.emit(merged)
		return nil
	})
	return evs, m, err
}

// MergeIn decides the survivor's side of MergeDebtor on the books of the
// survivor. It refuses what MergeOut refuses, as far as the survivor's
// books show it: above all a survivor that was itself merged away
// (ErrDebtorMerged), which the duplicate's books need not know. The
// duplicate's open items are opened again (new ids, same
// documents, dates, claims and VAT) and their balance arrives on the
// survivor's personal account from the merge clearing account.
// survivorAccount is the account assigned to the survivor if it has none.
func (l *Ledger) MergeIn(cmd *ledgerv1.MergeDebtor, m Merge, survivorAccount string, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		date, err := checkMerge(cmd)
		if err != nil {
			return err
		}
		if err := l.refuseMerged(cmd); err != nil {
			return err
		}
		into := cmd.GetIntoDebtorId()
		account, err := b.newDebtorAccount(into, survivorAccount)
		if err != nil {
			return err
		}
		entryID := b.derive("merge", b.key, "in")
		doc := "MERGE-" + cmd.GetDebtorId()
		totals := map[string]int64{}
		var curs []string
		merged := &ledgerv1.DebtorMerged{Tenant: l.tenant, DebtorId: cmd.GetDebtorId(), IntoDebtorId: into,
			Reason: cmd.GetReason(), EntryId: entryID, Actor: o.Actor}
		claims := map[string]string{}
		for _, it := range m.Items {
			claims[it.ID] = m.Moved[it.ID]
		}
		for _, it := range m.Items {
			if _, seen := totals[it.Currency]; !seen {
				curs = append(curs, it.Currency)
			}
			if totals[it.Currency], err = money.Add(totals[it.Currency], it.Amount); err != nil {
				return overflow("debtor_id", err)
			}
			merged.Items = append(merged.Items, &ledgerv1.MergedItem{FromOpenItemId: it.ID, ToOpenItemId: m.Moved[it.ID],
				Amount: &commonv1.Money{MinorUnits: it.Amount, Currency: it.Currency}})
		}
		var legs []Leg
		for _, cur := range curs {
			legs = append(legs,
				Leg{Account: account, Currency: cur, Minor: totals[cur], DebtorID: into},
				Leg{Account: b.account(DebtorMergeClearing), Currency: cur, Minor: -totals[cur]})
		}
		if len(legs) > 0 {
			if err := b.post(entryID, date, doc, "Zusammenführung von "+cmd.GetDebtorId(), legs); err != nil {
				return err
			}
		} else {
			merged.EntryId = ""
		}
		for _, src := range m.Items {
			it := src
			it.ID, it.DebtorID, it.DebtorAccount, it.EntryID = m.Moved[src.ID], into, account, entryID
			if c, ok := claims[src.Claim]; ok {
				it.Claim = c
			} else {
				it.Claim = it.ID
			}
			b.openItem(&it)
		}
		b.emit(merged)
		return nil
	})
}

func checkMerge(cmd *ledgerv1.MergeDebtor) (Date, error) {
	switch {
	case cmd.GetDebtorId() == "":
		return Date{}, invalid("debtor_id", "missing")
	case cmd.GetIntoDebtorId() == "":
		return Date{}, invalid("into_debtor_id", "missing")
	case cmd.GetDebtorId() == cmd.GetIntoDebtorId():
		return Date{}, invalid("into_debtor_id", "a debtor cannot be merged into itself")
	case cmd.GetReason() == "":
		return Date{}, invalid("reason", "missing")
	}
	return dateField("merge_date", cmd.GetMergeDate())
}
