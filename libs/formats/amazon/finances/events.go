package finances

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// eventLists maps every event list of the v0 FinancialEvents model to the
// model type of its elements.
var eventLists = [...]struct{ name, model string }{
	{"ShipmentEventList", "ShipmentEvent"},
	{"ShipmentSettleEventList", "ShipmentEvent"},
	{"RefundEventList", "ShipmentEvent"},
	{"GuaranteeClaimEventList", "ShipmentEvent"},
	{"ChargebackEventList", "ShipmentEvent"},
	{"EBTRefundReimbursementOnlyEventList", "EBTRefundReimbursementOnlyEvent"},
	{"PayWithAmazonEventList", "PayWithAmazonEvent"},
	{"ServiceProviderCreditEventList", "SolutionProviderCreditEvent"},
	{"RetrochargeEventList", "RetrochargeEvent"},
	{"RentalTransactionEventList", "RentalTransactionEvent"},
	{"PerformanceBondRefundEventList", "PerformanceBondRefundEvent"},
	{"ProductAdsPaymentEventList", "ProductAdsPaymentEvent"},
	{"ServiceFeeEventList", "ServiceFeeEvent"},
	{"SellerDealPaymentEventList", "SellerDealPaymentEvent"},
	{"DebtRecoveryEventList", "DebtRecoveryEvent"},
	{"LoanServicingEventList", "LoanServicingEvent"},
	{"AdjustmentEventList", "AdjustmentEvent"},
	{"SAFETReimbursementEventList", "SAFETReimbursementEvent"},
	{"SellerReviewEnrollmentPaymentEventList", "SellerReviewEnrollmentPaymentEvent"},
	{"FBALiquidationEventList", "FBALiquidationEvent"},
	{"CouponPaymentEventList", "CouponPaymentEvent"},
	{"ImagingServicesFeeEventList", "ImagingServicesFeeEvent"},
	{"NetworkComminglingTransactionEventList", "NetworkComminglingTransactionEvent"},
	{"AffordabilityExpenseEventList", "AffordabilityExpenseEvent"},
	{"AffordabilityExpenseReversalEventList", "AffordabilityExpenseEvent"},
	{"RemovalShipmentEventList", "RemovalShipmentEvent"},
	{"RemovalShipmentAdjustmentEventList", "RemovalShipmentAdjustmentEvent"},
	{"TrialShipmentEventList", "TrialShipmentEvent"},
	{"TDSReimbursementEventList", "TDSReimbursementEvent"},
	{"AdhocDisbursementEventList", "AdhocDisbursementEvent"},
	{"TaxWithholdingEventList", "TaxWithholdingEvent"},
	{"ChargeRefundEventList", "ChargeRefundEvent"},
	{"FailedAdhocDisbursementEventList", "FailedAdhocDisbursementEvent"},
	{"ValueAddedServiceChargeEventList", "ValueAddedServiceChargeEvent"},
	{"CapacityReservationBillingEventList", "CapacityReservationBillingEvent"},
}

// lookupList returns the canonical spelling and model type of an event list
// name matched without regard to case; model is "" for a list the model does
// not know.
func lookupList(name string) (canonical, model string) {
	for _, l := range eventLists {
		if strings.EqualFold(l.name, name) {
			return l.name, l.model
		}
	}
	return name, ""
}

// eventType is the list name without its EventList (or List) suffix.
func eventType(list string) string {
	for _, suffix := range []string{"EventList", "List"} {
		if len(list) > len(suffix) && strings.HasSuffix(list, suffix) {
			return list[:len(list)-len(suffix)]
		}
	}
	return list
}

// role is what a money field means for its event's total.
type role uint8

const (
	roleComponent role = iota // summed into the event amount
	roleTotal                 // the sum of the parts; used only when no part is present
	roleDetail                // describes the event; never summed
)

// classify decides the role of the money field key, found under the event's
// top-level member top (top == key for a top-level amount), in an event of
// model type model. See Event for the rules.
func classify(model, top, key string) role {
	eq := strings.EqualFold
	topLevel := eq(top, key)
	switch model {
	case "ProductAdsPaymentEvent":
		if topLevel && eq(key, "transactionValue") {
			return roleTotal
		}
	case "SellerDealPaymentEvent", "CouponPaymentEvent", "SellerReviewEnrollmentPaymentEvent":
		if topLevel && eq(key, "TotalAmount") {
			return roleTotal
		}
	case "AffordabilityExpenseEvent":
		if topLevel && eq(key, "TotalExpense") {
			return roleTotal
		}
	case "AdjustmentEvent":
		if eq(top, "AdjustmentItemList") {
			return roleDetail
		}
	case "DebtRecoveryEvent":
		if eq(top, "DebtRecoveryItemList") || eq(top, "ChargeInstrumentList") {
			return roleDetail
		}
	case "SAFETReimbursementEvent":
		if eq(top, "SAFETReimbursementItemList") {
			return roleDetail
		}
	case "TaxWithholdingEvent":
		if topLevel && eq(key, "BaseAmount") {
			return roleDetail
		}
	case "RentalTransactionEvent":
		if topLevel && eq(key, "RentalInitialValue") {
			return roleDetail
		}
	}
	return roleComponent
}

