package collections

import (
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
)

// StreamType is the event store's stream type of a case.
const StreamType = "case"

// Components of an item, in the order §367 BGB clears them.
const (
	Costs     = "fee"
	Interest  = "interest"
	Principal = "principal"
)

// Item is an open item of a case. Amounts are minor units of the case's
// currency.
type Item struct {
	ID, Claim, Document string
	// Component is Costs, Interest or Principal.
	Component string
	// HandedOver is what was open when released; Open what is open now in
	// the case (after collections, direct payments and write-offs).
	HandedOver, Open int64
	// Dates; zero when unknown.
	DocumentDate, DueDate, DefaultDate time.Time
	// TaxRateBP is the principal's VAT rate, for the agency's information.
	TaxRateBP int
	// Recalled is set once a recall of the item was confirmed.
	Recalled bool
	// WrittenOff is what the closing wrote off; Recovered what came in on
	// it afterwards.
	WrittenOff, Recovered int64
}

// Question is an agency's question and the merchant's answer.
type Question struct {
	ID, Text, Answer, AnsweredBy string
	AskedAt, AnsweredAt          time.Time
}

// Recall is a merchant's recall; no items recalls the whole case.
type Recall struct {
	ID, Reason string
	Items      []string
	Confirmed  bool
	At         time.Time
}

// Case is a case's state, folded from its events (Apply).
type Case struct {
	Tenant, ID, Agency, AgencyRef, DebtorID, Currency string
	Status                                            collectionsv1.CaseStatus
	Progress                                          collectionsv1.ProgressStatus
	Debtor                                            *collectionsv1.Debtor
	Items                                             []*Item
	ReleasedOn                                        time.Time
	Source, Reason                                    string
	History                                           []*collectionsv1.DunningStep
	Questions                                         []*Question
	Recalls                                           []*Recall
	Direct                                            []*collectionsv1.DirectPayment
	// DirectSettlements are the ledger settlements reported as direct
	// payments, so a redelivered clearing is reported once.
	DirectSettlements []string
	CommissionBP      int
	Closing           collectionsv1.ClosingCode
	Rejected          collectionsv1.RejectReason
	// Collected is what the agency collected (recoveries aside),
	// Recovered what it collected on written-off items, Commission its
	// fees and commission (net), PaidDirectly what reached the merchant.
	Collected, Recovered, Commission, PaidDirectly int64
	// Writes are the agency's idempotency keys and their content hashes.
	Writes map[string]string
	// ReleaseKey and ReleaseHash are the idempotency key of the manual
	// release that opened the case and its request's hash; empty for a
	// release without key.
	ReleaseKey, ReleaseHash string
	// Version is the number of events applied; Updated the last one's time.
	Version int64
	Updated time.Time
}

// Item returns the case's item with id.
func (c *Case) Item(id string) (*Item, bool) {
	i := slices.IndexFunc(c.Items, func(it *Item) bool { return it.ID == id })
	if i < 0 {
		return nil, false
	}
	return c.Items[i], true
}

// Active reports whether the case is still with the agency.
func (c *Case) Active() bool {
	return c.Status == collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED || c.Status == collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED
}

// OpenTotal is what is still open in the case (recalled items aside).
func (c *Case) OpenTotal() int64 {
	var s int64
	for _, it := range c.Items {
		if !it.Recalled {
			s += it.Open
		}
	}
	return s
}

// Fold returns the state of a case after events, each with the time it
// occurred at.
func Fold(events []proto.Message, at []time.Time) *Case {
	c := &Case{}
	for i, ev := range events {
		var t time.Time
		if i < len(at) {
			t = at[i]
		}
		c.Apply(ev, t)
	}
	return c
}

