package matchbench

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The files Generate writes into its directory.
const (
	ItemsFile    = "items.jsonl"
	PaymentsFile = "payments.jsonl"
	DebtorsFile  = "debtors.jsonl"
	HistoryFile  = "history.jsonl"
	TruthFile    = "truth.jsonl"
)

// Summary says what Generate wrote.
type Summary struct {
	Scenario string
	Seed     uint64
	Debtors  int
	Items    int
	Payments int
	History  int
	// Situations counts the payment groups of each situation (a duplicate
	// or a return is one group of two payments).
	Situations map[Situation]int
}

// The calendar of every scenario: payments are booked on bank days from
// windowStart for windowDays days; unpaid items were issued from itemsFrom.
var (
	windowStart = time.Date(2026, time.November, 2, 0, 0, 0, 0, time.UTC)
	itemsFrom   = time.Date(2026, time.September, 1, 0, 0, 0, 0, time.UTC)
	historyFrom = time.Date(2026, time.May, 4, 0, 0, 0, 0, time.UTC)
)

const (
	windowDays = 28
	currency   = "EUR"
	// amazonBBAN is the Luxembourg account Amazon Payments Europe pays out
	// from.
	amazonBBAN = "0191000000357800"
	amazonName = "AMAZON PAYMENTS EUROPE S.C.A."
)

var marketplaceNames = []string{"amazon.de", "amazon.fr", "amazon.it", "amazon.es"}

// plan is one payment group decided before any data is written: its
// situation, its debtor and how many items and payments it needs.
type plan struct {
	sit      Situation
	items    int
	payments int
	// refunds and fees of a payout, counted in items.
	refunds, fees int
}

type debtor struct {
	id          string
	company     bool
	marketplace int // 1-based marketplace number, 0 for others
	owner       person
	name        string
	iban        string
	masterIBAN  bool
	mandate     string
	customer    string
	history     bool
	plans       []plan
	extra       int32
	// openSettlement is a marketplace's settlement not yet paid out.
	openSettlement string
}

// pend is a payment being generated with its truth; allocations point to
// items whose ids are known once the debtor's items are written.
type pend struct {
	p        Payment
	sit      Situation
	match    string
	debtor   *debtor
	allocs   []pendAlloc
	diff     *Difference
	reverses *pend
	noise    []string
	day      int
	key      uint32
	seq      int
}

type pendAlloc struct {
	item   *Item
	amount int64
}

type generator struct {
	sc       Scenario
	r        *rand.Rand
	debtors  []*debtor
	mandated []int
	firms    []int
	regular  []int
	market   []int

	invoiceN, orderN, creditN, historyN, seq int
	invoiceSpan, orderSpan                   int

	items, history, debtorsOut *jsonlWriter
	pending                    []*pend
	summary                    Summary
}

// Generate writes the scenario's data for seed into dir (created if
// missing): items, payments, debtors, history and truth as JSON Lines.
// The same seed and scenario always give the same bytes.
func Generate(dir string, sc Scenario, seed uint64) (Summary, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("generate %s: %w", sc.Name, err)
	}
	g := &generator{
		sc:      sc,
		r:       rand.New(rand.NewPCG(seed, 0x6f32632d6d617463)),
		summary: Summary{Scenario: sc.Name, Seed: seed, Situations: map[Situation]int{}},
	}
	open := func(name string) (*jsonlWriter, error) { return createJSONL(filepath.Join(dir, name)) }
	var err error
	if g.items, err = open(ItemsFile); err != nil {
		return Summary{}, err
	}
	defer g.items.close()
	if g.history, err = open(HistoryFile); err != nil {
		return Summary{}, err
	}
	defer g.history.close()
	if g.debtorsOut, err = open(DebtorsFile); err != nil {
		return Summary{}, err
	}
	defer g.debtorsOut.close()

	g.makeDebtors()
	g.plan()
	for _, d := range g.debtors {
		if err := g.debtor(d); err != nil {
			return Summary{}, err
		}
		d.plans = nil
	}
	for range g.summary.Situations[SitNobody] {
		g.nobody()
	}
	for _, w := range []*jsonlWriter{g.items, g.history, g.debtorsOut} {
		if err := w.close(); err != nil {
			return Summary{}, err
		}
	}
	if err := g.writePayments(dir); err != nil {
		return Summary{}, err
	}
	return g.summary, nil
}

// jsonlWriter writes one JSON value a line through a large buffer.
type jsonlWriter struct {
	name string
	f    *os.File
	w    *bufio.Writer
	enc  *json.Encoder
	err  error
	done bool
}

func createJSONL(name string) (*jsonlWriter, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonlWriter{name: name, f: f, w: w, enc: enc}, nil
}

func (j *jsonlWriter) put(v any) {
	if j.err == nil {
		if err := j.enc.Encode(v); err != nil {
			j.err = fmt.Errorf("write %s: %w", j.name, err)
		}
	}
}

func (j *jsonlWriter) close() error {
	if j.done {
		return j.err
	}
	j.done = true
	if err := j.w.Flush(); err != nil && j.err == nil {
		j.err = fmt.Errorf("write %s: %w", j.name, err)
	}
	if err := j.f.Close(); err != nil && j.err == nil {
		j.err = fmt.Errorf("close %s: %w", j.name, err)
	}
	return j.err
}

// affine maps 0..n-1 one to one onto 0..span-1 in a scattered order, so that
// consecutive items do not get consecutive numbers.
func affine(i, span int) int {
	const stride = 7919 // prime; span is chosen coprime to it
	return (i*stride + span/3) % span
}

func coprimeSpan(n int) int {
	s := max(3*n, 10)
	for s%7919 == 0 {
		s++
	}
	return s
}

