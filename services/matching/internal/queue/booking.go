package queue

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/creditnote"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// ClearingAccount is where the ledger booked every bank receipt and return
// on arrival (RecordBankTransaction); a match moves the amount from there
// to the debtor and a return back.
const ClearingAccount = "unidentified-receipts"

// ReserveFeeKind is the ledger's Fee kind of a marketplace's reserve
// (ApplyPayment books it on the reserve account, a receivable from the
// marketplace): positive when held back from the payout, negative when
// released.
const ReserveFeeKind = "marketplace-reserve"

// ReturnChargeDueDays is how long after a return the charge passed on to
// the debtor is due.
const ReturnChargeDueDays = 14

// Booking is what books a match: the ledger commands, in the order they
// must be booked, with idempotency keys derived from the ledger payment id
// (so the same match sent again books nothing twice).
//
// A receipt is one ApplyPayment from the clearing account to the debtor:
// the allocations as the proposal has them, a cash discount as
// Allocation.cash_discount spread over the items with discount terms (all
// items when none has) by largest remainder, a bank fee as a Fee leg (the
// debtor is credited with what it paid before the fee), a written-off
// shortfall, a negative rounding or FX difference as Allocation.difference
// spread the same way, and a surplus left to become a credit balance. A
// marketplace payout is the ApplyPayment on the marketplace's debtor with
// its fees as Fee legs and its reserve as a Fee of kind ReserveFeeKind
// (held back positive, released negative; a payout with other lines is
// refused), and for each refund an IssueCreditNote keyed
// "amazon-refund:<adjustment id>" on the order's item, which lowers what
// the ApplyPayment allocates to that item. A refund refund import linked
// to the shop's own credit note or booked itself (Refund.Decision) lowers
// the allocation the same way but gets no credit note: that one credited
// the item already. A refund refund import held refuses the booking with a
// HeldRefundError: a person decides.
//
// The remittance text is not passed on: it may name people, and the
// ledger's events are kept for good (its entry text is "Zahlung").
//
// A return is a ReturnPayment of the payment it undoes, with the bank's
// charge as its bank fee (an expense on the clearing account), and, when
// the tenant passes a charge on, an AssessCharge of a returned-debit fee on
// the first item the return reopens.
func Booking(tenant string, pay engine.Payment, p Proposal, ledgerPaymentID string, items Items) ([]proto.Message, error) {
	if pay.Amount.Minor < 0 {
		return returnBooking(tenant, pay, p, ledgerPaymentID)
	}
	cur := pay.Amount.Currency
	date := bookingDate(pay)
	amount := pay.Amount.Minor
	type leg struct {
		item                             string
		amount, discount, difference, cn int64
	}
	legs := make([]leg, len(p.Allocations))
	for i, a := range p.Allocations {
		if a.Amount <= 0 {
			return nil, fmt.Errorf("%w: allocation to %s is %s", ErrInvalidAllocation, a.Item, amountText(a.Amount, cur))
		}
		legs[i] = leg{item: a.Item, amount: a.Amount}
	}
	var fees []*ledgerv1.Fee
	var msgs []proto.Message
	if s := p.Settlement; s != nil {
		if s.Other != 0 {
			return nil, fmt.Errorf("%w: settlement %s holds %s in other lines the ledger has no account for",
				ErrProposalStale, s.ID, amountText(s.Other, cur))
		}
		for _, f := range s.Fees {
			if f.Amount <= 0 {
				return nil, fmt.Errorf("%w: settlement %s: fee %s is %s, not a charge", ErrProposalStale, s.ID, f.Kind, amountText(f.Amount, cur))
			}
			if f.Kind == ReserveFeeKind {
				return nil, fmt.Errorf("%w: settlement %s: a fee is named %q, the ledger's kind of a reserve", ErrProposalStale, s.ID, f.Kind)
			}
			fees = append(fees, &ledgerv1.Fee{Kind: f.Kind, Amount: money1(f.Amount, cur)})
		}
		if s.Reserve != 0 {
			// Held back (positive) is money the marketplace still owes: the
			// ledger debits its reserve account; released (negative) credits it.
			fees = append(fees, &ledgerv1.Fee{Kind: ReserveFeeKind, Amount: money1(s.Reserve, cur)})
		}
		for _, r := range s.Refunds {
			idx := -1
			for i := range legs {
				if legs[i].item == r.Item && r.Item != "" {
					idx = i
				}
			}
			if idx < 0 || legs[idx].amount < r.Amount {
				return nil, fmt.Errorf("%w: refund %s of order %s does not lie on an item this payout clears", ErrProposalStale, r.AdjustmentID, r.OrderID)
			}
			switch r.Decision.State {
			case RefundHeld:
				return nil, &HeldRefundError{AdjustmentID: r.AdjustmentID, Reason: r.Decision.Reason}
			case RefundLinked, RefundBooked:
				// Its credit note (the shop's, or refund import's)
				// credited the item already: the deduction clears against
				// it, and no second credit note is issued.
				legs[idx].amount -= r.Amount
				continue
			}
			it, ok := items.Item(r.Item)
			if !ok {
				return nil, fmt.Errorf("refund %s: %w %s", r.AdjustmentID, ErrUnknownItem, r.Item)
			}
			cn, err := RefundCreditNote(tenant, p.Debtor, r, it, date)
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, cn)
			legs[idx].amount -= r.Amount
		}
	}
	if d := p.Difference; d != nil && d.Amount != 0 {
		var err error
		switch {
		case d.Kind == engine.DiffBankFee && d.Amount < 0:
			fees = append(fees, &ledgerv1.Fee{Kind: "bank", Amount: money1(-d.Amount, cur)})
			if amount, err = money.Add(amount, -d.Amount); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrInvalidAllocation, err)
			}
		case d.Amount > 0:
			// A surplus stays with the debtor as a credit balance.
		default:
			weights := make([]int64, len(legs))
			for i, l := range legs {
				weights[i] = l.amount
				if d.Kind == engine.DiffCashDiscount {
					if it, ok := items.Item(l.item); !ok || it.DiscountBP <= 0 {
						weights[i] = 0
					}
				}
			}
			if sum(weights) == 0 {
				for i, l := range legs {
					weights[i] = l.amount
				}
			}
			if len(legs) == 0 || sum(weights) == 0 {
				return nil, fmt.Errorf("%w: a %s of %s on no item", ErrDifferenceKind, d.Kind, amountText(d.Amount, cur))
			}
			parts, err := money.Amount{Minor: -d.Amount, Currency: cur}.Split(weights)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrDifferenceKind, err)
			}
			for i, part := range parts {
				if part.Minor > legs[i].amount {
					return nil, fmt.Errorf("%w: a %s of %s exceeds what is allocated to %s", ErrBeyondLimit, d.Kind, amountText(part.Minor, cur), legs[i].item)
				}
				legs[i].amount -= part.Minor
				if d.Kind == engine.DiffCashDiscount {
					legs[i].discount = part.Minor
				} else {
					legs[i].difference = part.Minor
				}
			}
		}
	}
	ap := &ledgerv1.ApplyPayment{
		Tenant: tenant, IdempotencyKey: "matching:" + ledgerPaymentID, PaymentId: ledgerPaymentID, DebtorId: p.Debtor,
		Amount: money1(amount, cur), ValueDate: dateMsg(date), ClearingAccount: ClearingAccount, Fees: fees,
	}
	if p.Settlement != nil {
		// The payout is what the orders brought less fees, refunds and the
		// reserve held back (plus a reserve released); the refunds are
		// booked by their credit notes, so the debtor is credited with the
		// payout plus the fees and the reserve.
		fees, err := sumFees(p.Settlement)
		if err != nil {
			return nil, fmt.Errorf("settlement %s: %w", p.Settlement.ID, err)
		}
		total, err := money.Add(amount, fees)
		if err != nil || total <= 0 {
			return nil, fmt.Errorf("%w: settlement %s pays nothing for its orders", ErrProposalStale, p.Settlement.ID)
		}
		ap.Amount = money1(total, cur)
	}
	for _, l := range legs {
		if l.amount == 0 && l.discount == 0 && l.difference == 0 {
			continue
		}
		a := &ledgerv1.Allocation{OpenItemId: l.item, Amount: money1(l.amount, cur)}
		if l.discount != 0 {
			a.CashDiscount = money1(l.discount, cur)
		}
		if l.difference != 0 {
			a.Difference = money1(l.difference, cur)
		}
		ap.Allocations = append(ap.Allocations, a)
	}
	if p.Debtor == "" {
		return nil, fmt.Errorf("%w: no debtor", ErrInvalidAllocation)
	}
	return append(msgs, ap), nil
}

