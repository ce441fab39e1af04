package consumer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

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
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// feedLog is a FeedStore that writes each call as a line.
type feedLog struct{ calls []string }

func (f *feedLog) add(format string, args ...any) error {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return nil
}

func day10(t time.Time) string { return t.Format(time.DateOnly) }

func (f *feedLog) RecordDunningLevels(_ context.Context, _ string, _ uuid.UUID, _ int64, debtor string, date time.Time, levels map[uuid.UUID]int32) error {
	var ls []string
	for id, l := range levels {
		ls = append(ls, fmt.Sprintf("%s=%d", id, l))
	}
	slices.Sort(ls)
	return f.add("levels %s %s %v", debtor, day10(date), ls)
}

func (f *feedLog) RecordBlock(_ context.Context, _ string, b postgres.Block) error {
	return f.add("block %s %s %v %s %s %v", b.ID, b.DebtorID, b.OpenItemID.Valid, b.Reason, day10(b.Set), b.Expires.IsZero())
}

func (f *feedLog) LiftBlock(_ context.Context, _, id string, on time.Time) error {
	return f.add("lift %s %s", id, day10(on))
}

func (f *feedLog) RecordCollectionCase(_ context.Context, _, caseID string, items []uuid.UUID) error {
	return f.add("case %s %d", caseID, len(items))
}

func (f *feedLog) RecordCollectionStatus(_ context.Context, _ string, _ uuid.UUID, _ int64, caseID, status string, date time.Time, items []uuid.UUID) error {
	return f.add("status %s %s %s %d", caseID, status, day10(date), len(items))
}

func (f *feedLog) RecordPaymentDecision(_ context.Context, tenant string, _, entry uuid.UUID, payment string, auto bool) error {
	if entry.String() != books.PaymentEntryID(tenant, payment) {
		return fmt.Errorf("entry %s is not payment %s's", entry, payment)
	}
	return f.add("decision %s %v", payment, auto)
}

func (f *feedLog) RecordCustomerGroup(_ context.Context, _ string, _ uuid.UUID, _ int64, debtor, group string, updated time.Time) error {
	return f.add("group %s %q %s", debtor, group, updated.Format(time.RFC3339))
}

// feedMsg is the message a service's relay publishes for ev of tenant,
// occurred on 2026-03-02.
func feedMsg(tb testing.TB, tenant, service string, ev proto.Message) bus.Msg {
	tb.Helper()
	evs, err := eventstore.Prepare(eventstore.StreamID{Tenant: tenant, Type: "x", ID: "1"}, []eventstore.Event{{Envelope: eventstore.Envelope{
		EventID: uuid.New(), OccurredAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}, Payload: ev}})
	if err != nil {
		tb.Fatal(err)
	}
	m := relay.Message("o2c."+tenant+"."+service+"."+bus.EventName(string(ev.ProtoReflect().Descriptor().FullName())), evs[0])
	return bus.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data, Sequence: 7}
}

