package books

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"pgregory.net/rapid"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// model is the independent reference for the property test: plain maps of
// integers, written from the accounting rules, sharing no code with the
// package under test.
type model struct {
	items    []*modelItem
	balances map[string]int64 // account -> balance, debit positive
	docs     map[string]*modelDoc
}

type modelItem struct {
	key      string // kind:document, as openByDocument keys it
	debtor   string
	amount   int64
	net, vat int64
	due      int // day of November 2026
	sets     []*modelSettlement
	credit   bool
	source   string // document that created it
	cancel   bool
}

type modelSettlement struct {
	amount  int64
	by      string // document that made it
	pair    *modelSettlement
	item    *modelItem
	undone  bool
	isOffst bool
}

// modelDoc is a payment or credit note the model can reverse.
type modelDoc struct {
	debtor   string
	amount   int64
	net, vat int64
	reversed bool
}

func (it *modelItem) open() int64 {
	o := it.amount
	for _, s := range it.sets {
		if !s.undone {
			o -= s.amount
		}
	}
	return o
}

func (m *model) personal(debtor string) string {
	return map[string]string{"C-1": "10000", "C-2": "10001", "C-3": "10002"}[debtor]
}

func (m *model) settle(it *modelItem, amount int64, by string) *modelSettlement {
	s := &modelSettlement{amount: amount, by: by, item: it}
	it.sets = append(it.sets, s)
	return s
}

// offset lets a new debit item consume older credit balances.
func (m *model) offset(debit *modelItem) {
	for _, cr := range m.items {
		if debit.open() <= 0 {
			return
		}
		if !cr.credit || cr.debtor != debit.debtor || cr.open() >= 0 {
			continue
		}
		x := min(debit.open(), -cr.open())
		a := m.settle(debit, x, "offset")
		b := m.settle(cr, -x, "offset")
		a.pair, b.pair, a.isOffst, b.isOffst = b, a, true, true
	}
}

// autoOrder is §366 BGB for items without charges and with distinct due
// dates: items due by the value date (18 November) first, each group by due
// date.
func (m *model) autoOrder(debtor string) []*modelItem {
	var out []*modelItem
	for _, it := range m.items {
		if it.debtor == debtor && !it.credit && it.open() > 0 {
			out = append(out, it)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		di, dj := out[i].due > 18, out[j].due > 18
		if di != dj {
			return !di
		}
		return out[i].due < out[j].due
	})
	return out
}

func (m *model) applyMoney(debtor, doc string, amount int64, allocs map[*modelItem]int64, order []*modelItem) {
	rest := amount
	if allocs == nil {
		for _, it := range m.autoOrder(debtor) {
			x := min(rest, it.open())
			if x == 0 {
				break
			}
			m.settle(it, x, doc)
			rest -= x
		}
	} else {
		for _, it := range order {
			m.settle(it, allocs[it], doc)
			rest -= allocs[it]
		}
	}
	if rest > 0 {
		m.items = append(m.items, &modelItem{key: "credit_balance:" + doc, debtor: debtor, amount: -rest, credit: true, source: doc})
	}
}

// undoDoc reopens what doc cleared and cancels the credit balance it made,
// undoing what that credit balance had offset.
func (m *model) undoDoc(doc string) {
	for _, it := range m.items {
		for _, s := range it.sets {
			if s.by == doc && !s.undone {
				s.undone = true
			}
		}
		if it.credit && it.source == doc {
			for _, s := range it.sets {
				if s.isOffst && !s.undone {
					s.undone, s.pair.undone = true, true
				}
			}
			if o := it.open(); o != 0 {
				m.settle(it, o, "cancel")
			}
		}
	}
}

// split is the largest-remainder split of amount by weights net and vat.
func split(amount, net, vat int64) (int64, int64) {
	if net+vat == 0 {
		return amount, 0
	}
	a, ra := amount*net/(net+vat), amount*net%(net+vat)
	b, rb := amount*vat/(net+vat), amount*vat%(net+vat)
	if a+b < amount {
		if rb > ra {
			b++
		} else {
			a++
		}
	}
	return a, b
}

func (m *model) openItems() map[string]int64 {
	out := map[string]int64{}
	for _, it := range m.items {
		out[it.key] += it.open()
	}
	return out
}

