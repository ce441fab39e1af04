package dunning

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/money"
)

// The tests below follow one invoice due on 15 January 2026 through the
// default procedures: level 1 on 22 January (due + 7), level 2 on
// 5 February (+21), level 3 on 19 February (+35), release on 5 March
// (+49), at least 14 days apart from level 2 on.
var (
	due    = day(2026, 1, 15)
	level1 = day(2026, 1, 22)
	level2 = day(2026, 2, 5)
	level3 = day(2026, 2, 19)
	final  = day(2026, 3, 5)
)

// atLevel1 is the state a first reminder on 22 January leaves for items.
func atLevel1(items ...string) State {
	s := State{Levels: map[string]int{}, DefaultSince: map[string]DefaultFact{}, LastNotice: level1}
	for _, id := range items {
		s.Levels[id] = 1
		s.DefaultSince[id] = DefaultFact{Item: id, Date: level1, Basis: BasisReminder}
	}
	return s
}

func TestDecideFees(t *testing.T) {
	t.Parallel()
	cfg := germanDefaults(t)
	for _, tc := range []struct {
		name     string
		in       Input
		level    int
		charges  map[string]int64
		defaults []DefaultFact
		total    int64
	}{
		{
			name:     "the first reminder is free and creates default",
			in:       Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, Date: level1},
			level:    1,
			charges:  map[string]int64{},
			defaults: []DefaultFact{{Item: "i1", Date: level1, Basis: BasisReminder}},
			total:    100000,
		},
		{
			name:  "a consumer pays material costs and interest at level 2",
			in:    Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, State: atLevel1("i1"), Date: level2},
			level: 2,
			// 1,000.00 EUR · 6.27 % · 14/365 = 2.4049 EUR
			charges: map[string]int64{"fee/i1": 250, "interest/i1": 240},
			total:   100490,
		},
		{
			name:  "a business pays the lump sum once per claim instead of fees",
			in:    Input{Debtor: business, Items: []Item{invoice("i1", due), invoice("i2", due)}, State: atLevel1("i1", "i2"), Date: level2},
			level: 2,
			// 1,000.00 EUR · 10.27 % · 14/365 = 3.9392 EUR per item
			charges: map[string]int64{"lump-sum/i1": 4000, "lump-sum/i2": 4000, "interest/i1": 394, "interest/i2": 394},
			total:   208788,
		},
		{
			name: "a claim charged the lump sum before is not charged again",
			in: Input{Debtor: business, Items: []Item{invoice("i1", due), invoice("i2", due)}, Date: level2, State: func() State {
				s := atLevel1("i1", "i2")
				s.LumpSumCharged = map[string]bool{"i1": true}
				return s
			}()},
			level:   2,
			charges: map[string]int64{"lump-sum/i2": 4000, "interest/i1": 394, "interest/i2": 394},
			total:   204788,
		},
		{
			name: "interest is split at the base-rate change and runs from the day after default",
			in: Input{Debtor: consumer, Items: []Item{invoice("i1", day(2022, 12, 1))}, Date: day(2023, 1, 15), State: State{
				Levels: map[string]int{"i1": 1}, LastNotice: day(2022, 12, 14),
				DefaultSince: map[string]DefaultFact{"i1": {Item: "i1", Date: day(2022, 12, 14), Basis: BasisReminder}},
			}},
			level: 2,
			// 17 days at −0.88 + 5 % and 15 days at 1.62 + 5 %, see TestInterest.
			charges: map[string]int64{"fee/i1": 250, "interest/i1": 464},
			total:   100714,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := decide(t, cfg, tc.in)
			if d.Level != tc.level || d.Notice == nil {
				t.Fatalf("level %d, notice %v; want level %d and a notice (rules %q)", d.Level, d.Notice, tc.level, d.Rules)
			}
			if diff := cmp.Diff(tc.charges, charges(d)); diff != "" {
				t.Errorf("charges (-want +got):\n%s\nrules: %q", diff, d.Rules)
			}
			if diff := cmp.Diff(tc.defaults, d.Defaults); diff != "" {
				t.Errorf("defaults (-want +got):\n%s", diff)
			}
			if d.Notice.Total != tc.total {
				t.Errorf("notice total = %d, want %d", d.Notice.Total, tc.total)
			}
			for _, c := range d.Charges {
				if want := "dunning/d1/" + tc.in.Date.String() + "/" + c.Claim + "/" + c.Kind; c.Key != want {
					t.Errorf("charge key %q, want %q", c.Key, want)
				}
			}
		})
	}
}