// TestFeedsStoreWhatEachEventSays hands the feed handler one event of each
// kind its subjects carry and checks what it asks the store to keep: the
// dates (the event's own, else the day it occurred), the statuses'
// words, and matching's decisions by the journal entry the ledger books
// the payment under; a payment left to a person keeps nothing.
func TestFeedsStoreWhatEachEventSays(t *testing.T) {
	t.Parallel()
	item := uuid.NewString()
	d := func(y, m, dd int32) *commonv1.Date { return &commonv1.Date{Year: y, Month: m, Day: dd} }
	ref := &collectionsv1.CaseRef{Tenant: "demo", CaseId: "C-1", DebtorId: "K-1"}
	for _, tt := range []struct {
		service string
		ev      proto.Message
		want    string
	}{
		{"dunning", &dunningv1.DunningDecisionRecorded{Tenant: "demo", DebtorId: "K-1", Date: d(2026, 3, 5),
			Items: []*dunningv1.DunningItem{{OpenItemId: item, LevelAfter: 2}}}, fmt.Sprintf("levels K-1 2026-03-05 [%s=2]", item)},
		{"dunning", &dunningv1.BlockSet{Tenant: "demo", Block: &dunningv1.Block{BlockId: "B-1", DebtorId: "K-1", Reason: "dispute"}},
			"block B-1 K-1 false dispute 2026-03-02 true"},
		{"dunning", &dunningv1.BlockLifted{Tenant: "demo", BlockId: "B-1", Date: d(2026, 3, 9)}, "lift B-1 2026-03-09"},
		{"collections", &collectionsv1.CaseReleased{Ref: ref, ReleasedOn: d(2026, 2, 1), Items: []*collectionsv1.CaseItem{{OpenItemId: item}}},
			"case C-1 1|status C-1 released 2026-02-01 0"},
		{"collections", &collectionsv1.CaseAccepted{Ref: ref}, "status C-1 accepted 2026-03-02 0"},
		{"collections", &collectionsv1.CaseRejected{Ref: ref}, "status C-1 rejected 2026-03-02 0"},
		{"collections", &collectionsv1.StatusReported{Ref: ref, Status: collectionsv1.ProgressStatus_PROGRESS_STATUS_COURT_DUNNING, Date: d(2026, 3, 4)},
			"status C-1 court-dunning 2026-03-04 0"},
		{"collections", &collectionsv1.RecallRequested{Ref: ref, OpenItemIds: []string{item}}, "status C-1 recall-requested 2026-03-02 1"},
		{"collections", &collectionsv1.RecallConfirmed{Ref: ref}, "status C-1 recalled 2026-03-02 0"},
		{"collections", &collectionsv1.CaseClosed{Ref: ref, Code: collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL, Date: d(2026, 3, 6)},
			"status C-1 closed:paid-in-full 2026-03-06 0"},
		{"matching", &matchingv1.PaymentDecided{Tenant: "demo", Kind: matchingv1.DecisionKind_DECISION_KIND_AUTO, LedgerPaymentId: "P-1#2"}, "decision P-1#2 true"},
		{"matching", &matchingv1.PaymentDecided{Tenant: "demo", Kind: matchingv1.DecisionKind_DECISION_KIND_PROPOSED}, ""},
		{"matching", &matchingv1.PaymentMatched{Tenant: "demo", LedgerPaymentId: "P-2"}, "decision P-2 false"},
		{"ingestion", &ingestionv1.CustomerIngested{Tenant: "demo", DebtorId: "K-1", CustomerGroup: "retail",
			UpdatedAt: timestamppb.New(time.Date(2026, 1, 3, 23, 30, 0, 0, time.UTC))}, `group K-1 "retail" 2026-01-03T23:30:00Z`},
	} {
		log := &feedLog{}
		f := &Feeds{Store: log, Tenants: tenantstest.File(t, "demo")}
		m := feedMsg(t, "demo", tt.service, tt.ev)
		if !slices.Contains(FeedSubjects(tt.service), "o2c.*"+m.Subject[len("o2c.demo"):]) {
			t.Errorf("%s is not among the %s feed's subjects %v", m.Subject, tt.service, FeedSubjects(tt.service))
		}
		if err := f.Handle(context.Background(), m); err != nil {
			t.Errorf("%s: %v", m.Subject, err)
			continue
		}
		var want []string
		if tt.want != "" {
			want = strings.Split(tt.want, "|")
		}
		if diff := cmp.Diff(want, log.calls); diff != "" {
			t.Errorf("%s: store calls (-want +got):\n%s", m.Subject, diff)
		}
	}
}

// TestFeedsRefuse checks the feed's failures: an item id that is no UUID
// is permanent (redelivering cannot help), a tenant the tenants file does
// not list is rejected as unknown_tenant, and nothing reaches the store.
func TestFeedsRefuse(t *testing.T) {
	t.Parallel()
	log := &feedLog{}
	f := &Feeds{Store: log, Tenants: tenantstest.File(t, "demo")}
	err := f.Handle(context.Background(), feedMsg(t, "demo", "dunning", &dunningv1.DunningDecisionRecorded{Tenant: "demo", DebtorId: "K-1",
		Items: []*dunningv1.DunningItem{{OpenItemId: "RE-1", LevelAfter: 1}}}))
	if !bus.IsPermanent(err) {
		t.Errorf("an item id that is no UUID: %v, want a permanent error", err)
	}
	err = f.Handle(context.Background(), feedMsg(t, "other", "dunning", &dunningv1.BlockLifted{Tenant: "other", BlockId: "B-1"}))
	if !errors.Is(err, tenants.ErrUnknownTenant) || fault.DetailOf(err).Code != "unknown_tenant" {
		t.Errorf("an unknown tenant: %v, want unknown_tenant", err)
	}
	if len(log.calls) != 0 {
		t.Errorf("store calls %v, want none", log.calls)
	}
}
