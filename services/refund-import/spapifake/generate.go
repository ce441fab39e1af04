package spapifake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
)

// The v0 event lists a refund can come in, with the ShipmentEvent model.
const (
	RefundEventList         = "RefundEventList"
	GuaranteeClaimEventList = "GuaranteeClaimEventList"
	ChargebackEventList     = "ChargebackEventList"
)

// RefundSpec describes a generated refund of one order item. Amounts are
// in minor units of Currency and positive when they go to the buyer:
// Principal, Tax and Shipping are what the buyer gets back, Commission the
// selling fee Amazon gives back to the seller with it.
type RefundSpec struct {
	OrderID, AdjustmentID, SKU, Currency string
	Posted                               time.Time
	Principal, Tax, Shipping, Commission int64
	// Marketplace is the marketplace's name as the Finances API writes it,
	// such as "Amazon.de".
	Marketplace string
}

// RefundCommission is the refund administration fee Amazon keeps of a
// refunded commission: 20 % of it, at most 5.00 in the currency's major
// unit (Amazon's fee schedule in the EU and US; a plausible figure for
// generated data, not a rule the import relies on).
func RefundCommission(commission int64, currency string) int64 {
	exp, _ := money.ExponentOrTwo(currency)
	limit := int64(5)
	for range exp {
		limit *= 10
	}
	return min(commission/5, limit)
}

// RefundEvent returns a v0 ShipmentEvent for the RefundEventList: the
// AmazonOrderId, MarketplaceName, PostedDate and one
// ShipmentItemAdjustmentList entry with the SellerSKU, the
// OrderAdjustmentItemId (g.AdjustmentID), the ItemChargeAdjustmentList
// (Principal, Tax, ShippingCharge, ShippingTax, negative: money back to the
// buyer) and the ItemFeeAdjustmentList (Commission positive, given back;
// RefundCommission negative, kept). The signs are those seen in settlement
// data (FORMATS.md 1.3); a zero component is listed with 0.00, as Amazon
// does.
func RefundEvent(g RefundSpec) json.RawMessage { return shipmentEvent(g, -1) }

// GuaranteeClaimEvent returns a v0 ShipmentEvent for the
// GuaranteeClaimEventList (an A-to-z Guarantee claim granted to the buyer),
// shaped as RefundEvent.
func GuaranteeClaimEvent(g RefundSpec) json.RawMessage { return shipmentEvent(g, -1) }

// ChargebackEvent returns a v0 ShipmentEvent for the
// ChargebackEventList (the buyer's bank took the payment back), shaped as
// RefundEvent.
func ChargebackEvent(g RefundSpec) json.RawMessage { return shipmentEvent(g, -1) }

// ReversalEvent returns the event of a refund, claim or chargeback taken
// back: a ShipmentEvent shaped as RefundEvent with every amount of the
// opposite sign (the buyer's money back to the seller, the commission
// charged again), to be added to the list the original came in. g is the
// original's spec with the reversal's own AdjustmentID and Posted date.
//
// Amazon's Finances models (v0 and 2024-06-19) have no event type of its
// own for a refund taken back: ShipmentEvent is "a shipment, refund, guarantee claim, or
// chargeback" and its amounts are signed; the reversals the v0 model names
// (RetrochargeReversal, AffordabilityExpenseReversalEventList, the Easy Ship
// ReimbursementClawback adjustment) are not refunds to a buyer, and the
// 2024-06-19 model names only the transaction type Shipment. A chargeback
// or A-to-z claim decided for the seller therefore shows as an entry of the
// same list whose charge adjustments are positive. That is this package's
// reading of the models, not a sample of real data (none is public).
func ReversalEvent(g RefundSpec) json.RawMessage { return shipmentEvent(g, 1) }

