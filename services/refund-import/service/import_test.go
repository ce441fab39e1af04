package service

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

var march = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// dying is an HTTP transport that lets the first after requests of the
// Finances API through and fails every later one, as a process that died.
type dying struct {
	mu    sync.Mutex
	after int
	seen  int
}

func (d *dying) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/finances/") {
		d.mu.Lock()
		d.seen++
		dead := d.seen > d.after
		d.mu.Unlock()
		if dead {
			return nil, errors.New("connection refused: the process is gone")
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestAccessMatrix calls every RPC refund import serves as every role, and
// for a tenant outside the caller's, and checks the answers against its
// policy (rpc.Policy with rejection.Policy).
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	s := newEnv(t, spapifake.Options{}).start(t)
	authztest.CheckMatrix(t, s.r.h.GRPC, s.conn, testAuth, s.r.h.Policy, "acme", "beta")
}

// expiring is an HTTP transport that expires the fake's access tokens
// once, after the first page of the Finances API, and counts the token
// requests.
type expiring struct {
	amazon *spapifake.Server
	mu     sync.Mutex
	pages  int
	tokens int
}

func (x *expiring) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	x.mu.Lock()
	defer x.mu.Unlock()
	switch {
	case strings.Contains(r.URL.Path, "/auth/o2/token"):
		x.tokens++
	case strings.Contains(r.URL.Path, "/finances/") && err == nil && res.StatusCode == http.StatusOK:
		x.pages++
		if x.pages == 1 {
			x.amazon.ExpireTokens()
		}
	}
	return res, err
}

// TestImportBooksEachRefundOnce: given three orders in the ledger and
// their refund, guarantee claim and chargeback in the Finances API, one
// event a page with empty pages between them, the first requests
// throttled and the access token expiring after the first page, when the
// import runs, then the client refreshes the token and each refund is
// booked as a credit note on its order's item; when the import runs again
// over the same days, it books nothing twice.
func TestImportBooksEachRefundOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{PageSize: 1})
	x := &expiring{amazon: e.amazon}
	e.http = &http.Client{Transport: x}
	s := e.start(t)
	for _, o := range []string{"O-1", "O-2", "O-3"} {
		s.order(t, "I-"+o, o, 11900)
	}
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-1", "ADJ-1", march)))
	e.amazon.AddFinancialEvents(march.Add(time.Hour), spapifake.GuaranteeClaimEventList,
		spapifake.GuaranteeClaimEvent(refundSpec("O-2", "ADJ-2", march.Add(time.Hour))))
	e.amazon.AddFinancialEvents(march.Add(2*time.Hour), spapifake.ChargebackEventList,
		spapifake.ChargebackEvent(refundSpec("O-3", "ADJ-3", march.Add(2*time.Hour))))
	e.amazon.EmptyPages(2)
	e.amazon.Throttle("listFinancialEvents", 2)

	got := s.run(t, &refundv1.RunImportRequest{})
	if got.GetError() != "" || got.GetRefundsNew() != 3 || got.GetEvents() != 3 || got.GetPages() < 5 {
		t.Fatalf("first run %v; want 3 events on at least 5 pages (two empty) booked, no error", got)
	}
	if n := e.amazon.Requests("listFinancialEvents"); n < int(got.GetPages())+2 {
		t.Errorf("%d requests for %d pages; want the two throttled ones repeated", n, got.GetPages())
	}
	x.mu.Lock()
	tokens := x.tokens
	x.mu.Unlock()
	if tokens != 2 {
		t.Errorf("%d token requests; want the first and one refresh after the token expired mid-run", tokens)
	}
	cmds := s.commands(t, 3)
	want := map[string]bool{"amazon-refund:ADJ-1": true, "amazon-refund:ADJ-2": true, "amazon-refund:ADJ-3": true}
	for _, c := range cmds {
		cn, ok := c.(*ledgerv1.IssueCreditNote)
		if !ok || !want[cn.GetIdempotencyKey()] || cn.GetGross().GetMinorUnits() != 5950 || cn.GetDebtorId() != marketplaceDebtor {
			t.Errorf("command %v; want a credit note of 59.50 keyed by one of the adjustments on the marketplace's debtor", c)
		}
		delete(want, cn.GetIdempotencyKey())
	}
	if len(want) != 0 {
		t.Errorf("no credit note for %v", want)
	}

	again := s.run(t, &refundv1.RunImportRequest{SellerAccount: "eu", Since: timestamppb.New(march.Add(-24 * time.Hour))})
	if again.GetError() != "" || again.GetRefundsNew() != 0 || again.GetRefundsDuplicate() != 3 {
		t.Errorf("second run %v; want the three refunds seen again as duplicates, nothing new, no error", again)
	}
	if n := s.stored(t, issueCreditNote); n != 3 {
		t.Errorf("%d credit notes stored, want 3", n)
	}
	rs := s.refunds(t, "O-2")
	if len(rs) != 1 || rs[0].GetState() != refundv1.RefundState_REFUND_STATE_BOOKED ||
		rs[0].GetKind() != refundv1.RefundKind_REFUND_KIND_GUARANTEE_CLAIM || rs[0].GetCreditNoteNumber() != "amazon-refund:ADJ-2" ||
		rs[0].GetOpenItemId() != "I-O-2" {
		t.Errorf("refunds of O-2: %v; want the guarantee claim booked as amazon-refund:ADJ-2 on I-O-2", rs)
	}
}

