package books

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// reversalDate dates a reversal: on preferred when its period is open,
// else on the recording date, moved to the first day of the next open
// period while the recording date's period is closed.
func (b *batch) reversalDate(preferred Date) Date {
	if !b.l.closed[preferred.Period()] {
		return preferred
	}
	d := b.recordingDate()
	if d.Compare(preferred) < 0 {
		d = preferred
	}
	for i := 0; b.l.closed[d.Period()] && i < 12*200; i++ {
		d = d.Period().Next().First()
	}
	return d
}

// reverse posts the reversal of orig and undoes its effect on open items.
func (b *batch) reverse(orig *Entry, preferred Date, reason string) error {
	if orig.ReversedBy != "" || orig.Reverses != "" {
		return fmt.Errorf("%w: %s", ErrAlreadyReversed, orig.ID)
	}
	revID := b.derive("reversal", orig.ID, "entry")
	legs := make([]Leg, len(orig.Legs))
	for i, g := range orig.Legs {
		legs[i] = g
		legs[i].Minor = -g.Minor
	}
	// Check first, then emit: the entry, the link, then the open items.
	opened := b.l.byEntry[orig.ID]
	var debtors []string
	for _, g := range orig.Legs {
		if g.DebtorID != "" && !slices.Contains(debtors, g.DebtorID) {
			debtors = append(debtors, g.DebtorID)
		}
	}
	for _, id := range opened {
		it := b.l.items[id]
		for _, s := range it.Settlements {
			if !s.Undone && s.Kind != ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_OFFSET {
				return fmt.Errorf("%w: item %s (%s) has a %s settlement %s", ErrItemSettled, it.ID, it.DocumentNumber, s.Kind, s.Document)
			}
		}
	}
	for _, id := range itemsOf(b.l, debtors) {
		it := b.l.items[id]
		var undone int64
		for _, s := range it.Settlements {
			if !s.Undone && s.EntryID == orig.ID && s.Kind == ledgerv1.SettlementKind_SETTLEMENT_KIND_WRITE_OFF {
				undone += s.Amount
			}
		}
		if undone > 0 && it.WrittenOff()-undone < it.Recovered {
			return fmt.Errorf("%w: item %s was recovered after the write-off", ErrItemSettled, it.ID)
		}
	}
	text := strings.TrimSpace("Storno " + orig.Text)
	date := b.reversalDate(preferred)
	if err := b.post(revID, date, orig.DocumentNumber, text, legs); err != nil {
		return err
	}
	b.emit(&ledgerv1.JournalEntryReversed{Tenant: b.l.tenant, OriginalEntryId: orig.ID, ReversalEntryId: revID, Reason: reason})
	for _, id := range itemsOf(b.l, debtors) {
		it := b.l.items[id]
		for _, s := range it.Settlements {
			if !s.Undone && s.EntryID == orig.ID {
				b.undo(it, s, revID, reason)
			}
		}
	}
	for _, id := range opened {
		it := b.l.items[id]
		for _, s := range it.Settlements {
			if !s.Undone && s.Kind == ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_OFFSET {
				b.undoOffset(s, revID, reason)
			}
		}
		if open := b.openOf(it); open != 0 {
			b.settle(it, open, ledgerv1.SettlementKind_SETTLEMENT_KIND_REVERSAL, orig.DocumentNumber, revID, "", date, "reversal")
		}
	}
	return nil
}

// ReverseEntry reverses a journal entry (Storno). The reversal is dated on
// the original's date when that period is open, else on the recording date
// or the first day of the next open period. Items the entry opened are
// cancelled (credit offsets on them are undone); settlements it made are
// reopened.
func (l *Ledger) ReverseEntry(cmd *ledgerv1.ReverseEntry, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		orig, ok := l.entries[cmd.GetEntryId()]
		if !ok {
			return fmt.Errorf("%w %q", ErrUnknownEntry, cmd.GetEntryId())
		}
		return b.reverse(orig, orig.EffectiveDate, cmp.Or(cmd.GetReason(), "reversal"))
	})
}

