package queue

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// PaymentOf is the engine's view of a stored payment, without its payer
// (name and IBAN come from ingestion's master data; see Payer).
func PaymentOf(m *matchingv1.Payment) engine.Payment {
	return engine.Payment{
		ID:          m.GetPaymentId(),
		Amount:      money.Amount{Minor: m.GetAmount().GetMinorUnits(), Currency: m.GetAmount().GetCurrency()},
		BookingDate: timeOf(m.GetBookingDate()), ValueDate: timeOf(m.GetValueDate()),
		Remittance: m.GetRemittance(), EndToEndID: m.GetEndToEndId(), MandateID: m.GetMandateId(),
		CreditorReferences: m.GetCreditorReferences(), ReturnReason: m.GetReturnReason(), BankTxCode: m.GetBankTxCode(),
	}
}

// Payer is a payment's counterparty as ingestion's master data holds it:
// personal data, held in memory only.
type Payer struct {
	Name, IBAN string
	Erased     bool
}

// WithPayer returns p with the payer's name and IBAN.
func WithPayer(p engine.Payment, payer Payer) engine.Payment {
	p.CounterpartyName, p.CounterpartyIBAN = payer.Name, payer.IBAN
	return p
}

func timeOf(d *commonv1.Date) time.Time {
	if d == nil || d.GetYear() == 0 {
		return time.Time{}
	}
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
}

var kinds = map[engine.Kind]matchingv1.DecisionKind{
	engine.Auto: matchingv1.DecisionKind_DECISION_KIND_AUTO, engine.Proposed: matchingv1.DecisionKind_DECISION_KIND_PROPOSED,
	engine.Unmatched: matchingv1.DecisionKind_DECISION_KIND_UNMATCHED,
}

// KindMsg is the event's name of an engine decision kind.
func KindMsg(k engine.Kind) matchingv1.DecisionKind { return kinds[k] }

// KindOf is the engine's name of an event's decision kind.
func KindOf(k matchingv1.DecisionKind) engine.Kind {
	for e, m := range kinds {
		if m == k {
			return e
		}
	}
	return engine.Unmatched
}

var diffKinds = map[engine.DifferenceKind]matchingv1.DifferenceKind{
	engine.DiffCashDiscount: matchingv1.DifferenceKind_DIFFERENCE_KIND_CASH_DISCOUNT,
	engine.DiffBankFee:      matchingv1.DifferenceKind_DIFFERENCE_KIND_BANK_FEE,
	engine.DiffUnderpayment: matchingv1.DifferenceKind_DIFFERENCE_KIND_UNDERPAYMENT,
	engine.DiffOverpayment:  matchingv1.DifferenceKind_DIFFERENCE_KIND_OVERPAYMENT,
	engine.DiffRounding:     matchingv1.DifferenceKind_DIFFERENCE_KIND_ROUNDING,
	engine.DiffFX:           matchingv1.DifferenceKind_DIFFERENCE_KIND_FX,
}

// DifferenceKindMsg is the event's name of a difference kind.
func DifferenceKindMsg(k engine.DifferenceKind) matchingv1.DifferenceKind { return diffKinds[k] }

// DifferenceKindOf is the engine's name of an event's difference kind, ""
// for none.
func DifferenceKindOf(k matchingv1.DifferenceKind) engine.DifferenceKind {
	for e, m := range diffKinds {
		if m == k {
			return e
		}
	}
	return ""
}

func moneyMsg(minor int64, cur string) *commonv1.Money {
	return &commonv1.Money{MinorUnits: minor, Currency: cur}
}

// ProposalMsg is the stored form of a proposal in currency cur.
func ProposalMsg(p Proposal, cur string) *matchingv1.Proposal {
	m := &matchingv1.Proposal{Score: int32(p.Score), DebtorId: p.Debtor, Explanation: p.Explanation, Reverses: p.Reverses}
	for _, a := range p.Allocations {
		m.Allocations = append(m.Allocations, &matchingv1.Allocation{OpenItemId: a.Item, Amount: moneyMsg(a.Amount, cur)})
	}
	if d := p.Difference; d != nil {
		m.Difference = &matchingv1.Difference{Kind: DifferenceKindMsg(d.Kind), Amount: moneyMsg(d.Amount, cur)}
	}
	if p.ReturnCharge != 0 {
		m.ReturnCharge = moneyMsg(p.ReturnCharge, cur)
	}
	if s := p.Settlement; s != nil {
		ms := &matchingv1.Settlement{SettlementId: s.ID, Marketplace: s.Marketplace}
		for _, f := range s.Fees {
			ms.Fees = append(ms.Fees, &matchingv1.MarketplaceFee{Kind: f.Kind, Amount: moneyMsg(f.Amount, cur)})
		}
		for _, r := range s.Refunds {
			ms.Refunds = append(ms.Refunds, &matchingv1.MarketplaceRefund{AdjustmentId: r.AdjustmentID, OpenItemId: r.Item, OrderId: r.OrderID, Amount: moneyMsg(r.Amount, cur),
				PostedDate: dateMsg(r.Posted)})
		}
		if s.Reserve != 0 {
			ms.Reserve = moneyMsg(s.Reserve, cur)
		}
		if s.Other != 0 {
			ms.Other = moneyMsg(s.Other, cur)
		}
		for _, a := range s.Items {
			ms.Allocations = append(ms.Allocations, &matchingv1.Allocation{OpenItemId: a.Item, Amount: moneyMsg(a.Amount, cur)})
		}
		m.Settlement = ms
	}
	return m
}

