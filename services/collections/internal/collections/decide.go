package collections

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// Write is an agency's write: its idempotency key, the hash of the
// request's content without the key, and the authenticated actor.
type Write struct {
	Key, Hash, Actor string
}

func (w Write) proto() *collectionsv1.AgencyWrite {
	return &collectionsv1.AgencyWrite{IdempotencyKey: w.Key, RequestHash: w.Hash, Actor: w.Actor}
}

// check says whether w was decided before (dup: decide nothing again) and
// refuses a key reused with other content.
func (c *Case) check(w Write) (dup bool, err error) {
	if strings.TrimSpace(w.Key) == "" {
		return false, fmt.Errorf("%w: idempotency_key: missing", ErrInvalid)
	}
	h, seen := c.Writes[w.Key]
	if !seen {
		return false, nil
	}
	if h != w.Hash {
		return false, fmt.Errorf("%w: case %s, key %q", ErrIdempotencyConflict, c.ID, w.Key)
	}
	return true, nil
}

// exists refuses a case that was never released.
func (c *Case) exists() error {
	if c == nil || c.ID == "" {
		return ErrUnknownCase
	}
	return nil
}

// agencyWrite runs the checks every agency write shares: the case exists,
// the key is new (or a retry: decide reports dup) and the status is one
// of allowed.
func (c *Case) agencyWrite(w Write, what string, allowed ...collectionsv1.CaseStatus) (dup bool, err error) {
	if err := c.exists(); err != nil {
		return false, err
	}
	if dup, err := c.check(w); dup || err != nil {
		return dup, err
	}
	if !slices.Contains(allowed, c.Status) {
		return false, fmt.Errorf("%w: %s a case that is %s", ErrState, what, statusName(c.Status))
	}
	return false, nil
}

func statusName(s collectionsv1.CaseStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "CASE_STATUS_"))
}

// Accept decides an agency's acceptance of a submitted case. A retry
// decides nothing (no events, no error).
func (c *Case) Accept(w Write, agencyRef string) ([]proto.Message, error) {
	if dup, err := c.agencyWrite(w, "accepting", collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED); dup || err != nil {
		return nil, err
	}
	ref := c.Ref()
	if agencyRef != "" {
		ref.AgencyReference = agencyRef
	}
	return []proto.Message{&collectionsv1.CaseAccepted{Ref: ref, Write: w.proto()}}, nil
}

// Reject decides an agency's refusal of a submitted case.
func (c *Case) Reject(w Write, reason collectionsv1.RejectReason, text string) ([]proto.Message, error) {
	if reason == collectionsv1.RejectReason_REJECT_REASON_UNSPECIFIED {
		return nil, fmt.Errorf("%w: reason: missing", ErrInvalid)
	}
	if dup, err := c.agencyWrite(w, "rejecting", collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED); dup || err != nil {
		return nil, err
	}
	return []proto.Message{&collectionsv1.CaseRejected{Ref: c.Ref(), Write: w.proto(), Reason: reason, Text: text}}, nil
}

// ReportStatus decides a progress report on an accepted case.
func (c *Case) ReportStatus(w Write, status collectionsv1.ProgressStatus, date time.Time, note string) ([]proto.Message, error) {
	if status == collectionsv1.ProgressStatus_PROGRESS_STATUS_UNSPECIFIED {
		return nil, fmt.Errorf("%w: status: missing", ErrInvalid)
	}
	if dup, err := c.agencyWrite(w, "reporting on", collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED); dup || err != nil {
		return nil, err
	}
	return []proto.Message{&collectionsv1.StatusReported{Ref: c.Ref(), Write: w.proto(), Status: status, Date: DateProto(date), Note: note}}, nil
}

// Payment is money an agency reports it collected; every amount is minor
// units of Currency and NewCosts, NewInterest are part of Collected.
type Payment struct {
	Currency                                           string
	Collected, NewCosts, NewInterest, Fees, Commission int64
	InputVAT                                           int64
	Date                                               time.Time
}

