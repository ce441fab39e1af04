package collections

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func eur(minor int64) *commonv1.Money { return &commonv1.Money{MinorUnits: minor, Currency: "EUR"} }

var config = Config{
	MinReleaseAmountMinor: 5000,
	Agencies: []Agency{
		{ID: "nord", Countries: []string{"DE"}, MinAmountMinor: 1000, MaxAmountMinor: 1000000, ShareBP: 7000, CommissionBP: 1500, VATRateBP: 1900},
		{ID: "sued", Countries: []string{"DE", "AT"}, ShareBP: 3000, CommissionBP: 1200},
		{ID: "keys", Groups: []string{"key-accounts"}, MinAgeDays: 200},
	},
}

// candidates are the debtor's items: an invoice of 119.00 due 2026-08-01,
// its dunning fee of 5.00 and interest of 2.50, and an invoice of 59.50
// due 2026-07-01.
func candidates() []Candidate {
	return []Candidate{
		{Currency: "EUR", Item: Item{ID: "i1", Claim: "i1", Document: "RE-1", Component: Principal, Open: 11900, DueDate: day(2026, 8, 1), TaxRateBP: 1900}},
		{Currency: "EUR", Item: Item{ID: "f1", Claim: "i1", Document: "M-1", Component: Costs, Open: 500, DueDate: day(2026, 9, 1)}},
		{Currency: "EUR", Item: Item{ID: "z1", Claim: "i1", Document: "Z-1", Component: Interest, Open: 250, DueDate: day(2026, 9, 1)}},
		{Currency: "EUR", Item: Item{ID: "i2", Claim: "i2", Document: "RE-2", Component: Principal, Open: 5950, DueDate: day(2026, 7, 1), TaxRateBP: 1900}},
	}
}

func release() Release {
	return Release{Tenant: "acme", CaseID: "C-1", DebtorID: "D-1", Debtor: &collectionsv1.Debtor{Kind: "b2c", Country: "DE"},
		Items: candidates(), Date: day(2026, 11, 1), Source: "dunning", Reason: "final level", Actor: "dunning", Agency: "nord"}
}

// given folds the events of a released case and then more.
func given(t testing.TB, more ...proto.Message) *Case {
	t.Helper()
	evs, err := DecideRelease(release(), config)
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	return Fold(append(evs, more...), nil)
}

func write(key string) Write { return Write{Key: key, Hash: "h-" + key, Actor: "agency:nord"} }

func accepted(t testing.TB) *Case {
	t.Helper()
	c := given(t)
	evs, err := c.Accept(write("a1"), "NORD-7")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		c.Apply(e, time.Time{})
	}
	return c
}

func apply(t testing.TB, c *Case, evs []proto.Message, err error) *Case {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		c.Apply(e, time.Time{})
	}
	return c
}

func TestChoose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       Profile
		want    string
		wantErr error
	}{
		{name: "an Austrian debtor goes to the one agency that takes Austria", p: Profile{CaseID: "x", Country: "AT", TotalMinor: 5000}, want: "sued"},
		{name: "a key account old enough goes to the key-account agency", p: Profile{CaseID: "x", Country: "FR", Group: "key-accounts", TotalMinor: 5000, AgeDays: 300}, want: "keys"},
		{name: "a key account too young goes nowhere", p: Profile{CaseID: "x", Country: "FR", Group: "key-accounts", TotalMinor: 5000, AgeDays: 100}, wantErr: ErrNoAgency},
		{name: "above nord's maximum only sued is left", p: Profile{CaseID: "x", Country: "DE", TotalMinor: 2000000}, want: "sued"},
		{name: "below nord's minimum only sued is left", p: Profile{CaseID: "x", Country: "DE", TotalMinor: 999}, want: "sued"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, _, err := config.Choose(tt.p)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if a.ID != tt.want {
				t.Errorf("agency = %q, want %q", a.ID, tt.want)
			}
		})
	}
}