// found is one money field met while walking an event.
type found struct {
	top, key, rel string
	parent, money *node
}

// walkMoney calls fn for every Currency object below n in file order. rel is
// the path of n relative to the event, top the event's top-level member n is
// under ("" for the event itself). OrderAdjustmentItemId values, strings or
// numbers as other ids, are reported through adj.
func walkMoney(n *node, rel, top string, fn func(f found) error, adj func(string)) error {
	switch n.kind {
	case kindObject:
		for i, k := range n.keys {
			v := n.vals[i]
			t := top
			if t == "" {
				t = k
			}
			r := join(rel, k)
			if isMoney(v) {
				if err := fn(found{top: t, key: k, rel: r, parent: n, money: v}); err != nil {
					return err
				}
				continue
			}
			if (v.kind == kindString || v.kind == kindNumber) && adj != nil && strings.EqualFold(k, "OrderAdjustmentItemId") {
				adj(v.text)
			}
			if v.kind == kindObject || v.kind == kindArray {
				if err := walkMoney(v, r, t, fn, adj); err != nil {
					return err
				}
			}
		}
	case kindArray:
		for i, v := range n.vals {
			r := rel + "[" + strconv.Itoa(i) + "]"
			if isMoney(v) {
				// A bare amount in a list: its kind is the list's name.
				k := rel
				if j := strings.LastIndexAny(k, ".]"); j >= 0 {
					k = k[j+1:]
				}
				if err := fn(found{top: top, key: k, rel: r, parent: n, money: v}); err != nil {
					return err
				}
				continue
			}
			if v.kind == kindObject || v.kind == kindArray {
				if err := walkMoney(v, r, top, fn, adj); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// kindOf names the amount found under key in parent: the value of the
// sibling "XType" of an "XAmount" (ChargeAmount → ChargeType), else the key.
func kindOf(parent *node, key string) string {
	if parent.kind == kindObject && len(key) > len("Amount") && strings.EqualFold(key[len(key)-len("Amount"):], "Amount") {
		if t := parent.str(key[:len(key)-len("Amount")] + "Type"); t != "" {
			return t
		}
	}
	return key
}

// subtypeKeys are the event fields that carry a finer type than the list.
var subtypeKeys = [...]string{
	"AdjustmentType", "TransactionType", "RetrochargeEventType", "RentalEventType",
	"DebtRecoveryType", "SourceBusinessEventType", "ProviderTransactionType",
	"FeeReason", "eventType", "FundsTransfersType", "BusinessObjectType",
}

// firstStr returns the first non-empty string member of n among keys.
func firstStr(n *node, keys ...string) string {
	for _, k := range keys {
		if s := n.str(k); s != "" {
			return s
		}
	}
	return ""
}

// v0Event turns one element of a v0 event list into an Event.
func (p *parser) v0Event(list, model string, n *node, path string, off int64) error {
	e := &Event{List: list, Type: eventType(list), Path: path}
	if n.kind == kindNull {
		p.warn("%s: null event skipped", path)
		return nil
	}
	if n.kind != kindObject {
		return atErr(path, off, "expected an event object, found %s", n.kind)
	}
	e.Subtype = firstStr(n, subtypeKeys[:]...)
	e.OrderID = firstStr(n, "AmazonOrderId", "OrderId", "TDSOrderId", "OriginalRemovalOrderId")
	e.SellerOrderID = firstStr(n, "SellerOrderId", "MerchantOrderId")
	e.AdjustmentID = n.str("AdjustmentEventId")
	e.Marketplace = firstStr(n, "MarketplaceName", "MarketplaceId")
	e.GroupID = n.str("FinancialEventGroupId")
	for _, k := range []string{"PostedDate", "TransactionPostedDate", "TransactionCreationDate"} {
		if v := n.get(k); v != nil {
			t, err := instant(v, path+"."+k, off)
			if err != nil {
				return err
			}
			e.Posted = t
			break
		}
	}
	var totals []Component
	err := walkMoney(n, "", "", func(f found) error {
		m, err := p.money(f.money, path+"."+f.rel, off)
		if err != nil {
			return err
		}
		c := Component{Kind: kindOf(f.parent, f.key), Amount: m, Source: f.rel}
		switch classify(model, f.top, f.key) {
		case roleTotal:
			totals = append(totals, c)
		case roleDetail:
			e.Details = append(e.Details, c)
		default:
			e.Components = append(e.Components, c)
		}
		return nil
	}, func(id string) {
		if e.AdjustmentID == "" {
			e.AdjustmentID = id
		}
	})
	if err != nil {
		return err
	}
	if len(e.Components) == 0 {
		e.Components, totals = totals, nil
	}
	if model == "" {
		p.warnOnce("list "+list, "%s is not an event list of the v0 model: every amount in it counted as a component", list)
	}
	if err := p.total(e, off); err != nil {
		return err
	}
	for _, t := range totals {
		if t.Amount.Currency == e.Currency && t.Amount.Minor != e.Minor {
			p.warn("%s: components sum to %d but %s is %d %s", path, e.Minor, t.Source, t.Amount.Minor, t.Amount.Currency)
		}
		e.Details = append(e.Details, t)
	}
	return p.emitEvent(e)
}

// total sets e.Currency and e.Minor from the components.
func (p *parser) total(e *Event, off int64) error {
	e.Currency, e.Minor = "", 0
	// The event's currency is the first component's that is not zero: a
	// zero charge in another currency (CAD 0.00 beside the USD refund)
	// says nothing about it.
	for _, c := range e.Components {
		if c.Amount.Minor != 0 {
			e.Currency = c.Amount.Currency
			break
		}
	}
	var others []string
	for _, c := range e.Components {
		if e.Currency == "" {
			e.Currency = c.Amount.Currency
		}
		if c.Amount.Currency != e.Currency {
			if c.Amount.Minor == 0 {
				continue
			}
			others = append(others, c.Amount.Currency)
			continue
		}
		s, ok := addInt64(e.Minor, c.Amount.Minor)
		if !ok {
			return atErr(e.Path+"."+c.Source, off, "sum of the event's amounts overflows int64 minor units")
		}
		e.Minor = s
	}
	if len(others) > 0 {
		p.warn("%s: components in %s and %s; amount_minor sums only the %s ones", e.Path, e.Currency, strings.Join(dedup(others), ", "), e.Currency)
	}
	return nil
}

func addInt64(a, b int64) (int64, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}

func dedup(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// financialEvents reads the FinancialEvents object: one member per event
// list, each an array of events.
func (p *parser) financialEvents(path string) error {
	isNull, err := p.openValue(path, '{', "an object")
	if err != nil || isNull {
		return err
	}
	for p.dec.More() {
		k, err := p.key(path)
		if err != nil {
			return err
		}
		list, model := lookupList(k)
		lp := join(path, k)
		tok, err := p.token(lp)
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok && d == '[' {
			err = p.elements(lp, func(n *node, ep string, off int64) error {
				return p.v0Event(list, model, n, ep, off)
			})
		} else if tok != nil && model != "" {
			return p.errorf(lp, "expected an array, found %s", describe(tok))
		} else if tok != nil {
			// A member the models do not know that is no list (a flag a
			// later version of the API adds, say): skipped, as extra
			// fields are. A known list that is not one is refused: its
			// money would be lost.
			p.warn("%s: %s, not an event list; skipped", lp, describe(tok))
			if d, ok := tok.(json.Delim); ok && d == '{' {
				err = p.skipRest(lp)
			}
		}
		if err != nil {
			return err
		}
	}
	_, err = p.token(path)
	return err
}

// group reads one FinancialEventGroup.
func (p *parser) group(n *node, path string, off int64) error {
	if n.kind != kindObject {
		return atErr(path, off, "expected a financial event group object, found %s", n.kind)
	}
	g := &EventGroup{
		ID:                 n.str("FinancialEventGroupId"),
		ProcessingStatus:   n.str("ProcessingStatus"),
		FundTransferStatus: n.str("FundTransferStatus"),
		TraceID:            n.str("TraceId"),
		AccountTail:        n.str("AccountTail"),
		Path:               path,
	}
	for _, m := range []struct {
		key string
		dst **Money
	}{{"OriginalTotal", &g.OriginalTotal}, {"ConvertedTotal", &g.ConvertedTotal}, {"BeginningBalance", &g.BeginningBalance}} {
		v := n.get(m.key)
		if v == nil || v.kind == kindNull {
			continue
		}
		if v.kind != kindObject {
			return atErr(path+"."+m.key, off, "expected a Currency object, found %s", v.kind)
		}
		mv, err := p.money(v, path+"."+m.key, off)
		if err != nil {
			return err
		}
		*m.dst = &mv
	}
	var err error
	if g.FundTransferDate, err = instant(n.get("FundTransferDate"), path+".FundTransferDate", off); err != nil {
		return err
	}
	if g.Start, err = instant(n.get("FinancialEventGroupStart"), path+".FinancialEventGroupStart", off); err != nil {
		return err
	}
	if g.End, err = instant(n.get("FinancialEventGroupEnd"), path+".FinancialEventGroupEnd", off); err != nil {
		return err
	}
	p.page.Groups++
	if p.h.Group == nil {
		return nil
	}
	if err := p.h.Group(g); err != nil {
		return fmt.Errorf("%s: %w: %w", path, ErrHandler, err)
	}
	return nil
}