func (g *generator) invoiceNumber() string {
	n := affine(g.invoiceN, g.invoiceSpan)
	g.invoiceN++
	return g.sc.Invoice.format(n)
}

func (g *generator) orderNumber() string {
	n := affine(g.orderN, g.orderSpan)
	g.orderN++
	return g.sc.Order.format(n)
}

func (g *generator) chance(p float64) bool { return g.r.Float64() < p }

func (g *generator) makeDebtors() {
	sc, r := g.sc, g.r
	// Items, history and payouts all draw invoice numbers.
	g.invoiceSpan = coprimeSpan(sc.Items + sc.Debtors*2)
	g.orderSpan = coprimeSpan(sc.Items)
	custSpan := coprimeSpan(sc.Debtors)
	width := len(fmt.Sprint(sc.Debtors))
	// The marketplaces are the last debtors.
	firstMarket := sc.Debtors - sc.Marketplaces
	for i := range sc.Debtors {
		d := &debtor{id: fmt.Sprintf("D%0*d", width, i+1)}
		if i >= firstMarket {
			m := i - firstMarket
			d.marketplace = m + 1
			d.company = true
			d.name = "Amazon EU S.à r.l. (" + marketplaceNames[m%len(marketplaceNames)] + ")"
			d.iban = makeIBAN("LU", amazonBBAN)
			d.masterIBAN = true
			d.customer = "AMZ-" + strings.ToUpper(strings.TrimPrefix(marketplaceNames[m%len(marketplaceNames)], "amazon."))
			d.history = true
			d.openSettlement = digits(r, 11)
			g.market = append(g.market, i)
			g.debtors = append(g.debtors, d)
			continue
		}
		d.owner = randomPerson(r)
		d.company = g.chance(sc.CompanyShare)
		if d.company {
			d.name = randomCompany(r, d.owner)
			g.firms = append(g.firms, i)
		} else {
			d.name = d.owner.String()
		}
		d.iban = randomIBAN(r)
		d.customer = sc.Customer.format(affine(i, custSpan))
		if g.chance(sc.MandateShare) {
			d.mandate = mandateID(r, d.customer)
			d.masterIBAN = true
			g.mandated = append(g.mandated, i)
		} else {
			d.masterIBAN = g.chance(sc.MasterIBANShare)
		}
		d.history = g.chance(sc.HistoryShare)
		g.regular = append(g.regular, i)
		g.debtors = append(g.debtors, d)
	}
}

func mandateID(r *rand.Rand, customer string) string {
	if r.IntN(2) == 0 {
		return "MNDT-" + customer + "-01"
	}
	return "M" + digits(r, 10)
}

// plan draws the payment groups until they make exactly sc.Payments
// payments, gives each a debtor, and spreads the remaining items over the
// debtors as unpaid items.
func (g *generator) plan() {
	sc, r := g.sc, g.r
	total := 0
	for _, s := range situationOrder {
		if s == SitPayout && sc.Marketplaces == 0 || (s == SitDirectDebit || s == SitReturn) && len(g.mandated) == 0 {
			continue
		}
		total += sc.Situations[s]
	}
	needed, made := 0, 0
	for made < sc.Payments {
		x, s := r.IntN(total), SitExact
		for _, c := range situationOrder {
			if c == SitPayout && sc.Marketplaces == 0 || (c == SitDirectDebit || c == SitReturn) && len(g.mandated) == 0 {
				continue
			}
			if x < sc.Situations[c] {
				s = c
				break
			}
			x -= sc.Situations[c]
		}
		p := plan{sit: s, items: 1, payments: 1}
		switch s {
		case SitInstalments:
			p.payments = 2 + r.IntN(2)
		case SitDuplicate, SitReturn:
			p.payments = 2
		case SitEqualAmounts:
			p.items = 2
		case SitLump:
			u := r.Float64()
			p.items = sc.LumpMin + int(u*u*float64(sc.LumpMax-sc.LumpMin+1))
		case SitPayout:
			p.items = sc.SettlementMin + r.IntN(sc.SettlementMax-sc.SettlementMin+1)
			p.refunds = r.IntN(p.items/15 + 2)
			p.fees = 1 + r.IntN(3)
			p.items += p.refunds + p.fees
		case SitNobody:
			p.items = 0
		}
		if made+p.payments > sc.Payments {
			p = plan{sit: SitExact, items: 1, payments: 1}
			s = SitExact
		}
		made += p.payments
		needed += p.items
		g.summary.Situations[s]++
		var d int
		switch s {
		case SitNobody:
			continue
		case SitPayout:
			d = g.market[r.IntN(len(g.market))]
		case SitDirectDebit, SitReturn:
			d = g.mandated[r.IntN(len(g.mandated))]
		case SitLump:
			if len(g.firms) > 0 && g.chance(0.8) {
				d = g.firms[r.IntN(len(g.firms))]
			} else {
				d = g.regular[r.IntN(len(g.regular))]
			}
		default:
			d = g.regular[r.IntN(len(g.regular))]
		}
		g.debtors[d].plans = append(g.debtors[d].plans, p)
	}
	extra := sc.Items - needed
	for range max(extra, 0) {
		if len(g.market) > 0 && g.chance(sc.MarketplaceOpenShare) {
			g.debtors[g.market[r.IntN(len(g.market))]].extra++
		} else {
			g.debtors[g.regular[r.IntN(len(g.regular))]].extra++
		}
	}
}