// shipmentEvent writes the ShipmentEvent of g; sign is the sign of the
// buyer's components (-1 for a refund, 1 for its reversal).
func shipmentEvent(g RefundSpec, sign int64) json.RawMessage {
	exp, _ := money.ExponentOrTwo(g.Currency)
	amount := func(minor int64) string {
		return `{"CurrencyCode":` + strconv.Quote(g.Currency) + `,"CurrencyAmount":` + money.FormatMinor(minor, exp) + `}`
	}
	var b bytes.Buffer
	b.Grow(1024)
	fmt.Fprintf(&b, `{"AmazonOrderId":%q,"MarketplaceName":%q,"PostedDate":%q,"ShipmentItemAdjustmentList":[{`,
		g.OrderID, g.Marketplace, g.Posted.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, `"SellerSKU":%q,"OrderAdjustmentItemId":%q,"QuantityShipped":1,"ItemChargeAdjustmentList":[`, g.SKU, g.AdjustmentID)
	charges := []struct {
		kind  string
		minor int64
	}{{"Principal", g.Principal}, {"Tax", g.Tax}, {"ShippingCharge", g.Shipping}, {"ShippingTax", 0}}
	for i, c := range charges {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"ChargeType":%q,"ChargeAmount":%s}`, c.kind, amount(sign*c.minor))
	}
	b.WriteString(`],"ItemFeeAdjustmentList":[`)
	fmt.Fprintf(&b, `{"FeeType":"Commission","FeeAmount":%s},{"FeeType":"RefundCommission","FeeAmount":%s}`,
		amount(-sign*g.Commission), amount(sign*RefundCommission(g.Commission, g.Currency)))
	b.WriteString(`]}]}`)
	return b.Bytes()
}

// Refunds returns n generated refunds of distinct orders posted evenly over
// [from, to), the same for the same seed: order ids in Amazon's 3-7-7 form,
// adjustment ids "amzn1:crow:gen-<seed>-<i>", EUR amounts between 5.00
// and 500.00 with 19 % tax, on Amazon.de. Every twenty-fifth is a
// chargeback and of the others every tenth a guarantee claim; lists says
// which event list each belongs to. The demo and the benchmark feed them with AddFinancialEvents.
func Refunds(seed int64, n int, from, to time.Time) (specs []RefundSpec, lists []string) {
	specs = make([]RefundSpec, n)
	lists = make([]string, n)
	span := to.Sub(from)
	x := uint64(seed)*0x9E3779B97F4A7C15 + 1
	next := func() uint64 { // xorshift64*: cheap and the same everywhere
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		return x * 0x2545F4914F6CDD1D
	}
	for i := range n {
		principal := int64(500 + next()%49501)
		tax := principal * 19 / 100
		posted := from
		if n > 0 {
			posted = from.Add(time.Duration(float64(span) * float64(i) / float64(n)))
		}
		specs[i] = RefundSpec{
			OrderID:      fmt.Sprintf("%03d-%07d-%07d", 300+seed%600, i/10000000%10000000, i%10000000),
			AdjustmentID: fmt.Sprintf("amzn1:crow:gen-%d-%d", seed, i),
			SKU:          fmt.Sprintf("SKU-%05d", next()%20000),
			Currency:     "EUR",
			Posted:       posted,
			Principal:    principal,
			Tax:          tax,
			Commission:   principal * 15 / 100,
			Marketplace:  "Amazon.de",
		}
		switch {
		case i%25 == 24:
			lists[i] = ChargebackEventList
		case i%10 == 9:
			lists[i] = GuaranteeClaimEventList
		default:
			lists[i] = RefundEventList
		}
	}
	return specs, lists
}

// Event returns the event of spec for list, as RefundEvent,
// GuaranteeClaimEvent or ChargebackEvent write it.
func Event(list string, spec RefundSpec) json.RawMessage {
	switch list {
	case GuaranteeClaimEventList:
		return GuaranteeClaimEvent(spec)
	case ChargebackEventList:
		return ChargebackEvent(spec)
	}
	return RefundEvent(spec)
}
