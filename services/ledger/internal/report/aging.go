package report

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// MaxBuckets is the most overdue-bucket limits an aging takes.
const MaxBuckets = 24

// DefaultLimits are the overdue-bucket limits when none are asked for:
// not due, 1-30, 31-60, 61-90 and over 90 days.
var DefaultLimits = []int{30, 60, 90}

// OwnShop is the channel of an item no marketplace collects.
const OwnShop = "shop"

// Buckets sorts days overdue into the buckets of an aging: "not due" (zero
// or fewer days), one bucket per limit (up to the limit, inclusive, from
// one day after the previous limit) and "over" the last limit.
type Buckets struct {
	limits []int
}

// NewBuckets returns the buckets with the given limits, DefaultLimits when
// none are given. It returns an error wrapping ErrInvalidBuckets when a
// limit is not positive, the limits do not strictly increase, or there are
// more than MaxBuckets.
func NewBuckets(limits []int) (Buckets, error) {
	if len(limits) == 0 {
		limits = DefaultLimits
	}
	if len(limits) > MaxBuckets {
		return Buckets{}, fmt.Errorf("%w: %d limits, at most %d", ErrInvalidBuckets, len(limits), MaxBuckets)
	}
	for i, l := range limits {
		if l <= 0 {
			return Buckets{}, fmt.Errorf("%w: limit %d is not positive", ErrInvalidBuckets, l)
		}
		if i > 0 && l <= limits[i-1] {
			return Buckets{}, fmt.Errorf("%w: limit %d does not exceed the limit before it, %d", ErrInvalidBuckets, l, limits[i-1])
		}
	}
	return Buckets{limits: slices.Clone(limits)}, nil
}

// Len is the number of buckets: the limits plus "not due" and "over".
func (b Buckets) Len() int { return len(b.limits) + 2 }

// Limits returns the limits, the defaults resolved.
func (b Buckets) Limits() []int { return slices.Clone(b.limits) }

// Titles names the buckets in order: "not due", "1-30", ..., "over 90".
func (b Buckets) Titles() []string {
	out := []string{"not due"}
	low := 1
	for _, l := range b.limits {
		out = append(out, fmt.Sprintf("%d-%d", low, l))
		low = l + 1
	}
	return append(out, fmt.Sprintf("over %d", b.limits[len(b.limits)-1]))
}

// Index returns the bucket of an item daysOverdue days overdue.
func (b Buckets) Index(daysOverdue int) int {
	if daysOverdue <= 0 {
		return 0
	}
	i, _ := slices.BinarySearch(b.limits, daysOverdue)
	return i + 1
}

// DaysOverdue is the number of calendar days from due to asOf: positive
// when asOf lies after the due date, zero on it, negative before. Both are
// calendar dates; their time of day and location are ignored.
func DaysOverdue(due, asOf time.Time) int {
	d := time.Date(due.Year(), due.Month(), due.Day(), 0, 0, 0, 0, time.UTC)
	a := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	return int(a.Sub(d).Hours()) / 24
}

// Channel is the sales channel of an item collected by marketplace: the
// marketplace, or OwnShop when there is none.
func Channel(marketplace string) string {
	if marketplace == "" {
		return OwnShop
	}
	return marketplace
}

// Dimension is a column a report groups its figures by besides the
// currency.
type Dimension int

// The dimensions.
const (
	// ByChannel groups by sales channel.
	ByChannel Dimension = iota + 1
	// ByCustomerGroup groups by the debtor's customer group.
	ByCustomerGroup
	// ByDunningLevel groups by the item's dunning level.
	ByDunningLevel
)

// CheckDimensions returns an error wrapping ErrInvalidDimension when dims
// holds an unknown dimension or one twice, or the dunning level when
// dunning is false (the DSO is no figure of an item).
func CheckDimensions(dims []Dimension, dunning bool) error {
	seen := map[Dimension]bool{}
	for _, d := range dims {
		switch {
		case d < ByChannel || d > ByDunningLevel:
			return fmt.Errorf("%w: unknown dimension %d", ErrInvalidDimension, d)
		case d == ByDunningLevel && !dunning:
			return fmt.Errorf("%w: this report cannot group by dunning level", ErrInvalidDimension)
		case seen[d]:
			return fmt.Errorf("%w: dimension %d given twice", ErrInvalidDimension, d)
		}
		seen[d] = true
	}
	return nil
}

