package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
)

// testTenants is the tenants file of startService: every tenant a test of
// this package books for. A test that uses another tenant must add it
// here, or the ledger answers NOT_FOUND.
func testTenants(tb testing.TB) *tenants.File {
	tb.Helper()
	return tenantstest.File(tb, testTenantIDs()...)
}

// testTenantIDs are the tenants of testTenants.
func testTenantIDs() []string {
	return []string{"acme", "shop-1", "shop-x", "shop-m", "shop-merge", "shop-mkt"}
}

// TestUnknownTenantIsNotFound asks the running ledger about a tenant the
// tenants file does not list, and sends it a command and an ingested
// invoice for that tenant: the questions are answered NOT_FOUND (not "0
// open items"), both messages are recorded as rejections with the reason
// code unknown_tenant, and nothing is stored for the tenant.
func TestUnknownTenantIsNotFound(t *testing.T) {
	t.Parallel()
	s := startService(t)
	ctx := context.Background()
	// An accountant and operator of the tenant passes the guard: only the
	// tenants file decides that the tenant does not exist.
	staff := identity.Principal{Actor: "user:olga", Tenants: []string{"nosuch"}, Roles: []identity.Role{identity.Accountant, identity.Operator}}
	conn, err := grpc.NewClient(s.l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), testAuth.DialAs(staff))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	_, err = ledgerv1grpc.NewLedgerServiceClient(conn).ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: "nosuch"})
	if status.Code(err) != codes.NotFound || status.Convert(err).Message() != "tenant nosuch does not exist (not in the tenants file)" {
		t.Errorf("ListOpenItems(nosuch) = %v, want NOT_FOUND naming the tenant", err)
	}
	_, err = ledgerv1grpc.NewLedgerQueryServiceClient(conn).GetTrialBalance(ctx, &ledgerv1.GetTrialBalanceRequest{Tenant: "nosuch"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("GetTrialBalance(nosuch) = %v, want NOT_FOUND", err)
	}
	_, err = s.cmds.RegisterInvoice(ctx, &ledgerv1.RegisterInvoiceRequest{Command: invoice("nosuch", "D1", "R-1", 100, day(2026, 3, 1), day(2026, 4, 1))}, testAuth.As(staff))
	if status.Code(err) != codes.NotFound {
		t.Errorf("RegisterInvoice(nosuch) = %v, want NOT_FOUND", err)
	}

	// A command as matching would publish it.
	pay := &ledgerv1.ApplyPayment{Tenant: "nosuch", IdempotencyKey: "pay:P-1", PaymentId: "P-1", DebtorId: "D1", Amount: eur(100),
		ValueDate: day(2026, 4, 5), Iban: testIBAN}
	data, err := proto.Marshal(pay)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.js.PublishMsg(ctx, &nats.Msg{Subject: bus.CommandSubject("nosuch", "matching", "ledger", "o2c.ledger.v1.ApplyPayment"), Data: data}); err != nil {
		t.Fatal(err)
	}
	// An invoice as ingestion's relay would publish it.
	evs, err := eventstore.Prepare(eventstore.StreamID{Tenant: "nosuch", Type: "invoice", ID: "RE-9"}, []eventstore.Event{{
		Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()},
		Payload: &ingestionv1.InvoiceIngested{Tenant: "nosuch", InvoiceNumber: "RE-9", DebtorId: "D1", Currency: "EUR", Gross: eur(119),
			IssueDate: day(2026, 3, 1), DueDate: day(2026, 4, 1)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.js.PublishMsg(ctx, relay.Message("o2c.nosuch.ingestion.invoice.ingested", evs[0])); err != nil {
		t.Fatal(err)
	}

	rejections := rejectionv1grpc.NewRejectionServiceClient(conn)
	var got []*rejectionv1.Rejection
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2 rejections recorded: %v", len(got), got)
		}
		time.Sleep(20 * time.Millisecond)
		resp, err := rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "nosuch"})
		if err != nil {
			t.Fatal(err)
		}
		got = resp.GetRejections()
	}
	byConsumer := map[string]*rejectionv1.Rejection{}
	for _, r := range got {
		byConsumer[r.GetConsumer()] = r
		if r.GetReasonCode() != "unknown_tenant" || !strings.Contains(r.GetReason(), "tenant nosuch does not exist (not in the tenants file)") {
			t.Errorf("rejection %s: %s %q, want unknown_tenant naming the tenant", r.GetConsumer(), r.GetReasonCode(), r.GetReason())
		}
	}
	if byConsumer["ledger-commands-matching"].GetDocument() != "pay:P-1" || byConsumer["ledger-invoices"].GetDocument() != "RE-9" {
		t.Errorf("rejections by consumer = %v, want the payment's key and the invoice number as documents", byConsumer)
	}
	var stored int
	if err := s.l.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE tenant = 'nosuch'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Errorf("%d events stored for the unknown tenant, want none", stored)
	}
}

// TestNewChecksTheLedgerSections refuses to start without a tenants file
// and with a ledger section the books cannot use, naming file, tenant and
// field, before it connects to anything.
func TestNewChecksTheLedgerSections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	if _, err := New(ctx, host.Config{}, Options{}, telemetry.Providers{}, log, nil); err == nil || !strings.Contains(err.Error(), "no tenants file") {
		t.Errorf("New without tenants = %v, want it refused", err)
	}
	bad := tenantstest.Parse(t, []byte(`{"tenants": {"acme": {"ledger": {"tax": [{"country": "AT", "rate_bp": 2000, "treatment": "OSS", "output_vat": "output-vat-oss-at"}]}}}}`))
	_, err := New(ctx, host.Config{}, Options{Tenants: bad}, telemetry.Providers{}, log, nil)
	if !errors.Is(err, tenants.ErrInvalidFile) || !strings.Contains(err.Error(), `test-tenants.json: tenant acme: ledger.tax: a tax rule books on logical account "output-vat-oss-at"`) {
		t.Errorf("New = %v, want the problem with file, tenant and field", err)
	}
	if err := CheckTenants(bad); !errors.Is(err, tenants.ErrInvalidFile) {
		t.Errorf("CheckTenants = %v, want the same problem", err)
	}
}