// TestRestartAfterAFailureBooksEachRefundOnce: when the Finances API fails
// for good after the first pages were fetched and booked and the service
// is stopped (as a crash between fetching and booking would leave it: the
// window is not complete), a new process imports the window again and
// books every refund exactly once.
func TestRestartAfterAFailureBooksEachRefundOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{PageSize: 2})
	s0 := e.start(t)
	for i, o := range []string{"O-1", "O-2", "O-3", "O-4", "O-5"} {
		s0.order(t, "I-"+o, o, 11900)
		e.amazon.AddFinancialEvents(march.Add(time.Duration(i)*time.Hour), spapifake.RefundEventList,
			spapifake.RefundEvent(refundSpec(o, "ADJ-"+o, march.Add(time.Duration(i)*time.Hour))))
	}
	s0.stop()
	// The process dies after its first page: every later request of the
	// Finances API fails, retries included, and the service is stopped.
	e.http = &http.Client{Transport: &dying{after: 1}}
	s := e.start(t)
	first := s.run(t, &refundv1.RunImportRequest{})
	booked := int(first.GetRefundsNew())
	s.stop()
	if first.GetError() == "" || booked != 2 {
		t.Fatalf("first run %v; want it stopped by the failure after the first page's two refunds", first)
	}

	e.http = nil
	s2 := e.start(t)
	second := s2.run(t, &refundv1.RunImportRequest{})
	if second.GetError() != "" {
		t.Fatalf("run after the restart: %s", second.GetError())
	}
	if got := booked + int(second.GetRefundsNew()); got != 5 {
		t.Errorf("%d booked before and %d after the restart; want 5 in all", booked, second.GetRefundsNew())
	}
	if n := s2.stored(t, issueCreditNote); n != 5 {
		t.Errorf("%d credit notes stored, want 5", n)
	}
}

