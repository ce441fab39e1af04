package service

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"google.golang.org/protobuf/proto"
	"pgregory.net/rapid"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// The model below is the test's own account of open items: it imports no
// ledger package and knows only the rules a user of the API is promised.

// modelItem is an open item of the model: an invoice (positive) or a credit
// balance (negative).
type modelItem struct {
	doc    string
	credit bool
	open   int64
	// settled is what payments, credit notes and write-offs hold on it;
	// an invoice with settled > 0 cannot be reversed.
	settled  int64
	reversed bool
}

// modelOffset is a credit balance consumed by a later invoice.
type modelOffset struct {
	debit, credit int
	amount        int64
	live          bool
}

// modelPayment is what a payment cleared and the credit it left.
type modelPayment struct {
	id       string
	amount   int64
	cleared  map[int]int64
	credit   int
	returned bool
}

type modelDebtor struct {
	items    []modelItem
	offsets  []modelOffset
	payments []modelPayment
	invoices map[string]int // doc -> item index
	entries  map[string]string
	ids      map[string]string // doc -> open item id
	balance  int64
}

// open returns the non-zero open amounts by document.
func (d *modelDebtor) openItems() map[string]int64 {
	out := map[string]int64{}
	for _, it := range d.items {
		if it.open != 0 {
			out[it.doc] += it.open
		}
	}
	return out
}

// consumeCredits lets new invoice i consume credit balances, oldest first.
func (d *modelDebtor) consumeCredits(i int) {
	for c := range d.items {
		if d.items[i].open <= 0 {
			return
		}
		if !d.items[c].credit || d.items[c].open >= 0 {
			continue
		}
		x := min(d.items[i].open, -d.items[c].open)
		d.items[i].open -= x
		d.items[c].open += x
		d.offsets = append(d.offsets, modelOffset{debit: i, credit: c, amount: x, live: true})
	}
}

// undoOffsets undoes the live offsets for which match holds.
func (d *modelDebtor) undoOffsets(match func(modelOffset) bool) {
	for k, o := range d.offsets {
		if o.live && match(o) {
			d.items[o.debit].open += o.amount
			d.items[o.credit].open -= o.amount
			d.offsets[k].live = false
		}
	}
}

func (d *modelDebtor) addCredit(doc string, amount int64) int {
	d.items = append(d.items, modelItem{doc: doc, credit: true, open: -amount})
	return len(d.items) - 1
}

// openInvoices returns the indexes of invoices with something open, oldest
// first (which is also due-date order: due dates rise with each invoice).
func (d *modelDebtor) openInvoices() []int {
	var out []int
	for i, it := range d.items {
		if !it.credit && it.open > 0 {
			out = append(out, i)
		}
	}
	return out
}

