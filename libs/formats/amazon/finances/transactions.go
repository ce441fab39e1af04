package finances

import (
	"strconv"
	"strings"
)

// transaction turns one 2024-06-19 transaction into an Event.
func (p *parser) transaction(n *node, path string, off int64) error {
	if n.kind == kindNull {
		p.warn("%s: null transaction skipped", path)
		return nil
	}
	if n.kind != kindObject {
		return atErr(path, off, "expected a transaction object, found %s", n.kind)
	}
	e := &Event{
		List:          "transactions",
		Type:          n.str("transactionType"),
		TransactionID: n.str("transactionId"),
		Status:        n.str("transactionStatus"),
		Description:   n.str("description"),
		Path:          path,
	}
	if md := n.get("marketplaceDetails"); md != nil {
		e.Marketplace = firstStr(md, "marketplaceName", "marketplaceId")
	}
	if e.Marketplace == "" {
		e.Marketplace = n.get("sellingPartnerMetadata").str("marketplaceId")
	}
	if ids := n.get("relatedIdentifiers"); ids != nil && ids.kind == kindArray {
		for _, id := range ids.vals {
			v := id.str("relatedIdentifierValue")
			switch name := id.str("relatedIdentifierName"); {
			case strings.EqualFold(name, "ORDER_ID") && e.OrderID == "":
				e.OrderID = v
			case strings.EqualFold(name, "FINANCIAL_EVENT_GROUP_ID") && e.GroupID == "":
				e.GroupID = v
			}
		}
	}
	var err error
	if e.Posted, err = instant(n.get("postedDate"), path+".postedDate", off); err != nil {
		return err
	}

	var total *Component
	for i, k := range n.keys {
		v := n.vals[i]
		switch {
		case strings.EqualFold(k, "totalAmount"):
			if v.kind == kindNull {
				continue
			}
			if !isMoney(v) {
				return atErr(path+"."+k, off, "expected a Currency object, found %s", v.kind)
			}
			m, err := p.money(v, path+"."+k, off)
			if err != nil {
				return err
			}
			total = &Component{Kind: k, Amount: m, Source: k}
		case strings.EqualFold(k, "breakdowns"):
			if err := p.leaves(v, k, path, off, &e.Components); err != nil {
				return err
			}
		case strings.EqualFold(k, "items"):
			if err := p.items(v, k, path, off, e); err != nil {
				return err
			}
		case isMoney(v):
			m, err := p.money(v, path+"."+k, off)
			if err != nil {
				return err
			}
			p.warnOnce("tx money "+k, "%s: amount outside breakdowns counted as a component", path+"."+k)
			e.Components = append(e.Components, Component{Kind: k, Amount: m, Source: k})
		case v.kind == kindObject || v.kind == kindArray:
			// Amounts the model does not put here still count.
			err := walkMoney(v, k, k, func(f found) error {
				m, err := p.money(f.money, path+"."+f.rel, off)
				if err != nil {
					return err
				}
				p.warnOnce("tx money "+f.key, "%s: amount outside breakdowns counted as a component", path+"."+f.rel)
				e.Components = append(e.Components, Component{Kind: kindOf(f.parent, f.key), Amount: m, Source: f.rel})
				return nil
			}, nil)
			if err != nil {
				return err
			}
		}
	}
	if len(e.Components) == 0 && total != nil {
		e.Components = []Component{*total}
		total = nil
	}
	if len(e.Components) == 0 {
		// Neither totalAmount nor breakdowns: the items' totals are the
		// transaction's, rather than an amount of 0 nobody is told of.
		for _, d := range e.Details {
			if strings.EqualFold(d.Kind, "totalAmount") {
				e.Components = append(e.Components, d)
			}
		}
		if len(e.Components) > 0 {
			p.warn("%s: no totalAmount and no breakdowns; amount_minor sums the items' totalAmount", path)
		} else if len(e.Details) > 0 {
			p.warn("%s: no totalAmount, breakdowns or item totals; amount_minor is 0 and the amounts are in details", path)
		}
	}
	if err := p.total(e, off); err != nil {
		return err
	}
	if total != nil {
		if total.Amount.Currency == e.Currency && total.Amount.Minor != e.Minor {
			p.warn("%s: breakdown leaves sum to %d %s but totalAmount is %d", path, e.Minor, e.Currency, total.Amount.Minor)
		}
		e.Details = append([]Component{*total}, e.Details...)
	}
	return p.emitEvent(e)
}