// TestOverlappingWindows: a refund Amazon posts late, with a posted date
// before where the last run got to but within the overlap, is found by
// the next run; the refunds the overlap reads again are duplicates.
func TestOverlappingWindows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{})
	s := e.start(t)
	now := time.Now().UTC()
	recent := now.Add(-6 * time.Hour)
	s.order(t, "I-O-1", "O-1", 11900)
	s.order(t, "I-O-2", "O-2", 11900)
	e.amazon.AddFinancialEvents(recent, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-1", "ADJ-1", recent)))
	if got := s.run(t, &refundv1.RunImportRequest{}); got.GetRefundsNew() != 1 {
		t.Fatalf("first run %v, want one refund booked", got)
	}
	late := now.Add(-12 * time.Hour) // before the first run's end, within the 48h overlap
	e.amazon.AddFinancialEvents(late, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-2", "ADJ-2", late)))
	got := s.run(t, &refundv1.RunImportRequest{})
	if got.GetRefundsNew() != 1 || got.GetRefundsDuplicate() != 1 {
		t.Errorf("second run %v; want the late refund booked and the first seen again as a duplicate", got)
	}
	if n := s.stored(t, issueCreditNote); n != 2 {
		t.Errorf("%d credit notes stored, want 2", n)
	}
}

// settlementReport is a flat file V2 settlement report with the refund
// ADJ-1 of order O-1 (59.50 to the buyer, the commission given back).
func settlementReport(order, adj, posted string) []byte {
	return []byte("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id\n" +
		"S-77\t2026-03-01 00:00:00 UTC\t2026-03-15 00:00:00 UTC\t2026-03-17 00:00:00 UTC\t-51.32\tEUR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n" +
		"S-77\t\t\t\t\t\tRefund\t" + order + "\t\t" + adj + "\t\tAmazon.de\tItemPrice\tPrincipal\t-50.00\tMFN\t" + posted + "\t\t\t\t\tSKU-" + order + "\t\t\n" +
		"S-77\t\t\t\t\t\tRefund\t" + order + "\t\t" + adj + "\t\tAmazon.de\tItemPrice\tTax\t-9.50\tMFN\t" + posted + "\t\t\t\t\tSKU-" + order + "\t\t\n" +
		"S-77\t\t\t\t\t\tRefund\t" + order + "\t\t" + adj + "\t\tAmazon.de\tItemFees\tCommission\t8.18\tMFN\t" + posted + "\t\t\t\t\tSKU-" + order + "\t\t\n")
}

// TestSettlementReportAndAPIBookOneCreditNote: given a settlement report
// in the Reports API and the same refund in the Finances API, when the
// import runs, then the report is handed to ingestion once and recorded,
// and the refund is booked once, with the credit note matching builds
// from the same settlement line (issued on the posted day).
func TestSettlementReportAndAPIBookOneCreditNote(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{})
	s := e.start(t)
	s.order(t, "I-O-1", "O-1", 11900)
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-1", "ADJ-1", march)))
	report := e.amazon.AddSettlementReport(time.Date(2026, 3, 17, 6, 0, 0, 0, time.UTC), settlementReport("O-1", "ADJ-1", "2026-03-02"))

	got := s.run(t, &refundv1.RunImportRequest{})
	if got.GetError() != "" || got.GetRefundsNew() != 1 || got.GetRefundsDuplicate() != 1 || got.GetSettlementReports() != 1 {
		t.Fatalf("run %v; want the refund booked from the API, seen again in the report, one report fetched", got)
	}
	if files, calls := e.ing.received(); files != 1 || calls != 1 {
		t.Errorf("ingestion received %d files in %d calls, want one", files, calls)
	}
	cmds := s.commands(t, 1)
	want := &ledgerv1.IssueCreditNote{Tenant: "acme", IdempotencyKey: "amazon-refund:ADJ-1", CreditNoteNumber: "amazon-refund:ADJ-1",
		DebtorId: marketplaceDebtor, OpenItemId: "I-O-1", Currency: "EUR", Gross: eur(5950),
		IssueDate: &commonv1.Date{Year: 2026, Month: 3, Day: 2},
		Vat:       []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(5000), Vat: eur(950)}}}
	if len(cmds) != 1 {
		t.Fatalf("%d commands, want one credit note", len(cmds))
	}
	if diff := cmp.Diff(want, cmds[0], protocmp.Transform()); diff != "" {
		t.Errorf("credit note (-want +got):\n%s", diff)
	}

	again := s.run(t, &refundv1.RunImportRequest{})
	if again.GetSettlementReports() != 0 || again.GetRefundsNew() != 0 {
		t.Errorf("second run %v; want nothing fetched or booked again", again)
	}
	if _, calls := e.ing.received(); calls != 1 {
		t.Errorf("ingestion called %d times, want once", calls)
	}
	fs, err := s.api.ListSettlementFetches(context.Background(), &refundv1.ListSettlementFetchesRequest{Tenant: "acme"}, testAuth.As(clara))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs.GetFetches()) != 1 || fs.GetFetches()[0].GetReportId() != report || fs.GetFetches()[0].GetStatus() != "IMPORTED" {
		t.Errorf("fetches %v; want report %s imported", fs.GetFetches(), report)
	}
}