// TestChooseShares checks that the share draw is deterministic per case
// and splits many cases about as the shares say.
func TestChooseShares(t *testing.T) {
	t.Parallel()
	got := map[string]int{}
	for i := range 2000 {
		p := Profile{CaseID: "case-" + time.Duration(i).String(), Country: "DE", TotalMinor: 5000}
		a, _, err := config.Choose(p)
		if err != nil {
			t.Fatal(err)
		}
		again, _, _ := config.Choose(p)
		if again.ID != a.ID {
			t.Fatalf("case %s went to %s, then to %s", p.CaseID, a.ID, again.ID)
		}
		got[a.ID]++
	}
	if got["nord"] < 1200 || got["nord"] > 1600 || got["nord"]+got["sued"] != 2000 {
		t.Errorf("shares of 2000 cases = %v, want nord about 1400 (70 %%) and the rest sued", got)
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		wantErr   bool
	}{
		{name: "empty is no agency", raw: ""},
		{name: "a full agency", raw: `{"min_release_amount_minor": 5000, "agencies": [{"id": "nord", "name": "Inkasso Nord", "countries": ["DE"], "min_amount_minor": 1, "max_amount_minor": 2, "groups": ["g"], "min_age_days": 30, "share_bp": 5000, "commission_bp": 1500, "vat_rate_bp": 1900}]}`},
		{name: "an unknown field", raw: `{"agencies": [{"id": "a", "rate": 1}]}`, wantErr: true},
		{name: "an agency without id", raw: `{"agencies": [{"name": "x"}]}`, wantErr: true},
		{name: "an agency twice", raw: `{"agencies": [{"id": "a"}, {"id": "a"}]}`, wantErr: true},
		{name: "a share beyond 100 %", raw: `{"agencies": [{"id": "a", "share_bp": 10001}]}`, wantErr: true},
		{name: "a maximum below the minimum", raw: `{"agencies": [{"id": "a", "min_amount_minor": 5, "max_amount_minor": 4}]}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig([]byte(tt.raw), "collections")
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrInvalidConfig)) {
				t.Errorf("err = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestDecideRelease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		change    func(*Release)
		wantItems []string
		wantAgent string
		wantErr   error
	}{
		{name: "every item goes, to the agency named", wantItems: []string{"i1", "f1", "z1", "i2"}, wantAgent: "nord"},
		{
			name:      "blocked, disputed, time-barred, settled and items in another case stay",
			wantItems: []string{"i1"}, wantAgent: "nord",
			change: func(r *Release) {
				r.Items[1].Blocked = true
				r.Items[2].Disputed = true
				r.Items[3].DueDate = day(2022, 12, 1)
				r.Items = append(r.Items, Candidate{Currency: "EUR", Item: Item{ID: "x", Open: 0}},
					Candidate{Currency: "EUR", Item: Item{ID: "y", Open: 100}, InCase: "C-0"})
			},
		},
		{
			name: "below the tenant's minimum nothing goes", wantErr: ErrNotEligible,
			change: func(r *Release) { r.Items = r.Items[1:3] },
		},
		{
			name: "nothing eligible", wantErr: ErrNotEligible,
			change: func(r *Release) {
				for i := range r.Items {
					r.Items[i].InCase = "C-0"
				}
			},
		},
		{name: "an agency not configured", wantErr: ErrNoAgency, change: func(r *Release) { r.Agency = "west" }},
		{name: "the rules choose without a named agency", wantItems: []string{"i1", "f1", "z1", "i2"}, wantAgent: "nord",
			change: func(r *Release) { r.Agency = ""; r.CaseID = "C-3" }},
		{name: "items in two currencies", wantErr: ErrInvalid, change: func(r *Release) { r.Items[3].Currency = "USD" }},
		{
			name: "an item gathered but collected in full by a case stays", wantItems: []string{"i1", "f1", "z1"}, wantAgent: "nord",
			change: func(r *Release) { r.Items[3].CollectedIn = "C-0" },
		},
		{
			name: "a named item collected in full refuses the release", wantErr: ErrInCollection,
			change: func(r *Release) { r.Named = true; r.Items[3].CollectedIn = "C-0" },
		},
		{
			name: "a named item in an open case refuses the release", wantErr: ErrInCollection,
			change: func(r *Release) { r.Named = true; r.Items[0].InCase = "C-0" },
		},
		{
			name: "the release records its key and hash", wantItems: []string{"i1", "f1", "z1", "i2"}, wantAgent: "nord",
			change: func(r *Release) { r.Named = true; r.Key, r.Hash = "k", "h" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := release()
			if tt.change != nil {
				tt.change(&r)
			}
			evs, err := DecideRelease(r, config)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			c := Fold(evs, nil)
			var ids []string
			for _, it := range c.Items {
				ids = append(ids, it.ID)
			}
			if diff := cmp.Diff(tt.wantItems, ids); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if c.Agency != tt.wantAgent || c.Status != collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED {
				t.Errorf("agency %q status %v, want %q submitted", c.Agency, c.Status, tt.wantAgent)
			}
			if c.ReleaseKey != r.Key || c.ReleaseHash != r.Hash {
				t.Errorf("release key %q hash %q, want %q %q", c.ReleaseKey, c.ReleaseHash, r.Key, r.Hash)
			}
		})
	}
}

func TestAllocate(t *testing.T) {
	t.Parallel()
	var items []*Item
	for _, c := range candidates() {
		items = append(items, &c.Item)
	}
	open := func(it *Item) int64 { return it.Open }
	tests := []struct {
		name     string
		amount   int64
		want     []Allocation
		wantRest int64
	}{
		{name: "costs first, then interest, then the principal due first (§367, §366 BGB)", amount: 7000, want: []Allocation{
			{ItemID: "f1", Component: Costs, Amount: 500}, {ItemID: "z1", Component: Interest, Amount: 250},
			{ItemID: "i2", Component: Principal, Amount: 5950}, {ItemID: "i1", Component: Principal, Amount: 300},
		}},
		{name: "less than the costs clears part of the costs", amount: 200, want: []Allocation{{ItemID: "f1", Component: Costs, Amount: 200}}},
		{name: "more than is open leaves a rest", amount: 20000, wantRest: 20000 - 18600, want: []Allocation{
			{ItemID: "f1", Component: Costs, Amount: 500}, {ItemID: "z1", Component: Interest, Amount: 250},
			{ItemID: "i2", Component: Principal, Amount: 5950}, {ItemID: "i1", Component: Principal, Amount: 11900},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, rest := Allocate(items, open, tt.amount)
			if diff := cmp.Diff(tt.want, got); diff != "" || rest != tt.wantRest {
				t.Errorf("allocations (-want +got):\n%s\nrest %d, want %d", diff, rest, tt.wantRest)
			}
		})
	}
}

// TestLifecycle reads as given (a case and the steps before) / when (an
// agency's or the merchant's command) / then (the events and ledger
// commands, or an error).
func TestLifecycle(t *testing.T) {
	t.Parallel()
	type when func(*Case) ([]proto.Message, error)
	ref := &collectionsv1.CaseRef{Tenant: "acme", CaseId: "C-1", Agency: "nord", AgencyReference: "NORD-7", DebtorId: "D-1"}
	closedUncollectable := func(t testing.TB) *Case {
		c := accepted(t)
		evs, err := c.ReportPayment(write("p1"), Payment{Currency: "EUR", Collected: 7000, Date: day(2026, 11, 20)})
		c = apply(t, c, evs, err)
		evs, err = c.Close(write("close"), collectionsv1.ClosingCode_CLOSING_CODE_UNCOLLECTABLE, day(2026, 12, 1), "")
		return apply(t, c, evs, err)
	}
	tests := []struct {
		name    string
		given   func(testing.TB) *Case
		when    when
		want    []proto.Message
		wantErr error
	}{
		{
			name: "the agency accepts with its reference", given: given2,
			when: func(c *Case) ([]proto.Message, error) { return c.Accept(write("a1"), "NORD-7") },
			want: []proto.Message{&collectionsv1.CaseAccepted{Ref: ref, Write: write("a1").proto()}},
		},
		{
			name: "an acceptance retried with the same key and content decides nothing", given: accepted,
			when: func(c *Case) ([]proto.Message, error) { return c.Accept(write("a1"), "NORD-7") },
		},
		{
			name: "the same key with other content is a conflict", given: accepted,
			when: func(c *Case) ([]proto.Message, error) {
				return c.Accept(Write{Key: "a1", Hash: "other"}, "NORD-8")
			},
			wantErr: ErrIdempotencyConflict,
		},
		{
			name: "a write without key is invalid", given: given2,
			when:    func(c *Case) ([]proto.Message, error) { return c.Accept(Write{}, "") },
			wantErr: ErrInvalid,
		},
		{
			name: "accepting twice under a new key is refused", given: accepted,
			when:    func(c *Case) ([]proto.Message, error) { return c.Accept(write("a2"), "") },
			wantErr: ErrState,
		},
		{
			name: "a payment before acceptance is refused", given: given2,
			when: func(c *Case) ([]proto.Message, error) {
				return c.ReportPayment(write("p1"), Payment{Currency: "EUR", Collected: 100, Date: day(2026, 11, 20)})
			},
			wantErr: ErrState,
		},
		{
			name: "a payment clears costs, interest, then principal, and books commission, input VAT and new charges", given: accepted,
			when: func(c *Case) ([]proto.Message, error) {
				return c.ReportPayment(write("p1"), Payment{Currency: "EUR", Collected: 7500, NewCosts: 300, NewInterest: 200, Fees: 100,
					Commission: 900, InputVAT: 190, Date: day(2026, 11, 20)})
			},
			want: []proto.Message{
				&collectionsv1.PaymentReported{
					Ref: ref, Write: write("p1").proto(), Collected: eur(7500), CollectedDate: DateProto(day(2026, 11, 20)),
					NewCosts: eur(300), NewInterest: eur(200), Fees: eur(100), Commission: eur(900), InputVat: eur(190),
					Allocations: []*collectionsv1.ItemAllocation{
						{OpenItemId: "f1", Component: Costs, Amount: eur(500)}, {OpenItemId: "z1", Component: Interest, Amount: eur(250)},
						{OpenItemId: "i2", Component: Principal, Amount: eur(5950)}, {OpenItemId: "i1", Component: Principal, Amount: eur(300)},
					},
					Unallocated: eur(0),
				},
				&ledgerv1.RecordAgencyCollection{
					Tenant: "acme", IdempotencyKey: "collections:C-1:payment:p1", CollectionId: "C-1/p1", Agency: "nord", DebtorId: "D-1",
					Collected: eur(7500), Commission: eur(1000), CommissionInputVat: eur(190), RecoveredCosts: eur(300),
					RecoveredInterest: eur(200), CollectedDate: DateProto(day(2026, 11, 20)),
					Allocations: []*ledgerv1.Allocation{
						{OpenItemId: "f1", Amount: eur(500)}, {OpenItemId: "z1", Amount: eur(250)}, {OpenItemId: "i2", Amount: eur(5950)},
						{OpenItemId: "i1", Amount: eur(300)},
					},
				},
			},
		},
		{
			name: "a payment in another currency is invalid", given: accepted,
			when: func(c *Case) ([]proto.Message, error) {
				return c.ReportPayment(write("p1"), Payment{Currency: "USD", Collected: 100, Date: day(2026, 11, 20)})
			},
			wantErr: ErrInvalid,
		},
		{
			name: "fees beyond the payment are invalid", given: accepted,
			when: func(c *Case) ([]proto.Message, error) {
				return c.ReportPayment(write("p1"), Payment{Currency: "EUR", Collected: 100, Commission: 90, InputVAT: 17, Date: day(2026, 11, 20)})
			},
			wantErr: ErrInvalid,
		},
		{
			name: "closing as uncollectable writes off what is open, item by item", given: func(t testing.TB) *Case {
				c := accepted(t)
				evs, err := c.ReportPayment(write("p1"), Payment{Currency: "EUR", Collected: 7000, Date: day(2026, 11, 20)})
				return apply(t, c, evs, err)
			},
			when: func(c *Case) ([]proto.Message, error) {
				return c.Close(write("close"), collectionsv1.ClosingCode_CLOSING_CODE_UNCOLLECTABLE, day(2026, 12, 1), "nothing to get")
			},
			want: []proto.Message{
				&collectionsv1.CaseClosed{Ref: ref, Write: write("close").proto(), Code: collectionsv1.ClosingCode_CLOSING_CODE_UNCOLLECTABLE,
					Date: DateProto(day(2026, 12, 1)), Note: "nothing to get",
					WrittenOff: []*collectionsv1.WrittenOff{{OpenItemId: "i1", Amount: eur(11600)}}},
				&ledgerv1.WriteOff{Tenant: "acme", IdempotencyKey: "collections:C-1:write-off:close:i1", WriteOffId: "C-1/i1", OpenItemId: "i1",
					Amount: eur(11600), WriteOffDate: DateProto(day(2026, 12, 1)), Reason: "Inkasso nord: uncollectable"},
			},
		},
		{
			name: "paid in full while money is open is refused", given: accepted,
			when: func(c *Case) ([]proto.Message, error) {
				return c.Close(write("close"), collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL, day(2026, 12, 1), "")
			},
			wantErr: ErrState,
		},
		{
			name: "money after a write-off is a recovery on the agency's clearing account", given: closedUncollectable,
			when: func(c *Case) ([]proto.Message, error) {
				return c.ReportPayment(write("late"), Payment{Currency: "EUR", Collected: 1000, Date: day(2027, 2, 1)})
			},
			want: []proto.Message{
				&collectionsv1.PaymentReported{
					Ref: ref, Write: write("late").proto(), Collected: eur(1000), CollectedDate: DateProto(day(2027, 2, 1)),
					NewCosts: eur(0), NewInterest: eur(0), Fees: eur(0), Commission: eur(0), InputVat: eur(0), Recovery: true,
					Allocations: []*collectionsv1.ItemAllocation{{OpenItemId: "i1", Component: Principal, Amount: eur(1000)}},
				},
				&ledgerv1.RecoverWrittenOff{Tenant: "acme", IdempotencyKey: "collections:C-1:recovery:late:i1", RecoveryId: "C-1/late/i1",
					OpenItemId: "i1", Amount: eur(1000), ValueDate: DateProto(day(2027, 2, 1)), ClearingAccount: "nord"},
			},
		},
		{
			name: "a recovery beyond what was written off is invalid", given: closedUncollectable,
			when: func(c *Case) ([]proto.Message, error) {
				return c.ReportPayment(write("late"), Payment{Currency: "EUR", Collected: 11601, Date: day(2027, 2, 1)})
			},
			wantErr: ErrInvalid,
		},
		{
			name: "a status report needs an accepted case", given: given2,
			when: func(c *Case) ([]proto.Message, error) {
				return c.ReportStatus(write("s1"), collectionsv1.ProgressStatus_PROGRESS_STATUS_CONTACTED, day(2026, 11, 5), "")
			},
			wantErr: ErrState,
		},
		{
			name: "the merchant recalls one item", given: accepted,
			when: func(c *Case) ([]proto.Message, error) {
				evs, _, err := c.RequestRecall([]string{"i2"}, "paid by cheque", "jane")
				return evs, err
			},
			want: []proto.Message{&collectionsv1.RecallRequested{Ref: ref, RecallId: "recall-1", OpenItemIds: []string{"i2"}, Reason: "paid by cheque", Actor: "jane"}},
		},
		{
			name: "recalling an item not in the case is not found", given: accepted,
			when: func(c *Case) ([]proto.Message, error) {
				evs, _, err := c.RequestRecall([]string{"nope"}, "", "jane")
				return evs, err
			},
			wantErr: ErrUnknownItem,
		},
		{
			name: "confirming an unknown recall is not found", given: accepted,
			when:    func(c *Case) ([]proto.Message, error) { return c.ConfirmRecall(write("r"), "recall-9") },
			wantErr: ErrUnknownQuestion,
		},
		{
			name: "answering an unknown question is not found", given: accepted,
			when:    func(c *Case) ([]proto.Message, error) { return c.Answer("q9", "yes", "jane") },
			wantErr: ErrUnknownQuestion,
		},
		{
			name: "a case never released is unknown", given: func(testing.TB) *Case { return &Case{} },
			when:    func(c *Case) ([]proto.Message, error) { return c.Accept(write("a1"), "") },
			wantErr: ErrUnknownCase,
		},
		{
			name: "a direct payment on an item of the case is reported", given: accepted,
			when: func(c *Case) ([]proto.Message, error) {
				return c.DirectPayment("i2", 1000, day(2026, 11, 10), "s-1"), nil
			},
			want: []proto.Message{&collectionsv1.DirectPaymentReported{Ref: ref, SettlementId: "s-1",
				Payment: &collectionsv1.DirectPayment{OpenItemId: "i2", Amount: eur(1000), Date: DateProto(day(2026, 11, 10))}}},
		},
		{
			name: "a direct payment on an item outside the case reports nothing", given: accepted,
			when: func(c *Case) ([]proto.Message, error) {
				return c.DirectPayment("other", 1000, day(2026, 11, 10), "s-1"), nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.given(t)
			got, err := tt.when(c)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func given2(t testing.TB) *Case { return given(t) }

// TestStory folds a whole case: acceptance, a payment, a direct payment,
// a question answered, a partial recall and a closing, and checks the
// totals the merchant and the agency see.
func TestStory(t *testing.T) {
	t.Parallel()
	c := accepted(t)
	steps := []func() ([]proto.Message, error){
		func() ([]proto.Message, error) {
			return c.ReportStatus(write("s1"), collectionsv1.ProgressStatus_PROGRESS_STATUS_PAYMENT_PLAN, day(2026, 11, 5), "3 rates")
		},
		func() ([]proto.Message, error) {
			return c.ReportPayment(write("p1"), Payment{Currency: "EUR", Collected: 3000, Commission: 300, InputVAT: 57, Date: day(2026, 11, 20)})
		},
		func() ([]proto.Message, error) { return c.DirectPayment("i2", 500, day(2026, 11, 21), "s-1"), nil },
		func() ([]proto.Message, error) { return c.DirectPayment("i2", 500, day(2026, 11, 21), "s-1"), nil },
		func() ([]proto.Message, error) { return c.Ask(write("q1"), "Is the delivery confirmed?") },
		func() ([]proto.Message, error) { return c.Answer("q1", "Yes, signed on 2 Aug.", "jane") },
		func() ([]proto.Message, error) {
			evs, _, err := c.RequestRecall([]string{"i2"}, "settled directly", "jane")
			return evs, err
		},
		func() ([]proto.Message, error) { return c.ConfirmRecall(write("r1"), "recall-1") },
		func() ([]proto.Message, error) {
			return c.Close(write("close"), collectionsv1.ClosingCode_CLOSING_CODE_INSOLVENCY, day(2026, 12, 1), "")
		},
	}
	for i, step := range steps {
		evs, err := step()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		before := c.Version
		apply(t, c, evs, nil)
		// The version counts every message the store appends, ledger
		// commands too: the next append expects it.
		if c.Version != before+int64(len(evs)) {
			t.Errorf("step %d: version %d after %d messages on %d", i, c.Version, len(evs), before)
		}
	}
	got := c.Proto()
	want := &collectionsv1.Totals{
		HandedOver: eur(18600), Collected: eur(3000), PaidDirectly: eur(500), Open: eur(0), WrittenOff: eur(11900),
		Recovered: eur(0), Commission: eur(300), Recalled: eur(5950 - 2250 - 500),
	}
	if diff := cmp.Diff(want, got.GetTotals(), protocmp.Transform()); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if got.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_CLOSED || got.GetProgress() != collectionsv1.ProgressStatus_PROGRESS_STATUS_PAYMENT_PLAN ||
		got.GetQuestions()[0].GetAnswer() != "Yes, signed on 2 Aug." || !got.GetRecalls()[0].GetConfirmed() {
		t.Errorf("case = %v", got)
	}
}