// TestDecideInterestParts checks the interest a notice prints for the
// base-rate change of 1 January 2023.
func TestDecideInterestParts(t *testing.T) {
	t.Parallel()
	d := decide(t, germanDefaults(t), Input{Debtor: consumer, Items: []Item{invoice("i1", day(2022, 12, 1))}, Date: day(2023, 1, 15), State: State{
		Levels: map[string]int{"i1": 1}, LastNotice: day(2022, 12, 14),
		DefaultSince: map[string]DefaultFact{"i1": {Item: "i1", Date: day(2022, 12, 14), Basis: BasisReminder}},
	}})
	want := []InterestPart{
		{Item: "i1", From: day(2022, 12, 15), To: day(2022, 12, 31), Days: 17, RateBP: 412, Principal: 100000, Amount: 192},
		{Item: "i1", From: day(2023, 1, 1), To: day(2023, 1, 15), Days: 15, RateBP: 662, Principal: 100000, Amount: 272},
	}
	if diff := cmp.Diff(want, d.Notice.Interest); diff != "" {
		t.Errorf("interest (-want +got):\n%s", diff)
	}
}

func TestDecideDefaultBasis(t *testing.T) {
	t.Parallel()
	cfg := germanDefaults(t)
	withNotice := invoice("i1", due)
	withNotice.ConsumerDefaultNotice = true
	refused := invoice("i1", due)
	refused.Refused = day(2026, 1, 20)
	on := day(2026, 2, 20) // 36 days after the due date
	for _, tc := range []struct {
		name   string
		debtor Debtor
		item   Item
		want   DefaultFact
	}{
		{"a business defaults 30 days after due date and receipt", business, invoice("i1", due), DefaultFact{Item: "i1", Date: day(2026, 2, 14), Basis: Basis30Day}},
		{"a consumer only when the invoice said so", consumer, withNotice, DefaultFact{Item: "i1", Date: day(2026, 2, 14), Basis: Basis30Day}},
		{"else by the reminder", consumer, invoice("i1", due), DefaultFact{Item: "i1", Date: on, Basis: BasisReminder}},
		{"a refusal puts the debtor in default at once", consumer, refused, DefaultFact{Item: "i1", Date: day(2026, 1, 20), Basis: BasisRefusal}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := decide(t, cfg, Input{Debtor: tc.debtor, Items: []Item{tc.item}, Date: on})
			if diff := cmp.Diff([]DefaultFact{tc.want}, d.Defaults); diff != "" {
				t.Errorf("defaults (-want +got):\n%s", diff)
			}
		})
	}
	// At level 2 the 30-day default's interest runs from the day after
	// it: 15 February to 6 March, 20 days at 1.27 + 9 %.
	first := decide(t, cfg, Input{Debtor: business, Items: []Item{invoice("i1", due)}, Date: on})
	d := decide(t, cfg, Input{Debtor: business, Items: []Item{invoice("i1", due)}, Date: day(2026, 3, 6), State: State{}.Apply(first)})
	want := []InterestPart{{Item: "i1", From: day(2026, 2, 15), To: day(2026, 3, 6), Days: 20, RateBP: 1027, Principal: 100000, Amount: 563}}
	if d.Notice == nil {
		t.Fatalf("no notice at level 2: %q", d.Rules)
	}
	if diff := cmp.Diff(want, d.Notice.Interest); diff != "" {
		t.Errorf("interest (-want +got):\n%s", diff)
	}
}

