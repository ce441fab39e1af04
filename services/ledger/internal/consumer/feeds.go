package consumer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// The report feeds: events of other services the ledger keeps for its
// reports, each read through a durable consumer of its own (FeedDurables)
// and stored by FeedStore on both time axes. None of them books anything.
//
//   - dunning: DunningDecisionRecorded gives each item's dunning level on
//     the decision's date; BlockSet and BlockLifted the dunning blocks.
//   - collections: CaseReleased names a case's items; it and every later
//     step of the case (submitted, accepted, rejected, the agency's status,
//     recall requested and confirmed, closed) become the items' collection
//     status, effective on the step's date (the event's occurrence day for
//     the steps that carry none).
//   - matching: PaymentDecided AUTO and PaymentMatched say whether the
//     payment the ledger books under their ledger payment id was matched
//     without a person; the match rate of the DSO report comes from them.
//   - ingestion: CustomerIngested gives a debtor's customer group from the
//     day the shop changed its data.
//
// A message that cannot be decoded, or names an item id that is no UUID, is
// permanent; a tenant the tenants file does not list is rejected as for
// commands; storage errors are redelivered.
const (
	// DunningFeedDurable is the consumer of dunning's decisions and blocks.
	DunningFeedDurable = "ledger-reports-dunning"
	// CollectionsFeedDurable is the consumer of collections' case steps.
	CollectionsFeedDurable = "ledger-reports-collections"
	// MatchingFeedDurable is the consumer of matching's decisions.
	MatchingFeedDurable = "ledger-reports-matching"
	// CustomersFeedDurable is the consumer of ingestion's customer data.
	CustomersFeedDurable = "ledger-reports-customers"
)

// FeedSubjects returns the filter subjects of the report feed consumer of
// service's stream ("dunning", "collections", "matching", "ingestion").
func FeedSubjects(service string) []string {
	var names []proto.Message
	switch service {
	case "dunning":
		names = []proto.Message{&dunningv1.DunningDecisionRecorded{}, &dunningv1.BlockSet{}, &dunningv1.BlockLifted{}}
	case "collections":
		names = []proto.Message{&collectionsv1.CaseReleased{}, &collectionsv1.CaseSubmitted{}, &collectionsv1.CaseAccepted{},
			&collectionsv1.CaseRejected{}, &collectionsv1.StatusReported{}, &collectionsv1.RecallRequested{},
			&collectionsv1.RecallConfirmed{}, &collectionsv1.CaseClosed{}}
	case "matching":
		names = []proto.Message{&matchingv1.PaymentDecided{}, &matchingv1.PaymentMatched{}}
	case "ingestion":
		names = []proto.Message{&ingestionv1.CustomerIngested{}}
	}
	out := make([]string, len(names))
	for i, m := range names {
		out[i] = "o2c.*." + service + "." + bus.EventName(string(m.ProtoReflect().Descriptor().FullName()))
	}
	return out
}

// FeedStore stores what the feeds say (package postgres); its errors are
// storage failures.
type FeedStore interface {
	RecordDunningLevels(ctx context.Context, tenant string, eventID uuid.UUID, seq int64, debtorID string, date time.Time, levels map[uuid.UUID]int32) error
	RecordBlock(ctx context.Context, tenant string, b postgres.Block) error
	LiftBlock(ctx context.Context, tenant, id string, on time.Time) error
	RecordCollectionCase(ctx context.Context, tenant, caseID string, items []uuid.UUID) error
	RecordCollectionStatus(ctx context.Context, tenant string, eventID uuid.UUID, seq int64, caseID, status string, date time.Time, items []uuid.UUID) error
	RecordPaymentDecision(ctx context.Context, tenant string, eventID, entryID uuid.UUID, paymentID string, auto bool) error
	RecordCustomerGroup(ctx context.Context, tenant string, eventID uuid.UUID, seq int64, debtorID, group string, updatedAt time.Time) error
}

