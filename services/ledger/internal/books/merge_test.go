package books

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

func mergeDebtor(dup, into string, day int) *ledgerv1.MergeDebtor {
	return &ledgerv1.MergeDebtor{Tenant: tenant, IdempotencyKey: "merge:" + dup + ":" + into, DebtorId: dup, IntoDebtorId: into,
		MergeDate: date(2026, 11, day), Reason: "same customer"}
}

// marketplaceInvoice is an order the marketplace mp collects in cur, bought
// by buyer.
func marketplaceInvoice(num, buyer, mp, cur string, net int64) *ledgerv1.RegisterInvoice {
	m := func(v int64) *commonv1.Money { return &commonv1.Money{MinorUnits: v, Currency: cur} }
	vat := (net*19 + 50) / 100
	return &ledgerv1.RegisterInvoice{
		Tenant: tenant, IdempotencyKey: "invoice:" + num, InvoiceNumber: num, DebtorId: buyer, Currency: cur, Marketplace: mp,
		Vat: []*ledgerv1.VatAmount{{RateBp: 1900, Net: m(net), Vat: m(vat)}}, Gross: m(net + vat),
		IssueDate: date(2026, 11, 2), DueDate: date(2026, 11, 16),
	}
}

// Given debtors, some merged already, when a merge names a debtor merged
// away (as duplicate or as target) or joins debtors of different kinds,
// then it is refused with the reason, and neither stream changes.
func TestMergeRefusals(t *testing.T) {
	t.Parallel()
	amazon, amazonGBP, ebay := MarketplaceDebtorID("amazon", "EUR"), MarketplaceDebtorID("amazon", "GBP"), MarketplaceDebtorID("ebay", "EUR")
	c1IntoC2 := []proto.Message{registerInvoice("INV-1", "C-1", 10000), registerInvoice("INV-2", "C-2", 5000), mergeDebtor("C-1", "C-2", 19)}
	nov19 := Date{2026, time.November, 19}
	tests := []struct {
		name  string
		given []proto.Message
		when  *ledgerv1.MergeDebtor
		want  error
		msg   string
	}{
		{
			name:  "a debtor merged away is not merged again",
			given: c1IntoC2,
			when:  mergeDebtor("C-1", "C-3", 20),
			want:  &MergedDebtorError{DebtorID: "C-1", IntoDebtorID: "C-2", Date: nov19},
			msg:   "C-1 was merged into C-2 on 2026-11-19; a merged debtor cannot be merged again",
		},
		{
			name:  "a merge does not run backwards",
			given: c1IntoC2,
			when:  mergeDebtor("C-2", "C-1", 20),
			want:  &MergedDebtorError{DebtorID: "C-1", IntoDebtorID: "C-2", Date: nov19, Target: true},
			msg:   "C-1 was merged into C-2 on 2026-11-19; a merged debtor cannot be a merge target",
		},
		{
			name:  "a debtor merged away is no target, though the duplicate's books never heard of it",
			given: append(append([]proto.Message{}, c1IntoC2...), registerInvoice("INV-3", "C-3", 2000)),
			when:  mergeDebtor("C-3", "C-1", 20),
			want:  &MergedDebtorError{DebtorID: "C-1", IntoDebtorID: "C-2", Date: nov19, Target: true},
			msg:   "C-1 was merged into C-2 on 2026-11-19; a merged debtor cannot be a merge target",
		},
		{
			name: "a merge that moved nothing is dated when it was recorded",
			given: []proto.Message{registerInvoice("INV-1", "C-1", 10000), applyPayment("P-1", "C-1", gross19(10000)),
				registerInvoice("INV-2", "C-2", 5000), mergeDebtor("C-1", "C-2", 19)},
			when: mergeDebtor("C-1", "C-3", 21),
			want: &MergedDebtorError{DebtorID: "C-1", IntoDebtorID: "C-2", Date: DateAt(recordedAt)},
			msg:  "C-1 was merged into C-2 on 2026-11-20; a merged debtor cannot be merged again",
		},
		{
			name:  "a marketplace debtor is not merged into a personal one",
			given: []proto.Message{marketplaceInvoice("AMZ-1", "buyer-1", "amazon", "EUR", 1000), registerInvoice("INV-1", "C-1", 10000)},
			when:  mergeDebtor(amazon, "C-1", 20),
			want: &IncompatibleDebtorsError{DebtorID: amazon, IntoDebtorID: "C-1",
				Reason: "marketplace debtor marketplace:amazon:EUR collects through the marketplace and is never merged with a personal debtor"},
			msg: "marketplace:amazon:EUR cannot be merged into C-1: marketplace debtor marketplace:amazon:EUR collects through the marketplace and is never merged with a personal debtor",
		},
		{
			name:  "a personal debtor is not merged into a marketplace one",
			given: []proto.Message{marketplaceInvoice("AMZ-1", "buyer-1", "amazon", "EUR", 1000), registerInvoice("INV-1", "C-1", 10000)},
			when:  mergeDebtor("C-1", amazon, 20),
			want: &IncompatibleDebtorsError{DebtorID: "C-1", IntoDebtorID: amazon,
				Reason: "marketplace debtor marketplace:amazon:EUR collects through the marketplace and is never merged with a personal debtor"},
		},
		{
			name:  "two marketplaces stay apart",
			given: []proto.Message{marketplaceInvoice("AMZ-1", "buyer-1", "amazon", "EUR", 1000), marketplaceInvoice("EBAY-1", "buyer-2", "ebay", "EUR", 1000)},
			when:  mergeDebtor(ebay, amazon, 20),
			want:  &IncompatibleDebtorsError{DebtorID: ebay, IntoDebtorID: amazon, Reason: "they hold the receivables of two marketplaces (ebay and amazon)"},
		},
		{
			name:  "one marketplace's currencies stay apart",
			given: []proto.Message{marketplaceInvoice("AMZ-1", "buyer-1", "amazon", "EUR", 1000), marketplaceInvoice("AMZ-2", "buyer-2", "amazon", "GBP", 1000)},
			when:  mergeDebtor(amazonGBP, amazon, 20),
			want: &IncompatibleDebtorsError{DebtorID: amazonGBP, IntoDebtorID: amazon,
				Reason: "they hold the receivables of amazon in two currencies (GBP and EUR), and a marketplace debtor keeps one"},
		},
		{
			name:  "a look-alike of a marketplace debtor is one too",
			given: []proto.Message{marketplaceInvoice("AMZ-1", "buyer-1", "amazon", "EUR", 1000)},
			when:  mergeDebtor("MARKETPLACE:amazon:EUR", amazon, 20),
			want: &IncompatibleDebtorsError{DebtorID: "MARKETPLACE:amazon:EUR", IntoDebtorID: amazon,
				Reason: "there is one marketplace debtor per marketplace and currency, so marketplace debtors are never merged"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.given(t, tt.given...)
			streams := streamsOf([]string{tt.when.GetDebtorId(), tt.when.GetIntoDebtorId()})
			before := make([]int, len(streams))
			for i, s := range streams {
				before[i] = len(w.stream(t, s))
			}
			_, err := w.cmds.Execute(context.Background(), tt.when, Meta{Actor: "user:cfo"})
			var got error
			var merged *MergedDebtorError
			var kinds *IncompatibleDebtorsError
			switch {
			case errors.As(err, &merged):
				got = merged
			case errors.As(err, &kinds):
				got = kinds
			default:
				t.Fatalf("Execute = %v, want %v", err, tt.want)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("refusal (-want +got):\n%s", diff)
			}
			if tt.msg != "" && got.Error() != tt.msg {
				t.Errorf("refusal says %q, want %q", got.Error(), tt.msg)
			}
			for _, sentinel := range []error{ErrDebtorMerged, ErrIncompatibleDebtors} {
				if errors.Is(tt.want, sentinel) != errors.Is(err, sentinel) {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, sentinel, errors.Is(err, sentinel), errors.Is(tt.want, sentinel))
				}
			}
			for i, s := range streams {
				if n := len(w.stream(t, s)); n != before[i] {
					t.Errorf("%s has %d events after the refusal, had %d", s, n, before[i])
				}
			}
		})
	}
}