// bankDate returns the date windowStart plus n days, moved off a weekend to
// the next Monday as banks book.
func bankDate(n int) time.Time {
	t := windowStart.AddDate(0, 0, n)
	switch t.Weekday() {
	case time.Saturday:
		t = t.AddDate(0, 0, 2)
	case time.Sunday:
		t = t.AddDate(0, 0, 1)
	}
	return t
}

func ymd(t time.Time) string { return t.Format(time.DateOnly) }

// amount draws an item's gross amount in cents. The draw goes through a
// log-normal float; the amount itself is an integer from then on.
func (g *generator) amount(b2b bool) int64 {
	r := g.r
	if b2b {
		net := int64(math.Exp(math.Log(60000)+1.1*r.NormFloat64())) + 500
		net = min(net, 5_000_000)
		return (net*119 + 50) / 100
	}
	if r.IntN(100) < 55 {
		// A basket of catalogue prices: equal amounts are common.
		prices := []int64{999, 1499, 1990, 2499, 2990, 3490, 3999, 4990, 5990, 7990, 9990, 12990, 14990, 19990}
		var sum int64
		for range 1 + r.IntN(3)*r.IntN(2) {
			sum += prices[r.IntN(len(prices))]
		}
		if sum < 5000 {
			sum += 490
		}
		return sum
	}
	a := int64(math.Exp(math.Log(4500) + 0.9*r.NormFloat64()))
	return max(a, 150)
}

// newItem makes an invoice of d issued on issue.
func (g *generator) newItem(d *debtor, issue time.Time, b2b bool) *Item {
	sc := g.sc
	it := &Item{
		Debtor:         d.id,
		Kind:           "invoice",
		DocumentNumber: g.invoiceNumber(),
		Currency:       currency,
		IssueDate:      ymd(issue),
		DueDate:        ymd(issue.AddDate(0, 0, sc.TermsDays)),
		Channel:        "shop",
	}
	it.AmountMinor = g.amount(b2b)
	it.OpenMinor = it.AmountMinor
	if g.chance(0.4) || !sc.B2B {
		it.OrderID = g.orderNumber()
	}
	it.PaymentReference = it.DocumentNumber
	if g.chance(sc.RFShare) {
		it.PaymentReference = makeRF(strings.Map(keepAlnum, strings.ToUpper(it.DocumentNumber)))
	} else if sc.B2B && g.chance(0.5) {
		it.PaymentReference = ""
	}
	return it
}

func keepAlnum(c rune) rune {
	if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' {
		return c
	}
	return -1
}

func (g *generator) withDiscount(it *Item, issue time.Time) {
	days := 10
	if g.chance(0.3) {
		days = 14
	}
	bp := int64(200)
	if g.chance(0.25) {
		bp = 300
	}
	it.CashDiscount = &CashDiscount{Until: ymd(issue.AddDate(0, 0, days)), PercentBP: bp}
}

// discount is the cash discount on an item: PercentBP of the open amount,
// rounded half up to the cent.
func discount(it *Item) int64 {
	return (it.OpenMinor*it.CashDiscount.PercentBP + 5000) / 10000
}

// unpaidItem makes an item nobody pays in this file: an invoice of d
// issued in the two months before the window, some with discount terms,
// some partly paid already.
func (g *generator) unpaidItem(d *debtor) *Item {
	issue := itemsFrom.AddDate(0, 0, g.r.IntN(88))
	it := g.newItem(d, issue, g.sc.B2B || d.company && g.chance(0.5))
	if g.chance(g.sc.DiscountShare) {
		g.withDiscount(it, issue)
	} else if g.chance(g.sc.PartlyPaidShare) {
		g.partlyPaid(it)
	}
	return it
}

func (g *generator) partlyPaid(it *Item) {
	if it.AmountMinor < 2000 {
		return
	}
	paid := it.AmountMinor * int64(20+g.r.IntN(50)) / 100
	it.OpenMinor = it.AmountMinor - paid/100*100
}

// paidItem makes an item a payment booked on day pays; it was issued
// between 2 and maxAge days before.
func (g *generator) paidItem(d *debtor, day int, maxAge int) *Item {
	pay := bankDate(day)
	issue := pay.AddDate(0, 0, -(2 + g.r.IntN(max(maxAge-1, 1))))
	it := g.newItem(d, issue, g.sc.B2B || d.company && g.chance(0.5))
	if g.chance(g.sc.DiscountShare) {
		g.withDiscount(it, issue)
		if it.CashDiscount.Until >= ymd(pay) {
			// A payer who pays in full within the period would have taken
			// the discount; keep such items for the discount situations.
			it.CashDiscount.Until = ymd(pay.AddDate(0, 0, -1))
		}
	} else if g.chance(g.sc.PartlyPaidShare) {
		g.partlyPaid(it)
	}
	return it
}

func (g *generator) debtor(d *debtor) error {
	var items []*Item
	for _, p := range d.plans {
		items = append(items, g.situation(d, p)...)
	}
	for range d.extra {
		if d.marketplace > 0 {
			items = append(items, g.pendingOrder(d))
		} else {
			items = append(items, g.unpaidItem(d))
		}
	}
	g.r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	for _, it := range items {
		g.summary.Items++
		it.ID = fmt.Sprintf("I%07d", g.summary.Items)
		g.items.put(it)
	}
	g.writeDebtor(d)
	if d.history {
		g.writeHistory(d)
	}
	if err := g.items.err; err != nil {
		return err
	}
	return g.history.err
}

func (g *generator) writeDebtor(d *debtor) {
	m := Debtor{Debtor: d.id, Name: d.name, IBANs: []string{}, MandateIDs: []string{}, CustomerNumber: d.customer}
	if d.masterIBAN {
		m.IBANs = append(m.IBANs, d.iban)
	}
	if d.mandate != "" {
		m.MandateIDs = append(m.MandateIDs, d.mandate)
	}
	g.summary.Debtors++
	g.debtorsOut.put(m)
}