func (p Payment) check(cur string) error {
	switch {
	case p.Currency != cur:
		return fmt.Errorf("%w: collected: currency %q, the case is in %s", ErrInvalid, p.Currency, cur)
	case p.Collected <= 0:
		return fmt.Errorf("%w: collected: must be positive", ErrInvalid)
	case p.NewCosts < 0 || p.NewInterest < 0 || p.Fees < 0 || p.Commission < 0 || p.InputVAT < 0:
		return fmt.Errorf("%w: new_costs, new_interest, fees, commission and input_vat must not be negative", ErrInvalid)
	case p.NewCosts+p.NewInterest > p.Collected:
		return fmt.Errorf("%w: new_costs and new_interest: %d, more than the %d collected", ErrInvalid, p.NewCosts+p.NewInterest, p.Collected)
	case p.Fees+p.Commission+p.InputVAT > p.Collected:
		return fmt.Errorf("%w: fees, commission and input_vat: %d, more than the %d collected", ErrInvalid, p.Fees+p.Commission+p.InputVAT, p.Collected)
	case p.Date.IsZero():
		return fmt.Errorf("%w: collected_date: missing", ErrInvalid)
	}
	return nil
}

// ledgerKey is the idempotency key of a ledger command a step sends: the
// same step decided again sends the same key, so the ledger books it once.
func (c *Case) ledgerKey(parts ...string) string {
	return "collections:" + c.ID + ":" + strings.Join(parts, ":")
}