// Feeds handles the report feeds' messages (one Handle for all four
// consumers: the event's type says what it is).
type Feeds struct {
	Store   FeedStore
	Tenants Tenants
}

// Handle stores what one feed event says.
func (f *Feeds) Handle(ctx context.Context, msg bus.Msg) error {
	ev, err := relay.DecodeMsg(msg.Header, msg.Data, nil)
	if err != nil {
		return bus.Permanent(fmt.Errorf("message on %s: %w", msg.Subject, err))
	}
	tenant := ev.Stream.Tenant
	if t, ok := bus.TenantFromSubject(msg.Subject); ok && t != tenant {
		return bus.Permanent(fmt.Errorf("message on %s is of tenant %q", msg.Subject, tenant))
	}
	if err := f.Tenants.Check(tenant); err != nil {
		code := "invalid"
		if errors.Is(err, tenants.ErrUnknownTenant) {
			code = "unknown_tenant"
		}
		return fault.WithDetail(fmt.Errorf("message on %s: %w", msg.Subject, err), fault.Detail{Code: code, Document: ev.EventID.String()})
	}
	if ev.Payload == nil {
		return bus.Permanent(fmt.Errorf("message on %s: %s: %w", msg.Subject, ev.Type, eventstore.ErrUndecodable))
	}
	if err := f.handle(ctx, tenant, ev, int64(msg.Sequence)); err != nil {
		return fmt.Errorf("%s %s on %s: %w", ev.Type, ev.EventID, msg.Subject, err)
	}
	return nil
}