func TestDecideExclusions(t *testing.T) {
	t.Parallel()
	cfg := germanDefaults(t)
	debtorWide := config(t, `{"dispute_blocks_debtor": true}`)
	marketplace := invoice("i2", due)
	marketplace.Marketplace = "amazon"
	old := invoice("i2", day(2021, 3, 10))
	restarted := old
	restarted.PartPayments = []Date{day(2023, 6, 15)}
	dispute := Block{ID: "b1", Debtor: "d1", Item: "i2", Reason: BlockDispute, SetBy: "user:clerk", Source: "ticket-7", Set: day(2026, 1, 20)}
	for _, tc := range []struct {
		name    string
		cfg     Config
		in      Input
		noticed map[string]int
		skipped map[string]string
		lifted  []string
	}{
		{
			name:    "a disputed item is excluded, the debtor's other items are dunned",
			cfg:     cfg,
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", due), invoice("i2", due)}, Blocks: []Block{dispute}, Date: level1},
			noticed: map[string]int{"i1": 1},
			skipped: map[string]string{"i2": "blocked:dispute"},
		},
		{
			name:    "a dispute blocks the whole debtor when configured",
			cfg:     debtorWide,
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", due), invoice("i2", due)}, Blocks: []Block{dispute}, Date: level1},
			skipped: map[string]string{"i1": "blocked:dispute", "i2": "blocked:dispute"},
		},
		{
			name:    "a marketplace item is never dunned",
			cfg:     cfg,
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", due), marketplace}, Date: final},
			noticed: map[string]int{"i1": 1},
			skipped: map[string]string{"i2": "marketplace"},
		},
		{
			name: "a block holds until it expires",
			cfg:  cfg,
			in: Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, Date: day(2026, 1, 31), Blocks: []Block{
				{ID: "b1", Debtor: "d1", Reason: "customer-service", Set: day(2026, 1, 16), Expires: day(2026, 1, 31)}}},
			skipped: map[string]string{"i1": "blocked:customer-service"},
		},
		{
			name: "a block set for a later day does not hold yet",
			cfg:  cfg,
			in: Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, Date: level1, Blocks: []Block{
				{ID: "b1", Debtor: "d1", Reason: "insolvency", Set: level1.AddDays(1)}}},
			noticed: map[string]int{"i1": 1},
		},
		{
			name: "an expired block is lifted",
			cfg:  cfg,
			in: Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, Date: day(2026, 2, 1), Blocks: []Block{
				{ID: "b1", Debtor: "d1", Reason: "customer-service", Set: day(2026, 1, 16), Expires: day(2026, 1, 31)}}},
			noticed: map[string]int{"i1": 1},
			lifted:  []string{"b1"},
		},
		{
			name: "a promise to pay is lifted when its item is cleared",
			cfg:  cfg,
			in: Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, Date: level1, Blocks: []Block{
				{ID: "b2", Debtor: "d1", Item: "i9", Reason: BlockPromiseToPay, Set: day(2026, 1, 16)}}},
			noticed: map[string]int{"i1": 1},
			lifted:  []string{"b2"},
		},
		{
			name:    "a time-barred claim is skipped",
			cfg:     cfg,
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", due), old}, Date: level1},
			noticed: map[string]int{"i1": 1},
			skipped: map[string]string{"i2": "time-barred"},
		},
		{
			name:    "a claim restarted by a part payment is dunned",
			cfg:     cfg,
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", due), restarted}, Date: level1},
			noticed: map[string]int{"i1": 1, "i2": 1},
		},
		{
			name:    "items not dunnable, in another currency or released are skipped",
			cfg:     cfg,
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", due), notDunnable("i2"), inUSD("i3"), invoice("i4", due)}, State: State{Released: map[string]bool{"i4": true}}, Date: level1},
			noticed: map[string]int{"i1": 1},
			skipped: map[string]string{"i2": "not-dunnable", "i3": "currency", "i4": "released"},
		},
		{
			name:    "a credit balance is never dunned and the debtor's debts are",
			cfg:     cfg,
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", due), credit("c1")}, Date: level1},
			noticed: map[string]int{"i1": 1},
			skipped: map[string]string{"c1": "credit"},
		},
		{
			name: "without a due date it is due on its document date (§271 BGB); without either it is skipped",
			cfg:  cfg,
			in: Input{Debtor: consumer, Items: []Item{
				{ID: "i1", Debtor: "d1", Component: ComponentPrincipal, Currency: "EUR", Amount: 100, Open: 100, DocumentDate: due, Dunnable: true},
				{ID: "i2", Debtor: "d1", Component: ComponentPrincipal, Currency: "EUR", Amount: 100, Open: 100, Dunnable: true},
			}, Date: level1},
			noticed: map[string]int{"i1": 1},
			skipped: map[string]string{"i2": "no-due-date"},
		},
		{
			name:    "too soon after the last notice",
			cfg:     cfg,
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, State: func() State { s := atLevel1("i1"); s.LastNotice = day(2026, 1, 30); return s }(), Date: level2},
			skipped: map[string]string{"i1": "interval"},
		},
		{
			name:    "before the due date and before the next level",
			cfg:     cfg,
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", day(2026, 2, 1)), invoice("i2", day(2026, 1, 20))}, Date: day(2026, 1, 25)},
			skipped: map[string]string{"i1": "not-due", "i2": "level-not-reached"},
		},
		{
			name:    "a level that always duns ignores the minimum",
			cfg:     config(t, `{"procedures": [{"id": "p", "version": 1, "valid_from": "2020-01-01", "groups": ["b2c"], "levels": [{"days_past_due": 7, "template": "t", "min_open_minor": 100001, "always_dun": true}]}]}`),
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, Date: level1},
			noticed: map[string]int{"i1": 1},
		},
		{
			name:    "below the level's minimum",
			cfg:     config(t, `{"procedures": [{"id": "p", "version": 1, "valid_from": "2020-01-01", "groups": ["b2c"], "levels": [{"days_past_due": 7, "template": "t", "min_open_minor": 100001}]}]}`),
			in:      Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, Date: level1},
			skipped: map[string]string{"i1": "below-minimum"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := decide(t, tc.cfg, tc.in)
			if diff := cmp.Diff(tc.noticed, noticed(d)); diff != "" {
				t.Errorf("noticed (-want +got):\n%s\nrules: %q", diff, d.Rules)
			}
			want := tc.skipped
			if want == nil {
				want = map[string]string{}
			}
			if diff := cmp.Diff(want, skipped(d)); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.lifted, d.LiftedBlocks); diff != "" {
				t.Errorf("lifted blocks (-want +got):\n%s", diff)
			}
		})
	}
}