// ReportPayment decides a payment the agency collected. On an accepted
// case it clears the case's items in the order of §367 BGB and sends
// RecordAgencyCollection (the agency's clearing account receives it less
// fees, commission and input VAT; new costs and interest are income). On a
// case closed with a write-off it is a recovery: RecoverWrittenOff per
// written-off item, in the same order, on the agency's clearing account;
// a recovery carries no new costs, fees or commission and at most what is
// written off and not yet recovered.
func (c *Case) ReportPayment(w Write, p Payment) ([]proto.Message, error) {
	if err := c.exists(); err != nil {
		return nil, err
	}
	if dup, err := c.check(w); dup || err != nil {
		return nil, err
	}
	if err := p.check(c.Currency); err != nil {
		return nil, err
	}
	ev := &collectionsv1.PaymentReported{
		Ref: c.Ref(), Write: w.proto(), Collected: c.Money(p.Collected), CollectedDate: DateProto(p.Date),
		NewCosts: c.Money(p.NewCosts), NewInterest: c.Money(p.NewInterest), Fees: c.Money(p.Fees),
		Commission: c.Money(p.Commission), InputVat: c.Money(p.InputVAT),
	}
	switch c.Status {
	case collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED:
		var active []*Item
		for _, it := range c.Items {
			if !it.Recalled {
				active = append(active, it)
			}
		}
		allocs, rest := Allocate(active, func(it *Item) int64 { return it.Open }, p.Collected-p.NewCosts-p.NewInterest)
		ev.Unallocated = c.Money(rest)
		cmd := &ledgerv1.RecordAgencyCollection{
			Tenant: c.Tenant, IdempotencyKey: c.ledgerKey("payment", w.Key), CollectionId: c.ID + "/" + w.Key,
			Agency: c.Agency, DebtorId: c.DebtorID, Collected: c.Money(p.Collected), Commission: c.Money(p.Fees + p.Commission),
			CommissionInputVat: c.Money(p.InputVAT), RecoveredCosts: c.Money(p.NewCosts), RecoveredInterest: c.Money(p.NewInterest),
			CollectedDate: DateProto(p.Date),
		}
		for _, a := range allocs {
			ev.Allocations = append(ev.Allocations, &collectionsv1.ItemAllocation{OpenItemId: a.ItemID, Component: a.Component, Amount: c.Money(a.Amount)})
			cmd.Allocations = append(cmd.Allocations, &ledgerv1.Allocation{OpenItemId: a.ItemID, Amount: c.Money(a.Amount)})
		}
		return []proto.Message{ev, cmd}, nil
	case collectionsv1.CaseStatus_CASE_STATUS_CLOSED:
		if p.NewCosts+p.NewInterest+p.Fees+p.Commission+p.InputVAT > 0 {
			return nil, fmt.Errorf("%w: a recovery on a closed case carries no new costs, interest, fees or commission", ErrInvalid)
		}
		allocs, rest := Allocate(c.Items, func(it *Item) int64 { return it.WrittenOff - it.Recovered }, p.Collected)
		if len(allocs) == 0 {
			return nil, fmt.Errorf("%w: reporting a payment on a case closed without a write-off", ErrState)
		}
		if rest > 0 {
			return nil, fmt.Errorf("%w: collected: %d more than is written off and not yet recovered", ErrInvalid, rest)
		}
		ev.Recovery = true
		out := []proto.Message{ev}
		for _, a := range allocs {
			ev.Allocations = append(ev.Allocations, &collectionsv1.ItemAllocation{OpenItemId: a.ItemID, Component: a.Component, Amount: c.Money(a.Amount)})
			out = append(out, &ledgerv1.RecoverWrittenOff{
				Tenant: c.Tenant, IdempotencyKey: c.ledgerKey("recovery", w.Key, a.ItemID), RecoveryId: c.ID + "/" + w.Key + "/" + a.ItemID,
				OpenItemId: a.ItemID, Amount: c.Money(a.Amount), ValueDate: DateProto(p.Date), ClearingAccount: c.Agency,
			})
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: reporting a payment on a case that is %s", ErrState, statusName(c.Status))
}

// Ask decides an agency's question on a case it holds; the key is the
// question's id.
func (c *Case) Ask(w Write, text string) ([]proto.Message, error) {
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("%w: text: missing", ErrInvalid)
	}
	if dup, err := c.agencyWrite(w, "asking about", collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED, collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED,
		collectionsv1.CaseStatus_CASE_STATUS_CLOSED); dup || err != nil {
		return nil, err
	}
	return []proto.Message{&collectionsv1.QuestionAsked{Ref: c.Ref(), Write: w.proto(), Text: text}}, nil
}

// Answer decides the merchant's answer to a question.
func (c *Case) Answer(questionID, answer, actor string) ([]proto.Message, error) {
	if err := c.exists(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(answer) == "" {
		return nil, fmt.Errorf("%w: answer: missing", ErrInvalid)
	}
	i := slices.IndexFunc(c.Questions, func(q *Question) bool { return q.ID == questionID })
	if i < 0 {
		return nil, fmt.Errorf("%w: question %q of case %s", ErrUnknownQuestion, questionID, c.ID)
	}
	if q := c.Questions[i]; q.Answer != "" {
		if q.Answer == answer {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: question %q is answered already", ErrState, questionID)
	}
	return []proto.Message{&collectionsv1.QuestionAnswered{Ref: c.Ref(), QuestionId: questionID, Answer: answer, Actor: actor}}, nil
}

// RequestRecall decides the merchant's recall of the case (no items) or
// some of its items; the recall is the case's next "recall-<n>".
func (c *Case) RequestRecall(items []string, reason, actor string) ([]proto.Message, string, error) {
	if err := c.exists(); err != nil {
		return nil, "", err
	}
	if !c.Active() {
		return nil, "", fmt.Errorf("%w: recalling a case that is %s", ErrState, statusName(c.Status))
	}
	for _, id := range items {
		it, ok := c.Item(id)
		if !ok {
			return nil, "", fmt.Errorf("%w: %s is not in case %s", ErrUnknownItem, id, c.ID)
		}
		if it.Recalled {
			return nil, "", fmt.Errorf("%w: %s is recalled already", ErrState, id)
		}
	}
	id := fmt.Sprintf("recall-%d", len(c.Recalls)+1)
	return []proto.Message{&collectionsv1.RecallRequested{Ref: c.Ref(), RecallId: id, OpenItemIds: items, Reason: reason, Actor: actor}}, id, nil
}

// ConfirmRecall decides the agency's confirmation of a recall: its items
// leave the case, and a case with nothing left is recalled.
func (c *Case) ConfirmRecall(w Write, recallID string) ([]proto.Message, error) {
	if dup, err := c.agencyWrite(w, "confirming a recall of", collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED,
		collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED); dup || err != nil {
		return nil, err
	}
	i := slices.IndexFunc(c.Recalls, func(r *Recall) bool { return r.ID == recallID })
	if i < 0 {
		return nil, fmt.Errorf("%w: recall %q of case %s", ErrUnknownQuestion, recallID, c.ID)
	}
	if c.Recalls[i].Confirmed {
		return nil, fmt.Errorf("%w: recall %q is confirmed already", ErrState, recallID)
	}
	return []proto.Message{&collectionsv1.RecallConfirmed{Ref: c.Ref(), Write: w.proto(), RecallId: recallID}}, nil
}

// Close decides the agency's closing of an accepted case. Paid in full
// needs nothing open; recalled writes nothing off; every other code writes
// off what is still open on each item (WriteOff: the ledger corrects the
// output VAT per the item's rates, §17 UStG).
func (c *Case) Close(w Write, code collectionsv1.ClosingCode, date time.Time, note string) ([]proto.Message, error) {
	if code == collectionsv1.ClosingCode_CLOSING_CODE_UNSPECIFIED {
		return nil, fmt.Errorf("%w: code: missing", ErrInvalid)
	}
	if date.IsZero() {
		return nil, fmt.Errorf("%w: date: missing", ErrInvalid)
	}
	if dup, err := c.agencyWrite(w, "closing", collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED); dup || err != nil {
		return nil, err
	}
	ev := &collectionsv1.CaseClosed{Ref: c.Ref(), Write: w.proto(), Code: code, Date: DateProto(date), Note: note}
	out := []proto.Message{ev}
	switch code {
	case collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL:
		if open := c.OpenTotal(); open > 0 {
			return nil, fmt.Errorf("%w: closing as paid in full while %d is open", ErrState, open)
		}
	case collectionsv1.ClosingCode_CLOSING_CODE_RECALLED:
	default:
		for _, it := range order(c.Items) {
			if it.Recalled || it.Open <= 0 {
				continue
			}
			ev.WrittenOff = append(ev.WrittenOff, &collectionsv1.WrittenOff{OpenItemId: it.ID, Amount: c.Money(it.Open)})
			out = append(out, &ledgerv1.WriteOff{
				Tenant: c.Tenant, IdempotencyKey: c.ledgerKey("write-off", w.Key, it.ID), WriteOffId: c.ID + "/" + it.ID,
				OpenItemId: it.ID, Amount: c.Money(it.Open), WriteOffDate: DateProto(date),
				Reason: "Inkasso " + c.Agency + ": " + strings.ToLower(strings.TrimPrefix(code.String(), "CLOSING_CODE_")),
			})
		}
	}
	return out, nil
}

// DirectPayment decides a payment that reached the merchant directly on an
// item of an active case (the ledger booked it): the case's feed reports
// it to the agency. On an item not in the case, recalled, or a case no
// longer with the agency it decides nothing.
func (c *Case) DirectPayment(itemID string, amount int64, date time.Time, settlementID string) []proto.Message {
	if c.ID == "" || !c.Active() || amount <= 0 {
		return nil
	}
	it, ok := c.Item(itemID)
	if !ok || it.Recalled {
		return nil
	}
	amount = min(amount, it.Open)
	if amount <= 0 || slices.Contains(c.DirectSettlements, settlementID) {
		return nil
	}
	return []proto.Message{&collectionsv1.DirectPaymentReported{
		Ref: c.Ref(), Payment: &collectionsv1.DirectPayment{OpenItemId: itemID, Amount: c.Money(amount), Date: DateProto(date)},
		SettlementId: settlementID,
	}}
}
