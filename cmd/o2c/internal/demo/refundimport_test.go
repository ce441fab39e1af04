package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	refundimport "github.com/o2c-platform/o2c/services/refund-import/service"
)

// TestRefundImport runs the demo's refund step against the whole system:
// of Amazon's three refunds the return and the guarantee claim are booked
// as credit notes keyed by their adjustment ids, the refund of the order
// the shop credited itself is linked to the shop's credit note; the
// ledger's items are credited by exactly that, and a second import run
// books nothing.
func TestRefundImport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts every service with PostgreSQL and NATS")
	}
	ctx := context.Background()
	sys, err := Start(ctx, Options{DatabaseURL: pgtest.NewDB(t, pgtest.Template{Name: "o2c_demo_empty"})})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	var out bytes.Buffer
	if err := Refunds(ctx, &out, sys, js); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}

	client := refundv1grpc.NewRefundServiceClient(sys.Conn(refundimport.Name))
	got := refundsByOrder(t, client)
	want := map[string]string{
		ReturnOrder:   "booked amazon-refund:amzn1:crow:demo-return-1006 39.89",
		ClaimOrder:    "booked amazon-refund:amzn1:crow:demo-claim-1008 20.00",
		CreditedOrder: "linked " + ShopCreditNoteNumber + " 24.99",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refunds by order (-want +got):\n%s\n%s", diff, out.String())
	}
	for _, s := range []string{"amazon-refund:amzn1:crow:demo-return-1006", ShopCreditNoteNumber, "guarantee_claim", "linked"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the demo's report does not show %q:\n%s", s, out.String())
		}
	}
	open := openByDocument(t, sys)
	if diff := cmp.Diff(map[string]int64{"RE-2026-1008": 4000 - 2000}, open); diff != "" {
		t.Errorf("open Amazon items of the refunded orders (-want +got): RE-2026-1006 and RE-2026-1007 credited in full, RE-2026-1008 by half\n%s", diff)
	}

	// A second run reads the same refunds again and books nothing.
	results, err := RunRefundImport(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.GetRefundsNew() != 0 || r.GetRefundsDuplicate() == 0 {
			t.Errorf("second run of %s: %d new, %d duplicate; want none new", r.GetSellerAccount(), r.GetRefundsNew(), r.GetRefundsDuplicate())
		}
	}
	if diff := cmp.Diff(want, refundsByOrder(t, client)); diff != "" {
		t.Errorf("after the second run (-want +got):\n%s", diff)
	}
	st, err := Statement(ctx, sys.Conn(ledger.Name), AmazonDebtor)
	if err != nil {
		t.Fatal(err)
	}
	var creditNotes []string
	for _, l := range st.GetLines() {
		if strings.HasPrefix(l.GetDocumentNumber(), "amazon-refund:") || l.GetDocumentNumber() == ShopCreditNoteNumber {
			creditNotes = append(creditNotes, l.GetDocumentNumber())
		}
	}
	if len(creditNotes) != RefundsBooked+1 {
		t.Errorf("credit notes on %s: %v; want the two refunds' and the shop's, each once", AmazonDebtor, creditNotes)
	}
}

// refundsByOrder lists the demo tenant's refunds as "state credit-note
// amount" by order.
func refundsByOrder(t *testing.T, client refundv1grpc.RefundServiceClient) map[string]string {
	t.Helper()
	resp, err := client.ListRefunds(context.Background(), &refundv1.ListRefundsRequest{Tenant: Tenant})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range resp.GetRefunds() {
		out[r.GetOrderId()] = table.RefundStateWord(r.GetState()) + " " + r.GetCreditNoteNumber() + " " +
			table.Money(r.GetAmount().GetMinorUnits(), r.GetAmount().GetCurrency())
	}
	return out
}

// openByDocument returns the open amounts of the refund step's Amazon
// invoices that are still open.
func openByDocument(t *testing.T, sys *System) map[string]int64 {
	t.Helper()
	resp, err := ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name)).ListOpenItems(context.Background(),
		&ledgerv1.ListOpenItemsRequest{Tenant: Tenant, DebtorId: AmazonDebtor})
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, inv := range RefundInvoices() {
		ours[inv.GetInvoiceNumber()] = true
	}
	out := map[string]int64{}
	for _, it := range resp.GetOpenItems() {
		if ours[it.GetDocumentNumber()] && it.GetOpenAmount().GetMinorUnits() != 0 {
			out[it.GetDocumentNumber()] = it.GetOpenAmount().GetMinorUnits()
		}
	}
	return out
}
