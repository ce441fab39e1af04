package refund

import (
	"strings"

	"github.com/o2c-platform/o2c/libs/creditnote"
	"github.com/o2c-platform/o2c/libs/money"
)

// CreditedAgain finds the shop credit notes on item that credit its order
// a second time: ones that came after refunds of the item had been booked
// as credit notes. A refund decided after the shop's credit note is linked
// to it when the amounts are the same (Decide), so a booked refund and a
// shop credit note of its amount on the same item mean the order was
// credited twice, once by the marketplace's refund and once by the shop.
//
// A shop credit note (a number other than a marketplace refund's, not
// linked to a refund) counts when what it credited on the item, in all its
// settlements and the credit balance it opened beyond them, equals the
// amount of a booked refund of the item (that refund is named) or the sum
// of all of them (each is named). A shop credit note of another amount is
// taken for a correction of its own (another line, goodwill) and not
// named. refunds are the decisions on the item's order; the result maps
// the key of each booked refund named to the shop credit note numbers that
// credited it again, in the order of item.CreditNotes.
func CreditedAgain(item *Item, refunds []Decided) map[string][]string {
	linked := map[string]bool{}
	var booked []Decided
	for _, d := range refunds {
		switch {
		case d.State == Linked:
			linked[d.CreditNoteNumber] = true
		case d.State == Booked && d.Kind != KindReversal && d.OpenItemID == item.ID:
			booked = append(booked, d)
		}
	}
	if len(booked) == 0 {
		return nil
	}
	amounts := make([]int64, len(booked))
	for i, d := range booked {
		amounts[i] = d.Amount
	}
	total, err := money.Sum(amounts...)
	if err != nil {
		// No credit note credits more than int64 holds: only a single
		// refund's amount can be matched.
		total = -1
	}
	var out map[string][]string
	name := func(key, number string) {
		if out == nil {
			out = map[string][]string{}
		}
		out[key] = append(out[key], number)
	}
	for _, cn := range item.CreditNotes {
		if strings.HasPrefix(cn.Number, creditnote.KeyPrefix) || linked[cn.Number] || cn.Amount <= 0 {
			continue
		}
		for _, d := range booked {
			if cn.Amount == total || cn.Amount == d.Amount {
				name(d.Key(), cn.Number)
			}
		}
	}
	return out
}
