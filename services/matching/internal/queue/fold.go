package queue

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
)

// StreamType is the stream type of a payment's events.
const StreamType = "payment"

// Stream is the stream of tenant's payment id.
func Stream(tenant, paymentID string) es.StreamID {
	return es.StreamID{Tenant: tenant, Type: StreamType, ID: paymentID}
}

// EngineActor is the actor of what the engine decides on its own.
const EngineActor = "matching"

// namespace derives the ids of the events matching stores.
var namespace = uuid.MustParse("6f1d8a52-3c0e-4d7b-9a61-2b8f4e5c7d90")

// EventID is the id of the i-th event (0-based) appended to tenant's
// payment stream at version: deterministic, so an append repeated after a
// lost answer is recognised as the same.
func EventID(tenant, paymentID string, version int64, i int) uuid.UUID {
	return uuid.NewSHA1(namespace, fmt.Appendf(nil, "%s\x00%s\x00%d\x00%d", tenant, paymentID, version, i))
}

// Fold returns the entry a payment's events describe, in stream order.
// Ledger commands stored in the stream are skipped: the decision beside
// them says what they book. It fails for a stream that does not start
// with a PaymentDecided.
func Fold(tenant string, events []es.Event) (Entry, error) {
	var e Entry
	for i, ev := range events {
		if err := e.apply(tenant, ev); err != nil {
			return Entry{}, err
		}
		if i == 0 && e.Stored == nil {
			return Entry{}, fmt.Errorf("payment stream %s starts with %s, not a PaymentDecided", ev.Stream, ev.Type)
		}
	}
	return e, nil
}

// apply folds one event into e.
func (e *Entry) apply(tenant string, ev es.Event) error {
	msg := ev.Payload
	if msg == nil {
		return fmt.Errorf("payment stream %s version %d: %s not decoded", ev.Stream, ev.Version, ev.Type)
	}
	e.Version = ev.Version
	switch m := msg.(type) {
	case *matchingv1.PaymentDecided:
		first := e.Stored == nil
		e.Tenant = tenant
		e.Stored = proto.CloneOf(m.GetPayment())
		e.Payment = PaymentOf(m.GetPayment())
		e.Parent = m.GetPayment().GetParentPaymentId()
		e.Decision, e.Score, e.Explanation = KindOf(m.GetKind()), int(m.GetScore()), m.GetExplanation()
		e.Proposals = nil
		for _, p := range m.GetProposals() {
			e.Proposals = append(e.Proposals, ProposalFrom(p))
		}
		e.Match, e.Resolution, e.Learned = nil, "", ""
		e.State = Open
		if m.GetKind() == matchingv1.DecisionKind_DECISION_KIND_AUTO && len(e.Proposals) > 0 {
			e.State = Matched
			match := e.Proposals[0]
			e.Match = &match
			e.Learned = m.GetLearnedCounterpartyId()
			e.Bookings++
			e.LedgerPaymentID = m.GetLedgerPaymentId()
		}
		if first {
			// A decision after an unmatch keeps who unmatched it and why.
			e.ReceivedAt, e.Actor, e.Note = m.GetDecidedAt().AsTime(), EngineActor, ""
		}
		e.UpdatedAt = m.GetDecidedAt().AsTime()
	case *matchingv1.PaymentMatched:
		p := ProposalFrom(m.GetMatch())
		e.State, e.Match, e.Learned = Matched, &p, ""
		e.Resolution = ResolutionManual
		if m.GetResolution() == matchingv1.Resolution_RESOLUTION_CONFIRMED {
			e.Resolution = ResolutionConfirmed
		}
		e.Bookings++
		e.LedgerPaymentID = m.GetLedgerPaymentId()
		e.Actor, e.Note, e.UpdatedAt = m.GetActor(), m.GetNote(), m.GetMatchedAt().AsTime()
	case *matchingv1.PaymentParked:
		e.State = Parked
		e.Actor, e.Note, e.UpdatedAt = m.GetActor(), m.GetNote(), m.GetParkedAt().AsTime()
	case *matchingv1.PaymentSplit:
		e.State = Split
		e.Parts = nil
		for _, p := range m.GetParts() {
			e.Parts = append(e.Parts, p.GetPaymentId())
		}
		e.Actor, e.Note, e.UpdatedAt = m.GetActor(), m.GetNote(), m.GetSplitAt().AsTime()
	case *matchingv1.PaymentUnmatched:
		// The next event (a PaymentDecided) puts it back in the queue.
		e.State, e.Match, e.Resolution, e.EntryID, e.Learned = Open, nil, "", "", ""
		e.Actor, e.Note, e.UpdatedAt = m.GetActor(), m.GetReason(), m.GetUnmatchedAt().AsTime()
	}
	return nil
}

// Resume returns the entry an Exception (the projection's row) shows, to
// fold further events into with Next.
func Resume(tenant string, ex *matchingv1.Exception) Entry {
	e := Entry{
		Tenant: tenant, Stored: ex.GetPayment(), Payment: PaymentOf(ex.GetPayment()), Parent: ex.GetPayment().GetParentPaymentId(),
		State: StateOf(ex.GetState()), Version: ex.GetVersion(), Decision: KindOf(ex.GetDecision()), Score: int(ex.GetScore()),
		Explanation: ex.GetExplanation(), LedgerPaymentID: ex.GetLedgerPaymentId(), Parts: ex.GetPartIds(),
		ReceivedAt: ex.GetReceivedAt().AsTime(), UpdatedAt: ex.GetUpdatedAt().AsTime(), Actor: ex.GetActor(), Note: ex.GetNote(),
		Learned: ex.GetLearnedCounterpartyId(),
	}
	for r, m := range resolutions {
		if m == ex.GetResolution() {
			e.Resolution = r
		}
	}
	for _, p := range ex.GetProposals() {
		e.Proposals = append(e.Proposals, ProposalFrom(p))
	}
	if ex.GetMatch() != nil {
		m := ProposalFrom(ex.GetMatch())
		e.Match = &m
	}
	e.Bookings = bookingsOf(e.Payment.ID, e.LedgerPaymentID)
	return e
}

// bookingsOf is the number of the booking ledgerID is (see
// LedgerPaymentID); 0 for none.
func bookingsOf(id, ledgerID string) int {
	if ledgerID == "" {
		return 0
	}
	var n int
	if _, err := fmt.Sscanf(strings.TrimPrefix(ledgerID, id), "#%d", &n); err != nil {
		return 1
	}
	return n
}

// Next folds one more event of the payment's stream into e.
func (e *Entry) Next(tenant string, ev es.Event) error { return e.apply(tenant, ev) }
