package refund

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// TestDecide reads as: given what is known of the order (its item, the
// credit notes on it, earlier refunds), when a refund arrives, then this
// is decided and this command sent.
func TestDecide(t *testing.T) {
	t.Parallel()
	posted := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	refund := Refund{AdjustmentID: "ADJ-1", OrderID: "O-1", SKU: "SKU-1", Kind: KindRefund, Source: SourceAPI, Currency: "EUR", Amount: 2000, Posted: posted}
	item := func(cns ...CreditNote) *Item {
		return &Item{ID: "I-1", OrderID: "O-1", Debtor: "mp", Currency: "EUR", Amount: 11900, CreditNotes: cns}
	}
	booked := Decided{Refund: refund, State: Booked, OpenItemID: "I-1", CreditNoteNumber: "amazon-refund:ADJ-1", EntryID: "E-1"}
	reversal := Refund{AdjustmentID: "ADJ-R", OrderID: "O-1", SKU: "SKU-1", Kind: KindReversal, Source: SourceAPI, Currency: "EUR", Amount: 2000, Posted: posted.Add(48 * time.Hour)}
	tests := []struct {
		name        string
		r           Refund
		s           Situation
		wantState   State
		wantStore   bool
		wantReason  string
		wantCommand any
	}{
		{name: "new refund is booked", r: refund, s: Situation{Item: item()}, wantState: Booked, wantStore: true,
			wantCommand: &ledgerv1.IssueCreditNote{Tenant: "t", IdempotencyKey: "amazon-refund:ADJ-1", CreditNoteNumber: "amazon-refund:ADJ-1",
				DebtorId: "mp", OpenItemId: "I-1", Currency: "EUR", Gross: eur(2000), IssueDate: dateOf(2026, 3, 2),
				Vat: []*ledgerv1.VatAmount{{Net: eur(2000), Vat: eur(0)}}}},
		{name: "seen before is a duplicate", r: refund, s: Situation{Item: item(), Prior: &booked}, wantState: Duplicate},
		{name: "order unknown waits", r: refund, s: Situation{}, wantState: Waiting, wantStore: true, wantReason: "order O-1 is not in the ledger yet"},
		{name: "still waiting stores nothing", r: refund,
			s:         Situation{Prior: &Decided{Refund: refund, State: Waiting, Reason: "order O-1 is not in the ledger yet; booked when its invoice arrives"}},
			wantState: Waiting},
		{name: "waiting refund is booked once the order is known", r: refund,
			s:         Situation{Item: item(), Prior: &Decided{Refund: refund, State: Waiting, Reason: "order O-1 is not in the ledger yet; booked when its invoice arrives"}},
			wantState: Booked, wantStore: true},
		{name: "shop credit note of the same amount is linked", r: refund, s: Situation{Item: item(CreditNote{Number: "GS-7", Amount: 2000, EntryID: "E-7"})},
			wantState: Linked, wantStore: true, wantReason: "credit note GS-7"},
		{name: "shop credit note already linked to another refund is not linked again", r: refund,
			s: Situation{Item: item(CreditNote{Number: "GS-7", Amount: 2000}), Others: []Decided{{Refund: Refund{AdjustmentID: "ADJ-0", OrderID: "O-1"},
				State: Linked, CreditNoteNumber: "GS-7", OpenItemID: "I-1"}}},
			wantState: Booked, wantStore: true},
		{name: "credited by matching with the payout first is booked, nothing sent", r: Refund{AdjustmentID: "ADJ-1", OrderID: "O-1", SKU: "SKU-1",
			Kind: KindRefund, Source: SourceAPI, Currency: "EUR", Amount: 11900, Posted: posted},
			s:         Situation{Item: item(CreditNote{Number: "amazon-refund:ADJ-1", Amount: 11900, EntryID: "E-9"})},
			wantState: Booked, wantStore: true, wantReason: "booked with the settlement's payout"},
		{name: "over-refund is held", r: refund, s: Situation{Item: item(CreditNote{Number: "GS-7", Amount: 10000})},
			wantState: Held, wantStore: true, wantReason: "over-refund: 119.00 EUR of order O-1 invoiced, 100.00 EUR credited already"},
		{name: "refunds booked but not yet reported count", r: refund,
			s: Situation{Item: item(), Others: []Decided{{Refund: Refund{AdjustmentID: "ADJ-0", OrderID: "O-1", Amount: 10000}, State: Booked,
				OpenItemID: "I-1", CreditNoteNumber: "amazon-refund:ADJ-0"}}},
			wantState: Held, wantStore: true, wantReason: "over-refund"},
		{name: "other currency is held", r: Refund{AdjustmentID: "A", OrderID: "O-1", Currency: "GBP", Amount: 1, Kind: KindRefund},
			s: Situation{Item: item()}, wantState: Held, wantStore: true, wantReason: "refund in GBP"},
		{name: "reversal reverses the booked credit note", r: reversal, s: Situation{Item: item(), Others: []Decided{booked}},
			wantState: Reversed, wantStore: true,
			wantCommand: &ledgerv1.ReverseEntry{Tenant: "t", IdempotencyKey: "refund-import:reverse:ADJ-1", EntryId: "E-1",
				Reason: "marketplace took refund ADJ-1 of order O-1 back"}},
		{name: "reversal waits for the credit note's entry", r: reversal,
			s:         Situation{Item: item(), Others: []Decided{{Refund: refund, State: Booked, OpenItemID: "I-1", CreditNoteNumber: "amazon-refund:ADJ-1"}}},
			wantState: Waiting, wantStore: true, wantReason: "not booked in the ledger yet"},
		{name: "reversal without refund is held", r: reversal, s: Situation{Item: item()}, wantState: Held, wantStore: true,
			wantReason: "no refund of this order and item"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Decide("t", tt.r, tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if d.State != tt.wantState || d.Store != tt.wantStore {
				t.Errorf("state %s store %v (%s), want %s store %v", d.State, d.Store, d.Reason, tt.wantState, tt.wantStore)
			}
			if !strings.Contains(d.Reason, tt.wantReason) {
				t.Errorf("reason %q, want it to say %q", d.Reason, tt.wantReason)
			}
			if tt.wantCommand != nil {
				if diff := cmp.Diff(tt.wantCommand, d.Command, protocmp.Transform()); diff != "" {
					t.Errorf("command (-want +got):\n%s", diff)
				}
			}
			if (d.State == Booked || d.State == Reversed) != (d.Command != nil) {
				t.Errorf("state %s with command %v", d.State, d.Command)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig([]byte(`{"seller_accounts":[{"id":"eu-main","region":"eu","marketplaces":["A1PA6795UKMFR9"],"credentials_ref":"env:AMZ_EU"},
		{"id":"na","region":"na","marketplaces":["ATVPDKIKX0DER"],"credentials_ref":"secret:amazon-na/credentials","schedule":"1h","overlap":"72h","start":"2025-06-01"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{SellerAccounts: []SellerAccount{
		{ID: "eu-main", Region: "eu", Marketplaces: []string{"A1PA6795UKMFR9"}, CredentialsRef: "env:AMZ_EU", Schedule: 4 * time.Hour,
			Overlap: 48 * time.Hour, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "na", Region: "na", Marketplaces: []string{"ATVPDKIKX0DER"}, CredentialsRef: "secret:amazon-na/credentials", Schedule: time.Hour,
			Overlap: 72 * time.Hour, Start: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)},
	}}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	bad := []struct{ raw, field string }{
		{`{"seller_accounts":[{"id":"","region":"eu","marketplaces":["M"],"credentials_ref":"env:X"}]}`, "seller_accounts[0].id"},
		{`{"seller_accounts":[{"id":"a","region":"xx","marketplaces":["M"],"credentials_ref":"env:X"}]}`, "seller_accounts[0].region"},
		{`{"seller_accounts":[{"id":"a","region":"eu","marketplaces":[],"credentials_ref":"env:X"}]}`, "seller_accounts[0].marketplaces"},
		{`{"seller_accounts":[{"id":"a","region":"eu","marketplaces":["M"],"credentials_ref":"Atzr|secret"}]}`, "seller_accounts[0].credentials_ref"},
		{`{"seller_accounts":[{"id":"a","region":"eu","marketplaces":["M"],"credentials_ref":"env:X","schedule":"-1h"}]}`, "seller_accounts[0].schedule"},
		{`{"seller_accounts":[{"id":"a","region":"eu","marketplaces":["M"],"credentials_ref":"env:X","start":"01.01.2026"}]}`, "seller_accounts[0].start"},
		{`{"seller_accounts":[{"id":"a","region":"eu","marketplaces":["M"],"credentials_ref":"env:X"},{"id":"a","region":"eu","marketplaces":["M"],"credentials_ref":"env:X"}]}`, "seller_accounts[1].id"},
		{`{"seller_accounts":[],"refresh_token":"x"}`, ""},
	}
	for _, b := range bad {
		_, err := ParseConfig([]byte(b.raw))
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != b.field {
			t.Errorf("ParseConfig(%s): %v, want a FieldError on %q", b.raw, err, b.field)
		}
	}
}

func TestFrom(t *testing.T) {
	t.Parallel()
	a := SellerAccount{Overlap: 48 * time.Hour, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	done := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	since := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name             string
		completed, since time.Time
		want             time.Time
	}{
		{"first run starts at the start", time.Time{}, time.Time{}, a.Start},
		{"later runs overlap", done, time.Time{}, done.Add(-48 * time.Hour)},
		{"since wins", done, since, since},
		{"never before the start", a.Start.Add(time.Hour), time.Time{}, a.Start},
	}
	for _, tt := range tests {
		if got := a.From(tt.completed, tt.since); !got.Equal(tt.want) {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
