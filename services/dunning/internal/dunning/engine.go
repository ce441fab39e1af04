package dunning

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/o2c-platform/o2c/libs/money"
)

// Item components as the ledger classifies them.
const (
	ComponentPrincipal = "principal"
	ComponentFee       = "fee"
	ComponentInterest  = "interest"
	// ComponentCredit is a credit balance of the debtor (negative).
	ComponentCredit = "credit"
)

// Charge kinds.
const (
	ChargeFee      = "fee"
	ChargeInterest = "interest"
	ChargeLumpSum  = "lump-sum"
)

// Default bases.
const (
	BasisReminder = "reminder"
	BasisCalendar = "calendar"
	Basis30Day    = "30-day"
	BasisRefusal  = "refusal"
)

// Block reasons that mean something to the engine beyond blocking.
const (
	BlockDispute      = "dispute"
	BlockPromiseToPay = "promise-to-pay"
)

// Decide decides for one debtor on in.Date which items reach which level,
// what the one notice of the day lists, which fees, lump sums and interest
// are charged, which items are released to collections and which blocks
// end, and records every rule it applied. It reads nothing but its
// arguments: the same configuration, rates and input give the same
// decision, whatever the map order or the time of day.
//
// The rules, in the order they apply:
//   - the procedure is the newest version valid on the date for the
//     debtor's channel ("channel:<name>"), else group, else kind;
//   - a block that expired (the day after Expires) or whose source
//     resolved (its item no longer open) is lifted; a block set on a later
//     day does not hold yet;
//   - a debtor who owes nothing ends the procedure; an item that had a
//     level and is no longer open is settled (its level is kept for a
//     reopening);
//   - a debtor block stops everything; a dispute on an item excludes that
//     item only, unless cfg.DisputeBlocksDebtor;
//   - items of a marketplace, not dunnable, in another currency, already
//     released or time-barred are skipped; claims that become time-barred
//     within cfg.WarnTimeBarredWithin days are warned of;
//   - an item reaches its next level DaysPastDue+GraceDays after its due
//     date, not sooner than MinIntervalDays after the debtor's last notice
//     and never twice on the same day; a reopened item continues from the
//     level it had;
//   - items reaching the final level that ReleaseToCollections are
//     released; the others go into one notice at the highest level any of
//     them reaches, sent when their open amount and share reach that
//     level's minimums (always for AlwaysDun);
//   - default is the earliest of refusal, the 30-day rule (businesses
//     always, consumers when the invoice said so) and the reminder that
//     creates it; interest runs from the day after default on principal
//     only, until the notice's date, at the base rate plus the surcharge;
//   - fees only once the debtor was in default before the notice; a
//     business pays the §288 (5) lump sum once per claim, against which
//     per-letter fees are credited; a consumer never pays it.
func Decide(cfg Config, rates BaseRates, in Input) (Decision, error) {
	d := Decision{Debtor: in.Debtor.ID, Date: in.Date}
	if in.Date.IsZero() {
		return Decision{}, fmt.Errorf("decide for debtor %s: %w: no date", in.Debtor.ID, ErrInvalidInput)
	}
	if in.Debtor.ID == "" {
		return Decision{}, fmt.Errorf("decide: %w: no debtor id", ErrInvalidInput)
	}
	if in.Debtor.Kind != "b2c" && in.Debtor.Kind != "b2b" {
		return Decision{}, fmt.Errorf("decide for debtor %s: %w: kind %q, want b2c or b2b", in.Debtor.ID, ErrInvalidInput, in.Debtor.Kind)
	}
	if len(rates.periods) == 0 {
		rates = DefaultBaseRates()
	}
	law := rates.Law
	proc, ok := procedureFor(cfg, in.Debtor, in.Date)
	if !ok {
		return Decision{}, fmt.Errorf("decide for debtor %s (%s, group %q, channel %q) on %s: %w", in.Debtor.ID, in.Debtor.Kind, in.Debtor.Group, in.Debtor.Channel, in.Date, ErrNoProcedure)
	}
	d.Procedure, d.Version = proc.ID, proc.Version
	d.rule("procedure %s version %d (valid from %s) for groups %v", proc.ID, proc.Version, proc.ValidFrom, proc.Groups)

	items := make([]*Item, 0, len(in.Items))
	for i := range in.Items {
		it := &in.Items[i]
		if it.Debtor != in.Debtor.ID {
			return Decision{}, fmt.Errorf("decide for debtor %s: %w: item %s belongs to debtor %s", in.Debtor.ID, ErrInvalidInput, it.ID, it.Debtor)
		}
		if it.ID == "" || !money.InBounds(it.Open) || !money.InBounds(it.Amount) {
			return Decision{}, fmt.Errorf("decide for debtor %s: %w: item %q with amount %d, open %d", in.Debtor.ID, ErrInvalidInput, it.ID, it.Amount, it.Open)
		}
		if it.Component == ComponentCredit || it.Amount < 0 || it.Open < 0 {
			// A credit balance is owed to the debtor: never dunned, and
			// not counted in what the debtor owes (the ledger offsets it).
			if it.Open != 0 {
				d.skip(it.ID, "credit")
			}
			continue
		}
		if it.Open <= 0 {
			continue
		}
		if it.DueDate.IsZero() {
			if it.DocumentDate.IsZero() {
				d.skip(it.ID, "no-due-date")
				continue
			}
			// Without a time for payment it is due at once (§271 (1) BGB).
			c := *it
			c.DueDate = c.DocumentDate
			it = &c
		}
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b *Item) int {
		return cmp.Or(a.DueDate.Compare(b.DueDate), a.DocumentDate.Compare(b.DocumentDate), cmp.Compare(a.ID, b.ID))
	})
	openIDs := make(map[string]bool, len(items))
	var openTotal int64
	for _, it := range items {
		openIDs[it.ID] = true
		if it.Currency == cfg.Currency {
			var err error
			if openTotal, err = money.Add(openTotal, it.Open); err != nil {
				return Decision{}, fmt.Errorf("open total of debtor %s: %w: %w", in.Debtor.ID, ErrOverflow, err)
			}
		}
	}

	// Blocks.
	var debtorBlock *Block
	itemBlock := map[string]*Block{}
	blocks := slices.Clone(in.Blocks)
	slices.SortFunc(blocks, func(a, b Block) int { return cmp.Compare(a.ID, b.ID) })
	for i := range blocks {
		b := &blocks[i]
		switch {
		case b.Lifted || b.Set.After(in.Date):
			continue
		case !b.Expires.IsZero() && in.Date.After(b.Expires):
			d.LiftedBlocks = append(d.LiftedBlocks, b.ID)
			d.rule("block %s (%s) expired on %s: lifted", b.ID, b.Reason, b.Expires)
			continue
		case b.Item != "" && !openIDs[b.Item]:
			d.LiftedBlocks = append(d.LiftedBlocks, b.ID)
			d.rule("block %s (%s) lifted: item %s is no longer open", b.ID, b.Reason, b.Item)
			continue
		case b.Item == "" && b.Reason == BlockPromiseToPay && len(items) == 0:
			d.LiftedBlocks = append(d.LiftedBlocks, b.ID)
			d.rule("block %s (promise to pay) lifted: the debtor paid everything", b.ID)
			continue
		}
		if b.Item == "" || (b.Reason == BlockDispute && cfg.DisputeBlocksDebtor) {
			if debtorBlock == nil {
				debtorBlock = b
			}
			continue
		}
		if itemBlock[b.Item] == nil {
			itemBlock[b.Item] = b
		}
	}

	// Settled items and the end of the procedure.
	for _, id := range sortedKeys(in.State.Levels) {
		if !openIDs[id] {
			d.Settled = append(d.Settled, id)
		}
	}
	if len(d.Settled) > 0 {
		d.rule("items %v settled: their levels are kept should a payment be returned", d.Settled)
	}
	if len(items) == 0 {
		if !in.State.Ended && (len(in.State.Levels) > 0 || !in.State.LastNotice.IsZero()) {
			d.Ended = true
			d.rule("the debtor owes nothing: the procedure ends")
		}
		return d, nil
	}
	if debtorBlock != nil {
		if debtorBlock.Item != "" {
			d.rule("dispute on item %s blocks the whole debtor (dispute_blocks_debtor)", debtorBlock.Item)
		}
		d.rule("debtor blocked by %s (%s, set by %s on %s): nothing is dunned", debtorBlock.ID, debtorBlock.Reason, debtorBlock.SetBy, debtorBlock.Set)
		for _, it := range items {
			d.skip(it.ID, "blocked:"+debtorBlock.Reason)
		}
		return d, nil
	}

	// Items: what each may reach.
	type candidate struct {
		it    *Item
		level Level
	}
	var cands []candidate
	var waiting []*Item // due, not excluded, not advancing: listed by ListAllDue
	levelOf := func(it *Item) int {
		if l, ok := in.State.Levels[it.ID]; ok {
			return l
		}
		if l := in.State.Suspended[it.ID]; l > 0 && it.Reopened {
			return l
		}
		return 0
	}
	sameDay := !in.State.LastNotice.IsZero() && in.State.LastNotice == in.Date
	for _, it := range items {
		if !isPrincipal(it.Component) {
			continue
		}
		switch {
		case it.Marketplace != "":
			d.skip(it.ID, "marketplace")
			continue
		case !it.Dunnable:
			d.skip(it.ID, "not-dunnable")
			continue
		case it.Currency != cfg.Currency:
			d.skip(it.ID, "currency")
			continue
		case in.State.Released[it.ID]:
			d.skip(it.ID, "released")
			continue
		}
		if b := itemBlock[it.ID]; b != nil {
			d.skip(it.ID, "blocked:"+b.Reason)
			d.rule("item %s blocked by %s (%s): excluded, the debtor's other items are dunned", it.ID, b.ID, b.Reason)
			continue
		}
		barred, on := timeBarred(*it, in.Date, law)
		if barred {
			d.skip(it.ID, "time-barred")
			d.rule("item %s time-barred since %s (§§195, 199, 212, 203, 204 BGB): never dunned", it.ID, on)
			continue
		}
		if !on.IsZero() && on.DaysSince(in.Date) <= cfg.WarnTimeBarredWithin {
			d.Warnings = append(d.Warnings, fmt.Sprintf("claim %s (item %s) becomes time-barred on %s", claimOf(it), it.ID, on))
		}
		level := levelOf(it)
		if _, held := in.State.Levels[it.ID]; !held && level > 0 {
			d.rule("item %s reopened (returned payment): back at level %d", it.ID, level)
		}
		if level >= len(proc.Levels) {
			d.skip(it.ID, "final-level")
			continue
		}
		next := proc.Levels[level]
		reach := it.DueDate.AddDays(next.DaysPastDue + next.GraceDays)
		due := in.Date.After(it.DueDate)
		switch {
		case in.Date.Before(reach) && !due:
			d.skip(it.ID, "not-due")
		case in.Date.Before(reach):
			d.skip(it.ID, "level-not-reached")
			waiting = append(waiting, it)
		case sameDay || (!in.State.LastNotice.IsZero() && in.Date.DaysSince(in.State.LastNotice) < next.MinIntervalDays):
			d.skip(it.ID, "interval")
			if due {
				waiting = append(waiting, it)
			}
		default:
			cands = append(cands, candidate{it: it, level: next})
		}
	}

	// Releases and the notice's level.
	var noticeCands []candidate
	for _, c := range cands {
		if c.level.ReleaseToCollections {
			d.Released = append(d.Released, c.it.ID)
			continue
		}
		noticeCands = append(noticeCands, c)
	}
	if len(d.Released) > 0 {
		d.rule("items %v reach the final level %d: released to collections", d.Released, proc.Levels[len(proc.Levels)-1].Number)
		for _, id := range d.Released {
			for _, it := range items {
				if it.ID == id && in.State.LumpSumCharged[claimOf(it)] {
					d.rule("claim %s was charged the §288 (5) lump sum: collections credits it against its costs", claimOf(it))
				}
			}
		}
	}
	if len(noticeCands) == 0 {
		return d, nil
	}
	top := noticeCands[0].level
	var candOpen int64
	for _, c := range noticeCands {
		if c.level.Number > top.Number {
			top = c.level
		}
		var err error
		if candOpen, err = money.Add(candOpen, c.it.Open); err != nil {
			return Decision{}, fmt.Errorf("notice of debtor %s: %w: %w", in.Debtor.ID, ErrOverflow, err)
		}
	}
	if !top.AlwaysDun {
		share, err := money.Mul(candOpen, 10000)
		if err != nil {
			return Decision{}, fmt.Errorf("share of debtor %s: %w: %w", in.Debtor.ID, ErrOverflow, err)
		}
		need, err := money.Mul(int64(top.MinShareBP), openTotal)
		if err != nil {
			return Decision{}, fmt.Errorf("share of debtor %s: %w: %w", in.Debtor.ID, ErrOverflow, err)
		}
		if candOpen < top.MinOpen || share < need {
			d.rule("level %d: open %d below the minimum %d or share below %d bp of %d: no notice", top.Number, candOpen, top.MinOpen, top.MinShareBP, openTotal)
			for _, c := range noticeCands {
				d.skip(c.it.ID, "below-minimum")
			}
			return d, nil
		}
	} else {
		d.rule("level %d always duns: minimums do not apply", top.Number)
	}
	d.Level = top.Number
	n := &Notice{Level: top.Number, Template: top.Template, Currency: cfg.Currency}
	d.Notice = n
	d.rule("one notice at level %d (%s) for the debtor's items", top.Number, top.Template)

	// What the notice lists: the items reaching a level, and with
	// ListAllDue the other due items, each with the open charges of its
	// claim.
	listed := make([]*Item, 0, len(noticeCands)+len(waiting))
	newLevel := make(map[string]int, len(noticeCands))
	for _, c := range noticeCands {
		listed = append(listed, c.it)
		newLevel[c.it.ID] = c.level.Number
	}
	if top.ListAllDue {
		listed = append(listed, waiting...)
		slices.SortFunc(listed, func(a, b *Item) int {
			return cmp.Or(a.DueDate.Compare(b.DueDate), a.DocumentDate.Compare(b.DocumentDate), cmp.Compare(a.ID, b.ID))
		})
	}

	// Default per listed item.
	facts := make(map[string]DefaultFact, len(listed))
	for _, it := range listed {
		f, known := in.State.DefaultSince[it.ID]
		if !known {
			var ok bool
			f, ok = defaultOf(it, in.Debtor.Kind, in.Date, law)
			lvl, advancing := newLevel[it.ID]
			if advancing && proc.Levels[lvl-1].CreatesDefault && in.Date.After(it.DueDate) && (!ok || in.Date.Before(f.Date)) {
				f, ok = DefaultFact{Item: it.ID, Date: in.Date, Basis: BasisReminder}, true
			}
			if !ok {
				continue
			}
			d.Defaults = append(d.Defaults, f)
			d.rule("item %s in default since %s (%s)", it.ID, f.Date, basisLaw(f.Basis))
		}
		facts[it.ID] = f
	}

	// Interest on principal from the day after default.
	points, paragraph := law.ConsumerPointsBP, "§288 (1) BGB"
	if in.Debtor.Kind == "b2b" {
		points, paragraph = law.BusinessPointsBP, "§288 (2) BGB"
	}
	interestByClaim := map[string]int64{}
	var claims []string
	if top.Interest {
		for _, it := range listed {
			f, ok := facts[it.ID]
			if !ok {
				continue
			}
			from := f.Date.AddDays(1)
			if u, ok := in.State.InterestUntil[it.ID]; ok && !u.Before(from) {
				from = u.AddDays(1)
			}
			if from.After(in.Date) {
				continue
			}
			parts, total, err := Interest(it.Open, from, in.Date, rates, points, cfg.DayCount)
			if err != nil {
				return Decision{}, fmt.Errorf("interest on item %s of debtor %s: %w", it.ID, in.Debtor.ID, err)
			}
			for i := range parts {
				parts[i].Item = it.ID
			}
			n.Interest = append(n.Interest, parts...)
			if total == 0 {
				continue
			}
			c := claimOf(it)
			if _, seen := interestByClaim[c]; !seen {
				claims = append(claims, c)
			}
			if interestByClaim[c], err = money.Add(interestByClaim[c], total); err != nil {
				return Decision{}, fmt.Errorf("interest of claim %s: %w: %w", c, ErrOverflow, err)
			}
		}
		if len(n.Interest) > 0 {
			d.rule("default interest at the base rate plus %d bp (%s), day count %s, on principal only", points, paragraph, cfg.DayCount)
			if in.Date.After(rates.VerifiedThrough) {
				d.Warnings = append(d.Warnings, fmt.Sprintf("base rate table %s is verified through %s: interest after it uses the last known rate", rates.Version, rates.VerifiedThrough))
			}
		}
	}
	for _, c := range claims {
		d.charge(ChargeInterest, c, interestByClaim[c])
	}

	// Fees.
	inDefault := false
	for _, it := range listed {
		if f, ok := facts[it.ID]; ok && f.Date.Before(in.Date) {
			inDefault = true
			break
		}
	}
	firstClaim := claimOf(noticeCands[0].it)
	switch {
	case top.Fee.Kind == FeeNone || top.Fee.Kind == "":
	case !inDefault:
		d.rule("no fee: the debtor was not in default before this notice (the reminder that creates default costs nothing)")
	case top.Fee.Kind == FeeLumpSum:
		if in.Debtor.Kind != "b2b" {
			d.rule("no lump sum: §288 (5) BGB applies to businesses only")
			break
		}
		if cfg.Currency != law.LumpSumCurrency {
			d.Warnings = append(d.Warnings, fmt.Sprintf("lump sum of §288 (5) BGB is fixed in %s, the tenant books in %s: not charged", law.LumpSumCurrency, cfg.Currency))
			break
		}
		seen := map[string]bool{}
		for _, it := range listed {
			c := claimOf(it)
			f, ok := facts[it.ID]
			if seen[c] || !ok || !f.Date.Before(in.Date) {
				continue
			}
			seen[c] = true
			if in.State.LumpSumCharged[c] {
				d.rule("claim %s: lump sum of §288 (5) BGB already charged (once per claim)", c)
				continue
			}
			d.charge(ChargeLumpSum, c, law.LumpSum)
			d.rule("claim %s: lump sum of §288 (5) BGB, %d, once per claim, credited against later collection costs", c, law.LumpSum)
		}
	default:
		amount := top.Fee.Amount
		if top.Fee.Kind == FeePercent {
			var err error
			if amount, err = money.ApplyRateBP(candOpen, int32(top.Fee.BP)); err != nil {
				return Decision{}, fmt.Errorf("fee of debtor %s: %w: %w", in.Debtor.ID, ErrOverflow, err)
			}
		}
		if in.Debtor.Kind == "b2b" && in.State.LumpSumCharged[firstClaim] {
			d.rule("no fee: claim %s was charged the §288 (5) lump sum, against which dunning costs are credited", firstClaim)
			break
		}
		if amount > 0 {
			d.charge(ChargeFee, firstClaim, amount)
			d.rule("fee %d (%s) on claim %s, without VAT", amount, top.Fee.Kind, firstClaim)
		}
	}
	for _, c := range d.Charges {
		if c.Kind != ChargeInterest {
			n.Fees = append(n.Fees, c)
		}
	}

	// The notice's lines and total.
	listedClaims := make(map[string]bool, len(listed))
	total := int64(0)
	for _, it := range listed {
		listedClaims[claimOf(it)] = true
		ni := NoticeItem{Item: it.ID, Open: it.Open, DaysOverdue: max(0, in.Date.DaysSince(it.DueDate)), Level: levelOf(it)}
		if l, ok := newLevel[it.ID]; ok {
			ni.Level = l
		}
		if f, ok := facts[it.ID]; ok {
			f := f
			ni.Default = &f
		}
		n.Items = append(n.Items, ni)
	}
	for _, it := range items {
		if !isPrincipal(it.Component) && it.Currency == cfg.Currency && listedClaims[claimOf(it)] && itemBlock[it.ID] == nil {
			n.Items = append(n.Items, NoticeItem{Item: it.ID, Open: it.Open, DaysOverdue: max(0, in.Date.DaysSince(it.DueDate))})
		}
	}
	for _, ni := range n.Items {
		var err error
		if total, err = money.Add(total, ni.Open); err != nil {
			return Decision{}, fmt.Errorf("notice total of debtor %s: %w: %w", in.Debtor.ID, ErrOverflow, err)
		}
	}
	for _, c := range d.Charges {
		var err error
		if total, err = money.Add(total, c.Amount); err != nil {
			return Decision{}, fmt.Errorf("notice total of debtor %s: %w: %w", in.Debtor.ID, ErrOverflow, err)
		}
	}
	n.Total = total
	return d, nil
}

