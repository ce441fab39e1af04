package queue

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/creditnote"
	"github.com/o2c-platform/o2c/libs/debtor"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// Report is a marketplace settlement report with all its lines, as
// ingestion delivered it.
type Report struct {
	ID          string
	Marketplace string
	Currency    string
	Total       int64
	HasTotal    bool
	Deposit     time.Time
	Lines       []*ingestionv1.SettlementLine
}

// Breakdown is what a settlement report's lines add up to. Amounts are
// positive where money goes to the seller (order prices) and where the
// marketplace takes it (fees, refunds, a reserve held back, other
// deductions).
type Breakdown struct {
	// Orders are the prices buyers paid, per order, in the order of the
	// report.
	Orders []OrderPrice
	// Fees are the marketplace's fees by kind (the line's description),
	// less what it refunded of them.
	Fees map[string]int64
	// Refunds are the refunds to buyers, by adjustment.
	Refunds []RefundLine
	// Reserve is held back (positive) or released (negative).
	Reserve int64
	// Other is what the remaining lines take (positive) or give.
	Other int64
}

// OrderPrice is what a buyer paid for an order.
type OrderPrice struct {
	OrderID, MerchantOrderID string
	Amount                   int64
}

// RefundLine is a refund to a buyer.
type RefundLine struct {
	AdjustmentID, OrderID, MerchantOrderID string
	Amount                                 int64
	// Posted is the posted date of the refund's first line (zero when the
	// report gives none): its credit note's issue date.
	Posted time.Time
}

// price reports whether an order or refund line's amount type is what the
// buyer pays (price, tax, shipping, gift wrap, promotions): the one
// classification refund import shares (creditnote.Buyer), so that both
// credit a refund with the same amount.
func price(amountType string) bool { return creditnote.Buyer(amountType) }

// Breakdown sorts a report's lines (Amazon's flat file V2 and XML
// vocabulary): Order lines of amount type ItemPrice or Promotion are what
// the buyer paid for the order, Refund lines of those types the refund of
// an adjustment, ItemFees of either the marketplace's fees (refunded
// fees reduce them); a line whose description names a reserve moves the
// reserve; any other line is a fee named by its description when it takes
// money and other money when it gives.
func BreakdownOf(lines []*ingestionv1.SettlementLine) Breakdown {
	b := Breakdown{Fees: map[string]int64{}}
	orders := map[string]int{}
	refunds := map[string]int{}
	for _, l := range lines {
		amt := l.GetAmount().GetMinorUnits()
		kind := strings.ToLower(l.GetTransactionType())
		desc := strings.TrimSpace(l.GetAmountDescription())
		switch {
		case strings.Contains(strings.ToLower(desc), "reserve"):
			b.Reserve -= amt
		case kind == "order" && price(l.GetAmountType()):
			key := l.GetOrderId() + "\x00" + l.GetMerchantOrderId()
			i, ok := orders[key]
			if !ok {
				i = len(b.Orders)
				orders[key] = i
				b.Orders = append(b.Orders, OrderPrice{OrderID: l.GetOrderId(), MerchantOrderID: l.GetMerchantOrderId()})
			}
			b.Orders[i].Amount += amt
		case kind == "refund" && price(l.GetAmountType()):
			key := l.GetAdjustmentId()
			if key == "" {
				key = l.GetOrderId() + "\x00refund"
			}
			i, ok := refunds[key]
			if !ok {
				i = len(b.Refunds)
				refunds[key] = i
				b.Refunds = append(b.Refunds, RefundLine{AdjustmentID: l.GetAdjustmentId(), OrderID: l.GetOrderId(), MerchantOrderID: l.GetMerchantOrderId(),
					Posted: timeOf(l.GetPostedDate())})
			}
			b.Refunds[i].Amount -= amt
		case strings.EqualFold(l.GetAmountType(), "ItemFees") || amt < 0:
			if desc == "" {
				desc = cmp.Or(l.GetAmountType(), l.GetTransactionType(), "fee")
			}
			b.Fees[desc] -= amt
		default:
			b.Other -= amt
		}
	}
	for k, v := range b.Fees {
		switch {
		case v == 0:
			delete(b.Fees, k)
		case v < 0:
			// More fees refunded than charged: money to the seller that
			// no fee leg can carry.
			b.Other += v
			delete(b.Fees, k)
		}
	}
	return b
}

// settlementLeg is what one of a report's own items in the engine stands
// for.
type settlementLeg struct {
	settlement, marketplace string
	kind                    string // "fee", "refund", "reserve", "other"
	fee                     string
	refund                  Refund
}

// The id prefix of a report's own items in the engine.
const settlementPrefix = "settlement:"