// Given C-1 merged into C-2, when C-2 is found to be a duplicate of C-3
// and merged into it, then that is accepted: C-2 was the survivor, not
// merged away, and C-1's invoice ends up on C-3.
func TestMergeOnwardFromASurvivor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.given(t, registerInvoice("INV-1", "C-1", 10000), registerInvoice("INV-2", "C-2", 5000), registerInvoice("INV-3", "C-3", 2000),
		mergeDebtor("C-1", "C-2", 19))
	if _, err := w.cmds.Execute(context.Background(), mergeDebtor("C-2", "C-3", 20), Meta{Actor: "user:cfo"}); err != nil {
		t.Fatalf("merge C-2 into C-3: %v", err)
	}
	l := w.books(t, "C-1", "C-2", "C-3")
	open := map[string]int64{}
	for _, it := range l.Items() {
		open[it.DebtorID+" "+it.DocumentNumber] += it.Open()
	}
	want := map[string]int64{"C-1 INV-1": 0, "C-2 INV-1": 0, "C-2 INV-2": 0, "C-3 INV-1": gross19(10000), "C-3 INV-2": gross19(5000), "C-3 INV-3": gross19(2000)}
	if diff := cmp.Diff(want, open); diff != "" {
		t.Errorf("open per debtor and document (-want +got):\n%s", diff)
	}
}