// sumFees is what the ApplyPayment books as Fee legs of a settlement: its
// fees and its reserve (negative when released).
func sumFees(s *Settlement) (int64, error) {
	parts := []int64{s.Reserve}
	for _, f := range s.Fees {
		parts = append(parts, f.Amount)
	}
	return money.Sum(parts...)
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

// returnBooking books a return: the ReturnPayment of the payment it
// undoes, and the charge passed on.
func returnBooking(tenant string, pay engine.Payment, p Proposal, ledgerPaymentID string) ([]proto.Message, error) {
	if p.Reverses == "" {
		return nil, fmt.Errorf("%w: the return names no payment it undoes", ErrInvalidReturn)
	}
	cur := pay.Amount.Currency
	date := bookingDate(pay)
	rp := &ledgerv1.ReturnPayment{
		Tenant: tenant, IdempotencyKey: "matching:return:" + ledgerPaymentID, PaymentId: p.Reverses,
		Kind: ledgerv1.ReturnKind_RETURN_KIND_RETURNED_DEBIT, ReturnDate: dateMsg(date),
	}
	if d := p.Difference; d != nil && d.Amount < 0 {
		rp.BankFee = money1(-d.Amount, cur)
	}
	msgs := []proto.Message{rp}
	if p.ReturnCharge > 0 && p.Debtor != "" {
		claim := ""
		for _, a := range p.Allocations {
			if a.Amount < 0 {
				claim = a.Item
				break
			}
		}
		msgs = append(msgs, &ledgerv1.AssessCharge{
			Tenant: tenant, IdempotencyKey: "matching:return-charge:" + ledgerPaymentID,
			DocumentNumber: "RLS " + ledgerPaymentID, DebtorId: p.Debtor, ClaimOpenItemId: claim,
			Kind: ledgerv1.ChargeKind_CHARGE_KIND_RETURNED_DEBIT_FEE, Amount: money1(p.ReturnCharge, cur),
			AssessedDate: dateMsg(date), DueDate: dateMsg(date.AddDate(0, 0, ReturnChargeDueDays)),
		})
	}
	return msgs, nil
}

// RefundCreditNote is the credit note of a marketplace refund
// (creditnote.ForRefund): number and idempotency key
// "amazon-refund:<adjustment id>", on the marketplace's debtor, crediting
// the order's item, its gross split over the item's VAT lines, issued on
// the day the marketplace posted the refund (in UTC), or on date (the
// payout's booking date) for a refund whose posted date is not known. The
// refund import builds the same command from the same refund, so the
// ledger books it once, whichever comes first.
func RefundCreditNote(tenant, debtor string, r Refund, it Item, date time.Time) (*ledgerv1.IssueCreditNote, error) {
	if !r.Posted.IsZero() {
		date = r.Posted
	}
	cn, err := creditnote.ForRefund(tenant, debtor, r.AdjustmentID, r.Amount, creditnote.Item{ID: it.ID, Currency: it.Currency, VAT: it.VAT}, date)
	if err != nil {
		return nil, fmt.Errorf("refund %s: %w: %v", r.AdjustmentID, ErrProposalStale, err)
	}
	return cn, nil
}

// bookingDate is the day a payment is booked on: its booking date, else its
// value date. The ledger booked it into the clearing account on the
// booking date, so the match moves it out on the same day.
func bookingDate(p engine.Payment) time.Time {
	if !p.BookingDate.IsZero() {
		return p.BookingDate
	}
	return p.ValueDate
}

func money1(minor int64, cur string) *commonv1.Money {
	return &commonv1.Money{MinorUnits: minor, Currency: cur}
}

func dateMsg(t time.Time) *commonv1.Date {
	if t.IsZero() {
		return nil
	}
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}