// writeHistory writes earlier confirmed payments of d: its IBAN and how
// it writes its name and references.
func (g *generator) writeHistory(d *debtor) {
	n := 1 + g.r.IntN(3)
	if d.marketplace > 0 {
		n = 2
	}
	for range n {
		g.historyN++
		date := historyFrom.AddDate(0, 0, g.r.IntN(120))
		p := Payment{
			ID:                 fmt.Sprintf("H%07d", g.historyN),
			Currency:           currency,
			BookingDate:        ymd(date),
			ValueDate:          ymd(date),
			EndToEndID:         "NOTPROVIDED",
			CreditorReferences: []string{},
			CounterpartyIBAN:   d.iban,
			CounterpartyName:   d.name,
			BankTxCode:         "PMNT-RCDT-ESCT",
			ConfirmedDebtor:    d.id,
		}
		if d.marketplace > 0 {
			p.AmountMinor = 50000 + g.r.Int64N(2_000_000)
			p.CounterpartyName = amazonName
			p.Remittance = digits(g.r, 11) + " " + strings.ToUpper(marketplaceNames[(d.marketplace-1)%len(marketplaceNames)]) + " MKTP"
		} else {
			p.AmountMinor = g.amount(g.sc.B2B)
			if g.chance(g.sc.Noise.NameVariant) {
				p.CounterpartyName, _ = g.variant(d)
			}
			if g.chance(0.15) {
				p.CounterpartyIBAN = randomIBAN(g.r)
			}
			p.Remittance = "Rechnung " + g.invoiceNumber()
		}
		g.summary.History++
		g.history.put(p)
	}
}

func (g *generator) variant(d *debtor) (string, string) {
	if d.company {
		return companyVariant(g.r, d.name, d.owner)
	}
	return personVariant(g.r, d.owner)
}

// payer fills the counterparty of a transfer from d with the scenario's
// name and IBAN noise.
func (g *generator) payer(d *debtor, p *pend) {
	n := g.sc.Noise
	p.p.CounterpartyName, p.p.CounterpartyIBAN = d.name, d.iban
	switch {
	case g.chance(n.OtherPayer):
		p.p.CounterpartyName = randomPerson(g.r).String()
		p.p.CounterpartyIBAN = randomIBAN(g.r)
		p.noise = append(p.noise, "other_payer")
		return
	case g.chance(n.NameVariant):
		var kind string
		p.p.CounterpartyName, kind = g.variant(d)
		if p.p.CounterpartyName != d.name {
			p.noise = append(p.noise, kind)
		}
	}
	if g.chance(n.NewIBAN) {
		p.p.CounterpartyIBAN = randomIBAN(g.r)
		p.noise = append(p.noise, "new_iban")
	}
}

func (g *generator) newPend(d *debtor, sit Situation, day int, amount int64) *pend {
	g.seq++
	date := bankDate(day)
	value := date
	if g.chance(0.1) {
		value = date.AddDate(0, 0, -1)
	}
	p := &pend{
		sit: sit, match: MatchItems, debtor: d, day: day, key: g.r.Uint32(), seq: g.seq,
		p: Payment{
			AmountMinor: amount, Currency: currency, BookingDate: ymd(date), ValueDate: ymd(value),
			EndToEndID: "NOTPROVIDED", CreditorReferences: []string{}, BankTxCode: "PMNT-RCDT-ESCT",
		},
	}
	g.pending = append(g.pending, p)
	return p
}

var (
	invoiceTemplatesB2C = []string{
		"{ref}", "Rechnung {ref}", "Rechnungsnr. {ref}", "RE {ref}", "Rechnung Nr. {ref} Danke", "{ref} {name}",
		"Ihre Rechnung {ref} vom {date}", "Zahlung zu {ref}", "{name} {ref}", "Rg {ref}",
	}
	invoiceTemplatesB2B = []string{
		"RG {ref}", "Rg.-Nr. {ref}", "Beleg {ref} Kunde {cust}", "Rechnung {ref}", "{ref}",
		"RECHNUNG {ref} V. {date}", "RE-NR {ref} KD-NR {cust}", "Zahlungsavis {avis} Rechnung {ref}",
	}
	orderTemplates    = []string{"Bestellung {ref}", "Bestellnr. {ref}", "Auftrag {ref}", "{ref}", "Order {ref} {name}", "Bestellung {ref} vom {date}"}
	customerTemplates = []string{"Kd-Nr. {cust}", "Kundennummer {cust}", "Kunde {cust} {name}", "KD {cust}", "{cust}", "Kundennr {cust} Rechnung"}
	noRefTemplates    = []string{"{name}", "Rechnung", "Danke", "Bestellung vom {date}", "", "Zahlung", "Überweisung", "Online-Bestellung", "Ihre Rechnung", "Rechnung vom {date}"}
	lumpNoneTemplates = []string{"Sammelzahlung", "Sammelüberweisung Kd {cust}", "Avis {avis} vom {date}", "Zahlung lt. Avis {avis}", "Ausgleich offener Posten", "Kunde {cust} Zahlung {date}"}
)

func (g *generator) fill(tmpl string, d *debtor, ref string, date time.Time) string {
	name := d.name
	if !d.company {
		name = d.owner.String()
	}
	return strings.TrimSpace(strings.NewReplacer(
		"{ref}", ref, "{name}", name, "{cust}", d.customer,
		"{date}", date.Format("02.01.2006"), "{avis}", digits(g.r, 6),
	).Replace(tmpl))
}

