package service

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/testing/protocmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"
	"github.com/o2c-platform/o2c/proto/o2c/status/v1/statusv1grpc"

	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/identity"
)

// shop is the shop principal of tenant.
func shop(tenant string) identity.Principal {
	return identity.Principal{Actor: "shop:" + tenant, Tenants: []string{tenant}, Roles: []identity.Role{identity.Shop}}
}

// invoiceFact is what the status tests compare of an InvoiceStatusChanged.
type invoiceFact struct {
	Invoice, Debtor string
	Status          statusv1.InvoiceStatus
	Open, Paid      int64
}

func invoiceFactOf(f *statusv1.InvoiceStatusChanged) invoiceFact {
	return invoiceFact{f.GetInvoiceNumber(), f.GetDebtorId(), f.GetStatus(), f.GetOpen().GetMinorUnits(), f.GetPaid().GetMinorUnits()}
}

// nextInvoiceFact returns the next invoice status fact sub receives,
// decoded as a shop decodes it.
func nextInvoiceFact(t *testing.T, sub *nats.Subscription) invoiceFact {
	t.Helper()
	msg, err := sub.NextMsg(30 * time.Second)
	if err != nil {
		t.Fatalf("no status fact on %s: %v", sub.Subject, err)
	}
	ev, err := relay.DecodeMsg(msg.Header, msg.Data, protoregistry.GlobalTypes)
	if err != nil {
		t.Fatalf("decode %s: %v", msg.Subject, err)
	}
	f, ok := ev.Payload.(*statusv1.InvoiceStatusChanged)
	if !ok {
		t.Fatalf("%s carries %T, want an InvoiceStatusChanged", msg.Subject, ev.Payload)
	}
	return invoiceFactOf(f)
}