// procedureFor returns the procedure for the debtor on date: the newest
// version valid then for its channel, else its group, else its kind.
func procedureFor(cfg Config, debtor Debtor, date Date) (Procedure, bool) {
	groups := make([]string, 0, 3)
	if debtor.Channel != "" {
		groups = append(groups, "channel:"+debtor.Channel)
	}
	if debtor.Group != "" {
		groups = append(groups, debtor.Group)
	}
	groups = append(groups, debtor.Kind)
	for _, g := range groups {
		best := -1
		for i, p := range cfg.Procedures {
			if p.ValidFrom.After(date) || !slices.Contains(p.Groups, g) {
				continue
			}
			if best < 0 || p.ValidFrom.After(cfg.Procedures[best].ValidFrom) ||
				(p.ValidFrom == cfg.Procedures[best].ValidFrom && p.Version > cfg.Procedures[best].Version) {
				best = i
			}
		}
		if best >= 0 {
			return cfg.Procedures[best], true
		}
	}
	return Procedure{}, false
}

// defaultOf returns the earliest default of it without a reminder: a
// refusal, or the 30-day rule of §286 (3) BGB (for a consumer only when
// the invoice pointed it out), when it lies on or before date.
func defaultOf(it *Item, kind string, date Date, law Law) (DefaultFact, bool) {
	var f DefaultFact
	ok := false
	if !it.Refused.IsZero() && !it.Refused.After(date) {
		f, ok = DefaultFact{Item: it.ID, Date: it.Refused, Basis: BasisRefusal}, true
	}
	if kind == "b2b" || it.ConsumerDefaultNotice {
		receipt := it.DeliveryDate
		if receipt.IsZero() {
			receipt = it.DocumentDate
		}
		start := it.DueDate
		if receipt.After(start) {
			start = receipt
		}
		if !start.IsZero() {
			t := start.AddDays(law.ThirtyDays)
			if !t.After(date) && (!ok || t.Before(f.Date)) {
				f, ok = DefaultFact{Item: it.ID, Date: t, Basis: Basis30Day}, true
			}
		}
	}
	return f, ok
}

