// Package creditnote builds the ledger's credit note of a marketplace
// refund, so that every service that meets the same refund (matching in a
// payout's settlement report, refund import in the Finances API or a
// fetched settlement report) sends a byte-identical
// ledgerv1.IssueCreditNote, and the ledger books it once by its
// idempotency key whichever comes first. A different payload under the
// same key would be refused by the ledger as an idempotency conflict, so
// the amount (which components are the buyer's money), the VAT split and
// the issue date are decided here and nowhere else.
package creditnote

import (
	"errors"
	"fmt"
	"strings"
	"time"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/money"
)

// KeyPrefix starts the idempotency key and the number of a marketplace
// refund's credit note: "amazon-refund:<adjustment id>".
const KeyPrefix = "amazon-refund:"

// Settlement report amount types (Amazon's flat file V2 amount-type
// column), the vocabulary both sources are classified in.
const (
	// ItemPrice is what the buyer paid for the item: principal, tax,
	// shipping, gift wrap and their taxes.
	ItemPrice = "ItemPrice"
	// Promotion is a promotion on the item (negative for the buyer).
	Promotion = "Promotion"
	// ItemFees are the marketplace's fees (commission, refund commission,
	// fulfilment fees).
	ItemFees = "ItemFees"
	// ItemWithheldTax is tax the marketplace collects and remits itself
	// (marketplace facilitator tax).
	ItemWithheldTax = "ItemWithheldTax"
	// Other is any other amount (points, direct payments).
	Other = "Other"
)

// ErrInvalid means a credit note cannot be built: no adjustment id, a
// refund that is not positive, or an amount the item's VAT lines cannot
// split.
var ErrInvalid = errors.New("invalid marketplace credit note")

// Errors classifies the package's sentinels.
var Errors = fault.Table{
	{Err: ErrInvalid, Class: fault.Invalid},
}

// Key is the idempotency key and number of the credit note of the refund
// with the adjustment id.
func Key(adjustmentID string) string { return KeyPrefix + adjustmentID }

// Buyer reports whether an amount of the settlement report's amount type
// is the buyer's money, which the credit note credits; every other amount
// (fees, withheld tax, other) is booked by matching with the payout, as
// Fee legs, and never by a credit note.
func Buyer(amountType string) bool {
	switch strings.ToLower(strings.TrimSpace(amountType)) {
	case "itemprice", "promotion":
		return true
	}
	return false
}

// AmountType is the settlement report's amount type of an amount of a
// Finances API event: list is the name of the event's list the amount
// stands in (e.g. "ItemChargeAdjustmentList", "ItemFeeAdjustmentList",
// "PromotionAdjustmentList", "ItemTaxWithheldList"; the path of
// finances.Component.Source, e.g.
// "ShipmentItemAdjustmentList[0].ItemFeeAdjustmentList[1].FeeAmount", does
// too: its innermost list counts), kind its charge, fee or promotion type.
func AmountType(list, kind string) string {
	// A path names its innermost list last: take the last segment that is
	// a list ("…ItemFeeAdjustmentList[0].FeeAmount" -> the fee list).
	segs := strings.Split(strings.ToLower(list), ".")
	l := segs[len(segs)-1]
	for i := len(segs) - 1; i >= 0; i-- {
		name, _, _ := strings.Cut(segs[i], "[")
		if strings.HasSuffix(name, "list") {
			l = name
			break
		}
	}
	l, _, _ = strings.Cut(l, "[")
	k := strings.ToLower(kind)
	switch {
	case strings.Contains(l, "taxwithheld"), strings.HasPrefix(k, "marketplacefacilitator"):
		return ItemWithheldTax
	case strings.Contains(l, "chargeadjustment"), strings.Contains(l, "chargelist"):
		return ItemPrice
	case strings.Contains(l, "fee"):
		return ItemFees
	case strings.Contains(l, "promotion"):
		return Promotion
	}
	return Other
}

// Item is what a credit note needs of the order's open item.
type Item struct {
	// ID is the ledger's open item id.
	ID string
	// Currency is the item's ISO 4217 currency.
	Currency string
	// VAT are the item's VAT lines (ledger OpenItemClassified.vat), by
	// which the credit is split; none credits everything at rate 0.
	VAT []*ledgerv1.VatAmount
}

// ForRefund is the credit note of a marketplace refund of amount (positive,
// minor units of the item's currency): number and idempotency key
// Key(adjustmentID), on debtor (the marketplace's), crediting the order's
// item, its gross split over the item's VAT lines (net and tax of every
// rate as weights, largest remainder), issued on the refund's posted day in
// UTC.
func ForRefund(tenant, debtor, adjustmentID string, amount int64, it Item, posted time.Time) (*ledgerv1.IssueCreditNote, error) {
	if adjustmentID == "" {
		return nil, fmt.Errorf("%w: refund of item %s has no adjustment id", ErrInvalid, it.ID)
	}
	if amount <= 0 {
		return nil, fmt.Errorf("%w: refund %s of %d is not positive", ErrInvalid, adjustmentID, amount)
	}
	key := Key(adjustmentID)
	cn := &ledgerv1.IssueCreditNote{
		Tenant: tenant, IdempotencyKey: key, CreditNoteNumber: key, DebtorId: debtor, OpenItemId: it.ID,
		Currency: it.Currency, Gross: minor(amount, it.Currency), IssueDate: Day(posted),
	}
	var weights []int64
	for _, v := range it.VAT {
		weights = append(weights, v.GetNet().GetMinorUnits(), v.GetVat().GetMinorUnits())
	}
	var total int64
	for _, w := range weights {
		total += w
	}
	if len(it.VAT) == 0 || total <= 0 {
		cn.Vat = []*ledgerv1.VatAmount{{RateBp: 0, Net: minor(amount, it.Currency), Vat: minor(0, it.Currency)}}
		return cn, nil
	}
	parts, err := money.Amount{Minor: amount, Currency: it.Currency}.Split(weights)
	if err != nil {
		return nil, fmt.Errorf("%w: refund %s: %v", ErrInvalid, adjustmentID, err)
	}
	for i, v := range it.VAT {
		cn.Vat = append(cn.Vat, &ledgerv1.VatAmount{
			RateBp: v.GetRateBp(), Net: minor(parts[2*i].Minor, it.Currency), Vat: minor(parts[2*i+1].Minor, it.Currency),
			TaxTreatment: v.GetTaxTreatment(), TaxCountry: v.GetTaxCountry(),
		})
	}
	return cn, nil
}

// Day is the calendar day of t in UTC, or nil for the zero time.
func Day(t time.Time) *commonv1.Date {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

func minor(m int64, cur string) *commonv1.Money {
	return &commonv1.Money{MinorUnits: m, Currency: cur}
}