func (f *Feeds) handle(ctx context.Context, tenant string, ev eventstore.Event, seq int64) error {
	s := f.Store
	occurred := day(ev.OccurredAt)
	switch p := ev.Payload.(type) {
	case *dunningv1.DunningDecisionRecorded:
		levels := map[uuid.UUID]int32{}
		for _, it := range p.GetItems() {
			id, err := itemID(it.GetOpenItemId())
			if err != nil {
				return err
			}
			levels[id] = it.GetLevelAfter()
		}
		return s.RecordDunningLevels(ctx, tenant, ev.EventID, seq, p.GetDebtorId(), dateOr(p.GetDate(), occurred), levels)
	case *dunningv1.BlockSet:
		b := p.GetBlock()
		blk := postgres.Block{ID: b.GetBlockId(), DebtorID: b.GetDebtorId(), Reason: b.GetReason(), Set: dateOr(b.GetSetDate(), occurred)}
		if b.GetOpenItemId() != "" {
			id, err := itemID(b.GetOpenItemId())
			if err != nil {
				return err
			}
			blk.OpenItemID = uuid.NullUUID{UUID: id, Valid: true}
		}
		if b.GetExpires() != nil {
			blk.Expires = dateOr(b.GetExpires(), time.Time{})
		}
		if err := s.RecordBlock(ctx, tenant, blk); err != nil {
			return err
		}
		if b.GetLifted() {
			return s.LiftBlock(ctx, tenant, b.GetBlockId(), dateOr(b.GetLiftedOn(), occurred))
		}
		return nil
	case *dunningv1.BlockLifted:
		return s.LiftBlock(ctx, tenant, p.GetBlockId(), dateOr(p.GetDate(), occurred))
	case *collectionsv1.CaseReleased:
		var items []uuid.UUID
		for _, it := range p.GetItems() {
			id, err := itemID(it.GetOpenItemId())
			if err != nil {
				return err
			}
			items = append(items, id)
		}
		if err := s.RecordCollectionCase(ctx, tenant, p.GetRef().GetCaseId(), items); err != nil {
			return err
		}
		return s.RecordCollectionStatus(ctx, tenant, ev.EventID, seq, p.GetRef().GetCaseId(), "released", dateOr(p.GetReleasedOn(), occurred), nil)
	case *collectionsv1.CaseSubmitted:
		return s.RecordCollectionStatus(ctx, tenant, ev.EventID, seq, p.GetRef().GetCaseId(), "submitted", occurred, nil)
	case *collectionsv1.CaseAccepted:
		return s.RecordCollectionStatus(ctx, tenant, ev.EventID, seq, p.GetRef().GetCaseId(), "accepted", occurred, nil)
	case *collectionsv1.CaseRejected:
		return s.RecordCollectionStatus(ctx, tenant, ev.EventID, seq, p.GetRef().GetCaseId(), "rejected", occurred, nil)
	case *collectionsv1.StatusReported:
		return s.RecordCollectionStatus(ctx, tenant, ev.EventID, seq, p.GetRef().GetCaseId(),
			enumWord(p.GetStatus().String(), "PROGRESS_STATUS_"), dateOr(p.GetDate(), occurred), nil)
	case *collectionsv1.RecallRequested:
		var items []uuid.UUID
		for _, raw := range p.GetOpenItemIds() {
			id, err := itemID(raw)
			if err != nil {
				return err
			}
			items = append(items, id)
		}
		return s.RecordCollectionStatus(ctx, tenant, ev.EventID, seq, p.GetRef().GetCaseId(), "recall-requested", occurred, items)
	case *collectionsv1.RecallConfirmed:
		return s.RecordCollectionStatus(ctx, tenant, ev.EventID, seq, p.GetRef().GetCaseId(), "recalled", occurred, nil)
	case *collectionsv1.CaseClosed:
		return s.RecordCollectionStatus(ctx, tenant, ev.EventID, seq, p.GetRef().GetCaseId(),
			"closed:"+enumWord(p.GetCode().String(), "CLOSING_CODE_"), dateOr(p.GetDate(), occurred), nil)
	case *matchingv1.PaymentDecided:
		if p.GetKind() != matchingv1.DecisionKind_DECISION_KIND_AUTO || p.GetLedgerPaymentId() == "" {
			return nil // a payment left to a person books nothing yet
		}
		return f.decision(ctx, tenant, ev.EventID, p.GetLedgerPaymentId(), true)
	case *matchingv1.PaymentMatched:
		if p.GetLedgerPaymentId() == "" {
			return nil
		}
		return f.decision(ctx, tenant, ev.EventID, p.GetLedgerPaymentId(), false)
	case *ingestionv1.CustomerIngested:
		updated := ev.OccurredAt
		if p.GetUpdatedAt().IsValid() {
			updated = p.GetUpdatedAt().AsTime()
		}
		return s.RecordCustomerGroup(ctx, tenant, ev.EventID, seq, p.GetDebtorId(), p.GetCustomerGroup(), updated)
	}
	return nil // another event on the feed's subjects: nothing to keep
}

func (f *Feeds) decision(ctx context.Context, tenant string, eventID uuid.UUID, ledgerPaymentID string, auto bool) error {
	entry, err := uuid.Parse(books.PaymentEntryID(tenant, ledgerPaymentID))
	if err != nil {
		return err
	}
	return f.Store.RecordPaymentDecision(ctx, tenant, eventID, entry, ledgerPaymentID, auto)
}

// itemID parses a ledger open item id; one that is no UUID names no item of
// the ledger, and the message is permanent.
func itemID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, bus.Permanent(fmt.Errorf("open item id %q is not a UUID", s))
	}
	return id, nil
}

// dateOr is d as a UTC day, or or when d is unset or no calendar date.
func dateOr(d *commonv1.Date, or time.Time) time.Time {
	if d == nil {
		return or
	}
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	if d.GetYear() < 1900 || d.GetYear() > 9999 || t.Month() != time.Month(d.GetMonth()) || t.Day() != int(d.GetDay()) {
		return or
	}
	return t
}

func day(t time.Time) time.Time {
	u := t.UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
}

// enumWord is an enum value's name without prefix, lower case with dashes:
// PROGRESS_STATUS_PAYMENT_PLAN is "payment-plan".
func enumWord(name, prefix string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, prefix)), "_", "-")
}