// ProposalFrom is a stored proposal.
func ProposalFrom(m *matchingv1.Proposal) Proposal {
	p := Proposal{Score: int(m.GetScore()), Debtor: m.GetDebtorId(), Explanation: m.GetExplanation(), Reverses: m.GetReverses(),
		ReturnCharge: m.GetReturnCharge().GetMinorUnits()}
	for _, a := range m.GetAllocations() {
		p.Allocations = append(p.Allocations, engine.Allocation{Item: a.GetOpenItemId(), Amount: a.GetAmount().GetMinorUnits()})
	}
	if d := m.GetDifference(); d != nil {
		p.Difference = &engine.Difference{Kind: DifferenceKindOf(d.GetKind()), Amount: d.GetAmount().GetMinorUnits()}
	}
	if s := m.GetSettlement(); s != nil {
		ps := &Settlement{ID: s.GetSettlementId(), Marketplace: s.GetMarketplace(), Reserve: s.GetReserve().GetMinorUnits(), Other: s.GetOther().GetMinorUnits()}
		for _, f := range s.GetFees() {
			ps.Fees = append(ps.Fees, Fee{Kind: f.GetKind(), Amount: f.GetAmount().GetMinorUnits()})
		}
		for _, r := range s.GetRefunds() {
			ps.Refunds = append(ps.Refunds, Refund{AdjustmentID: r.GetAdjustmentId(), Item: r.GetOpenItemId(), OrderID: r.GetOrderId(), Amount: r.GetAmount().GetMinorUnits(),
				Posted: timeOf(r.GetPostedDate())})
		}
		for _, a := range s.GetAllocations() {
			ps.Items = append(ps.Items, engine.Allocation{Item: a.GetOpenItemId(), Amount: a.GetAmount().GetMinorUnits()})
		}
		p.Settlement = ps
	}
	return p
}

var states = map[State]matchingv1.ExceptionState{
	Open: matchingv1.ExceptionState_EXCEPTION_STATE_OPEN, Parked: matchingv1.ExceptionState_EXCEPTION_STATE_PARKED,
	Matched: matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED, Split: matchingv1.ExceptionState_EXCEPTION_STATE_SPLIT,
}

// StateMsg is the API's name of a state.
func StateMsg(s State) matchingv1.ExceptionState { return states[s] }

// StateOf is the domain's name of an API state, "" for none.
func StateOf(s matchingv1.ExceptionState) State {
	for d, m := range states {
		if m == s {
			return d
		}
	}
	return ""
}

var resolutions = map[string]matchingv1.Resolution{
	ResolutionConfirmed: matchingv1.Resolution_RESOLUTION_CONFIRMED, ResolutionManual: matchingv1.Resolution_RESOLUTION_MANUAL,
}

// ExceptionMsg is an entry as the API shows it (without payer).
func ExceptionMsg(e Entry) *matchingv1.Exception {
	cur := e.Payment.Amount.Currency
	m := &matchingv1.Exception{
		Tenant: e.Tenant, Payment: e.Stored, State: StateMsg(e.State), Decision: KindMsg(e.Decision), Score: int32(e.Score),
		Explanation: e.Explanation, Actor: e.Actor, Note: e.Note, Resolution: resolutions[e.Resolution],
		LedgerPaymentId: e.LedgerPaymentID, EntryId: e.EntryID, PartIds: e.Parts, Version: e.Version,
		LearnedCounterpartyId: e.Learned,
	}
	if !e.ReceivedAt.IsZero() {
		m.ReceivedAt = timestamppb.New(e.ReceivedAt)
	}
	if !e.UpdatedAt.IsZero() {
		m.UpdatedAt = timestamppb.New(e.UpdatedAt)
	}
	for _, p := range e.Proposals {
		m.Proposals = append(m.Proposals, ProposalMsg(p, cur))
	}
	if e.Match != nil {
		m.Match = ProposalMsg(*e.Match, cur)
	}
	return m
}