// Item is an open item as the aging needs it.
type Item struct {
	Currency string
	// Open is the amount open at the key date (a credit negative).
	Open          int64
	DueDate       time.Time
	Channel       string
	CustomerGroup string
	DunningLevel  string
}

// Group is the key of an aging or DSO row: the values of the dimensions
// grouped by (empty for the others) and the currency.
type Group struct {
	Channel       string
	CustomerGroup string
	DunningLevel  string
	Currency      string
}

// Compare orders groups by currency, channel, customer group and dunning
// level.
func (g Group) Compare(o Group) int {
	return cmp.Or(cmp.Compare(g.Currency, o.Currency), cmp.Compare(g.Channel, o.Channel),
		cmp.Compare(g.CustomerGroup, o.CustomerGroup), cmp.Compare(g.DunningLevel, o.DunningLevel))
}

// GroupOf is the group of a row with these values under dims: the values
// of the dimensions not in dims are left empty.
func GroupOf(dims []Dimension, currency, channel, customerGroup, dunningLevel string) Group {
	g := Group{Currency: currency}
	for _, d := range dims {
		switch d {
		case ByChannel:
			g.Channel = channel
		case ByCustomerGroup:
			g.CustomerGroup = customerGroup
		case ByDunningLevel:
			g.DunningLevel = dunningLevel
		}
	}
	return g
}

// AgingRow is the open amount of one group per bucket.
type AgingRow struct {
	Group   Group
	Buckets []int64
	Total   int64
	Items   int64
}

// Aging sums open items into buckets of days overdue at a key date per
// group. It holds one row per group, never the items, so a report over
// millions of items needs memory for its groups only. The zero value is
// not usable; call NewAging.
type Aging struct {
	asOf    time.Time
	buckets Buckets
	dims    []Dimension
	rows    map[Group]*AgingRow
}

// NewAging returns an empty aging at asOf. It returns an error wrapping
// ErrInvalidDimension when dims is not valid (CheckDimensions).
func NewAging(asOf time.Time, b Buckets, dims []Dimension) (*Aging, error) {
	if b.Len() == 2 {
		b, _ = NewBuckets(nil) // the defaults are valid
	}
	if err := CheckDimensions(dims, true); err != nil {
		return nil, err
	}
	return &Aging{asOf: asOf, buckets: b, dims: slices.Clone(dims), rows: map[Group]*AgingRow{}}, nil
}

// Add counts an item; one open at zero is counted as an item of its group
// with nothing in any bucket.
func (a *Aging) Add(it Item) {
	g := GroupOf(a.dims, it.Currency, it.Channel, it.CustomerGroup, it.DunningLevel)
	r := a.rows[g]
	if r == nil {
		r = &AgingRow{Group: g, Buckets: make([]int64, a.buckets.Len())}
		a.rows[g] = r
	}
	r.Buckets[a.buckets.Index(DaysOverdue(it.DueDate, a.asOf))] += it.Open
	r.Total += it.Open
	r.Items++
}

// Rows returns one row per group, ordered by currency, channel, customer
// group and dunning level.
func (a *Aging) Rows() []AgingRow {
	out := make([]AgingRow, 0, len(a.rows))
	for _, r := range a.rows {
		out = append(out, AgingRow{Group: r.Group, Buckets: slices.Clone(r.Buckets), Total: r.Total, Items: r.Items})
	}
	slices.SortFunc(out, func(x, y AgingRow) int { return x.Group.Compare(y.Group) })
	return out
}

// Totals returns one row per currency (the other group values empty) that
// sums the rows of that currency, ordered by currency.
func (a *Aging) Totals() []AgingRow {
	by := map[string]*AgingRow{}
	for _, r := range a.rows {
		t := by[r.Group.Currency]
		if t == nil {
			t = &AgingRow{Group: Group{Currency: r.Group.Currency}, Buckets: make([]int64, a.buckets.Len())}
			by[r.Group.Currency] = t
		}
		for i, v := range r.Buckets {
			t.Buckets[i] += v
		}
		t.Total += r.Total
		t.Items += r.Items
	}
	out := make([]AgingRow, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(x, y AgingRow) int { return x.Group.Compare(y.Group) })
	return out
}