// TestDecisionsThroughTheLedgersItems covers what the ledger's items
// decide: a refund the shop credited already is linked, one above what
// was invoiced is held with its reason, one before its order waits and is
// booked when the order arrives, and a refund taken back has its credit
// note reversed once the ledger booked it.
func TestDecisionsThroughTheLedgersItems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{})
	s := e.start(t)
	// O-1: the shop credited 59.50 itself.
	s.order(t, "I-O-1", "O-1", 11900)
	s.ledger(t, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-O-1", DebtorId: marketplaceDebtor, OpenAmount: eur(5950),
		Settlements: []*ledgerv1.Settlement{{SettlementId: "ST-1", OpenItemId: "I-O-1", Amount: eur(5950),
			Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, Document: "GS-2026-7", EntryId: "E-GS-7"}}})
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-1", "ADJ-1", march)))
	// O-2: invoiced 30.00 only; the refund of 59.50 is more.
	s.order(t, "I-O-2", "O-2", 3000)
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-2", "ADJ-2", march)))
	// O-3: not in the ledger yet.
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-3", "ADJ-3", march)))
	// O-4: refunded, and the refund taken back a week later.
	s.order(t, "I-O-4", "O-4", 11900)
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-4", "ADJ-4", march)))
	later := march.Add(7 * 24 * time.Hour)
	back := refundSpec("O-4", "ADJ-4R", later)
	e.amazon.AddFinancialEvents(later, spapifake.RefundEventList, spapifake.ReversalEvent(back))

	got := s.run(t, &refundv1.RunImportRequest{})
	if got.GetError() != "" || got.GetLinked() != 1 || got.GetHeld() != 1 || got.GetWaiting() != 2 || got.GetRefundsNew() != 1 {
		t.Fatalf("run %v; want O-1 linked, O-2 held, O-4 booked, O-3 and the reversal waiting", got)
	}
	state := func(order string) (refundv1.RefundState, string) {
		for _, r := range s.refunds(t, order) {
			if r.GetKind() != refundv1.RefundKind_REFUND_KIND_REVERSAL {
				return r.GetState(), r.GetReason()
			}
		}
		return 0, ""
	}
	if st, why := state("O-1"); st != refundv1.RefundState_REFUND_STATE_LINKED || !strings.Contains(why, "GS-2026-7") {
		t.Errorf("O-1: %v (%s), want linked to GS-2026-7", st, why)
	}
	if st, why := state("O-2"); st != refundv1.RefundState_REFUND_STATE_HELD || !strings.Contains(why, "over-refund") {
		t.Errorf("O-2: %v (%s), want held as an over-refund", st, why)
	}
	if st, _ := state("O-3"); st != refundv1.RefundState_REFUND_STATE_WAITING {
		t.Errorf("O-3: %v, want waiting", st)
	}

	// The order arrives: its refund is booked.
	s.order(t, "I-O-3", "O-3", 11900)
	eventually(t, "O-3's refund booked", func() bool {
		st, _ := state("O-3")
		return st == refundv1.RefundState_REFUND_STATE_BOOKED
	})
	// The ledger books O-4's credit note: the reversal reverses its entry.
	s.ledger(t, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-O-4", DebtorId: marketplaceDebtor, OpenAmount: eur(5950),
		Settlements: []*ledgerv1.Settlement{{SettlementId: "ST-4", OpenItemId: "I-O-4", Amount: eur(5950),
			Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, Document: "amazon-refund:ADJ-4", EntryId: "E-CN-4"}}})
	eventually(t, "O-4's refund reversed", func() bool {
		st, _ := state("O-4")
		return st == refundv1.RefundState_REFUND_STATE_REVERSED
	})
	var reversal proto.Message
	for _, c := range s.commands(t, 3) {
		if _, ok := c.(*ledgerv1.ReverseEntry); ok {
			reversal = c
		}
	}
	want := &ledgerv1.ReverseEntry{Tenant: "acme", IdempotencyKey: "refund-import:reverse:ADJ-4", EntryId: "E-CN-4",
		Reason: "marketplace took refund ADJ-4 of order O-4 back"}
	if diff := cmp.Diff(want, reversal, protocmp.Transform()); diff != "" {
		t.Errorf("reversal (-want +got):\n%s", diff)
	}
	if n := s.stored(t, issueCreditNote); n != 2 {
		t.Errorf("%d credit notes stored, want O-3's and O-4's", n)
	}
	if n := s.stored(t, reverseEntry); n != 1 {
		t.Errorf("%d reversals stored, want 1", n)
	}
}

