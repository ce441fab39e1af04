package service

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/services/ledger/internal/consumer"
)

// feedEvent is an event of another service as the test publishes it: its
// service, its stream, when it occurred and the batch it is published in
// (the model's recorded-time axis).
type feedEvent struct {
	batch    int
	service  string
	stream   string
	occurred time.Time
	msg      proto.Message
}

// publishFeed publishes events as their services' relays do and waits
// until the ledger's feed consumers took every one.
func (s *svc) publishFeed(t *testing.T, tenant string, events []feedEvent) {
	t.Helper()
	ctx := context.Background()
	for _, e := range events {
		ev := eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: e.occurred}, Payload: e.msg}
		prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: tenant, Type: "test", ID: e.stream}, []eventstore.Event{ev})
		if err != nil {
			t.Fatal(err)
		}
		subject := "o2c." + tenant + "." + e.service + "." + bus.EventName(string(e.msg.ProtoReflect().Descriptor().FullName()))
		if _, err := s.js.PublishMsg(ctx, relay.Message(subject, prepared[0])); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []struct{ service, durable string }{
		{"ingestion", consumer.CustomersFeedDurable}, {"dunning", consumer.DunningFeedDurable},
		{"collections", consumer.CollectionsFeedDurable}, {"matching", consumer.MatchingFeedDurable},
	} {
		s.waitDrained(t, bus.ServiceStream(f.service), f.durable)
	}
}

// waitDrained waits until durable has acknowledged every message of
// stream its filter matches (bus.CaughtUp; consumer info alone can read
// "nothing pending" right after a PubAck, before the consumer saw the
// message), and prints the service's log if that takes over 30 s.
func (s *svc) waitDrained(t *testing.T, stream, durable string) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := bus.CaughtUp(ctx, s.js, stream, durable)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer %s has not taken in %s after 30s; log:\n%s", durable, stream, s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// feedModel folds the published events without the ledger: the dunning
// level, dunning block, collection status and customer group of each item
// at an effective date as known after a batch.
type feedModel struct {
	events []feedEvent
	// debtor and doc of every item id.
	debtor, doc map[string]string
}

func (m feedModel) columns(asOf time.Time, batch int) map[string]string {
	type dated struct {
		date  time.Time
		order int
		value string
	}
	latest := func(xs []dated) string {
		var best *dated
		for i := range xs {
			x := &xs[i]
			if x.date.After(asOf) {
				continue
			}
			if best == nil || x.date.After(best.date) || (x.date.Equal(best.date) && x.order > best.order) {
				best = x
			}
		}
		if best == nil {
			return ""
		}
		return best.value
	}
	levels := map[string][]dated{}
	statuses := map[string][]dated{}
	groups := map[string][]dated{}
	caseItems := map[string][]string{}
	type block struct {
		debtor, item, reason string
		set, expires         time.Time
		lifted               *time.Time
	}
	blocks := map[string]*block{}
	for i, e := range m.events {
		if e.batch > batch {
			continue
		}
		occurred := time.Date(e.occurred.Year(), e.occurred.Month(), e.occurred.Day(), 0, 0, 0, 0, time.UTC)
		status := func(caseID, st string, date time.Time) {
			for _, it := range caseItems[caseID] {
				statuses[it] = append(statuses[it], dated{date, i, st})
			}
		}
		switch p := e.msg.(type) {
		case *dunningv1.DunningDecisionRecorded:
			for _, it := range p.GetItems() {
				levels[it.GetOpenItemId()] = append(levels[it.GetOpenItemId()], dated{pday(p.GetDate()), i, fmt.Sprint(it.GetLevelAfter())})
			}
		case *dunningv1.BlockSet:
			b := p.GetBlock()
			nb := &block{debtor: b.GetDebtorId(), item: b.GetOpenItemId(), reason: b.GetReason(), set: pday(b.GetSetDate())}
			if b.GetExpires() != nil {
				nb.expires = pday(b.GetExpires())
			}
			blocks[b.GetBlockId()] = nb
		case *dunningv1.BlockLifted:
			d := pday(p.GetDate())
			blocks[p.GetBlockId()].lifted = &d
		case *collectionsv1.CaseReleased:
			for _, it := range p.GetItems() {
				caseItems[p.GetRef().GetCaseId()] = append(caseItems[p.GetRef().GetCaseId()], it.GetOpenItemId())
			}
			status(p.GetRef().GetCaseId(), "released", pday(p.GetReleasedOn()))
		case *collectionsv1.CaseSubmitted:
			status(p.GetRef().GetCaseId(), "submitted", occurred)
		case *collectionsv1.StatusReported:
			status(p.GetRef().GetCaseId(), strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(p.GetStatus().String(), "PROGRESS_STATUS_")), "_", "-"), pday(p.GetDate()))
		case *ingestionv1.CustomerIngested:
			u := p.GetUpdatedAt().AsTime()
			groups[p.GetDebtorId()] = append(groups[p.GetDebtorId()], dated{time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC), i, p.GetCustomerGroup()})
		}
	}
	out := map[string]string{}
	for id, doc := range m.doc {
		var reasons []string
		for _, b := range blocks {
			if b.debtor != m.debtor[id] || (b.item != "" && b.item != id) || b.set.After(asOf) ||
				(!b.expires.IsZero() && !b.expires.After(asOf)) || (b.lifted != nil && !b.lifted.After(asOf)) {
				continue
			}
			if !slices.Contains(reasons, b.reason) {
				reasons = append(reasons, b.reason)
			}
		}
		sort.Strings(reasons)
		out[doc] = strings.Join([]string{latest(levels[id]), strings.Join(reasons, ","), latest(statuses[id]), latest(groups[m.debtor[id]])}, "|")
	}
	return out
}

