package service_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/service"
)

// creditTenants gives acme the example credit note rules: approval above
// 100.00 EUR, customer service up to 200.00, accountants up to 5,000.00;
// beta's shop issues its own credit notes.
const creditTenants = `{"tenants": {
  "acme": {"name": "Acme GmbH", "console": {"credit_notes": {"number_range": {"prefix": "GS-", "next": 1, "width": 6},
    "approval_threshold": {"EUR": 10000}, "limits": {"customer-service": {"EUR": 20000}, "accountant": {"EUR": 500000}}}}},
  "beta": {"console": {"credit_notes": {"approval_threshold": {"EUR": 10000}, "limits": {"customer-service": {"EUR": 20000}},
    "issued_by": "shop"}}}}}`

// creditEnv is ingestion running with creditTenants.
type creditEnv struct {
	kit     *authztest.Authenticator
	credits ingestionv1grpc.CreditNoteServiceClient
	shop    ingestionv1grpc.IngestionServiceClient
	events  *eventstore.Store
	mu      sync.Mutex
	status  map[string][]proto.Message // by subject
}

func startCredits(t testing.TB) *creditEnv {
	t.Helper()
	ns := natsembed.Test(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kit := authztest.NewAuthenticator()
	cfg := host.Config{MigrateDatabaseURL: pgtest.NewDB(t, template), NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(),
		ManageStreams: true, ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: kit}}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := service.New(ctx, cfg, service.Options{Tenants: tenantstest.Parse(t, []byte(creditTenants)), ProjectionPoll: 10 * time.Millisecond},
		telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	conn, err := grpc.NewClient(s.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	e := &creditEnv{kit: kit, credits: ingestionv1grpc.NewCreditNoteServiceClient(conn), shop: ingestionv1grpc.NewIngestionServiceClient(conn),
		events: service.HostOf(s).Events, status: map[string][]proto.Message{}}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := nc.Subscribe("o2c.*.status.>", func(m *nats.Msg) {
		var msg proto.Message
		switch m.Subject {
		case "o2c.acme.status.credit-note.announced":
			msg = &statusv1.CreditNoteAnnounced{}
		case "o2c.beta.status.shop-credit-note.requested":
			msg = &statusv1.ShopCreditNoteRequested{}
		default:
			return
		}
		if err := proto.Unmarshal(m.Data, msg); err != nil {
			t.Errorf("%s: %v", m.Subject, err)
			return
		}
		e.mu.Lock()
		e.status[m.Subject] = append(e.status[m.Subject], msg)
		e.mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return e
}

// as is a person of tenant with roles.
func (e *creditEnv) as(actor, tenant string, roles ...identity.Role) grpc.CallOption {
	return e.kit.As(identity.Principal{Actor: actor, Tenants: []string{tenant}, Roles: roles})
}

// invoice stores tenant's invoice number of debtor K-1 over 1,000.00 EUR
// net plus 19 % VAT (1,190.00 gross), as its shop submits it.
func (e *creditEnv) invoice(t testing.TB, tenant, number string) {
	t.Helper()
	eur := func(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }
	inv := &shopv1.InvoiceIssued{
		Tenant: tenant, InvoiceNumber: number, OrderId: "WEB-" + number,
		Channel:   &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		Debtor:    &shopv1.Debtor{CustomerId: "K-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, Name: "Beispiel GmbH", VatId: "DE123456789"},
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 2}, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 2},
		Currency: "EUR",
		Lines:    []*shopv1.InvoiceLine{{Description: "Ware", Quantity: "1", NetAmount: eur(100000), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(100000), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(100000), Vat: eur(19000)}},
			Gross: eur(119000)},
		PaymentReference: number,
	}
	resp, err := e.shop.SubmitShopEvents(context.Background(), &ingestionv1.SubmitShopEventsRequest{Tenant: tenant,
		Events: []*ingestionv1.ShopEvent{{Event: &ingestionv1.ShopEvent_InvoiceIssued{InvoiceIssued: inv}}}}, e.kit.As(authztest.Principal(identity.Shop, tenant)))
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.GetResults()[0]; r.GetReason() != "" {
		t.Fatalf("invoice %s: %v", number, r)
	}
}

func request(tenant, id string, gross int64) *ingestionv1.RequestCreditNoteRequest {
	return &ingestionv1.RequestCreditNoteRequest{Tenant: tenant, RequestId: id, DebtorId: "K-1", InvoiceNumber: "R-1",
		Amounts: []*ingestionv1.CreditAmount{{RateBp: 1900, Gross: &commonv1.Money{MinorUnits: gross, Currency: "EUR"}}},
		Reason:  shopv1.CreditNoteReason_CREDIT_NOTE_REASON_GOODWILL, Note: "delivered late"}
}

// creditsOnInvoice counts the credit notes stored on tenant's invoice
// R-1's stream, which the ledger books.
func (e *creditEnv) creditsOnInvoice(t testing.TB, tenant string) []string {
	t.Helper()
	evs, err := e.events.ReadStream(context.Background(), eventstore.StreamID{Tenant: tenant, Type: "invoice", ID: "R-1"}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for _, ev := range evs {
		if cn, ok := ev.Payload.(*ingestionv1.CreditNoteIngested); ok {
			numbers = append(numbers, cn.GetCreditNoteNumber())
		}
	}
	return numbers
}

func code(err error) codes.Code { return status.Code(err) }

// TestCreditNotesWithFourEyes runs acme's credit notes through the
// CreditNoteService: below the threshold issued at once as GS-000001;
// above it pending until a second person approves (the requester and
// customer service may not); numbered GS-000002 only then; a retry of
// either books nothing twice; over-crediting and amounts above the limit
// refused; the PDF served; both announced on the status feed and listed.
func TestCreditNotesWithFourEyes(t *testing.T) {
	t.Parallel()
	e := startCredits(t)
	ctx := context.Background()
	e.invoice(t, "acme", "R-1")
	anna := e.as("user:anna", "acme", identity.CustomerService)
	bernd := e.as("user:bernd", "acme", identity.Accountant)
	carla := e.as("user:carla", "acme", identity.Accountant)

	small, err := e.credits.RequestCreditNote(ctx, request("acme", "small", 5000), anna)
	if err != nil {
		t.Fatal(err)
	}
	if cn := small.GetCreditNote(); cn.GetState() != ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_ISSUED || cn.GetCreditNoteNumber() != "GS-000001" {
		t.Errorf("50.00 EUR by customer service = %v; want ISSUED as GS-000001", cn)
	}
	big, err := e.credits.RequestCreditNote(ctx, request("acme", "big", 15000), anna)
	if err != nil {
		t.Fatal(err)
	}
	if cn := big.GetCreditNote(); cn.GetState() != ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_PENDING_APPROVAL || cn.GetCreditNoteNumber() != "" {
		t.Errorf("150.00 EUR = %v; want PENDING_APPROVAL without a number", cn)
	}
	if _, err := e.credits.RequestCreditNote(ctx, request("acme", "too-big", 20001), anna); code(err) != codes.PermissionDenied {
		t.Errorf("200.01 EUR by customer service = %v; want PermissionDenied (above the limit)", err)
	}
	if _, err := e.credits.GetCreditNoteDocument(ctx, &ingestionv1.GetCreditNoteDocumentRequest{Tenant: "acme", RequestId: "big"}, anna); code(err) != codes.FailedPrecondition {
		t.Errorf("the PDF of a pending credit note = %v; want FailedPrecondition", err)
	}
	// Four eyes: customer service may not approve at all, and an
	// accountant not their own request.
	if _, err := e.credits.ApproveCreditNote(ctx, &ingestionv1.ApproveCreditNoteRequest{Tenant: "acme", RequestId: "big"}, anna); code(err) != codes.PermissionDenied {
		t.Errorf("customer service approving = %v; want PermissionDenied", err)
	}
	own, err := e.credits.RequestCreditNote(ctx, request("acme", "own", 30000), bernd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.credits.ApproveCreditNote(ctx, &ingestionv1.ApproveCreditNoteRequest{Tenant: "acme", RequestId: "own"}, bernd); code(err) != codes.PermissionDenied {
		t.Errorf("approving one's own request = %v; want PermissionDenied", err)
	}
	approved, err := e.credits.ApproveCreditNote(ctx, &ingestionv1.ApproveCreditNoteRequest{Tenant: "acme", RequestId: "big"}, carla)
	if err != nil {
		t.Fatal(err)
	}
	if cn := approved.GetCreditNote(); cn.GetState() != ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_ISSUED || cn.GetCreditNoteNumber() != "GS-000002" || cn.GetDecidedBy() != "user:carla" {
		t.Errorf("approved = %v; want ISSUED as GS-000002 by user:carla", cn)
	}
	// Retries answer what was done and store nothing more.
	again, err := e.credits.ApproveCreditNote(ctx, &ingestionv1.ApproveCreditNoteRequest{Tenant: "acme", RequestId: "big"}, carla)
	if err != nil || again.GetCreditNote().GetCreditNoteNumber() != "GS-000002" {
		t.Errorf("approving again = %v, %v; want GS-000002 again", again, err)
	}
	smallAgain, err := e.credits.RequestCreditNote(ctx, request("acme", "small", 5000), anna)
	if err != nil || smallAgain.GetCreditNote().GetCreditNoteNumber() != "GS-000001" {
		t.Errorf("requesting again = %v, %v; want GS-000001 again", smallAgain, err)
	}
	if _, err := e.credits.RequestCreditNote(ctx, request("acme", "small", 6000), bernd); code(err) != codes.AlreadyExists && code(err) != codes.Aborted {
		t.Errorf("another request under a used id = %v; want a conflict", err)
	}
	if diff := cmp.Diff([]string{"GS-000001", "GS-000002"}, e.creditsOnInvoice(t, "acme")); diff != "" {
		t.Errorf("credit notes on R-1 for the ledger (-want +got):\n%s", diff)
	}
	// 1,190.00 - 50.00 - 150.00 = 990.00 left: "own" (300.00) still
	// fits, 990.01 does not.
	if _, err := e.credits.RequestCreditNote(ctx, request("acme", "over", 99001), bernd); code(err) != codes.FailedPrecondition {
		t.Errorf("crediting 990.01 of 990.00 left = %v; want FailedPrecondition", err)
	}
	rejected, err := e.credits.RejectCreditNote(ctx, &ingestionv1.RejectCreditNoteRequest{Tenant: "acme", RequestId: own.GetCreditNote().GetRequestId(), Reason: "already refunded"}, carla)
	if err != nil || rejected.GetCreditNote().GetState() != ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_REJECTED {
		t.Errorf("rejecting = %v, %v; want REJECTED", rejected, err)
	}
	if _, err := e.credits.ApproveCreditNote(ctx, &ingestionv1.ApproveCreditNoteRequest{Tenant: "acme", RequestId: "own"}, carla); code(err) != codes.FailedPrecondition {
		t.Errorf("approving a rejected request = %v; want FailedPrecondition", err)
	}

	doc, err := e.credits.GetCreditNoteDocument(ctx, &ingestionv1.GetCreditNoteDocumentRequest{Tenant: "acme", RequestId: "big"}, anna)
	if err != nil {
		t.Fatal(err)
	}
	if doc.GetFileName() != "GS-000002.pdf" || !bytes.HasPrefix(doc.GetPdf(), []byte("%PDF-")) {
		t.Errorf("document = %s, %d bytes; want GS-000002.pdf, a PDF", doc.GetFileName(), len(doc.GetPdf()))
	}

	var states []string
	waitFor(t, "the credit notes listed", func() bool {
		list, err := e.credits.ListCreditNotes(ctx, &ingestionv1.ListCreditNotesRequest{Tenant: "acme", DebtorId: "K-1"}, anna)
		if err != nil {
			t.Fatal(err)
		}
		states = nil
		for _, cn := range list.GetCreditNotes() {
			states = append(states, cn.GetRequestId()+" "+cn.GetState().String()+" "+cn.GetCreditNoteNumber())
		}
		return len(states) == 3 && states[0] == "own CREDIT_NOTE_STATE_REJECTED "
	})
	want := []string{"own CREDIT_NOTE_STATE_REJECTED ", "big CREDIT_NOTE_STATE_ISSUED GS-000002", "small CREDIT_NOTE_STATE_ISSUED GS-000001"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("ListCreditNotes (-want +got):\n%s", diff)
	}
	page, err := e.credits.ListCreditNotes(ctx, &ingestionv1.ListCreditNotesRequest{Tenant: "acme", PageSize: 2}, anna)
	if err != nil || len(page.GetCreditNotes()) != 2 || page.GetNextPageToken() == "" {
		t.Fatalf("first page of 2 = %v, %v; want 2 and a next token", page, err)
	}
	rest, err := e.credits.ListCreditNotes(ctx, &ingestionv1.ListCreditNotesRequest{Tenant: "acme", PageSize: 2, PageToken: page.GetNextPageToken()}, anna)
	if err != nil || len(rest.GetCreditNotes()) != 1 || rest.GetCreditNotes()[0].GetRequestId() != "small" || rest.GetNextPageToken() != "" {
		t.Errorf("second page = %v, %v; want small alone and no token", rest, err)
	}

	var announced []string
	waitFor(t, "the announcements on the status feed", func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		announced = nil
		for _, m := range e.status["o2c.acme.status.credit-note.announced"] {
			a := m.(*statusv1.CreditNoteAnnounced)
			announced = append(announced, a.GetCreditNoteNumber()+" "+a.GetInvoiceNumber()+" "+a.GetReason())
		}
		return len(announced) >= 2
	})
	if diff := cmp.Diff([]string{"GS-000001 R-1 GOODWILL", "GS-000002 R-1 GOODWILL"}, announced); diff != "" {
		t.Errorf("status feed (-want +got):\n%s", diff)
	}
}

// TestShopIssuedCreditNotes: for beta ("issued_by": "shop") an approved
// request goes to the shop on the status feed and nothing is stored for
// the ledger until the shop's credit note naming the request arrives; a
// shop credit note naming an unknown request is refused.
func TestShopIssuedCreditNotes(t *testing.T) {
	t.Parallel()
	e := startCredits(t)
	ctx := context.Background()
	e.invoice(t, "beta", "R-1")
	anna := e.as("user:anna", "beta", identity.CustomerService)
	got, err := e.credits.RequestCreditNote(ctx, request("beta", "ask-shop", 5000), anna)
	if err != nil {
		t.Fatal(err)
	}
	if cn := got.GetCreditNote(); cn.GetState() != ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_SENT_TO_SHOP || cn.GetCreditNoteNumber() != "" {
		t.Errorf("request = %v; want SENT_TO_SHOP without a number", cn)
	}
	if n := e.creditsOnInvoice(t, "beta"); len(n) != 0 {
		t.Errorf("credit notes stored before the shop answered: %v", n)
	}
	waitFor(t, "the request on the status feed", func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return len(e.status["o2c.beta.status.shop-credit-note.requested"]) == 1
	})
	eur := func(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }
	answer := func(number, requestID string) *ingestionv1.SubmitShopEventsResponse {
		t.Helper()
		cn := &shopv1.CreditNoteIssued{Tenant: "beta", CreditNoteNumber: number, InvoiceNumber: "R-1", CustomerId: "K-1",
			IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 20}, Currency: "EUR",
			Lines:  []*shopv1.InvoiceLine{{Description: "Kulanz", Quantity: "1", NetAmount: eur(4202), VatRateBp: 1900}},
			Totals: &shopv1.InvoiceTotals{Net: eur(4202), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(4202), Vat: eur(798)}}, Gross: eur(5000)},
			Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_GOODWILL, RequestId: requestID}
		resp, err := e.shop.SubmitShopEvents(ctx, &ingestionv1.SubmitShopEventsRequest{Tenant: "beta",
			Events: []*ingestionv1.ShopEvent{{Event: &ingestionv1.ShopEvent_CreditNoteIssued{CreditNoteIssued: cn}}}}, e.kit.As(authztest.Principal(identity.Shop, "beta")))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if r := answer("SHOP-CN-9", "never-asked").GetResults()[0]; r.GetReason() == "" {
		t.Errorf("a shop credit note naming an unknown request = %v; want it refused", r)
	}
	if r := answer("SHOP-CN-1", "ask-shop").GetResults()[0]; r.GetReason() != "" {
		t.Fatalf("the shop's answer = %v; want it accepted", r)
	}
	if diff := cmp.Diff([]string{"SHOP-CN-1"}, e.creditsOnInvoice(t, "beta")); diff != "" {
		t.Errorf("credit notes for the ledger (-want +got):\n%s", diff)
	}
	waitFor(t, "the request marked issued by the shop", func() bool {
		list, err := e.credits.ListCreditNotes(ctx, &ingestionv1.ListCreditNotesRequest{Tenant: "beta"}, anna)
		if err != nil {
			t.Fatal(err)
		}
		cns := list.GetCreditNotes()
		return len(cns) == 1 && cns[0].GetState() == ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_ISSUED_BY_SHOP && cns[0].GetCreditNoteNumber() == "SHOP-CN-1"
	})
}

// TestCheckTenantsNamesTheCreditNoteField: `o2c tenants validate` (and
// ingestion's start) name the tenant and field of a bad credit_notes
// object and pass the example rules.
func TestCheckTenantsNamesTheCreditNoteField(t *testing.T) {
	t.Parallel()
	if err := service.CheckTenants(tenantstest.Parse(t, []byte(creditTenants))); err != nil {
		t.Errorf("CheckTenants(the example rules) = %v", err)
	}
	bad := `{"tenants": {"acme": {"console": {"theme": "dark", "credit_notes": {"limits": {"intern": {"EUR": 1}}}}}}}`
	err := service.CheckTenants(tenantstest.Parse(t, []byte(bad)))
	var fe *tenants.FileError
	if !errors.As(err, &fe) || len(fe.Problems) != 1 || fe.Problems[0].Tenant != "acme" || fe.Problems[0].Field != "console.credit_notes.limits.intern" {
		t.Errorf("CheckTenants(an unknown role) = %v; want one problem of acme at console.credit_notes.limits.intern", err)
	}
}
