package refund

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/libs/creditnote"
)

// Proto is the stored form of a decision: the refund with its state.
func (d Decided) Proto(decidedAt time.Time) *refundv1.Refund {
	r := d.Refund
	m := &refundv1.Refund{
		AdjustmentId: r.AdjustmentID, OrderId: r.OrderID, Sku: r.SKU, Kind: refundv1.RefundKind(r.Kind),
		Amount: &commonv1.Money{MinorUnits: r.Amount, Currency: r.Currency}, Source: refundv1.RefundSource(r.Source),
		State: refundv1.RefundState(d.State), Reason: d.Reason, CreditNoteNumber: d.CreditNoteNumber, OpenItemId: d.OpenItemID,
		SellerAccount: r.SellerAccount, MarketplaceId: r.Marketplace, OrderItemId: r.OrderItemID,
		ReversedAdjustmentId: d.ReversedAdjustmentID, Key: r.Key(), EntryId: d.EntryID, ReviewedBy: d.ReviewedBy,
		CreditedAgainKept: d.KeptCreditedAgain,
	}
	if !r.Posted.IsZero() {
		m.Posted = timestamppb.New(r.Posted)
	}
	if !decidedAt.IsZero() {
		m.DecidedAt = timestamppb.New(decidedAt)
	}
	for _, c := range r.Charges {
		m.Charges = append(m.Charges, &refundv1.RefundCharge{Type: c.Type, Amount: &commonv1.Money{MinorUnits: c.Minor, Currency: r.Currency},
			Fee: !creditnote.Buyer(c.AmountType)})
	}
	return m
}

// DecidedOf is a stored decision (version: its stream's version).
func DecidedOf(m *refundv1.Refund, version int64) Decided {
	r := Refund{
		AdjustmentID: m.GetAdjustmentId(), OrderID: m.GetOrderId(), SKU: m.GetSku(), OrderItemID: m.GetOrderItemId(),
		Kind: Kind(m.GetKind()), Source: Source(m.GetSource()), Currency: m.GetAmount().GetCurrency(), Amount: m.GetAmount().GetMinorUnits(),
		SellerAccount: m.GetSellerAccount(), Marketplace: m.GetMarketplaceId(),
	}
	if m.GetPosted() != nil {
		r.Posted = m.GetPosted().AsTime()
	}
	for _, c := range m.GetCharges() {
		at := creditnote.ItemPrice
		if c.GetFee() {
			at = creditnote.ItemFees
		}
		r.Charges = append(r.Charges, Charge{Type: c.GetType(), AmountType: at, Minor: c.GetAmount().GetMinorUnits()})
	}
	return Decided{Refund: r, State: State(m.GetState()), Version: version, Reason: m.GetReason(), OpenItemID: m.GetOpenItemId(),
		CreditNoteNumber: m.GetCreditNoteNumber(), EntryID: m.GetEntryId(), ReversedAdjustmentID: m.GetReversedAdjustmentId(), ReviewedBy: m.GetReviewedBy(),
		KeptCreditedAgain: m.GetCreditedAgainKept()}
}

// Apply is the decision d made about r, on top of what was decided before
// (prior, nil for none).
func (d Decision) Apply(r Refund, prior *Decided) Decided {
	out := Decided{Refund: r, State: d.State, Reason: d.Reason, OpenItemID: d.OpenItemID, CreditNoteNumber: d.CreditNoteNumber,
		EntryID: d.EntryID, ReversedAdjustmentID: d.ReversedAdjustmentID, ReviewedBy: d.ReviewedBy, KeptCreditedAgain: d.KeptCreditedAgain}
	if prior != nil {
		out.Version = prior.Version
		out.Source = prior.Source // where it was seen first
	}
	return out
}