func money(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// TestPropertyCommandsAgreeWithModel applies random invoices, payments
// (partial, over, lump-sum), credit notes, returns, reversals and
// write-offs through the Commander (the in-process API the gRPC command
// service calls) and compares the projected open items and debtor balances
// with the model after every step; at the end of each run the read models
// must equal a rebuild from the stored events and keep every invariant.
func TestPropertyCommandsAgreeWithModel(t *testing.T) {
	ctx := context.Background()
	owner := pgtest.NewDB(t, ledgerTemplate)
	appURL, err := database.AppURL(owner, eventstore.AppRole(postgres.Schema))
	if err != nil {
		t.Fatal(err)
	}
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx) //nolint:errcheck // test teardown
	pool, err := database.Connect(ctx, appURL, postgres.Schema, telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	events, err := eventstore.New(pool, postgres.Schema, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	proj, err := postgres.NewProjector(store, telemetry.Providers{Meter: mp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	cmdr := books.NewCommander(events, store, books.CommanderOptions{
		Config: testBooks,
		Now:    func() time.Time { clock = clock.Add(time.Second); return clock },
	})
	s := &svc{reader: reader, store: store}

	steps, checks := 30, "12"
	if testing.Short() {
		steps, checks = 12, "4"
	}
	if f := flag.Lookup("rapid.checks"); f != nil && !flagSet("rapid.checks") {
		_ = f.Value.Set(checks)
		defer func() { _ = f.Value.Set(f.DefValue) }()
	}
	run := 0
	rapid.Check(t, func(rt *rapid.T) {
		run++
		tenant := fmt.Sprintf("prop-%d", run)
		debtors := map[string]*modelDebtor{}
		n := 0
		exec := func(cmd proto.Message) books.Result {
			r, err := cmdr.Execute(ctx, cmd, books.Meta{Actor: "property"})
			if err != nil {
				rt.Fatalf("%T: %v", cmd, err)
			}
			if _, err := events.CatchUpProjection(ctx, proj.Projection(0)); err != nil {
				rt.Fatal(err)
			}
			return r
		}
		for step := range steps {
			n++
			did := rapid.SampledFrom([]string{"D1", "D2"}).Draw(rt, "debtor")
			d := debtors[did]
			if d == nil {
				d = &modelDebtor{invoices: map[string]int{}, entries: map[string]string{}, ids: map[string]string{}}
				debtors[did] = d
			}
			action := rapid.IntRange(0, 7).Draw(rt, "action")
			open := d.openInvoices()
			var live []int
			for i, p := range d.payments {
				if !p.returned {
					live = append(live, i)
				}
			}
			var reversible []int
			for i, it := range d.items {
				if !it.credit && !it.reversed && it.settled == 0 && d.entries[it.doc] != "" {
					reversible = append(reversible, i)
				}
			}
			switch {
			case action >= 1 && action <= 4 && len(open) == 0, action == 5 && len(live) == 0, action == 6 && len(reversible) == 0,
				action == 7 && len(open) == 0:
				action = 0
			}
			valueDate := &commonv1.Date{Year: 2026, Month: 6, Day: 30}
			switch action {
			case 0: // invoice
				net := rapid.Int64Range(100, 50000).Draw(rt, "net")
				gross := net + net*19/100
				doc := fmt.Sprintf("I%d", n)
				due := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, step)
				r := exec(&ledgerv1.RegisterInvoice{
					Tenant: tenant, IdempotencyKey: "k" + doc, InvoiceNumber: doc, DebtorId: did, Currency: "EUR",
					Vat: []*ledgerv1.VatAmount{{RateBp: 1900, Net: money(net), Vat: money(net * 19 / 100)}}, Gross: money(gross),
					IssueDate: &commonv1.Date{Year: 2026, Month: 3, Day: 1},
					DueDate:   &commonv1.Date{Year: int32(due.Year()), Month: int32(due.Month()), Day: int32(due.Day())},
				})
				d.items = append(d.items, modelItem{doc: doc, open: gross})
				i := len(d.items) - 1
				d.invoices[doc], d.entries[doc], d.ids[doc] = i, r.EntryIDs[0], r.OpenItemIDs[0]
				d.balance += gross
				d.consumeCredits(i)
			case 1, 2, 3: // partial, over, lump-sum payment
				id := fmt.Sprintf("P%d", n)
				p := modelPayment{id: id, cleared: map[int]int64{}, credit: -1}
				cmd := &ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "k" + id, PaymentId: id, DebtorId: did, ValueDate: valueDate, Iban: testIBAN}
				switch action {
				case 1:
					i := rapid.SampledFrom(open).Draw(rt, "item")
					amt := rapid.Int64Range(1, d.items[i].open).Draw(rt, "amount")
					cmd.Allocations = []*ledgerv1.Allocation{{OpenItemId: d.ids[d.items[i].doc], Amount: money(amt)}}
					p.amount, p.cleared[i] = amt, amt
				case 2:
					i := rapid.SampledFrom(open).Draw(rt, "item")
					extra := rapid.Int64Range(1, 10000).Draw(rt, "extra")
					cmd.Allocations = []*ledgerv1.Allocation{{OpenItemId: d.ids[d.items[i].doc], Amount: money(d.items[i].open)}}
					p.amount, p.cleared[i] = d.items[i].open+extra, d.items[i].open
				case 3:
					var total int64
					for _, i := range open {
						total += d.items[i].open
					}
					p.amount = rapid.Int64Range(1, total+5000).Draw(rt, "lump sum")
					left := p.amount
					for _, i := range open {
						if left == 0 {
							break
						}
						x := min(left, d.items[i].open)
						p.cleared[i] = x
						left -= x
					}
				}
				cmd.Amount = money(p.amount)
				r := exec(cmd)
				var sum int64
				for i, x := range p.cleared {
					d.items[i].open -= x
					d.items[i].settled += x
					sum += x
				}
				if rest := p.amount - sum; rest > 0 {
					p.credit = d.addCredit(id, rest)
					d.ids[id] = r.OpenItemIDs[0]
				}
				d.payments = append(d.payments, p)
				d.balance -= p.amount
			case 4: // credit note on one invoice
				i := rapid.SampledFrom(open).Draw(rt, "item")
				net := rapid.Int64Range(1, 20000).Draw(rt, "credit net")
				gross := net + net*19/100
				doc := fmt.Sprintf("C%d", n)
				exec(&ledgerv1.IssueCreditNote{
					Tenant: tenant, IdempotencyKey: "k" + doc, CreditNoteNumber: doc, DebtorId: did, OpenItemId: d.ids[d.items[i].doc],
					Currency: "EUR", Vat: []*ledgerv1.VatAmount{{RateBp: 1900, Net: money(net), Vat: money(net * 19 / 100)}},
					Gross: money(gross), IssueDate: valueDate,
				})
				x := min(gross, d.items[i].open)
				d.items[i].open -= x
				d.items[i].settled += x
				if gross > x {
					d.addCredit(doc, gross-x)
				}
				d.balance -= gross
			case 5: // return of a payment
				k := rapid.SampledFrom(live).Draw(rt, "payment")
				p := &d.payments[k]
				exec(&ledgerv1.ReturnPayment{
					Tenant: tenant, IdempotencyKey: "kR" + p.id, PaymentId: p.id, Kind: ledgerv1.ReturnKind_RETURN_KIND_RETURNED_DEBIT, ReturnDate: valueDate,
				})
				for i, x := range p.cleared {
					d.items[i].open += x
					d.items[i].settled -= x
				}
				if p.credit >= 0 {
					d.undoOffsets(func(o modelOffset) bool { return o.credit == p.credit })
					d.items[p.credit].open = 0
				}
				p.returned = true
				d.balance += p.amount
			case 6: // reversal of an invoice
				i := rapid.SampledFrom(reversible).Draw(rt, "invoice")
				exec(&ledgerv1.ReverseEntry{Tenant: tenant, IdempotencyKey: "kS" + d.items[i].doc, EntryId: d.entries[d.items[i].doc], Reason: "error"})
				d.undoOffsets(func(o modelOffset) bool { return o.debit == i })
				d.balance -= d.items[i].open
				d.items[i].open, d.items[i].reversed = 0, true
			case 7: // write-off
				i := rapid.SampledFrom(open).Draw(rt, "item")
				amt := rapid.Int64Range(1, d.items[i].open).Draw(rt, "write-off")
				doc := fmt.Sprintf("W%d", n)
				exec(&ledgerv1.WriteOff{
					Tenant: tenant, IdempotencyKey: "k" + doc, WriteOffId: doc, OpenItemId: d.ids[d.items[i].doc], Amount: money(amt), WriteOffDate: valueDate,
				})
				d.items[i].open -= amt
				d.items[i].settled += amt
				d.balance -= amt
			}
			for _, name := range sortedKeys(debtors) {
				m := debtors[name]
				if diff := cmp.Diff(m.openItems(), s.openItems(rt, tenant, name)); diff != "" {
					rt.Fatalf("step %d (action %d): open items of %s (-model +ledger):\n%s", step, action, name, diff)
				}
				if got := debtorBalance(rt, pool, tenant, name); got != m.balance {
					rt.Fatalf("step %d (action %d): balance of %s is %d, model says %d", step, action, name, got, m.balance)
				}
			}
			if b := s.breaches(rt); len(b) != 0 {
				rt.Fatalf("step %d: invariant breaches %v", step, b)
			}
		}
		rep, err := VerifyReadModels(ctx, pool)
		if err != nil {
			rt.Fatal(err)
		}
		if !rep.OK() {
			rt.Fatalf("read models differ from a replay of the stored events: %+v", rep)
		}
	})
}

// flagSet reports whether the flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func sortedKeys(m map[string]*modelDebtor) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// debtorBalance returns the balance of the debtor's personal account lines.
func debtorBalance(t fataler, pool *pgxpool.Pool, tenant, debtor string) int64 {
	t.Helper()
	var b int64
	err := pool.QueryRow(context.Background(),
		`SELECT COALESCE(sum(amount_minor), 0)::bigint FROM journal_lines WHERE tenant = $1 AND debtor_id = $2`, tenant, debtor).Scan(&b)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