// TestReportFeedsAgainstTheEvents publishes, as dunning's, collections',
// matching's and ingestion's relays do, dunning decisions and blocks,
// collection steps, matching decisions and customer data in two batches,
// and checks the open-item list's dunning level, dunning block,
// collection status and customer group, the aging by dunning level and
// customer group and the DSO's match rate against the same facts folded
// from the published events, as known after each batch: a report asked
// with the first batch's known_at after the second is the first's, and an
// open-item list issued then reproduces byte for byte.
func TestReportFeedsAgainstTheEvents(t *testing.T) {
	t.Parallel()
	s := startService(t)
	const tn = "acme"
	ctx := context.Background()
	c := s.cmds
	anna := grpc.CallOption(testAuth.As(accountant("user:anna", tn)))
	reports := ledgerv1grpc.NewReportServiceClient(s.conn)

	must(t, c, invoice(tn, "D1", "RE-1", 10000, day(2026, 1, 10), day(2026, 1, 24)))
	must(t, c, invoice(tn, "D1", "RE-2", 5000, day(2026, 3, 5), day(2026, 3, 19)))
	must(t, c, invoice(tn, "D2", "RE-3", 20000, day(2026, 3, 20), day(2026, 4, 3)))
	must(t, c, invoice(tn, "D3", "RE-4", 700, day(2025, 11, 20), day(2025, 12, 4)))
	ids := map[string]string{}
	model := feedModel{debtor: map[string]string{}, doc: map[string]string{}}
	for _, d := range []struct{ debtor, doc string }{{"D1", "RE-1"}, {"D1", "RE-2"}, {"D2", "RE-3"}, {"D3", "RE-4"}} {
		id, _ := s.itemID(t, tn, d.debtor, d.doc)
		ids[d.doc] = id
		model.debtor[id], model.doc[id] = d.debtor, d.doc
	}
	pay := func(id, debtor, doc string, amount int64, d int32) {
		t.Helper()
		must(t, c, &ledgerv1.ApplyPayment{Tenant: tn, IdempotencyKey: "pay:" + id, PaymentId: id, DebtorId: debtor, Amount: eur(amount),
			ValueDate: day(2026, 3, d), Iban: testIBAN, Allocations: []*ledgerv1.Allocation{{OpenItemId: ids[doc], Amount: eur(amount)}}})
	}
	pay("P-1", "D1", "RE-1", 5000, 10) // matching booked it by itself
	pay("P-2", "D2", "RE-3", 3000, 25) // a clerk matched it
	pay("P-3", "D2", "RE-3", 2000, 28) // matching booked it; its decision arrives late
	pay("P-4", "D1", "RE-2", 1000, 29) // no decision of matching reaches the ledger
	s.caughtUp(t)

	ts := func(y, m, d int) *timestamppb.Timestamp {
		return timestamppb.New(time.Date(y, time.Month(m), d, 9, 0, 0, 0, time.UTC))
	}
	at := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 9, 0, 0, 0, time.UTC) }
	level := func(id string, lvl int32) *dunningv1.DunningItem {
		return &dunningv1.DunningItem{OpenItemId: id, ClaimOpenItemId: id, Component: "principal", LevelAfter: lvl}
	}
	decision := func(debtor string, d *commonv1.Date, items ...*dunningv1.DunningItem) *dunningv1.DunningDecisionRecorded {
		return &dunningv1.DunningDecisionRecorded{Tenant: tn, DebtorId: debtor, Date: d, Items: items}
	}
	block := func(id, debtor, item, reason string, set, expires *commonv1.Date) *dunningv1.BlockSet {
		return &dunningv1.BlockSet{Tenant: tn, Block: &dunningv1.Block{BlockId: id, DebtorId: debtor, OpenItemId: item, Reason: reason, SetDate: set, Expires: expires}}
	}
	ref := &collectionsv1.CaseRef{Tenant: tn, CaseId: "C-1", Agency: "inkasso-1", DebtorId: "D3"}
	customer := func(debtor, group string, updated *timestamppb.Timestamp) *ingestionv1.CustomerIngested {
		return &ingestionv1.CustomerIngested{Tenant: tn, DebtorId: debtor, CustomerGroup: group, UpdatedAt: updated}
	}
	auto := matchingv1.DecisionKind_DECISION_KIND_AUTO
	first := []feedEvent{
		{1, "ingestion", "customer/D1", at(2026, 1, 1), customer("D1", "retail", ts(2026, 1, 1))},
		{1, "ingestion", "customer/D2", at(2026, 2, 1), customer("D2", "wholesale", ts(2026, 2, 1))},
		{1, "ingestion", "customer/D2", at(2026, 4, 15), customer("D2", "key-accounts", ts(2026, 4, 15))}, // after the key date
		{1, "dunning", "D3", at(2026, 1, 10), decision("D3", day(2026, 1, 10), level(ids["RE-4"], 3))},
		{1, "dunning", "D1", at(2026, 2, 1), decision("D1", day(2026, 2, 1), level(ids["RE-1"], 1))},
		{1, "dunning", "D1", at(2026, 3, 1), decision("D1", day(2026, 3, 1), level(ids["RE-1"], 2))},
		{1, "dunning", "D1", at(2026, 4, 10), decision("D1", day(2026, 4, 10), level(ids["RE-1"], 3), level(ids["RE-2"], 1))}, // after the key date
		{1, "dunning", "D2", at(2026, 3, 25), block("B-1", "D2", "", "dispute", day(2026, 3, 25), nil)},
		{1, "dunning", "D3", at(2026, 3, 1), block("B-2", "D3", ids["RE-4"], "promise-to-pay", day(2026, 3, 1), day(2026, 3, 15))}, // expired by then
		{1, "dunning", "D1", at(2026, 3, 10), block("B-3", "D1", ids["RE-2"], "customer-service", day(2026, 3, 10), nil)},
		{1, "dunning", "D1", at(2026, 4, 2), &dunningv1.BlockLifted{Tenant: tn, DebtorId: "D1", BlockId: "B-3", Date: day(2026, 4, 2), Reason: "manual"}}, // after the key date
		{1, "collections", "C-1", at(2026, 2, 15), &collectionsv1.CaseReleased{Ref: ref, ReleasedOn: day(2026, 2, 15), Source: "dunning",
			Items: []*collectionsv1.CaseItem{{OpenItemId: ids["RE-4"], ClaimOpenItemId: ids["RE-4"], Component: "principal"}}}},
		{1, "collections", "C-1", at(2026, 2, 16), &collectionsv1.CaseSubmitted{Ref: ref, Rule: "default"}},
		{1, "collections", "C-1", at(2026, 3, 5), &collectionsv1.StatusReported{Ref: ref, Status: collectionsv1.ProgressStatus_PROGRESS_STATUS_CONTACTED, Date: day(2026, 3, 5)}},
		{1, "matching", "P-1", at(2026, 3, 10), &matchingv1.PaymentDecided{Tenant: tn, Kind: auto, LedgerPaymentId: "P-1", Payment: &matchingv1.Payment{PaymentId: "P-1"}}},
		{1, "matching", "P-2", at(2026, 3, 25), &matchingv1.PaymentMatched{Tenant: tn, PaymentId: "P-2", LedgerPaymentId: "P-2",
			Resolution: matchingv1.Resolution_RESOLUTION_MANUAL, Actor: "user:clerk"}},
	}
	second := []feedEvent{
		{2, "dunning", "D2", at(2026, 3, 28), &dunningv1.BlockLifted{Tenant: tn, DebtorId: "D2", BlockId: "B-1", Date: day(2026, 3, 28), Reason: "source-resolved"}},
		{2, "dunning", "D2", at(2026, 3, 30), decision("D2", day(2026, 3, 30), level(ids["RE-3"], 1))},
		{2, "collections", "C-1", at(2026, 3, 20), &collectionsv1.StatusReported{Ref: ref, Status: collectionsv1.ProgressStatus_PROGRESS_STATUS_PAYMENT_PLAN, Date: day(2026, 3, 20)}},
		{2, "ingestion", "customer/D1", at(2026, 3, 15), customer("D1", "vip", ts(2026, 3, 15))},
		{2, "matching", "P-3", at(2026, 3, 28), &matchingv1.PaymentDecided{Tenant: tn, Kind: auto, LedgerPaymentId: "P-3", Payment: &matchingv1.Payment{PaymentId: "P-3"}}},
		// A payment left to a person says nothing about a booking.
		{2, "matching", "P-9", at(2026, 3, 28), &matchingv1.PaymentDecided{Tenant: tn, Kind: matchingv1.DecisionKind_DECISION_KIND_PROPOSED, Payment: &matchingv1.Payment{PaymentId: "P-9"}}},
	}
	model.events = append(append(model.events, first...), second...)

	asOf := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	openItems := func(known *timestamppb.Timestamp) (map[string]string, *timestamppb.Timestamp) {
		t.Helper()
		st, err := reports.OpenItems(ctx, &ledgerv1.OpenItemsRequest{Tenant: tn, AsOf: day(2026, 3, 31), KnownAt: known}, anna)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		var k *timestamppb.Timestamp
		for i, resp := range recvAll[*ledgerv1.OpenItemsResponse](t, st) {
			if i == 0 {
				k = resp.GetHeader().GetKnownAt()
			}
			for _, r := range resp.GetRows() {
				out[r.GetDocumentNumber()] = strings.Join([]string{r.GetDunningLevel(), r.GetDunningBlock(), r.GetCollectionStatus(), r.GetCustomerGroup()}, "|")
			}
		}
		return out, k
	}
	agingBy := func(known *timestamppb.Timestamp, dim ledgerv1.ReportDimension) map[string]int64 {
		t.Helper()
		st, err := reports.Aging(ctx, &ledgerv1.AgingRequest{Tenant: tn, AsOf: day(2026, 3, 31), KnownAt: known, GroupBy: []ledgerv1.ReportDimension{dim}}, anna)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, resp := range recvAll[*ledgerv1.AgingResponse](t, st) {
			for _, r := range resp.GetRows() {
				out[r.GetDunningLevel()+r.GetCustomerGroup()] += r.GetTotal().GetMinorUnits()
			}
		}
		return out
	}
	matchRate := func(known *timestamppb.Timestamp) (int64, bool) {
		t.Helper()
		st, err := reports.DSO(ctx, &ledgerv1.DSORequest{Tenant: tn, From: day(2026, 3, 1), AsOf: day(2026, 3, 31), KnownAt: known}, anna)
		if err != nil {
			t.Fatal(err)
		}
		resps := recvAll[*ledgerv1.DSOResponse](t, st)
		if len(resps) != 1 || len(resps[0].GetRows()) != 1 {
			t.Fatalf("DSO %v, want one row", resps)
		}
		r := resps[0].GetRows()[0]
		if r.GetCleared().GetMinorUnits() != 11000 {
			t.Errorf("cleared in March %v, want the four payments' 11000", r.GetCleared())
		}
		return r.GetMatchRateBasisPoints(), r.GetHasMatchRate()
	}
	// open is the open amount of each item at the key date, from the
	// payments above.
	open := map[string]int64{"RE-1": 11900 - 5000, "RE-2": 5950 - 1000, "RE-3": 23800 - 5000, "RE-4": 833}
	agingModel := func(batch, field int) map[string]int64 {
		out := map[string]int64{}
		for doc, cols := range model.columns(asOf, batch) {
			out[strings.Split(cols, "|")[field]] += open[doc]
		}
		return out
	}

	_, before := openItems(nil)
	if rate, ok := matchRate(before); ok || rate != 0 {
		t.Errorf("match rate %d (%v) before any decision reached the ledger, want none", rate, ok)
	}
	s.publishFeed(t, tn, first)
	got1, k1 := openItems(nil)
	if diff := cmp.Diff(model.columns(asOf, 1), got1); diff != "" {
		t.Errorf("open items after the first batch (-events +report):\n%s", diff)
	}
	if got1["RE-1"] != "2||"+"|retail" || got1["RE-3"] != "|dispute||wholesale" {
		t.Errorf("open items after the first batch %v, want RE-1 at level 2 and RE-3 blocked by its debtor's dispute", got1)
	}
	if diff := cmp.Diff(agingModel(1, 0), agingBy(k1, ledgerv1.ReportDimension_REPORT_DIMENSION_DUNNING_LEVEL)); diff != "" {
		t.Errorf("aging by dunning level after the first batch (-events +report):\n%s", diff)
	}
	// P-1 (5000) by matching alone, P-2 (3000) by a clerk: 5/8.
	if rate, ok := matchRate(k1); !ok || rate != 6250 {
		t.Errorf("match rate after the first batch %d (%v), want 6250 basis points", rate, ok)
	}
	rec, issued := s.issueOpenItems(t, reports, anna)
	if !bytes.Contains(issued, []byte(";dispute;")) || !bytes.Contains(issued, []byte(";contacted;")) {
		t.Errorf("the issued open-item list lacks the dunning block and collection status:\n%s", issued)
	}

	s.publishFeed(t, tn, second)
	got2, k2 := openItems(nil)
	if diff := cmp.Diff(model.columns(asOf, 2), got2); diff != "" {
		t.Errorf("open items after the second batch (-events +report):\n%s", diff)
	}
	if cmp.Equal(got1, got2) {
		t.Errorf("the second batch changed nothing: %v", got2)
	}
	again, _ := openItems(k1)
	if diff := cmp.Diff(got1, again); diff != "" {
		t.Errorf("open items known at the first cut, asked after the second batch (-then +now):\n%s", diff)
	}
	for _, f := range []struct {
		dim   ledgerv1.ReportDimension
		field int
	}{{ledgerv1.ReportDimension_REPORT_DIMENSION_DUNNING_LEVEL, 0}, {ledgerv1.ReportDimension_REPORT_DIMENSION_CUSTOMER_GROUP, 3}} {
		if diff := cmp.Diff(agingModel(2, f.field), agingBy(k2, f.dim)); diff != "" {
			t.Errorf("aging by %v after the second batch (-events +report):\n%s", f.dim, diff)
		}
		if diff := cmp.Diff(agingModel(1, f.field), agingBy(k1, f.dim)); diff != "" {
			t.Errorf("aging by %v known at the first cut (-events +report):\n%s", f.dim, diff)
		}
	}
	// The DSO per customer group: a debtor's receivables and sales in the
	// group its data has at the key date.
	st, err := reports.DSO(ctx, &ledgerv1.DSORequest{Tenant: tn, From: day(2026, 3, 1), AsOf: day(2026, 3, 31),
		GroupBy: []ledgerv1.ReportDimension{ledgerv1.ReportDimension_REPORT_DIMENSION_CUSTOMER_GROUP}}, anna)
	if err != nil {
		t.Fatal(err)
	}
	receivables, sales := map[string]int64{}, map[string]int64{}
	for _, resp := range recvAll[*ledgerv1.DSOResponse](t, st) {
		for _, r := range resp.GetRows() {
			receivables[r.GetCustomerGroup()] += r.GetReceivables().GetMinorUnits()
			sales[r.GetCustomerGroup()] += r.GetSales().GetMinorUnits()
		}
	}
	if diff := cmp.Diff(agingModel(2, 3), receivables); diff != "" {
		t.Errorf("DSO receivables per customer group (-events +report):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"vip": 5950, "wholesale": 23800, "": 0}, sales); diff != "" {
		t.Errorf("DSO sales of March per customer group (-want +report):\n%s", diff)
	}
	// P-3's late decision: 5000 + 2000 of 10000 decided; P-4 never was.
	if rate, ok := matchRate(k2); !ok || rate != 7000 {
		t.Errorf("match rate after the second batch %d (%v), want 7000 basis points", rate, ok)
	}
	if rate, ok := matchRate(k1); !ok || rate != 6250 {
		t.Errorf("match rate known at the first cut %d (%v), want 6250 basis points", rate, ok)
	}
	if v := s.reproduce(t, reports, anna, rec.GetId()); !v.GetIdentical() || !v.GetByteForByte() {
		t.Errorf("reproduction after the second batch %v, want byte for byte identical", v)
	}
}