// reference writes the remittance of a payment of one item: the
// invoice number (mangled), an order id, the customer number, an RF
// reference, or nothing.
func (g *generator) reference(p *pend, it *Item, exact bool, forceNoRef bool) string {
	n, d, r := g.sc.Noise, p.debtor, g.r
	issue, _ := time.Parse(time.DateOnly, it.IssueDate)
	switch {
	case forceNoRef || g.chance(n.NoReference):
		p.noise = append(p.noise, "no_reference")
		return g.fill(pick(r, noRefTemplates), d, "", issue)
	case g.chance(n.CustomerNumber):
		p.noise = append(p.noise, "customer_number")
		return g.fill(pick(r, customerTemplates), d, "", issue)
	case strings.HasPrefix(it.PaymentReference, "RF") && g.chance(n.RFStructured):
		p.p.CreditorReferences = []string{it.PaymentReference}
		p.noise = append(p.noise, "rf_structured")
		if g.chance(0.5) {
			return ""
		}
		return g.fill(pick(r, noRefTemplates), d, "", issue)
	case strings.HasPrefix(it.PaymentReference, "RF") && g.chance(n.RFText):
		p.noise = append(p.noise, "rf_text")
		ref := it.PaymentReference
		if g.chance(0.5) {
			ref = groupBy4(ref)
		}
		return g.fill(pick(r, []string{"{ref}", "Referenz {ref}", "{ref} {name}"}), d, ref, issue)
	case it.OrderID != "" && g.chance(n.OrderID):
		p.noise = append(p.noise, "order_id")
		return g.fill(pick(r, orderTemplates), d, it.OrderID, issue)
	}
	ref, noise := mangle(r, g.sc.Invoice, it.DocumentNumber, n, exact)
	p.noise = append(p.noise, noise...)
	tmpls := invoiceTemplatesB2C
	if g.sc.B2B || d.company {
		tmpls = invoiceTemplatesB2B
	}
	return g.fill(pick(r, tmpls), d, ref, issue)
}

// finish sets the end-to-end id and wraps, dates and cuts the remittance as
// banks do.
func (g *generator) finish(p *pend, text string, docs ...string) {
	n, r := g.sc.Noise, g.r
	switch {
	case len(docs) > 0 && g.chance(n.E2EInvoice):
		p.p.EndToEndID = docs[0]
		p.noise = append(p.noise, "e2e_invoice")
	case g.chance(0.3):
		p.p.EndToEndID = letters(r, 4) + digits(r, 12)
	}
	if g.chance(n.DateGlued) {
		p.noise = append(p.noise, "date_glued")
		t := bankDate(p.day).Add(time.Duration(r.IntN(86400)) * time.Second)
		switch r.IntN(4) {
		case 0:
			text += t.Format("02.01.2006")
		case 1:
			text += " " + t.Format("2006-01-02T15:04:05")
		case 2:
			text = "DATUM " + t.Format("02.01.2006, 15.04") + " UHR " + text
		default:
			text += "/" + t.Format("020106")
		}
	}
	if g.chance(n.Wrapper) {
		p.noise = append(p.noise, "wrapper")
		switch r.IntN(5) {
		case 0:
			text = "SVWZ+" + text
		case 1:
			text = "EREF+" + p.p.EndToEndID + " SVWZ+" + text
		case 2:
			text = "Verwendungszweck: " + text
		case 3:
			text = "EREF: " + p.p.EndToEndID + " Verwendungszweck: " + text
		default:
			text = "KREF+NONREF SVWZ+" + text
		}
	}
	if g.chance(n.Cut35) {
		// A bank that keeps one line of 35 characters; short texts had
		// lead words before them.
		if len([]rune(text)) <= 35 {
			text = pick(r, []string{
				"Rechnung vom " + bankDate(p.day-10).Format("02.01.2006") + " Nr. ", "Zahlung an Ihre Rechnung ",
				"EREF+NOTPROVIDED SVWZ+", "Ueberweisung ",
			}) + text
		}
		if rs := []rune(text); len(rs) > 35 {
			text = string(rs[:35])
			p.noise = append(p.noise, "cut_35")
		}
	}
	if rs := []rune(text); len(rs) > 140 {
		text = string(rs[:140])
		p.noise = append(p.noise, "cut_140")
	}
	p.p.Remittance = strings.TrimSpace(text)
}