// TestTwoRefundsOfOneOrderOnOnePage: two refunds of one order on the same
// page are decided one after the other, so the second sees the first:
// together they exceed the invoice, and the second is held.
func TestTwoRefundsOfOneOrderOnOnePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{})
	s := e.start(t)
	s.order(t, "I-O-1", "O-1", 10000)
	first, second := refundSpec("O-1", "ADJ-1", march), refundSpec("O-1", "ADJ-2", march.Add(time.Hour))
	second.SKU = "SKU-other"
	e.amazon.AddFinancialEvents(first.Posted, spapifake.RefundEventList, spapifake.RefundEvent(first))
	e.amazon.AddFinancialEvents(second.Posted, spapifake.RefundEventList, spapifake.RefundEvent(second))
	got := s.run(t, &refundv1.RunImportRequest{})
	if got.GetEvents() != 2 || got.GetRefundsNew() != 1 || got.GetHeld() != 1 {
		t.Fatalf("run %v; want one refund booked and the other held", got)
	}
	for _, r := range s.refunds(t, "O-1") {
		if r.GetAdjustmentId() == "ADJ-2" && (r.GetState() != refundv1.RefundState_REFUND_STATE_HELD || !strings.Contains(r.GetReason(), "59.50 EUR credited already")) {
			t.Errorf("ADJ-2: %v (%s); want held, the first refund counted as credited", r.GetState(), r.GetReason())
		}
	}
}

// TestLedgerMessageThatCannotBeReadIsRejected: a message on the ledger's
// item subjects that does not decode is recorded as a rejection the
// operator sees, and the consumer goes on with the next one.
func TestLedgerMessageThatCannotBeReadIsRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{})
	s := e.start(t)
	ctx := context.Background()
	if _, err := e.js.Publish(ctx, "o2c.acme.ledger.open-item.opened", []byte("not a relayed event")); err != nil {
		t.Fatal(err)
	}
	s.order(t, "I-O-1", "O-1", 11900)
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-1", "ADJ-1", march)))
	if got := s.run(t, &refundv1.RunImportRequest{}); got.GetRefundsNew() != 1 {
		t.Errorf("run %v; want the refund of the order that came after the bad message booked", got)
	}
	operator := identity.Principal{Actor: "user:olga", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Operator}}
	rejections := rejectionv1grpc.NewRejectionServiceClient(s.conn)
	eventually(t, "the rejection", func() bool {
		r, err := rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "acme",
			State: rejectionv1.RejectionState_REJECTION_STATE_OPEN}, testAuth.As(operator))
		return err == nil && len(r.GetRejections()) == 1 && r.GetRejections()[0].GetSubject() == "o2c.acme.ledger.open-item.opened"
	})
}