// issueOpenItems issues the open-item list at 31 March 2026 as CSV.
func (s *svc) issueOpenItems(t *testing.T, reports ledgerv1grpc.ReportServiceClient, as grpc.CallOption) (*ledgerv1.IssuedReport, []byte) {
	t.Helper()
	st, err := reports.IssueReport(context.Background(), &ledgerv1.IssueReportRequest{Tenant: "acme", Format: ledgerv1.ReportFormat_REPORT_FORMAT_CSV,
		Report: &ledgerv1.IssueReportRequest_OpenItems{OpenItems: &ledgerv1.OpenItemsRequest{AsOf: day(2026, 3, 31)}}}, as)
	if err != nil {
		t.Fatal(err)
	}
	var rec *ledgerv1.IssuedReport
	var file []byte
	for i, resp := range recvAll[*ledgerv1.IssueReportResponse](t, st) {
		if i == 0 {
			rec = resp.GetReport()
		}
		file = append(file, resp.GetData()...)
	}
	return rec, file
}

// reproduce reproduces issued report id and returns the verdict.
func (s *svc) reproduce(t *testing.T, reports ledgerv1grpc.ReportServiceClient, as grpc.CallOption, id string) *ledgerv1.Reproduction {
	t.Helper()
	st, err := reports.ReproduceReport(context.Background(), &ledgerv1.ReproduceReportRequest{Tenant: "acme", Id: id}, as)
	if err != nil {
		t.Fatal(err)
	}
	var v *ledgerv1.Reproduction
	for _, resp := range recvAll[*ledgerv1.ReproduceReportResponse](t, st) {
		if resp.GetReproduction() != nil {
			v = resp.GetReproduction()
		}
	}
	return v
}
