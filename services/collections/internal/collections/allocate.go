package collections

import (
	"cmp"
	"slices"
)

// Allocation is the part of a payment applied to one item.
type Allocation struct {
	ItemID, Component string
	Amount            int64
}

// rank is an item's place in the order of §367 (1) BGB: costs, then
// interest, then the principal.
func rank(component string) int {
	switch component {
	case Costs:
		return 0
	case Interest:
		return 1
	}
	return 2
}

// order sorts items as a payment clears them: by component (§367 BGB),
// then the oldest due date first (§366 (2) BGB: the claim due first), then
// document date, number and id, so the order is total.
func order(items []*Item) []*Item {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b *Item) int {
		return cmp.Or(cmp.Compare(rank(a.Component), rank(b.Component)), a.DueDate.Compare(b.DueDate),
			a.DocumentDate.Compare(b.DocumentDate), cmp.Compare(a.Document, b.Document), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Allocate applies amount to the items in the order of §367 BGB (costs,
// interest, principal; within each the claim due first), each up to what
// open says is open on it. It returns the allocations and what is left
// over.
func Allocate(items []*Item, open func(*Item) int64, amount int64) ([]Allocation, int64) {
	var out []Allocation
	for _, it := range order(items) {
		if amount == 0 {
			break
		}
		o := open(it)
		if o <= 0 {
			continue
		}
		take := min(o, amount)
		out = append(out, Allocation{ItemID: it.ID, Component: it.Component, Amount: take})
		amount -= take
	}
	return out, amount
}
