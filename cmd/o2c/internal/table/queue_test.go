package table

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
)

func eurQ(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// TestProposalsTable renders the ranked proposals of a payout and a
// return: the marketplace's fees and the charge passed on are rows of
// their proposal, items known to docs show their document number, and
// each proposal's explanation follows its own rows.
func TestProposalsTable(t *testing.T) {
	t.Parallel()
	docs := map[string]string{"I-AMZ": "RE-2026-1003"}
	tests := []struct {
		name string
		e    *matchingv1.Exception
		want string
	}{
		{"a payout with fees, and nothing", &matchingv1.Exception{Proposals: []*matchingv1.Proposal{
			{Score: 95, DebtorId: "marketplace:amazon.de:EUR", Explanation: "payout naming settlement 24601357902 → 95",
				Allocations: []*matchingv1.Allocation{{OpenItemId: "I-AMZ", Amount: eurQ(2990)}},
				Settlement: &matchingv1.Settlement{SettlementId: "24601357902", Fees: []*matchingv1.MarketplaceFee{{Kind: "Commission", Amount: eurQ(449)}},
					Refunds: []*matchingv1.MarketplaceRefund{{AdjustmentId: "ADJ-1", OrderId: "302-1", Amount: eurQ(500)}}, Reserve: eurQ(100)}},
			{Score: 10, Explanation: "nothing else → 10"},
		}}, `#  SCORE  DEBTOR                     OPEN ITEM                                              AMOUNT  CUR
0  95     marketplace:amazon.de:EUR  RE-2026-1003                                            29.90  EUR
                                     fee Commission                                          -4.49  EUR
                                     refund 302-1                                            -5.00  EUR
                                     reserve                                                 -1.00  EUR
   why: payout naming settlement 24601357902 → 95
1  10     -                          no item named: on account, the ledger allocates
   why: nothing else → 10
`},
		{"a return", &matchingv1.Exception{Proposals: []*matchingv1.Proposal{
			{Score: 90, DebtorId: "K-1001", Reverses: "TX-1", ReturnCharge: eurQ(350), Explanation: "returns TX-1 (AM04) → 90",
				Allocations: []*matchingv1.Allocation{{OpenItemId: "I-1", Amount: eurQ(-2490)}},
				Difference:  &matchingv1.Difference{Kind: matchingv1.DifferenceKind_DIFFERENCE_KIND_BANK_FEE, Amount: eurQ(-350)}},
		}}, `#  SCORE  DEBTOR  OPEN ITEM                      AMOUNT  CUR
0  90     K-1001  reverses payment TX-1
                  I-1                            -24.90  EUR
                  return charge passed on          3.50  EUR
                  difference: bank fee            -3.50  EUR
   why: returns TX-1 (AM04) → 90
`},
		{"none", &matchingv1.Exception{}, "no proposal: match it by hand (o2c queue match), split it or park it\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			Proposals(&b, tt.e, docs)
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("Proposals (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExceptionSaysWhereThePaymentStands shows a matched, a split and a
// returned payment: what was booked and by whom, the parts, the return's
// reason and charges.
func TestExceptionSaysWhereThePaymentStands(t *testing.T) {
	t.Parallel()
	at := timestamppb.New(time.Date(2026, 11, 19, 8, 0, 0, 0, time.UTC))
	pay := func(id string, minor int64) *matchingv1.Payment {
		return &matchingv1.Payment{PaymentId: id, Amount: eurQ(minor), Remittance: "RE-2026-1004\nEntkalker", EndToEndId: "E2E-1", MandateId: "M-1"}
	}
	matched := &matchingv1.Exception{State: matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED, Resolution: matchingv1.Resolution_RESOLUTION_MANUAL,
		Decision: matchingv1.DecisionKind_DECISION_KIND_UNMATCHED, Payment: pay("TX-1", 2490), UpdatedAt: at, Actor: "user:clara", Note: "called her",
		LedgerPaymentId: "TX-1", Version: 2, Payer: &matchingv1.Payer{Erased: true},
		Match: &matchingv1.Proposal{Score: 100, DebtorId: "K-1001", Allocations: []*matchingv1.Allocation{{OpenItemId: "I-1", Amount: eurQ(2490)}}}}
	// The item was cleared: the CLI's open items do not know it, the
	// allocation served carries its document number.
	cleared := &matchingv1.Exception{State: matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED, Payment: pay("TX-2", 1190),
		LedgerPaymentId: "TX-2", EntryId: "PE-2",
		Match: &matchingv1.Proposal{Score: 100, DebtorId: "K-1002", Allocations: []*matchingv1.Allocation{
			{OpenItemId: "I-9", DocumentNumber: "RE-2026-1009", Amount: eurQ(1190)}}}}
	ret := &matchingv1.Exception{State: matchingv1.ExceptionState_EXCEPTION_STATE_SPLIT, PartIds: []string{"TX-R/1", "TX-R/2"}, Payment: pay("TX-R", -2840)}
	ret.Payment.ReturnReason, ret.Payment.Charges = "AM04", eurQ(350)
	tests := []struct {
		name    string
		e       *matchingv1.Exception
		want    []string
		without []string
	}{
		{"matched by hand", matched, []string{
			"payment:     TX-1\n", "payer:       erased\n", "remittance:  RE-2026-1004 Entkalker\n", "end-to-end:  E2E-1\n", "mandate:     M-1\n",
			"state:       matched (manual); the engine decided unmatched, score 0\n", "changed:     2026-11-19T08:00:00Z by user:clara\n",
			"note:        called her\n", "Booked (ledger payment TX-1; the ledger has not reported its journal entry yet):\n",
			"-  100    K-1001  RE-2026-1004", "24.90  EUR",
		}, []string{"return:", "received:"}},
		{"matched to a cleared item", cleared, []string{"K-1002  RE-2026-1009"}, []string{"I-9"}},
		{"a return split in two", ret, []string{"amount:      -28.40 EUR\n", "return:      reason AM04, bank charges 3.50 EUR\n",
			"Split into 2 parts: TX-R/1, TX-R/2\n"}, []string{"#  SCORE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			Exception(&b, tt.e, map[string]string{"I-1": "RE-2026-1004"})
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tt.without {
				if strings.Contains(b.String(), w) {
					t.Errorf("output has %q:\n%s", w, b.String())
				}
			}
		})
	}
}