// situation generates the items and payments of one payment group of d.
func (g *generator) situation(d *debtor, pl plan) []*Item {
	r := g.r
	switch pl.sit {
	case SitPayout:
		return g.payout(d, pl)
	case SitDirectDebit, SitReturn:
		return g.directDebit(d, pl)
	case SitInstalments:
		day := r.IntN(8)
		it := g.paidItem(d, day, 40)
		rest := it.OpenMinor
		ref := ""
		for k := range pl.payments {
			amount := rest
			if k < pl.payments-1 {
				amount = max(rest/int64(pl.payments-k)/1000*1000, min(1000, rest/2))
				if amount <= 0 || amount >= rest {
					amount = rest / 2
				}
			}
			rest -= amount
			p := g.newPend(d, SitInstalments, day, amount)
			g.payer(d, p)
			if ref == "" {
				ref = g.reference(p, it, false, false)
			}
			text := pick(r, []string{"Rate %d ", "%d. Rate ", "Teilzahlung %d "})
			g.finish(p, fmt.Sprintf(text, k+1)+ref, it.DocumentNumber)
			p.allocs = []pendAlloc{{it, amount}}
			day += 7 + r.IntN(4)
		}
		return []*Item{it}
	case SitLump:
		return g.lump(d, pl)
	case SitEqualAmounts:
		day := r.IntN(windowDays)
		a := g.paidItem(d, day, 40)
		b := g.paidItem(d, day, 40)
		b.AmountMinor, b.OpenMinor, b.CashDiscount = a.AmountMinor, a.AmountMinor, nil
		a.OpenMinor, a.CashDiscount = a.AmountMinor, nil
		older := a
		if b.DueDate < a.DueDate {
			older = b
		}
		p := g.newPend(d, SitEqualAmounts, day, older.OpenMinor)
		g.payer(d, p)
		g.finish(p, g.reference(p, older, true, g.chance(0.5)), older.DocumentNumber)
		p.allocs = []pendAlloc{{older, older.OpenMinor}}
		return []*Item{a, b}
	}
	// One item, one payment (or a payment and its duplicate).
	day := r.IntN(windowDays)
	if pl.sit == SitDuplicate {
		day = r.IntN(windowDays - 4)
	}
	it := g.paidItem(d, day, 45)
	open := it.OpenMinor
	pay, sit := open, pl.sit
	var diff *Difference
	alloc := open
	var extraText string
	switch pl.sit {
	case SitBankFee:
		fees := []int64{35, 50, 100, 150, 200, 250, 300, 500}
		fee := fees[r.IntN(len(fees))]
		for fee*4 > open && fee > 35 {
			fee /= 2
		}
		if fee*4 > open {
			sit = SitExact
			break
		}
		pay = open - fee
		diff = &Difference{Kind: "bank_fee", AmountMinor: -fee}
	case SitDiscount, SitDiscountLate:
		payDate := bankDate(day)
		issue := payDate.AddDate(0, 0, -(1 + r.IntN(9)))
		if pl.sit == SitDiscountLate {
			issue = payDate.AddDate(0, 0, -(15 + r.IntN(12)))
		}
		it.IssueDate, it.DueDate = ymd(issue), ymd(issue.AddDate(0, 0, g.sc.TermsDays))
		it.OpenMinor = it.AmountMinor
		g.withDiscount(it, issue)
		if pl.sit == SitDiscountLate {
			// 10 or 14 days of discount are over by day 15.
			it.CashDiscount.Until = ymd(issue.AddDate(0, 0, 10+4*r.IntN(2)))
		}
		if g.chance(0.3) {
			extraText = pick(r, []string{" abzgl. 2% Skonto", " ./. Skonto", " Skonto"})
		}
	case SitPartial:
		part := open * int64(20+r.IntN(60)) / 100
		if part >= 2000 {
			part = part / 1000 * 1000
		}
		if part <= 0 || part >= open {
			sit = SitExact
			break
		}
		pay, alloc = part, part
		if g.chance(0.3) {
			extraText = " Teilzahlung"
		}
	case SitOverpayment:
		extra := (open/1000+1)*1000 - open
		if extra == 0 || g.chance(0.5) {
			extra = 100 + r.Int64N(4900)
		}
		pay = open + extra
		diff = &Difference{Kind: "overpayment", AmountMinor: extra}
	}
	if pl.sit == SitDiscount || pl.sit == SitDiscountLate {
		open = it.OpenMinor
		disc := discount(it)
		pay, alloc = open-disc, open
		diff = &Difference{Kind: "cash_discount", AmountMinor: -disc}
		if pl.sit == SitDiscountLate {
			alloc, diff = pay, nil
		}
	}
	p := g.newPend(d, sit, day, pay)
	g.payer(d, p)
	g.finish(p, g.reference(p, it, pay == open, false)+extraText, it.DocumentNumber)
	p.allocs, p.diff = []pendAlloc{{it, alloc}}, diff
	if pl.sit == SitDuplicate {
		p.sit = SitDuplicate
		dup := g.newPend(d, SitDuplicate, day+r.IntN(4), pay)
		dup.key = p.key
		dup.p.Remittance, dup.p.EndToEndID = p.p.Remittance, p.p.EndToEndID
		dup.p.CounterpartyName, dup.p.CounterpartyIBAN = p.p.CounterpartyName, p.p.CounterpartyIBAN
		dup.p.CreditorReferences = p.p.CreditorReferences
		dup.match, dup.noise = MatchDebtor, slices.Clone(p.noise)
		dup.diff = &Difference{Kind: "overpayment", AmountMinor: pay}
	}
	return []*Item{it}
}

func (g *generator) lump(d *debtor, pl plan) []*Item {
	r, sc := g.r, g.sc
	day := r.IntN(windowDays)
	withDiscount := g.chance(sc.LumpDiscount)
	items := make([]*Item, pl.items)
	var pay, discTotal int64
	allocs := make([]pendAlloc, 0, pl.items)
	for i := range items {
		it := g.paidItem(d, day, 60)
		if withDiscount && g.chance(0.7) {
			issue := bankDate(day).AddDate(0, 0, -(1 + r.IntN(9)))
			it.IssueDate, it.DueDate = ymd(issue), ymd(issue.AddDate(0, 0, sc.TermsDays))
			it.OpenMinor = it.AmountMinor
			g.withDiscount(it, issue)
			discTotal += discount(it)
		}
		items[i] = it
		pay += it.OpenMinor
		allocs = append(allocs, pendAlloc{it, it.OpenMinor})
	}
	slices.SortFunc(items, func(a, b *Item) int { return cmp.Compare(a.IssueDate, b.IssueDate) })
	pay -= discTotal
	p := g.newPend(d, SitLump, day, pay)
	g.payer(d, p)
	p.allocs = allocs
	if discTotal > 0 {
		p.diff = &Difference{Kind: "cash_discount", AmountMinor: -discTotal}
	}
	var text string
	var docs []string
	switch x := r.Float64(); {
	case x < sc.LumpListsAll || x < sc.LumpListsAll+sc.LumpListsSome:
		listed := items
		if x >= sc.LumpListsAll {
			p.noise = append(p.noise, "lump_lists_some")
			listed = slices.Clone(items)
			r.Shuffle(len(listed), func(i, j int) { listed[i], listed[j] = listed[j], listed[i] })
			listed = listed[:1+r.IntN(max(len(listed)-1, 1))]
		} else {
			p.noise = append(p.noise, "lump_lists_all")
		}
		sep := pick(r, []string{", ", " ", "; ", "/"})
		var refs []string
		for _, it := range listed {
			ref, noise := mangle(r, sc.Invoice, it.DocumentNumber, sc.Noise, true)
			for _, n := range noise {
				if !slices.Contains(p.noise, n) {
					p.noise = append(p.noise, n)
				}
			}
			refs = append(refs, ref)
			docs = append(docs, it.DocumentNumber)
		}
		text = pick(r, []string{"RG ", "Rechnungen ", "Re. ", "", "Ausgleich "}) + strings.Join(refs, sep)
	default:
		p.noise = append(p.noise, "lump_lists_none")
		text = g.fill(pick(r, lumpNoneTemplates), d, "", bankDate(day))
	}
	if discTotal > 0 && g.chance(0.3) {
		text += " abzgl. Skonto"
	}
	g.finish(p, text, docs...)
	return items
}