func TestCheckMergeable(t *testing.T) {
	t.Parallel()
	amazon := MarketplaceDebtorID("amazon.de", "EUR")
	for _, tc := range []struct {
		dup, into string
		// reason is the IncompatibleDebtorsError's, "" for none.
		reason string
	}{
		{"K-5002", "K-5001", ""},
		{"K-5001", "K-5001", ""},
		{"", amazon, ""},
		{amazon, "", ""},
		{amazon, "K-5001", "marketplace debtor marketplace:amazon.de:EUR collects through the marketplace and is never merged with a personal debtor"},
		{"K-5001", amazon, "marketplace debtor marketplace:amazon.de:EUR collects through the marketplace and is never merged with a personal debtor"},
		{"K-5001", " marketplace:x", "marketplace debtor  marketplace:x collects through the marketplace and is never merged with a personal debtor"},
		{amazon, MarketplaceDebtorID("amazon.fr", "EUR"), "they hold the receivables of two marketplaces (amazon.de and amazon.fr)"},
		{amazon, MarketplaceDebtorID("amazon.de", "GBP"), "they hold the receivables of amazon.de in two currencies (EUR and GBP), and a marketplace debtor keeps one"},
		{amazon, "Marketplace:amazon.de:EUR", "there is one marketplace debtor per marketplace and currency, so marketplace debtors are never merged"},
	} {
		err := CheckMergeable(tc.dup, tc.into)
		var got string
		var e *IncompatibleDebtorsError
		if errors.As(err, &e) {
			got = e.Reason
		} else if err != nil {
			t.Errorf("CheckMergeable(%q, %q) = %v, want an *IncompatibleDebtorsError or nil", tc.dup, tc.into, err)
		}
		if got != tc.reason {
			t.Errorf("CheckMergeable(%q, %q) says %q, want %q", tc.dup, tc.into, got, tc.reason)
		}
		if err != nil && !errors.Is(err, ErrIncompatibleDebtors) {
			t.Errorf("CheckMergeable(%q, %q) = %v, want it to wrap ErrIncompatibleDebtors", tc.dup, tc.into, err)
		}
	}
}

func TestMarketplaceOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id            string
		mp, cur       string
		isMarketplace bool
	}{
		{MarketplaceDebtorID("amazon.de", "EUR"), "amazon.de", "EUR", true},
		{MarketplaceDebtorID("shop:x", "GBP"), "shop:x", "GBP", true},
		{"marketplace:amazon.de", "", "", false},
		{"marketplace::EUR", "", "", false},
		{"marketplace:amazon.de:", "", "", false},
		{"MARKETPLACE:amazon.de:EUR", "", "", false},
		{"K-5001", "", "", false},
	} {
		mp, cur, ok := MarketplaceOf(tc.id)
		if mp != tc.mp || cur != tc.cur || ok != tc.isMarketplace {
			t.Errorf("MarketplaceOf(%q) = %q, %q, %v; want %q, %q, %v", tc.id, mp, cur, ok, tc.mp, tc.cur, tc.isMarketplace)
		}
	}
}

// Given a chart that names account 69000 for amazon/EUR and none for ebay,
// when orders of both marketplaces are invoiced, then each marketplace
// debtor has one personal account that holds its items: amazon's is 69000
// and takes no number from the debtor range, ebay's is the number the
// directory assigned, and the next customer gets the next number.
func TestMarketplaceDebtorHasOnePersonalAccount(t *testing.T) {
	t.Parallel()
	amazon, ebay := MarketplaceDebtorID("amazon", "EUR"), MarketplaceDebtorID("ebay", "EUR")
	w := newWorld(t)
	w.given(t, marketplaceInvoice("AMZ-1", "buyer-1", "amazon", "EUR", 1000), marketplaceInvoice("EBAY-1", "buyer-2", "ebay", "EUR", 1000),
		registerInvoice("INV-1", "C-1", 10000))
	l := w.books(t, amazon, ebay, "C-1")
	got := map[string]string{}
	var err error
	for _, it := range l.Items() {
		got[it.DebtorID+" item"] = it.DebtorAccount
	}
	for _, d := range []string{amazon, ebay, "C-1"} {
		got[d+" personal"], _ = l.PersonalAccount(d)
	}
	for _, d := range []string{ebay, "C-1", "C-2"} {
		if got[d+" directory"], err = w.dir.DebtorAccount(context.Background(), tenant, d, testConfig().Chart); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		amazon + " item": "69000", amazon + " personal": "69000",
		ebay + " item": "10000", ebay + " personal": "10000", ebay + " directory": "10000",
		"C-1 item": "10001", "C-1 personal": "10001", "C-1 directory": "10001",
		// A new customer gets the next number: amazon took none.
		"C-2 directory": "10002",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
}

// Given a marketplace debtor booked on the account the caller assigned
// while the chart named none, when the chart names one later, then the
// debtor keeps the account it has: one debtor, one personal account.
func TestMarketplaceDebtorKeepsItsAccount(t *testing.T) {
	t.Parallel()
	first, err := New(tenant, Config{}).RegisterInvoice(marketplaceInvoice("AMZ-1", "buyer-1", "amazon", "EUR", 1000), "10007", origin())
	if err != nil {
		t.Fatal(err)
	}
	l := New(tenant, testConfig())
	if err := l.Apply(first...); err != nil {
		t.Fatal(err)
	}
	evs, err := run(t, l, func(l *Ledger) ([]proto.Message, error) {
		return l.RegisterInvoice(marketplaceInvoice("AMZ-2", "buyer-2", "amazon", "EUR", 1000), "", origin())
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if o, ok := ev.(*ledgerv1.OpenItemOpened); ok && o.GetDebtorAccount() != "10007" {
			t.Errorf("AMZ-2 opened on %s, want the debtor's account 10007", o.GetDebtorAccount())
		}
	}
	if a, _ := l.PersonalAccount(MarketplaceDebtorID("amazon", "EUR")); a != "10007" {
		t.Errorf("personal account = %q, want 10007", a)
	}
}