func notDunnable(id string) Item {
	it := invoice(id, due)
	it.Dunnable = false
	return it
}

func credit(id string) Item {
	it := invoice(id, due)
	it.Component, it.Amount, it.Open = ComponentCredit, -5000, -5000
	return it
}

func inUSD(id string) Item {
	it := invoice(id, due)
	it.Currency = "USD"
	return it
}

// TestDecideWarnsOfLimitation checks the warning ahead of limitation.
func TestDecideWarnsOfLimitation(t *testing.T) {
	t.Parallel()
	it := invoice("i1", day(2021, 3, 10))
	it.PartPayments = []Date{day(2023, 6, 15)} // barred from 2026-06-16
	d := decide(t, germanDefaults(t), Input{Debtor: consumer, Items: []Item{it}, Date: day(2026, 4, 1)})
	if !slices.ContainsFunc(d.Warnings, func(w string) bool { return strings.Contains(w, "time-barred on 2026-06-16") }) {
		t.Errorf("warnings %q, want one that i1 becomes time-barred on 2026-06-16", d.Warnings)
	}
	d = decide(t, germanDefaults(t), Input{Debtor: consumer, Items: []Item{it}, Date: day(2026, 3, 1)})
	if len(d.Warnings) != 0 {
		t.Errorf("warnings %q 107 days ahead, want none (90 days configured)", d.Warnings)
	}
}

// TestDecideThroughTheProcedure follows one consumer invoice through the
// three levels into collections, the state of each decision feeding the
// next.
func TestDecideThroughTheProcedure(t *testing.T) {
	t.Parallel()
	cfg := germanDefaults(t)
	var s State
	type step struct {
		level    int
		released []string
		charges  map[string]int64
	}
	var got []step
	for _, on := range []Date{level1, level2, level3, final} {
		d := decide(t, cfg, Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, State: s, Date: on})
		got = append(got, step{level: d.Level, released: d.Released, charges: charges(d)})
		s = s.Apply(d)
	}
	want := []step{
		{level: 1, charges: map[string]int64{}},
		{level: 2, charges: map[string]int64{"fee/i1": 250, "interest/i1": 240}},
		// 6 to 19 February: 14 days again.
		{level: 3, charges: map[string]int64{"fee/i1": 250, "interest/i1": 240}},
		{released: []string{"i1"}, charges: map[string]int64{}},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(step{})); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if !s.Released["i1"] || s.LastNotice != level3 || s.InterestUntil["i1"] != level3 {
		t.Errorf("state released %v, last notice %s, interest until %s; want released, %s, %s", s.Released, s.LastNotice, s.InterestUntil["i1"], level3, level3)
	}
}