func (m *model) nonZeroBalances() map[string]int64 {
	out := map[string]int64{}
	for k, v := range m.balances {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// TestPropertyBooksMatchModel applies random sequences of invoices,
// payments (partial, over, lump-sum allocated to several items), credit
// notes, returns, reversals and write-offs through the Ledger and through
// the model, and compares open items and account balances after every step.
func TestPropertyBooksMatchModel(t *testing.T) {
	t.Parallel()
	steps := 60
	if testing.Short() {
		steps = 15
	}
	rapid.Check(t, func(rt *rapid.T) {
		l := New(tenant, testConfig())
		m := &model{balances: map[string]int64{}, docs: map[string]*modelDoc{}}
		apply := func(what string, evs []proto.Message, err error) {
			if err != nil {
				rt.Fatalf("%s: %v", what, err)
			}
			if err := l.Apply(evs...); err != nil {
				rt.Fatalf("%s: apply: %v", what, err)
			}
		}
		debtors := []string{"C-1", "C-2", "C-3"}
		o := Origin{Actor: "service:test", Now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
		nInv, nPay, nCN, nWO := 0, 0, 0, 0
		for step := range steps {
			debtor := rapid.SampledFrom(debtors).Draw(rt, "debtor")
			var open []*modelItem
			for _, it := range m.items {
				if it.debtor == debtor && !it.credit && it.open() > 0 {
					open = append(open, it)
				}
			}
			switch op := rapid.IntRange(0, 6).Draw(rt, "op"); {
			case op == 0 || len(open) == 0 && op < 4: // invoice
				nInv++
				num := fmt.Sprintf("RE-%d", nInv)
				net := rapid.Int64Range(1, 100000).Draw(rt, "net")
				vat := (net*19 + 50) / 100
				due := 1 + nInv%60
				dueDate := Date{2026, time.November, 1}
				dueDate = DateAt(time.Date(dueDate.Year, dueDate.Month, due, 0, 0, 0, 0, time.UTC))
				evs, err := l.RegisterInvoice(&ledgerv1.RegisterInvoice{
					Tenant: tenant, IdempotencyKey: "invoice:" + num, InvoiceNumber: num, DebtorId: debtor, Currency: "EUR",
					Vat: vat19(net), Gross: eur(net + vat), IssueDate: date(2026, 11, 1), DueDate: dueDate.Proto(),
				}, m.personal(debtor), o)
				apply(num, evs, err)
				it := &modelItem{key: "invoice:" + num, debtor: debtor, amount: net + vat, net: net, vat: vat, due: due, source: num}
				m.items = append(m.items, it)
				m.balances[m.personal(debtor)] += net + vat
				m.balances["8400"] -= net
				m.balances["1776"] -= vat
				m.offset(it)
			case op == 1 || op == 2: // payment: auto (partial or over) or lump-sum allocated
				nPay++
				id := fmt.Sprintf("P-%d", nPay)
				amount := rapid.Int64Range(1, 150000).Draw(rt, "amount")
				cmd := &ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "payment:" + id, PaymentId: id, DebtorId: debtor, Amount: eur(amount), ValueDate: date(2026, 11, 18), Iban: iban}
				var allocs map[*modelItem]int64
				var order []*modelItem
				if op == 2 && len(open) > 0 {
					allocs = map[*modelItem]int64{}
					left := amount
					for _, it := range open {
						if left == 0 || !rapid.Bool().Draw(rt, "allocate") {
							continue
						}
						x := rapid.Int64Range(1, min(left, it.open())).Draw(rt, "part")
						allocs[it] = x
						order = append(order, it)
						left -= x
						cmd.Allocations = append(cmd.Allocations, &ledgerv1.Allocation{OpenItemId: itemIDByKey(l, it.key), Amount: eur(x)})
					}
					if len(order) == 0 {
						allocs = nil
					}
				}
				if _, known := l.DebtorAccountOf(debtor); !known {
					continue
				}
				evs, err := l.ApplyPayment(cmd, o)
				apply(id, evs, err)
				m.applyMoney(debtor, id, amount, allocs, order)
				m.docs[id] = &modelDoc{debtor: debtor, amount: amount}
				m.balances["1200"] += amount
				m.balances[m.personal(debtor)] -= amount
			case op == 3: // credit note on one invoice, or unreferenced
				nCN++
				num := fmt.Sprintf("GS-%d", nCN)
				net := rapid.Int64Range(1, 50000).Draw(rt, "net")
				vat := (net*19 + 50) / 100
				cmd := &ledgerv1.IssueCreditNote{Tenant: tenant, IdempotencyKey: "credit-note:" + num, CreditNoteNumber: num, DebtorId: debtor, Currency: "EUR", Vat: vat19(net), Gross: eur(net + vat), IssueDate: date(2026, 11, 19)}
				var target *modelItem
				if len(open) > 0 && rapid.Bool().Draw(rt, "referenced") {
					target = rapid.SampledFrom(open).Draw(rt, "item")
					cmd.OpenItemId = itemIDByKey(l, target.key)
				}
				if _, known := l.DebtorAccountOf(debtor); !known {
					continue
				}
				evs, err := l.IssueCreditNote(cmd, o)
				apply(num, evs, err)
				if target != nil {
					x := min(net+vat, target.open())
					m.applyMoney(debtor, num, net+vat, map[*modelItem]int64{target: x}, []*modelItem{target})
				} else {
					m.applyMoney(debtor, num, net+vat, nil, nil)
				}
				m.docs[num] = &modelDoc{debtor: debtor, amount: net + vat, net: net, vat: vat}
				m.balances["8400"] += net
				m.balances["1776"] += vat
				m.balances[m.personal(debtor)] -= net + vat
			case op == 4: // write-off of part of an open invoice
				if len(open) == 0 {
					continue
				}
				it := rapid.SampledFrom(open).Draw(rt, "item")
				nWO++
				id := fmt.Sprintf("W-%d", nWO)
				amount := rapid.Int64Range(1, it.open()).Draw(rt, "amount")
				evs, err := l.WriteOff(&ledgerv1.WriteOff{Tenant: tenant, IdempotencyKey: "write-off:" + id, WriteOffId: id, OpenItemId: itemIDByKey(l, it.key), Amount: eur(amount), WriteOffDate: date(2026, 11, 19)}, o)
				apply(id, evs, err)
				net, vat := split(amount, it.net, it.vat)
				m.settle(it, amount, id)
				m.balances["2406"] += net
				m.balances["1776"] += vat
				m.balances[m.personal(debtor)] -= amount
			case op == 5: // return a payment or reverse a credit note
				var docs []string
				for id, d := range m.docs {
					if !d.reversed {
						docs = append(docs, id)
					}
				}
				if len(docs) == 0 {
					continue
				}
				sort.Strings(docs)
				id := rapid.SampledFrom(docs).Draw(rt, "document")
				d := m.docs[id]
				var evs []proto.Message
				var err error
				if d.net == 0 {
					evs, err = l.ReturnPayment(&ledgerv1.ReturnPayment{Tenant: tenant, IdempotencyKey: "return:" + id, PaymentId: id, Kind: ledgerv1.ReturnKind_RETURN_KIND_RETURNED_DEBIT, ReturnDate: date(2026, 11, 20)}, o)
					m.balances["1200"] -= d.amount
				} else {
					evs, err = l.ReverseEntry(&ledgerv1.ReverseEntry{Tenant: tenant, IdempotencyKey: "reverse:" + id, EntryId: entryOf(id)(l)}, o)
					m.balances["8400"] -= d.net
					m.balances["1776"] -= d.vat
				}
				apply("undo "+id, evs, err)
				m.balances[m.personal(d.debtor)] += d.amount
				m.undoDoc(id)
				d.reversed = true
			case op == 6: // reverse an invoice no payment, credit note or write-off touched
				var cands []*modelItem
				for _, it := range m.items {
					touched := false
					for _, s := range it.sets {
						touched = touched || !s.undone && !s.isOffst
					}
					if !it.credit && !it.cancel && !touched {
						cands = append(cands, it)
					}
				}
				if len(cands) == 0 {
					continue
				}
				it := rapid.SampledFrom(cands).Draw(rt, "invoice")
				num := it.source
				evs, err := l.ReverseEntry(&ledgerv1.ReverseEntry{Tenant: tenant, IdempotencyKey: "reverse:" + num, EntryId: entryOf(num)(l)}, o)
				apply("reverse "+num, evs, err)
				for _, s := range it.sets {
					if s.isOffst && !s.undone {
						s.undone, s.pair.undone = true, true
					}
				}
				m.settle(it, it.open(), "cancel")
				it.cancel = true
				m.balances[m.personal(it.debtor)] -= it.amount
				m.balances["8400"] += it.net
				m.balances["1776"] += it.vat
			}
			if diff := cmp.Diff(m.openItems(), openByDocument(l)); diff != "" {
				rt.Fatalf("step %d: open items (-model +books):\n%s", step, diff)
			}
			if diff := cmp.Diff(m.nonZeroBalances(), balances(l)); diff != "" {
				rt.Fatalf("step %d: balances (-model +books):\n%s", step, diff)
			}
			if err := l.Check(); err != nil {
				rt.Fatalf("step %d: %v", step, err)
			}
		}
	})
}

// itemIDByKey returns the id of the item openByDocument keys as key.
func itemIDByKey(l *Ledger, key string) string {
	for _, it := range l.Items() {
		if it.Kind+":"+it.DocumentNumber == key {
			return it.ID
		}
	}
	return "missing:" + key
}