var returnReasons = []string{"AM04", "AM04", "AM04", "MD06", "MD06", "AC04", "MS03", "MS02", "AC01", "MD01", "SL01"}

// directDebit collects one item by direct debit; for SitReturn the debit
// comes back some days later, with a bank charge in part of the cases.
func (g *generator) directDebit(d *debtor, pl plan) []*Item {
	r := g.r
	day := r.IntN(windowDays)
	if pl.sit == SitReturn {
		day = r.IntN(windowDays - 9)
	}
	it := g.paidItem(d, day, 20)
	it.OpenMinor, it.CashDiscount = it.AmountMinor, nil
	p := g.newPend(d, pl.sit, day, it.OpenMinor)
	p.p.MandateID = d.mandate
	p.p.EndToEndID = "LS-" + strings.Map(keepAlnum, strings.ToUpper(it.DocumentNumber))
	p.p.BankTxCode = "PMNT-IDDT-ESDD"
	p.p.CounterpartyName, p.p.CounterpartyIBAN = d.name, d.iban
	if g.chance(0.3) {
		p.p.CounterpartyName = bankName(d.name)
	}
	p.p.Remittance = "EREF+" + p.p.EndToEndID + " MREF+" + d.mandate + " CRED+DE98ZZZ09999999999 SVWZ+Lastschrift " +
		it.DocumentNumber + " Kd-Nr. " + d.customer
	p.allocs = []pendAlloc{{it, it.OpenMinor}}
	if pl.sit == SitDirectDebit {
		return []*Item{it}
	}
	p.sit = SitDirectDebit
	var charge int64
	if g.chance(0.4) {
		charges := []int64{300, 350, 450, 600, 875}
		charge = charges[r.IntN(len(charges))]
	}
	ret := g.newPend(d, SitReturn, day+2+r.IntN(7), -it.OpenMinor-charge)
	ret.reverses = p
	reason := pick(r, returnReasons)
	ret.p.ReturnReason = reason
	ret.p.MandateID, ret.p.EndToEndID = p.p.MandateID, p.p.EndToEndID
	ret.p.BankTxCode = "PMNT-IDDT-UPDD"
	ret.p.CounterpartyName, ret.p.CounterpartyIBAN = p.p.CounterpartyName, p.p.CounterpartyIBAN
	switch r.IntN(3) {
	case 0:
		ret.p.Remittance = "RUECKLASTSCHRIFT " + p.p.Remittance
	case 1:
		ret.p.Remittance = "Rücklastschrift " + reason + " EREF+" + p.p.EndToEndID
	default:
		ret.p.Remittance = "RETOURE SEPA-LASTSCHRIFT " + reason
	}
	if rs := []rune(ret.p.Remittance); len(rs) > 140 {
		ret.p.Remittance = string(rs[:140])
	}
	ret.noise = []string{"return_" + reason}
	ret.allocs = []pendAlloc{{it, -it.OpenMinor}}
	if charge > 0 {
		ret.diff = &Difference{Kind: "bank_fee", AmountMinor: -charge}
		ret.noise = append(ret.noise, "return_charge")
	}
	return []*Item{it}
}

// pendingOrder is a marketplace order of the settlement not yet paid out.
func (g *generator) pendingOrder(d *debtor) *Item {
	it := g.marketOrder(d, bankDate(windowDays).AddDate(0, 0, -g.r.IntN(14)))
	it.PaymentReference = d.openSettlement
	return it
}

func (g *generator) marketOrder(d *debtor, issue time.Time) *Item {
	a := g.amount(false)
	return &Item{
		Debtor: d.id, Kind: "invoice", DocumentNumber: g.invoiceNumber(),
		OrderID:     fmt.Sprintf("%03d-%s-%s", 302+g.r.IntN(5), digits(g.r, 7), digits(g.r, 7)),
		AmountMinor: a, OpenMinor: a, Currency: currency,
		IssueDate: ymd(issue), DueDate: ymd(issue.AddDate(0, 0, 14)), Channel: "amazon",
	}
}