func TestDecideSettledAndReopened(t *testing.T) {
	t.Parallel()
	cfg := germanDefaults(t)
	at2 := atLevel1("i1")
	at2.Levels["i1"], at2.LastNotice = 2, level2

	// Paid in full: the procedure ends and the level is kept aside.
	d := decide(t, cfg, Input{Debtor: consumer, State: at2, Date: day(2026, 2, 10)})
	if !d.Ended || !slices.Equal(d.Settled, []string{"i1"}) || d.Notice != nil {
		t.Fatalf("decision ended %v, settled %v, notice %v; want ended, [i1], none", d.Ended, d.Settled, d.Notice)
	}
	s := at2.Apply(d)
	if !s.Ended || len(s.Levels) != 0 || s.Suspended["i1"] != 2 {
		t.Fatalf("state ended %v, levels %v, suspended %v; want ended, none, i1 at 2", s.Ended, s.Levels, s.Suspended)
	}
	// Deciding again on an ended procedure changes nothing.
	if again := decide(t, cfg, Input{Debtor: consumer, State: s, Date: day(2026, 2, 11)}); again.Ended || again.acts() {
		t.Errorf("a second decision on an ended procedure acts: %+v", again)
	}

	// The direct debit comes back: the item goes on from level 2.
	it := invoice("i1", due)
	it.Reopened = true
	d = decide(t, cfg, Input{Debtor: consumer, Items: []Item{it}, State: s, Date: level3})
	if diff := cmp.Diff(map[string]int{"i1": 3}, noticed(d)); diff != "" {
		t.Errorf("after the returned debit (-want +got):\n%s\nrules %q", diff, d.Rules)
	}
	if got := s.Reopen("i1").Levels["i1"]; got != 2 {
		t.Errorf("State.Reopen level = %d, want 2", got)
	}
	if got := at2.Settle("i1"); got.Suspended["i1"] != 2 || len(got.Levels) != 0 || at2.Levels["i1"] != 2 {
		t.Errorf("State.Settle = levels %v, suspended %v, and the original levels %v; want none, i1 at 2, unchanged", got.Levels, got.Suspended, at2.Levels)
	}
}

// TestDecideIsDeterministic decides twice on the same input, and on the
// input in another order, and wants the same decision; and a second run on
// the same date after the first's state sends nothing.
func TestDecideIsDeterministic(t *testing.T) {
	t.Parallel()
	cfg := germanDefaults(t)
	items := []Item{invoice("i1", due), invoice("i2", day(2026, 1, 10)), invoice("i3", due), marketplaceItem("i4")}
	blocks := []Block{
		{ID: "b2", Debtor: "d1", Item: "i3", Reason: BlockDispute, Set: day(2026, 1, 1)},
		{ID: "b1", Debtor: "d1", Item: "i3", Reason: BlockPromiseToPay, Set: day(2026, 1, 1), Expires: day(2026, 1, 2)},
	}
	in := Input{Debtor: business, Items: items, Blocks: blocks, State: atLevel1("i1", "i2"), Date: level2}
	first := decide(t, cfg, in)
	if diff := cmp.Diff(first, decide(t, cfg, in)); diff != "" {
		t.Errorf("second decision differs (-first +second):\n%s", diff)
	}
	shuffled := in
	shuffled.Items = slices.Clone(items)
	slices.Reverse(shuffled.Items)
	shuffled.Blocks = slices.Clone(blocks)
	slices.Reverse(shuffled.Blocks)
	if diff := cmp.Diff(first, decide(t, cfg, shuffled)); diff != "" {
		t.Errorf("decision on reordered input differs (-first +reordered):\n%s", diff)
	}
	again := in
	again.State = in.State.Apply(first)
	second := decide(t, cfg, again)
	if second.Notice != nil || len(second.Charges) != 0 {
		t.Errorf("a second run on %s sends notice %v and charges %v, want nothing", level2, second.Notice, second.Charges)
	}
}

// TestDecideOncePerDay runs a procedure without intervals twice on one
// day: the second run sends nothing, though the next level's day has come.
func TestDecideOncePerDay(t *testing.T) {
	t.Parallel()
	cfg := config(t, `{"procedures": [{"id": "p", "version": 1, "valid_from": "2020-01-01", "groups": ["b2c"],
		"levels": [{"days_past_due": 7, "template": "a"}, {"days_past_due": 8, "template": "b"}]}]}`)
	in := Input{Debtor: consumer, Items: []Item{invoice("i1", due)}, Date: due.AddDays(10)}
	first := decide(t, cfg, in)
	in.State = State{}.Apply(first)
	second := decide(t, cfg, in)
	if first.Level != 1 || second.Notice != nil || skipped(second)["i1"] != "interval" {
		t.Errorf("first level %d, second notice %v skipped %v; want level 1, then nothing (interval)", first.Level, second.Notice, second.Skipped)
	}
	in.Date = in.Date.AddDays(1)
	if next := decide(t, cfg, in); next.Level != 2 {
		t.Errorf("next day level %d, want 2 (rules %q)", next.Level, next.Rules)
	}
}

func marketplaceItem(id string) Item {
	it := invoice(id, due)
	it.Marketplace = "amazon"
	return it
}