// Apply applies one event of the case's stream, which occurred at at.
// Ledger commands stored in the stream and unknown messages change
// nothing but the version, which counts every message of the stream.
func (c *Case) Apply(ev proto.Message, at time.Time) {
	var ref *collectionsv1.CaseRef
	var w *collectionsv1.AgencyWrite
	switch e := ev.(type) {
	case *collectionsv1.CaseReleased:
		ref = e.GetRef()
		c.Tenant, c.ID, c.DebtorID = ref.GetTenant(), ref.GetCaseId(), ref.GetDebtorId()
		c.ReleasedOn, c.Source, c.Reason = DateOf(e.GetReleasedOn()), e.GetSource(), e.GetReason()
		c.History, c.Debtor = e.GetDunningHistory(), e.GetDebtor()
		c.ReleaseKey, c.ReleaseHash = e.GetIdempotencyKey(), e.GetRequestHash()
		for _, it := range e.GetItems() {
			c.Currency = it.GetHandedOver().GetCurrency()
			c.Items = append(c.Items, &Item{
				ID: it.GetOpenItemId(), Claim: it.GetClaimOpenItemId(), Document: it.GetDocumentNumber(), Component: it.GetComponent(),
				HandedOver: it.GetHandedOver().GetMinorUnits(), Open: it.GetHandedOver().GetMinorUnits(),
				DocumentDate: DateOf(it.GetDocumentDate()), DueDate: DateOf(it.GetDueDate()), DefaultDate: DateOf(it.GetDefaultDate()),
				TaxRateBP: int(it.GetTaxRateBp()),
			})
		}
	case *collectionsv1.CaseSubmitted:
		ref = e.GetRef()
		c.Status, c.CommissionBP = collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED, int(e.GetCommissionBp())
	case *collectionsv1.CaseAccepted:
		ref, w = e.GetRef(), e.GetWrite()
		c.Status = collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED
	case *collectionsv1.CaseRejected:
		ref, w = e.GetRef(), e.GetWrite()
		c.Status, c.Rejected = collectionsv1.CaseStatus_CASE_STATUS_REJECTED, e.GetReason()
	case *collectionsv1.StatusReported:
		ref, w = e.GetRef(), e.GetWrite()
		c.Progress = e.GetStatus()
	case *collectionsv1.PaymentReported:
		ref, w = e.GetRef(), e.GetWrite()
		for _, a := range e.GetAllocations() {
			if it, ok := c.Item(a.GetOpenItemId()); ok {
				if e.GetRecovery() {
					it.Recovered += a.GetAmount().GetMinorUnits()
				} else {
					it.Open -= a.GetAmount().GetMinorUnits()
				}
			}
		}
		if e.GetRecovery() {
			c.Recovered += e.GetCollected().GetMinorUnits()
		} else {
			c.Collected += e.GetCollected().GetMinorUnits()
		}
		c.Commission += e.GetFees().GetMinorUnits() + e.GetCommission().GetMinorUnits()
	case *collectionsv1.DirectPaymentReported:
		ref = e.GetRef()
		p := e.GetPayment()
		if it, ok := c.Item(p.GetOpenItemId()); ok {
			it.Open -= p.GetAmount().GetMinorUnits()
		}
		c.PaidDirectly += p.GetAmount().GetMinorUnits()
		c.Direct = append(c.Direct, p)
		c.DirectSettlements = append(c.DirectSettlements, e.GetSettlementId())
	case *collectionsv1.QuestionAsked:
		ref, w = e.GetRef(), e.GetWrite()
		c.Questions = append(c.Questions, &Question{ID: e.GetWrite().GetIdempotencyKey(), Text: e.GetText(), AskedAt: at})
	case *collectionsv1.QuestionAnswered:
		ref = e.GetRef()
		for _, q := range c.Questions {
			if q.ID == e.GetQuestionId() {
				q.Answer, q.AnsweredBy, q.AnsweredAt = e.GetAnswer(), e.GetActor(), at
			}
		}
	case *collectionsv1.RecallRequested:
		ref = e.GetRef()
		c.Recalls = append(c.Recalls, &Recall{ID: e.GetRecallId(), Items: e.GetOpenItemIds(), Reason: e.GetReason(), At: at})
	case *collectionsv1.RecallConfirmed:
		ref, w = e.GetRef(), e.GetWrite()
		for _, r := range c.Recalls {
			if r.ID != e.GetRecallId() {
				continue
			}
			r.Confirmed = true
			for _, it := range c.Items {
				if len(r.Items) == 0 || slices.Contains(r.Items, it.ID) {
					it.Recalled = true
				}
			}
		}
		if !slices.ContainsFunc(c.Items, func(it *Item) bool { return !it.Recalled }) {
			c.Status = collectionsv1.CaseStatus_CASE_STATUS_RECALLED
		}
	case *collectionsv1.CaseClosed:
		ref, w = e.GetRef(), e.GetWrite()
		c.Status, c.Closing = collectionsv1.CaseStatus_CASE_STATUS_CLOSED, e.GetCode()
		for _, wo := range e.GetWrittenOff() {
			if it, ok := c.Item(wo.GetOpenItemId()); ok {
				it.WrittenOff += wo.GetAmount().GetMinorUnits()
				it.Open -= wo.GetAmount().GetMinorUnits()
			}
		}
	default:
		// A ledger command stored with a step: it changes nothing but
		// counts in the stream's version.
		c.Version++
		return
	}
	if ref != nil {
		if ref.GetAgency() != "" {
			c.Agency = ref.GetAgency()
		}
		if ref.GetAgencyReference() != "" {
			c.AgencyRef = ref.GetAgencyReference()
		}
	}
	if w.GetIdempotencyKey() != "" {
		if c.Writes == nil {
			c.Writes = map[string]string{}
		}
		c.Writes[w.GetIdempotencyKey()] = w.GetRequestHash()
	}
	c.Version++
	if !at.IsZero() {
		c.Updated = at
	}
}