// payout makes a settlement's items on the marketplace debtor d (orders,
// refunds and fees) and the bank credit that pays them.
func (g *generator) payout(d *debtor, pl plan) []*Item {
	r := g.r
	day := r.IntN(windowDays)
	settlement := digits(r, 11)
	pay := bankDate(day)
	orders := pl.items - pl.refunds - pl.fees
	var items []*Item
	var sum int64
	for range orders {
		it := g.marketOrder(d, pay.AddDate(0, 0, -(3+r.IntN(14))))
		it.PaymentReference = settlement
		items = append(items, it)
		sum += it.AmountMinor
	}
	for k := range pl.refunds {
		o := items[r.IntN(orders)]
		amount := -o.AmountMinor
		if r.IntN(3) == 0 {
			amount = amount / 2
		}
		g.creditN++
		items = append(items, &Item{
			Debtor: d.id, Kind: "credit", DocumentNumber: fmt.Sprintf("GS-2026-%06d", g.creditN),
			OrderID: o.OrderID, PaymentReference: settlement, AmountMinor: amount, OpenMinor: amount,
			Currency: currency, IssueDate: ymd(pay.AddDate(0, 0, -(1 + k%3))), DueDate: ymd(pay), Channel: "amazon",
		})
		sum += amount
	}
	feeTotal := sum * int64(12+r.IntN(6)) / 100
	names := []string{"COMMISSION", "FBA-FEES", "ADVERTISING"}
	for k := range pl.fees {
		fee := feeTotal / int64(pl.fees)
		if k == 0 {
			fee += feeTotal % int64(pl.fees)
		}
		items = append(items, &Item{
			Debtor: d.id, Kind: "credit", DocumentNumber: settlement + "-" + names[k],
			PaymentReference: settlement, AmountMinor: -fee, OpenMinor: -fee,
			Currency: currency, IssueDate: ymd(pay.AddDate(0, 0, -1)), DueDate: ymd(pay), Channel: "amazon",
		})
		sum -= fee
	}
	p := g.newPend(d, SitPayout, day, sum)
	p.p.CounterpartyName, p.p.CounterpartyIBAN = amazonName, d.iban
	mkt := strings.ToUpper(marketplaceNames[(d.marketplace-1)%len(marketplaceNames)])
	if g.chance(g.sc.PayoutNamesSettlement) {
		p.noise = append(p.noise, "settlement_named")
		p.p.Remittance = pick(r, []string{settlement + " " + mkt + " MKTP", "AMAZON PAYMENTS EUROPE SETTLEMENT " + settlement, "Amazon " + mkt + " " + settlement + " " + pay.Format("02.01.2006")})
	} else {
		p.noise = append(p.noise, "settlement_not_named")
		p.p.Remittance = pick(r, []string{mkt + " MARKETPLACE PAYOUT " + pay.Format("02.01.2006"), "AMZ PAYMENTS EU " + mkt, "AMAZON EU SARL " + digits(r, 8)})
	}
	for _, it := range items {
		p.allocs = append(p.allocs, pendAlloc{it, it.OpenMinor})
	}
	return items
}

var nobodyTexts = []string{
	"Miete 12/2026", "Erstattung Kaution", "Rückzahlung Darlehen", "Gutschrift", "Spende", "Bestellung 4711",
	"Lohn 11/2026", "Rechnung 2026-{n}", "Beitrag {n}", "Erstattung Stornierung", "Rechnung {inv}", "{name}", "",
	"Auszahlung PayPal {n}", "Kaufpreis Fahrrad", "Vertrag {n}",
}

// nobody is a payment from someone who is no debtor: sometimes with a
// number in the merchant's format that no item has.
func (g *generator) nobody() {
	r := g.r
	day := r.IntN(windowDays)
	amount := g.amount(g.sc.B2B)
	p := g.newPend(nil, SitNobody, day, amount)
	p.match = MatchNone
	who := randomPerson(r)
	p.p.CounterpartyName = who.String()
	if g.chance(0.2) {
		p.p.CounterpartyName = randomCompany(r, who)
	}
	p.p.CounterpartyIBAN = randomIBAN(r)
	text := strings.NewReplacer(
		"{n}", digits(r, 5), "{inv}", g.sc.Invoice.format(g.invoiceSpan+r.IntN(1000)), "{name}", who.String(),
	).Replace(pick(r, nobodyTexts))
	g.finish(p, text)
}

// writePayments orders the payments by booking date, gives them ids and
// writes them with their truth.
func (g *generator) writePayments(dir string) error {
	slices.SortStableFunc(g.pending, func(a, b *pend) int {
		if c := cmp.Compare(a.day, b.day); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	// Equal days keep generation order for a duplicate and its original
	// (same key), so the original comes first.
	pw, err := createJSONL(filepath.Join(dir, PaymentsFile))
	if err != nil {
		return err
	}
	defer pw.close()
	tw, err := createJSONL(filepath.Join(dir, TruthFile))
	if err != nil {
		return err
	}
	defer tw.close()
	for i, p := range g.pending {
		p.p.ID = fmt.Sprintf("P%06d", i+1)
	}
	for _, p := range g.pending {
		t := Truth{Payment: p.p.ID, Match: p.match, Allocations: []Allocation{}, Difference: p.diff, Situation: string(p.sit), Noise: p.noise}
		if t.Noise == nil {
			t.Noise = []string{}
		}
		if p.debtor != nil {
			t.Debtor = &p.debtor.id
		}
		if p.reverses != nil {
			t.Reverses = &p.reverses.p.ID
		}
		if p.match == MatchItems {
			for _, a := range p.allocs {
				t.Allocations = append(t.Allocations, Allocation{OpenItem: a.item.ID, AmountMinor: a.amount})
			}
		}
		pw.put(p.p)
		tw.put(t)
	}
	g.summary.Payments = len(g.pending)
	if err := pw.close(); err != nil {
		return err
	}
	return tw.close()
}
