package service

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
)

// TestHostileAgencyRequests sends an agency's requests with amounts
// beyond money's bounds or of the wrong sign or currency, dates that are
// not in the calendar, and text that cannot be stored or published (a
// NUL, a key of 100,000 bytes, a note of 1 MiB that NATS
// would refuse to carry and so stop collections' relay), and the
// merchant's recall, answer and release with such text. Each is refused
// with INVALID_ARGUMENT naming the field, and the case is unchanged.
func TestHostileAgencyRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := bus.EnsureStreams(e.ctx, e.js, bus.ServiceStreamConfig("ledger")); err != nil {
		t.Fatal(err)
	}
	c := e.startCollections(t)
	ctx := e.ctx
	e.publish(t, "acme", "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", Kind: "invoice",
		DocumentNumber: "RE-1", Amount: eur(11900), DocumentDate: pday(2026, 7, 1), DueDate: pday(2026, 8, 1)})
	e.publish(t, "acme", "dunning", &dunningv1.ReleasedToCollections{Tenant: "acme", DebtorId: "D-1", Date: pday(2026, 11, 2),
		Items: []*dunningv1.ReleasedItem{{OpenItemId: "I-1", ClaimOpenItemId: "I-1", DocumentNumber: "RE-1", Component: "principal",
			Open: eur(11900), DueDate: pday(2026, 8, 1)}}})
	nord := collectionsv1grpc.NewAgencyServiceClient(dial(t, c.Addr(), agent("nord", "acme")))
	var caseID string
	eventually(t, "nord's case", func() bool {
		r, err := nord.ListCases(ctx, &collectionsv1.AgencyServiceListCasesRequest{Tenant: "acme"})
		if err != nil || len(r.GetCases()) != 1 {
			return false
		}
		caseID = r.GetCases()[0].GetCaseId()
		return true
	})
	if _, err := nord.AcceptCase(ctx, &collectionsv1.AcceptCaseRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: "accept", AgencyReference: "N-1"}); err != nil {
		t.Fatal(err)
	}
	m := func(minor int64, cur string) *commonv1.Money {
		return &commonv1.Money{MinorUnits: minor, Currency: cur}
	}
	pay := func(key string, f func(*collectionsv1.ReportPaymentRequest)) error {
		r := &collectionsv1.ReportPaymentRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: key, Collected: eur(100), CollectedDate: pday(2026, 11, 20)}
		f(r)
		_, err := nord.ReportPayment(ctx, r)
		return err
	}
	report := func(key, note string, d *commonv1.Date) error {
		_, err := nord.ReportStatus(ctx, &collectionsv1.ReportStatusRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: key,
			Status: collectionsv1.ProgressStatus_PROGRESS_STATUS_CONTACTED, Note: note, Date: d})
		return err
	}
	before, err := nord.GetCase(ctx, &collectionsv1.AgencyServiceGetCaseRequest{Tenant: "acme", CaseId: caseID})
	if err != nil {
		t.Fatal(err)
	}
	merchant := collectionsv1grpc.NewCollectionsServiceClient(dial(t, c.Addr(), clara))
	call := func(_ any, err error) error { return err }
	ask := func(key, text string) error {
		_, err := nord.AskQuestion(ctx, &collectionsv1.AskQuestionRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: key, Text: text})
		return err
	}
	get := func(id string) error {
		_, err := nord.GetCase(ctx, &collectionsv1.AgencyServiceGetCaseRequest{Tenant: "acme", CaseId: id})
		return err
	}
	for _, tt := range []struct {
		name string
		err  error
		// says is a part of the message, which must name the field.
		says string
	}{
		{"negative payment", pay("p1", func(r *collectionsv1.ReportPaymentRequest) { r.Collected = eur(-100) }), "collected: must be positive"},
		{"int64 max collected", pay("p2", func(r *collectionsv1.ReportPaymentRequest) { r.Collected = eur(math.MaxInt64) }), "collected: 9223372036854775807 minor units, beyond the bounds of money"},
		{"costs that overflow the sum", pay("p3", func(r *collectionsv1.ReportPaymentRequest) { r.NewCosts = eur(math.MaxInt64) }), "new_costs: 9223372036854775807 minor units"},
		{"fees of -int64 max", pay("p4", func(r *collectionsv1.ReportPaymentRequest) { r.Fees = eur(-math.MaxInt64) }), "fees: -9223372036854775807 minor units"},
		{"another currency", pay("p5", func(r *collectionsv1.ReportPaymentRequest) { r.Collected = m(100, "USD") }), `collected: currency "USD", the case is in EUR`},
		{"NUL in the currency", pay("p6", func(r *collectionsv1.ReportPaymentRequest) { r.Collected = m(100, "E\x00R") }), "collected.currency: contains a NUL byte"},
		{"month 13", pay("p7", func(r *collectionsv1.ReportPaymentRequest) { r.CollectedDate = pday(2026, 13, 40) }), "collected_date: 2026-13-40 is no date"},
		{"year 99999", pay("p8", func(r *collectionsv1.ReportPaymentRequest) { r.CollectedDate = pday(99999, 1, 1) }), "collected_date: 99999-01-01 is no date"},
		{"30 February", report("s1", "x", pday(2026, 2, 30)), "date: 2026-02-30 is no date"},
		{"NUL in the key", pay("p\x00", func(r *collectionsv1.ReportPaymentRequest) {}), "idempotency_key: contains a NUL byte"},
		{"100,000-byte key", pay(strings.Repeat("k", 100000), func(r *collectionsv1.ReportPaymentRequest) {}), "idempotency_key: is 100000 bytes long"},
		{"NUL in a note", report("s2", "a\x00b", nil), "note: contains a NUL byte"},
		{"1 MiB note", report("s3", strings.Repeat("n", 1<<20), nil), "note: is 1048576 bytes long"},
		{"NUL in a question", ask("q2", "a\x00b"), "text: contains a NUL byte"},
		{"NUL in the case id", get("x\x00y"), "case_id: contains a NUL byte"},
		{"merchant: 1 MiB recall reason", call(merchant.RecallCase(ctx, &collectionsv1.RecallCaseRequest{Tenant: "acme", CaseId: caseID,
			OpenItemIds: []string{"I-1"}, Reason: strings.Repeat("r", 1<<20)})), "reason: is 1048576 bytes long"},
		{"merchant: NUL in an answer", call(merchant.AnswerQuestion(ctx, &collectionsv1.AnswerQuestionRequest{Tenant: "acme", CaseId: caseID,
			QuestionId: "q", Answer: "a\x00"})), "answer: contains a NUL byte"},
		{"merchant: NUL in a release reason", call(merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-1",
			Reason: "\x00"})), "reason: contains a NUL byte"},
		{"merchant: NUL in the case id", call(merchant.GetCase(ctx, &collectionsv1.GetCaseRequest{Tenant: "acme", CaseId: "x\x00"})), "case_id: contains a NUL byte"},
	} {
		if status.Code(tt.err) != codes.InvalidArgument || !strings.Contains(status.Convert(tt.err).Message(), tt.says) {
			t.Errorf("%s: %v, want INVALID_ARGUMENT saying %q", tt.name, tt.err, tt.says)
		}
	}
	after, err := nord.GetCase(ctx, &collectionsv1.AgencyServiceGetCaseRequest{Tenant: "acme", CaseId: caseID})
	if err != nil {
		t.Fatalf("GetCase after the hostile requests: %v", err)
	}
	if diff := cmp.Diff(before, after, protocmp.Transform()); diff != "" {
		t.Errorf("the case changed under refused requests (-before +after):\n%s", diff)
	}
	// A terminal escape is text like any other: stored as given, shown
	// escaped by whoever displays it.
	if err := report("s4", "\x1b[2J", nil); err != nil {
		t.Errorf("a note with an escape: %v, want it taken", err)
	}
	if err := get(strings.Repeat("c", 100000)); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a 100,000-byte case id: %v, want INVALID_ARGUMENT", err)
	}
}