// Ref is the case's reference for its next event.
func (c *Case) Ref() *collectionsv1.CaseRef {
	return &collectionsv1.CaseRef{Tenant: c.Tenant, CaseId: c.ID, Agency: c.Agency, AgencyReference: c.AgencyRef, DebtorId: c.DebtorID}
}

// Money returns minor units of the case's currency as a message.
func (c *Case) Money(minor int64) *commonv1.Money {
	return &commonv1.Money{MinorUnits: minor, Currency: c.Currency}
}

// Proto returns the case as the API shows it (the debtor's personal data
// is the caller's to add).
func (c *Case) Proto() *collectionsv1.Case {
	out := &collectionsv1.Case{
		Tenant: c.Tenant, CaseId: c.ID, Agency: c.Agency, AgencyReference: c.AgencyRef, Status: c.Status, Progress: c.Progress,
		Debtor: proto.CloneOf(c.Debtor), ReleasedOn: DateProto(c.ReleasedOn), ReleaseReason: c.Reason, DunningHistory: c.History,
		DirectPayments: c.Direct, ClosingCode: c.Closing, RejectReason: c.Rejected, Version: c.Version,
	}
	if out.Debtor == nil {
		out.Debtor = &collectionsv1.Debtor{}
	}
	out.Debtor.DebtorId = c.DebtorID
	if !c.Updated.IsZero() {
		out.UpdatedAt = timestamppb.New(c.Updated)
	}
	var handed, open, written, recalled int64
	for _, it := range c.Items {
		out.Items = append(out.Items, &collectionsv1.CaseItem{
			OpenItemId: it.ID, ClaimOpenItemId: it.Claim, DocumentNumber: it.Document, Component: it.Component,
			HandedOver: c.Money(it.HandedOver), Open: c.Money(it.Open), DocumentDate: DateProto(it.DocumentDate),
			DueDate: DateProto(it.DueDate), DefaultDate: DateProto(it.DefaultDate), TaxRateBp: int32(it.TaxRateBP),
			Recalled: it.Recalled, WrittenOff: c.Money(it.WrittenOff),
		})
		handed += it.HandedOver
		written += it.WrittenOff
		if it.Recalled {
			recalled += it.Open
		} else {
			open += it.Open
		}
		if it.Component == Principal && it.Document != "" {
			out.Documents = append(out.Documents, &collectionsv1.Document{Kind: "invoice", Number: it.Document})
		}
	}
	for _, h := range c.History {
		out.Documents = append(out.Documents, &collectionsv1.Document{Kind: "dunning-notice", Number: h.GetNoticeId()})
	}
	for _, q := range c.Questions {
		out.Questions = append(out.Questions, q.Proto())
	}
	for _, r := range c.Recalls {
		out.Recalls = append(out.Recalls, &collectionsv1.Recall{RecallId: r.ID, OpenItemIds: r.Items, Reason: r.Reason,
			Confirmed: r.Confirmed, RequestedAt: stamp(r.At)})
	}
	out.Totals = &collectionsv1.Totals{
		HandedOver: c.Money(handed), Collected: c.Money(c.Collected), PaidDirectly: c.Money(c.PaidDirectly), Open: c.Money(open),
		WrittenOff: c.Money(written), Recovered: c.Money(c.Recovered), Commission: c.Money(c.Commission), Recalled: c.Money(recalled),
	}
	return out
}

// Proto returns the question as the API shows it.
func (q *Question) Proto() *collectionsv1.Question {
	return &collectionsv1.Question{QuestionId: q.ID, Text: q.Text, AskedAt: stamp(q.AskedAt), Answer: q.Answer,
		AnsweredAt: stamp(q.AnsweredAt), AnsweredBy: q.AnsweredBy}
}

func stamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// DateOf returns a calendar date as midnight UTC; unset is the zero time.
func DateOf(d *commonv1.Date) time.Time {
	if d == nil || d.GetYear() == 0 {
		return time.Time{}
	}
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
}

// DateProto returns t's calendar date; the zero time is unset.
func DateProto(t time.Time) *commonv1.Date {
	if t.IsZero() {
		return nil
	}
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}