// ReturnPayment books a returned direct debit or chargeback: it reverses the
// payment on the return date (or per the closed-period rule) and reopens
// exactly what the payment cleared, including what a credit balance it
// created has cleared since. A bank fee is booked as an expense on the
// account that had received the payment.
func (l *Ledger) ReturnPayment(cmd *ledgerv1.ReturnPayment, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		var reason string
		switch cmd.GetKind() {
		case ledgerv1.ReturnKind_RETURN_KIND_RETURNED_DEBIT:
			reason = "returned debit"
		case ledgerv1.ReturnKind_RETURN_KIND_CHARGEBACK:
			reason = "chargeback"
		default:
			return invalid("kind", "%v", cmd.GetKind())
		}
		orig, ok := l.entries[b.derive("payment", cmd.GetPaymentId(), "entry")]
		if !ok {
			return fmt.Errorf("payment %q: %w", cmd.GetPaymentId(), ErrUnknownEntry)
		}
		date, err := dateField("return_date", cmd.GetReturnDate())
		if err != nil {
			return err
		}
		if err := b.reverse(orig, date, reason); err != nil {
			return err
		}
		cur := orig.Legs[0].Currency
		fee, err := amountOf("bank_fee", cmd.GetBankFee(), cur, true)
		if err != nil || fee == 0 {
			return err
		}
		return b.post(b.derive("return-fee", cmd.GetPaymentId(), "entry"), b.reversalDate(date), cmd.GetPaymentId(), "Gebühr "+reason, []Leg{
			{Account: b.account(PaymentFees), Currency: cur, Minor: fee},
			{Account: orig.Legs[0].Account, Currency: cur, Minor: -fee},
		})
	})
}

func (b *batch) period(year, month int32) (Period, error) {
	if month < 1 || month > 12 || year < 1 || year > 9999 {
		return Period{}, invalid("month", "%d-%d is not a period", year, month)
	}
	if !slices.Contains(b.l.cfg.PeriodActors, b.o.Actor) {
		return Period{}, fmt.Errorf("%w to close or reopen periods: %q", ErrNotAuthorised, b.o.Actor)
	}
	return Period{int(year), time.Month(month)}, nil
}

// ClosePeriod closes a month. Only actors in Config.PeriodActors may close;
// a reason is required.
func (l *Ledger) ClosePeriod(cmd *ledgerv1.ClosePeriod, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		p, err := b.period(cmd.GetYear(), cmd.GetMonth())
		if err != nil {
			return err
		}
		if cmd.GetReason() == "" {
			return invalid("reason", "missing")
		}
		if l.closed[p] {
			return fmt.Errorf("%w: %s is closed", ErrPeriodState, p)
		}
		b.emit(&ledgerv1.PeriodClosed{Tenant: l.tenant, Year: cmd.GetYear(), Month: cmd.GetMonth(), Actor: o.Actor, Reason: cmd.GetReason(), ClosedAt: timestamppb.New(o.Now)})
		return nil
	})
}

// ReopenPeriod reopens a closed month. Only actors in Config.PeriodActors
// may reopen; a reason is required.
func (l *Ledger) ReopenPeriod(cmd *ledgerv1.ReopenPeriod, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		p, err := b.period(cmd.GetYear(), cmd.GetMonth())
		if err != nil {
			return err
		}
		if cmd.GetReason() == "" {
			return invalid("reason", "missing")
		}
		if !l.closed[p] {
			return fmt.Errorf("%w: %s is open", ErrPeriodState, p)
		}
		b.emit(&ledgerv1.PeriodReopened{Tenant: l.tenant, Year: cmd.GetYear(), Month: cmd.GetMonth(), Actor: o.Actor, Reason: cmd.GetReason(), ReopenedAt: timestamppb.New(o.Now)})
		return nil
	})
}

// itemsOf returns the ids of the items of debtors, in order of opening per
// debtor.
func itemsOf(l *Ledger, debtors []string) []string {
	var ids []string
	for _, d := range debtors {
		ids = append(ids, l.byDebtor[d]...)
	}
	return ids
}