func TestDecideProcedureChoice(t *testing.T) {
	t.Parallel()
	cfg := config(t, `{"procedures": [
		{"id": "base", "version": 1, "valid_from": "2020-01-01", "groups": ["b2c"], "levels": [{"days_past_due": 7, "template": "v1"}]},
		{"id": "base", "version": 2, "valid_from": "2026-01-25", "groups": ["b2c"], "levels": [{"days_past_due": 7, "template": "v2"}]},
		{"id": "ebay", "version": 1, "valid_from": "2020-01-01", "groups": ["channel:ebay"], "levels": [{"days_past_due": 7, "template": "ebay"}]}]}`)
	ebay := consumer
	ebay.Channel = "ebay"
	for _, tc := range []struct {
		name     string
		debtor   Debtor
		on       Date
		template string
		version  int
	}{
		{"the version valid on the date", consumer, level1, "v1", 1},
		{"a newer version from its date", consumer, day(2026, 1, 25), "v2", 2},
		{"the channel's procedure first", ebay, level1, "ebay", 1},
	} {
		d := decide(t, cfg, Input{Debtor: tc.debtor, Items: []Item{invoice("i1", due)}, Date: tc.on})
		if d.Notice == nil || d.Notice.Template != tc.template || d.Version != tc.version {
			t.Errorf("%s: notice %+v version %d, want template %s version %d", tc.name, d.Notice, d.Version, tc.template, tc.version)
		}
	}
}

func TestDecideRefuses(t *testing.T) {
	t.Parallel()
	cfg := germanDefaults(t)
	onlyConsumers := config(t, `{"procedures": [{"id": "p", "version": 1, "valid_from": "2020-01-01", "groups": ["b2c"], "levels": [{"days_past_due": 7, "template": "t"}]}]}`)
	foreign := invoice("i1", due)
	foreign.Debtor = "d2"
	huge := make([]Item, 10000)
	for i := range huge {
		huge[i] = invoice("i"+strconv.Itoa(i), due)
		huge[i].Amount, huge[i].Open = money.MaxAbs, money.MaxAbs
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		in   Input
		want error
	}{
		{"an item of another debtor", cfg, Input{Debtor: consumer, Items: []Item{foreign}, Date: level1}, ErrInvalidInput},
		{"an unknown debtor kind", cfg, Input{Debtor: Debtor{ID: "d1", Kind: "b2g"}, Date: level1}, ErrInvalidInput},
		{"no date", cfg, Input{Debtor: consumer}, ErrInvalidInput},
		{"no procedure for the group", onlyConsumers, Input{Debtor: business, Items: []Item{invoice("i1", due)}, Date: level1}, ErrNoProcedure},
		{"the open total overflows", cfg, Input{Debtor: consumer, Items: huge, Date: level1}, ErrOverflow},
	} {
		if _, err := Decide(tc.cfg, DefaultBaseRates(), tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: Decide = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestSimulate replays one debtor's history under the defaults and under
// lower material costs and lists what would have differed: the fees of
// levels 2 and 3, nothing else.
func TestSimulate(t *testing.T) {
	t.Parallel()
	var days []Day
	for _, on := range []Date{level1, level2, day(2026, 2, 12), level3, final} {
		days = append(days, Day{Date: on, Inputs: []Input{{Debtor: consumer, Items: []Item{invoice("i1", due)}}}})
	}
	was, err := Simulate(germanDefaults(t), DefaultBaseRates(), days)
	if err != nil {
		t.Fatal(err)
	}
	would, err := Simulate(config(t, `{"material_cost_fee_minor": 100}`), DefaultBaseRates(), days)
	if err != nil {
		t.Fatal(err)
	}
	var levels []int
	for _, d := range was {
		levels = append(levels, d.Level)
	}
	if diff := cmp.Diff([]int{1, 2, 3, 0}, levels); diff != "" {
		t.Errorf("replayed levels (-want +got):\n%s", diff)
	}
	var differ []Date
	for _, diff := range Differences(was, would) {
		differ = append(differ, diff.Date)
		if diff.Was == nil || diff.Would == nil || charges(*diff.Would)["fee/i1"] != 100 {
			t.Errorf("difference on %s: was %v, would %v; want both, the latter with a fee of 100", diff.Date, diff.Was, diff.Would)
		}
	}
	if diff := cmp.Diff([]Date{level2, level3}, differ); diff != "" {
		t.Errorf("dates that differ (-want +got):\n%s", diff)
	}
}