// leaves appends the leaf breakdowns of the breakdowns array n (at rel,
// relative to the transaction at path) to out.
func (p *parser) leaves(n *node, rel, path string, off int64, out *[]Component) error {
	if n.kind == kindNull {
		return nil
	}
	if n.kind != kindArray {
		return atErr(path+"."+rel, off, "expected an array of breakdowns, found %s", n.kind)
	}
	for i, b := range n.vals {
		br := rel + "[" + strconv.Itoa(i) + "]"
		if b.kind != kindObject {
			return atErr(path+"."+br, off, "expected a breakdown object, found %s", b.kind)
		}
		sub := b.get("breakdowns")
		if sub != nil && sub.kind == kindArray && len(sub.vals) > 0 {
			if err := p.leaves(sub, br+".breakdowns", path, off, out); err != nil {
				return err
			}
			continue
		}
		amt := b.get("breakdownAmount")
		if amt == nil || amt.kind == kindNull {
			p.warn("%s: breakdown %q has neither an amount nor sub-breakdowns", path+"."+br, b.str("breakdownType"))
			continue
		}
		if !isMoney(amt) {
			return atErr(path+"."+br+".breakdownAmount", off, "expected a Currency object, found %s", amt.kind)
		}
		m, err := p.money(amt, path+"."+br+".breakdownAmount", off)
		if err != nil {
			return err
		}
		*out = append(*out, Component{Kind: kindOf(b, "breakdownAmount"), Amount: m, Source: br})
	}
	return nil
}

// items reads the items of a transaction: their identifiers, and their
// amounts as Details.
func (p *parser) items(n *node, rel, path string, off int64, e *Event) error {
	if n.kind == kindNull {
		return nil
	}
	if n.kind != kindArray {
		return atErr(path+"."+rel, off, "expected an array of items, found %s", n.kind)
	}
	for i, it := range n.vals {
		ir := rel + "[" + strconv.Itoa(i) + "]"
		if it.kind != kindObject {
			return atErr(path+"."+ir, off, "expected an item object, found %s", it.kind)
		}
		if ids := it.get("relatedIdentifiers"); ids != nil && ids.kind == kindArray && e.AdjustmentID == "" {
			for _, id := range ids.vals {
				if strings.EqualFold(id.str("itemRelatedIdentifierName"), "ORDER_ADJUSTMENT_ITEM_ID") {
					e.AdjustmentID = id.str("itemRelatedIdentifierValue")
					break
				}
			}
		}
		var bd []Component
		for j, k := range it.keys {
			v := it.vals[j]
			switch {
			case strings.EqualFold(k, "breakdowns"):
				if err := p.leaves(v, ir+"."+k, path, off, &bd); err != nil {
					return err
				}
			case isMoney(v):
				m, err := p.money(v, path+"."+ir+"."+k, off)
				if err != nil {
					return err
				}
				e.Details = append(e.Details, Component{Kind: k, Amount: m, Source: ir + "." + k})
			case v.kind == kindObject || v.kind == kindArray:
				err := walkMoney(v, ir+"."+k, k, func(f found) error {
					m, err := p.money(f.money, path+"."+f.rel, off)
					if err != nil {
						return err
					}
					e.Details = append(e.Details, Component{Kind: kindOf(f.parent, f.key), Amount: m, Source: f.rel})
					return nil
				}, nil)
				if err != nil {
					return err
				}
			}
		}
		e.Details = append(e.Details, bd...)
	}
	return nil
}