func basisLaw(basis string) string {
	switch basis {
	case BasisReminder:
		return "reminder, §286 (1) BGB"
	case BasisCalendar:
		return "calendar date, §286 (2) Nr. 1 BGB"
	case Basis30Day:
		return "30 days after due date and receipt, §286 (3) BGB"
	case BasisRefusal:
		return "refusal to pay, §286 (2) Nr. 3 BGB"
	}
	return basis
}

func isPrincipal(component string) bool {
	return component == ComponentPrincipal || component == ""
}

func claimOf(it *Item) string {
	if it.Claim != "" {
		return it.Claim
	}
	return it.ID
}

func (d *Decision) rule(format string, args ...any) {
	d.Rules = append(d.Rules, fmt.Sprintf(format, args...))
}

func (d *Decision) skip(item, reason string) {
	d.Skipped = append(d.Skipped, Skip{Item: item, Reason: reason})
}

// charge adds a charge with its idempotency key, stable for the debtor,
// the date, the claim and the kind; the service prefixes the tenant.
func (d *Decision) charge(kind, claim string, amount int64) {
	d.Charges = append(d.Charges, Charge{
		Kind: kind, Claim: claim, Amount: amount,
		Key: "dunning/" + d.Debtor + "/" + d.Date.String() + "/" + claim + "/" + kind,
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