// TestStatusFeedFromABooking books an invoice and pays it in two parts in
// the running ledger, with the first payment sent twice: a core NATS
// subscriber of o2c.acme.status.invoice-status.changed (what a shop does)
// receives OPEN, PARTLY_PAID and PAID in that order and nothing for the
// replayed payment (it would arrive between PARTLY_PAID and PAID). Then
// the StatusService answers the same status to the tenant's shop and
// refuses another tenant's shop, and verify rebuilds the status read
// models to the same rows.
func TestStatusFeedFromABooking(t *testing.T) {
	t.Parallel()
	s := startService(t)
	const tn = "acme"
	const (
		open   = statusv1.InvoiceStatus_INVOICE_STATUS_OPEN
		partly = statusv1.InvoiceStatus_INVOICE_STATUS_PARTLY_PAID
		paid   = statusv1.InvoiceStatus_INVOICE_STATUS_PAID
	)
	nc, err := nats.Connect(s.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	sub, err := nc.SubscribeSync("o2c." + tn + ".status.invoice-status.changed")
	if err != nil {
		t.Fatal(err)
	}
	other, err := nc.SubscribeSync("o2c.shop-1.status.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	must(t, s.cmds, invoice(tn, "D1", "S-1", 10000, day(2026, 3, 1), day(2026, 4, 1))) // 119.00
	if got, want := nextInvoiceFact(t, sub), (invoiceFact{"S-1", "D1", open, 11900, 0}); got != want {
		t.Errorf("after the invoice: %+v, want %+v", got, want)
	}
	item, _ := s.itemID(t, tn, "D1", "S-1")
	pay := func(id string, amount int64) *ledgerv1.ApplyPayment {
		return &ledgerv1.ApplyPayment{Tenant: tn, IdempotencyKey: "pay:" + id, PaymentId: id, DebtorId: "D1", Amount: eur(amount),
			ValueDate: day(2026, 3, 20), Iban: testIBAN, Allocations: []*ledgerv1.Allocation{{OpenItemId: item, Amount: eur(amount)}}}
	}
	must(t, s.cmds, pay("P-1", 5000))
	again, err := call(t, s.cmds, "clerk", pay("P-1", 5000))
	if err != nil || !again.GetReplayed() {
		t.Fatalf("replayed payment: %v, %v; want a replay", again, err)
	}
	must(t, s.cmds, pay("P-2", 6900))
	for _, want := range []invoiceFact{{"S-1", "D1", partly, 6900, 5000}, {"S-1", "D1", paid, 0, 11900}} {
		if got := nextInvoiceFact(t, sub); got != want {
			t.Errorf("next fact: %+v, want %+v", got, want)
		}
	}
	if msg, err := other.NextMsg(10 * time.Millisecond); err == nil {
		t.Errorf("another tenant's feed received %s", msg.Subject)
	}

	s.caughtUp(t)
	ctx := context.Background()
	c := statusv1grpc.NewStatusServiceClient(s.conn)
	inv, err := c.GetInvoiceStatus(ctx, &statusv1.GetInvoiceStatusRequest{Tenant: tn, InvoiceNumber: "S-1"}, testAuth.As(shop(tn)))
	if err != nil {
		t.Fatalf("GetInvoiceStatus: %v", err)
	}
	if got, want := invoiceFactOf(inv.GetStatus()), (invoiceFact{"S-1", "D1", paid, 0, 11900}); got != want {
		t.Errorf("GetInvoiceStatus: %+v, want %+v", got, want)
	}
	cust, err := c.GetCustomerStatus(ctx, &statusv1.GetCustomerStatusRequest{Tenant: tn, DebtorId: "D1"}, testAuth.As(shop(tn)))
	if err != nil {
		t.Fatalf("GetCustomerStatus: %v", err)
	}
	wantCust := &statusv1.GetCustomerStatusResponse{
		Balances: []*statusv1.CustomerStatusChanged{{Tenant: tn, DebtorId: "D1", Open: eur(0), CreditBalance: eur(0)}},
		Invoices: []*statusv1.InvoiceStatusChanged{inv.GetStatus()},
	}
	if diff := cmp.Diff(wantCust, cust, protocmp.Transform(),
		protocmp.IgnoreFields(&statusv1.CustomerStatusChanged{}, "changed_at")); diff != "" {
		t.Errorf("GetCustomerStatus (-want +got):\n%s", diff)
	}
	_, err = c.GetInvoiceStatus(ctx, &statusv1.GetInvoiceStatusRequest{Tenant: tn, InvoiceNumber: "S-1"}, testAuth.As(shop("shop-1")))
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("another tenant's shop: %v, want PermissionDenied", err)
	}
	if rep := s.verify(t); !rep.OK() {
		t.Errorf("verify: %+v", rep)
	}
}

// TestStatusQueries checks the StatusService's answers for what it does
// not know or cannot ask, and for an invoice moved by a debtor merge: the
// invoice reads as open under the survivor, and the duplicate's customer
// status no longer lists it.
func TestStatusQueries(t *testing.T) {
	t.Parallel()
	s := startService(t)
	const tn = "shop-merge"
	ctx := context.Background()
	c := statusv1grpc.NewStatusServiceClient(s.conn)
	as := testAuth.As(shop(tn))
	must(t, s.cmds, invoice(tn, "K-2", "M-1", 10000, day(2026, 3, 1), day(2026, 4, 1)))
	must(t, s.cmds, invoice(tn, "K-1", "M-2", 5000, day(2026, 3, 1), day(2026, 4, 1)))
	must(t, s.cmds, &ledgerv1.MergeDebtor{Tenant: tn, IdempotencyKey: "merge:K-2", DebtorId: "K-2", IntoDebtorId: "K-1",
		MergeDate: day(2026, 3, 10), Reason: "same customer"})
	s.caughtUp(t)

	for _, tc := range []struct {
		name string
		req  *statusv1.GetInvoiceStatusRequest
		code codes.Code
	}{
		{"no invoice number", &statusv1.GetInvoiceStatusRequest{Tenant: tn}, codes.InvalidArgument},
		{"unknown invoice", &statusv1.GetInvoiceStatusRequest{Tenant: tn, InvoiceNumber: "M-9"}, codes.NotFound},
	} {
		if _, err := c.GetInvoiceStatus(ctx, tc.req, as); status.Code(err) != tc.code {
			t.Errorf("GetInvoiceStatus, %s: %v, want %v", tc.name, err, tc.code)
		}
	}
	if _, err := c.GetCustomerStatus(ctx, &statusv1.GetCustomerStatusRequest{Tenant: tn, DebtorId: "K-9"}, as); status.Code(err) != codes.NotFound {
		t.Errorf("GetCustomerStatus of an unknown customer: %v, want NotFound", err)
	}
	if _, err := c.GetCustomerStatus(ctx, &statusv1.GetCustomerStatusRequest{Tenant: tn}, as); status.Code(err) != codes.InvalidArgument {
		t.Errorf("GetCustomerStatus without debtor: %v, want InvalidArgument", err)
	}

	moved, err := c.GetInvoiceStatus(ctx, &statusv1.GetInvoiceStatusRequest{Tenant: tn, InvoiceNumber: "M-1"}, as)
	if err != nil {
		t.Fatalf("GetInvoiceStatus M-1: %v", err)
	}
	if got, want := invoiceFactOf(moved.GetStatus()), (invoiceFact{"M-1", "K-1", statusv1.InvoiceStatus_INVOICE_STATUS_OPEN, 11900, 0}); got != want {
		t.Errorf("moved invoice: %+v, want %+v", got, want)
	}
	numbers := func(debtor string) []string {
		t.Helper()
		r, err := c.GetCustomerStatus(ctx, &statusv1.GetCustomerStatusRequest{Tenant: tn, DebtorId: debtor}, as)
		if err != nil {
			t.Fatalf("GetCustomerStatus %s: %v", debtor, err)
		}
		out := []string{}
		for _, i := range r.GetInvoices() {
			out = append(out, i.GetInvoiceNumber()+" "+i.GetStatus().String())
		}
		return out
	}
	if diff := cmp.Diff([]string{}, numbers("K-2")); diff != "" {
		t.Errorf("duplicate's invoices (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"M-1 INVOICE_STATUS_OPEN", "M-2 INVOICE_STATUS_OPEN"}, numbers("K-1")); diff != "" {
		t.Errorf("survivor's invoices (-want +got):\n%s", diff)
	}
	if rep := s.verify(t); !rep.OK() {
		t.Errorf("verify: %+v", rep)
	}
}
