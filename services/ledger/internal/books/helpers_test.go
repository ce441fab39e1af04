package books

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

const (
	tenant = "acme"
	iban   = "DE89370400440532013000"
)

var recordedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func testConfig() Config {
	return Config{
		Chart: Chart{
			Banks:        map[string]string{iban: "1200"},
			Clearing:     map[string]string{"amazon": "1361", "agency": "1362", "paypal": "1363"},
			Marketplaces: map[string]string{MarketplaceKey("amazon", "EUR"): "69000"},
			// The bank section of the tenants file (bank.accounts,
			// bank.outgoing_rules).
			BankCurrencies: map[string]string{iban: "EUR"},
			OutgoingRules:  map[string]string{"salaries": "4120"},
			IncomingRules:  map[string]string{"inkasso-payout": "1362"},
		},
		PeriodActors: []string{"user:cfo"},
	}
}

func origin() Origin { return Origin{Actor: "service:test", Now: recordedAt} }

func cfo() Origin { return Origin{Actor: "user:cfo", Now: recordedAt} }

func date(y int, m time.Month, d int) *commonv1.Date {
	return &commonv1.Date{Year: int32(y), Month: int32(m), Day: int32(d)}
}

// step is one command against the books.
type step func(l *Ledger) ([]proto.Message, error)

// given builds books from the events of steps, failing on any error and
// checking the invariants after each step.
func given(tb testing.TB, steps ...step) *Ledger {
	tb.Helper()
	l := New(tenant, testConfig())
	for i, s := range steps {
		evs, err := s(l)
		if err != nil {
			tb.Fatalf("given step %d: %v", i, err)
		}
		if err := l.Apply(evs...); err != nil {
			tb.Fatalf("given step %d: %v", i, err)
		}
		if err := l.Check(); err != nil {
			tb.Fatalf("given step %d: %v", i, err)
		}
	}
	return l
}

// vat19 returns VAT lines for net at 19 %, rounded half up.
func vat19(net int64) []*ledgerv1.VatAmount {
	return []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(net), Vat: eur((net*19 + 50) / 100)}}
}

func gross19(net int64) int64 { return net + (net*19+50)/100 }

func invoice(num, debtor string, net int64, due *commonv1.Date) step {
	return func(l *Ledger) ([]proto.Message, error) {
		return l.RegisterInvoice(&ledgerv1.RegisterInvoice{
			Tenant: tenant, IdempotencyKey: "invoice:" + num, InvoiceNumber: num, DebtorId: debtor, Currency: "EUR",
			Vat: vat19(net), Gross: eur(gross19(net)), IssueDate: date(2026, 11, 2), DueDate: due, PaymentReference: num,
		}, debtorNumber(debtor), origin())
	}
}

func debtorNumber(debtor string) string {
	switch debtor {
	case "C-1":
		return "10000"
	case "C-2":
		return "10001"
	}
	return "10002"
}

func pay(id, debtor string, amount int64, allocs ...*ledgerv1.Allocation) step {
	return func(l *Ledger) ([]proto.Message, error) {
		return l.ApplyPayment(&ledgerv1.ApplyPayment{
			Tenant: tenant, IdempotencyKey: "payment:" + id, PaymentId: id, DebtorId: debtor, Amount: eur(amount),
			ValueDate: date(2026, 11, 18), Iban: iban, Allocations: allocs,
		}, origin())
	}
}

func alloc(l *Ledger, doc string, amount int64) *ledgerv1.Allocation {
	return &ledgerv1.Allocation{OpenItemId: itemID(l, doc), Amount: eur(amount)}
}

// itemID returns the id of the first item with document number doc.
func itemID(l *Ledger, doc string) string {
	for _, it := range l.Items() {
		if it.DocumentNumber == doc {
			return it.ID
		}
	}
	return "missing:" + doc
}

// openByDocument returns the open amount per document number and kind.
func openByDocument(l *Ledger) map[string]int64 {
	out := map[string]int64{}
	for _, it := range l.Items() {
		out[it.Kind+":"+it.DocumentNumber] += it.Open()
	}
	return out
}

// balances returns every non-zero EUR account balance.
func balances(l *Ledger) map[string]int64 {
	out := map[string]int64{}
	for _, b := range TrialBalance(l.Entries()) {
		if b.Minor != 0 {
			out[b.Account] = b.Minor
		}
	}
	return out
}

func run(tb testing.TB, l *Ledger, s step) ([]proto.Message, error) {
	tb.Helper()
	evs, err := s(l)
	if err != nil {
		return nil, err
	}
	if err := l.Apply(evs...); err != nil {
		tb.Fatalf("apply: %v", err)
	}
	if err := l.Check(); err != nil {
		tb.Fatalf("invariants: %v", err)
	}
	return evs, nil
}
