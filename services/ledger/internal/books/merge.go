package books

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
)

// ErrDebtorMerged means a debtor was already merged into another.
var ErrDebtorMerged = errors.New("debtor was merged into another")

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
// duplicate: every open item is cleared with SETTLEMENT_KIND_MERGE, and its
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
		if into, done := l.mergedInto[dup]; done {
			return fmt.Errorf("%w: %s into %s", ErrDebtorMerged, dup, into)
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
// survivor: the duplicate's open items are opened again (new ids, same
// documents, dates, claims and VAT) and their balance arrives on the
// survivor's personal account from the merge clearing account.
// survivorAccount is the account assigned to the survivor if it has none.
func (l *Ledger) MergeIn(cmd *ledgerv1.MergeDebtor, m Merge, survivorAccount string, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		date, err := checkMerge(cmd)
		if err != nil {
			return err
		}
		into := cmd.GetIntoDebtorId()
		account, err := b.debtorAccount(into, survivorAccount)
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