// SettlementItems returns what the engine matches a marketplace payout
// against for report r: the order items orders holds (the ledger's items
// of the marketplace's debtor, found by order id or merchant order id)
// with the settlement id as their payment reference, and one credit item
// per fee kind, refund, reserve held back and other deduction (negative),
// so that the items of the settlement sum to its payout. An order the
// ledger holds no item for is left out, and the payout then does not equal
// the settlement: it is proposed, never booked by itself.
func SettlementItems(r Report, orders map[string]engine.OpenItem) ([]engine.OpenItem, map[string]settlementLeg) {
	b := BreakdownOf(r.Lines)
	cur := cmp.Or(r.Currency, firstCurrency(r.Lines))
	deb, channel := "", ""
	var out []engine.OpenItem
	itemOf := map[string]string{} // order id or merchant order id -> item id
	for _, o := range b.Orders {
		it, ok := orders[o.OrderID]
		if !ok {
			it, ok = orders[o.MerchantOrderID]
		}
		if !ok || it.Amount.Currency != cur {
			continue
		}
		deb, channel = it.Debtor, it.Channel
		it.PaymentReference = r.ID
		out = append(out, it)
		for _, id := range []string{o.OrderID, o.MerchantOrderID} {
			if id != "" {
				itemOf[id] = it.ID
			}
		}
	}
	if deb == "" {
		deb = debtor.MarketplaceID(marketplaceName(r), cur)
		channel = marketplaceName(r)
	}
	legs := map[string]settlementLeg{}
	credit := func(id string, amount int64, leg settlementLeg) {
		if amount <= 0 {
			return
		}
		leg.settlement, leg.marketplace = r.ID, r.Marketplace
		legs[id] = leg
		out = append(out, engine.OpenItem{ID: id, Debtor: deb, Kind: engine.ItemCredit, DocumentNumber: id, PaymentReference: r.ID,
			Amount: money.Amount{Minor: -amount, Currency: cur}, Open: -amount, IssueDate: r.Deposit, DueDate: r.Deposit, Channel: channel})
	}
	for _, kind := range slices.Sorted(maps.Keys(b.Fees)) {
		credit(settlementPrefix+r.ID+":fee:"+kind, b.Fees[kind], settlementLeg{kind: "fee", fee: kind})
	}
	for _, f := range b.Refunds {
		item := ""
		for _, id := range []string{f.OrderID, f.MerchantOrderID} {
			if id != "" && item == "" {
				item = itemOf[id]
			}
		}
		credit(settlementPrefix+r.ID+":refund:"+cmp.Or(f.AdjustmentID, f.OrderID), f.Amount,
			settlementLeg{kind: "refund", refund: Refund{AdjustmentID: f.AdjustmentID, Item: item, OrderID: f.OrderID, Posted: f.Posted}})
	}
	credit(settlementPrefix+r.ID+":reserve", b.Reserve, settlementLeg{kind: "reserve"})
	credit(settlementPrefix+r.ID+":other", b.Other, settlementLeg{kind: "other"})
	return out, legs
}

func firstCurrency(lines []*ingestionv1.SettlementLine) string {
	for _, l := range lines {
		if c := l.GetAmount().GetCurrency(); c != "" {
			return c
		}
	}
	return ""
}

// marketplaceName is the marketplace a report's lines name ("Amazon.de" ->
// "amazon.de"), else the report's operator.
func marketplaceName(r Report) string {
	for _, l := range r.Lines {
		if n := strings.TrimSpace(l.GetMarketplaceName()); n != "" {
			return strings.ToLower(n)
		}
	}
	return strings.ToLower(r.Marketplace)
}

// withSettlement moves a proposal's allocations to a report's own items
// into its Settlement (fees, refunds, reserve, other, and the allocations
// themselves for the engine).
func (b *book) withSettlement(p Proposal) Proposal {
	var real []engine.Allocation
	var s *Settlement
	for _, a := range p.Allocations {
		leg, ok := b.legs[a.Item]
		if !ok {
			real = append(real, a)
			continue
		}
		if s == nil {
			s = &Settlement{ID: leg.settlement, Marketplace: leg.marketplace}
		}
		s.Items = append(s.Items, a)
		amount := -a.Amount
		switch leg.kind {
		case "fee":
			s.Fees = append(s.Fees, Fee{Kind: leg.fee, Amount: amount})
		case "refund":
			r := leg.refund
			r.Amount = amount
			s.Refunds = append(s.Refunds, r)
		case "reserve":
			s.Reserve += amount
		default:
			s.Other += amount
		}
	}
	if s == nil {
		return p
	}
	p.Allocations, p.Settlement = real, s
	return p
}

// Settlements gives the desk the settlement reports that may still be paid
// out (Report) with the order items they name.
type Settlements interface {
	// OrderItems returns the ledger's items of marketplace debtors whose
	// order id or document number is one of ids, by that id.
	OrderItems(ctx context.Context, tenant string, ids []string) (map[string]engine.OpenItem, error)
}

// PutSettlement takes a complete settlement report into tenant's engine:
// its order items get the settlement id as payment reference, and its
// fees, refunds, reserve and other deductions become credit items (see
// SettlementItems), so that a payout naming the settlement, or of its
// total, is matched to it. It returns the ids of the order items found.
func (d *Desk) PutSettlement(ctx context.Context, tenant string, r Report, orders map[string]engine.OpenItem) error {
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return err
	}
	defer b.mu.Unlock()
	return b.putSettlement(r, orders)
}

func (b *book) putSettlement(r Report, orders map[string]engine.OpenItem) error {
	items, legs := SettlementItems(r, orders)
	for _, it := range items {
		if leg, synthetic := legs[it.ID]; synthetic && b.creditedLeg(leg) {
			// The refund's credit note lowered the order's item already.
			delete(legs, it.ID)
			continue
		}
		it.Channel = Channel(b.cfg, it.Channel)
		if open, ok := b.eng.Open(it.ID); ok {
			if _, synthetic := legs[it.ID]; synthetic {
				continue // taken in before
			}
			it.Open = open
			b.eng.RemoveItem(it.ID)
		}
		if err := b.eng.AddItem(it); err != nil {
			return fmt.Errorf("settlement %s: %w", r.ID, err)
		}
		if _, synthetic := legs[it.ID]; !synthetic {
			b.items[it.ID] = itemOf(it)
		}
	}
	if b.legs == nil {
		b.legs = map[string]settlementLeg{}
	}
	maps.Copy(b.legs, legs)
	return nil
}

// OrderIDs returns the order ids and merchant order ids a report's lines
// name.
func OrderIDs(r Report) []string {
	var ids []string
	for _, l := range r.Lines {
		for _, id := range []string{l.GetOrderId(), l.GetMerchantOrderId()} {
			if id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
