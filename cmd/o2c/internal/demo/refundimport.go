package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	refundimport "github.com/o2c-platform/o2c/services/refund-import/service"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// The demo tenant's Amazon seller account in its tenants file's refunds
// section, and the environment variable its credentials_ref names.
const (
	RefundSeller = "demo-amazon-eu"
	// RefundCredentialsEnv holds the seller account's Login-with-Amazon
	// credentials for refund import; the demo gives it the fake SP-API's.
	RefundCredentialsEnv = "O2C_DEMO_SPAPI_CREDENTIALS"
	// AmazonDE is amazon.de's marketplace id.
	AmazonDE = "A1PA6795UKMFR9"
)

// RefundsSince is where the demo's refund import starts reading: the
// refunds are posted in November 2026, the demo's month.
var RefundsSince = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// The demo's Amazon orders that Amazon refunds, and the shop's own credit
// note for one of them.
const (
	// ReturnOrder is returned by the buyer and refunded in full (39.89).
	ReturnOrder = "302-2345678-1111111"
	// ClaimOrder gets an A-to-z guarantee claim for one of its two bags
	// (20.00 of 40.00).
	ClaimOrder = "302-4567890-3333333"
	// CreditedOrder is returned and credited by the shop itself
	// (ShopCreditNote) before Amazon's refund of the same 24.99 arrives:
	// the refund is linked to the shop's credit note, not booked again.
	CreditedOrder = "302-3456789-2222222"
	// ShopCreditNoteNumber is the shop's credit note for CreditedOrder.
	ShopCreditNoteNumber = "GS-2026-0007"
)

// What refund import decides about the demo's refunds.
const (
	RefundsBooked = 2 // the return and the guarantee claim
	RefundsLinked = 1 // the refund the shop credited itself
	// RefundedByImport is what the two credit notes refund import books
	// credit, in cents: 39.89 and 20.00.
	RefundedByImport = 3989 + 2000
)

// RefundInvoices are the shop's invoices of the Amazon orders the demo's
// refunds are for, issued in November 2026 at 19 % and 7 % VAT.
func RefundInvoices() []*shopv1.InvoiceIssued {
	amazon := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE, Marketplace: "amazon.de"}
	buyer := func(id, name string) *shopv1.Debtor {
		return &shopv1.Debtor{CustomerId: id, Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: name}
	}
	return []*shopv1.InvoiceIssued{
		invoice("RE-2026-1006", ReturnOrder, amazon, buyer("AMZ-4712", "Lena Käuferin"), date(2026, 11, 10), &shopv1.PaymentTerms{},
			line{"Espressokocher Moka 6 Tassen", "1", 3352, 1900}),
		invoice("RE-2026-1007", CreditedOrder, amazon, buyer("AMZ-4713", "Jonas Besteller"), date(2026, 11, 11), &shopv1.PaymentTerms{},
			line{"Milchaufschäumer", "1", 2100, 1900}),
		invoice("RE-2026-1008", ClaimOrder, amazon, buyer("AMZ-4714", "Mia Kundin"), date(2026, 11, 12), &shopv1.PaymentTerms{},
			line{"Kaffeebohnen Crema 1 kg", "2", 3738, 700}),
	}
}

// ShopCreditNote is the shop's credit note for the returned
// Milchaufschäumer of CreditedOrder (RE-2026-1007, 24.99 in full).
func ShopCreditNote() *shopv1.CreditNoteIssued {
	inv := RefundInvoices()[1]
	return &shopv1.CreditNoteIssued{
		Tenant: Tenant, CreditNoteNumber: ShopCreditNoteNumber, InvoiceNumber: inv.GetInvoiceNumber(),
		CustomerId: inv.GetDebtor().GetCustomerId(), IssueDate: date(2026, 11, 19), Currency: "EUR",
		Lines: inv.GetLines(), Totals: inv.GetTotals(), Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN,
	}
}

// RefundEvent is a financial event the demo's fake SP-API serves.
type RefundEvent struct {
	Posted time.Time
	List   string // the v0 event list, e.g. RefundEventList
	What   string // what happened, for the report
	Spec   spapifake.RefundSpec
}

// Event is the event as the Finances API v0 has it.
func (e RefundEvent) Event() json.RawMessage { return spapifake.Event(e.List, e.Spec) }

// RefundEvents are Amazon's refunds of the demo tenant's Amazon orders
// as its Finances API lists them: a return refunded in full, an A-to-z
// guarantee claim for one of two bags, and the refund of an order the shop
// had already credited. Principal and tax are what the buyer got back;
// the commission is the selling fee Amazon gives back with the refund.
func RefundEvents() []RefundEvent {
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	spec := func(order, adj, sku string, posted time.Time, principal, tax, commission int64) spapifake.RefundSpec {
		return spapifake.RefundSpec{OrderID: order, AdjustmentID: adj, SKU: sku, Currency: "EUR", Posted: posted,
			Principal: principal, Tax: tax, Commission: commission, Marketplace: "Amazon.de"}
	}
	return []RefundEvent{
		{at(20, 9), spapifake.RefundEventList, "return, refunded in full",
			spec(ReturnOrder, "amzn1:crow:demo-return-1006", "MOKA-6", at(20, 9), 3352, 637, 503)},
		{at(21, 14), spapifake.RefundEventList, "return the shop credited itself (" + ShopCreditNoteNumber + ")",
			spec(CreditedOrder, "amzn1:crow:demo-return-1007", "MILK-FOAM", at(21, 14), 2100, 399, 315)},
		{at(24, 11), spapifake.GuaranteeClaimEventList, "A-to-z guarantee claim for one of two bags",
			spec(ClaimOrder, "amzn1:crow:demo-claim-1008", "CREMA-1KG", at(24, 11), 1869, 131, 280)},
	}
}

// SPAPI is the demo's fake of Amazon's SP-API (spapifake), which refund
// import reads the demo seller account's refunds from. It serves nothing
// until the demo adds the refunds (Refunds), so that refund import's
// first scheduled run at start finds none.
type SPAPI struct {
	*spapifake.Server
	// URL is where it listens; its token endpoint is URL+"/auth/o2/token".
	URL string
}

// startSPAPI starts the fake SP-API on a free port of 127.0.0.1, with
// Amazon's rate limits, and returns it with the function that stops it.
func startSPAPI() (*SPAPI, func() error) {
	s := &SPAPI{Server: spapifake.New(spapifake.Options{})}
	url, stop := s.Start()
	s.URL = url
	return s, func() error { stop(); return nil }
}

// refundImportStarter is refund import's entry of services().
func refundImportStarter() starter {
	return starter{refundimport.Name, refundimport.DefaultAddr, runRefundImport}
}

// runRefundImport starts refund import with the demo's tenants, reading
// the demo seller account from the fake SP-API with the credentials its
// credentials_ref names (env:O2C_DEMO_SPAPI_CREDENTIALS: the variables
// ..._CLIENT_ID, ..._CLIENT_SECRET and ..._REFRESH_TOKEN, which the demo
// sets to the fake's for the service alone, not in its own environment),
// and a connection to ingestion as itself (service:refund-import) for the
// settlement reports it fetches.
func runRefundImport(ctx context.Context, cfg host.Config, p telemetry.Providers, log *slog.Logger, lis net.Listener, peers peers) error {
	ts, err := Tenants()
	if err != nil {
		return err
	}
	conn, err := peers.sec.dial(peers.addrs[ingestion.Name], ServicePrincipal(refundimport.Name), telemetry.GRPCDialOption(p))
	if err != nil {
		return err
	}
	defer conn.Close()
	fake := peers.spapi.Credentials()
	env := map[string]string{
		RefundCredentialsEnv + "_CLIENT_ID":     fake.ClientID,
		RefundCredentialsEnv + "_CLIENT_SECRET": fake.ClientSecret,
		RefundCredentialsEnv + "_REFRESH_TOKEN": fake.RefreshToken,
	}
	return refundimport.Run(ctx, cfg, refundimport.Options{
		Tenants: ts, Ingestion: conn,
		Credentials: refundimport.CredentialsFromEnv(func(k string) string { return env[k] }, ""),
		SPAPI:       refundimport.SPAPI{Endpoint: peers.spapi.URL, TokenURL: peers.spapi.URL + "/auth/o2/token"},
	}, p, log, lis)
}

// Refunds shows refund import at work on the demo tenant's Amazon orders:
// the shop invoices three more Amazon orders and credits one of them
// itself (a return it took in), Amazon's Finances API (the fake) then
// lists a refund of each (a return, an A-to-z guarantee claim, and the
// refund of the order the shop credited), and an import run, as `o2c
// refunds import --tenant demo --since 2026-11-01` starts it, books two
// credit notes and links the third refund to the shop's credit note. It
// prints what the run read and decided, the refunds as `o2c refunds list`
// shows them, and the marketplace debtor's statement with the credit
// notes.
func Refunds(ctx context.Context, out io.Writer, sys *System, js jetstream.JetStream) error {
	if err := publishRefundOrders(ctx, sys); err != nil {
		return err
	}
	ledgerConn := sys.Conn(ledger.Name)
	invoices := RefundInvoices()
	docs := []string{ShopCreditNoteNumber}
	for _, inv := range invoices {
		docs = append(docs, inv.GetInvoiceNumber())
	}
	if _, err := waitForStatementDocuments(ctx, ledgerConn, docs); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nAmazon refunds. The shop invoices three more Amazon orders and credits the returned Milchaufschäumer itself (shop.demo.credit_note.issued):")
	for _, inv := range invoices {
		fmt.Fprintf(out, "  %s  order %s  %s EUR  %s\n", inv.GetInvoiceNumber(), inv.GetOrderId(),
			table.Money(inv.GetTotals().GetGross().GetMinorUnits(), "EUR"), inv.GetLines()[0].GetDescription())
	}
	cn := ShopCreditNote()
	fmt.Fprintf(out, "  %s  credit note for %s  %s EUR  (return)\n", cn.GetCreditNoteNumber(), cn.GetInvoiceNumber(),
		table.Money(cn.GetTotals().GetGross().GetMinorUnits(), "EUR"))

	// Refund import decides against the ledger's items as it has taken
	// them in: the orders, and the shop's credit note that cleared one.
	if err := waitForRefundImportItems(ctx, js); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nAmazon's Finances API (a fake SP-API at %s, seller account %s of the tenants file's refunds section) lists three refunds:\n",
		sys.SPAPI.URL, RefundSeller)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  POSTED\tLIST\tORDER\tADJUSTMENT\t   REFUNDED\tWHAT")
	for _, e := range RefundEvents() {
		sys.SPAPI.AddFinancialEvents(e.Posted, e.List, e.Event())
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%10s\t%s\n", e.Posted.Format(time.RFC3339), e.List, e.Spec.OrderID, e.Spec.AdjustmentID,
			table.Money(e.Spec.Principal+e.Spec.Tax+e.Spec.Shipping, "EUR"), e.What)
	}
	tw.Flush()

	client := refundv1grpc.NewRefundServiceClient(sys.Conn(refundimport.Name))
	fmt.Fprintf(out, "\nImported now (o2c refunds import --tenant %s --since %s):\n", Tenant, RefundsSince.Format(time.DateOnly))
	results, err := RunRefundImport(ctx, client)
	if err != nil {
		return err
	}
	for _, r := range results {
		fmt.Fprintf(out, "  %s  %s, %s: %d booked, %d duplicate, %d linked, %d held, %d waiting, %d reversed; %s\n", r.GetSellerAccount(),
			table.Count(int(r.GetPages()), "page"), table.Count(int(r.GetEvents()), "event"), r.GetRefundsNew(), r.GetRefundsDuplicate(),
			r.GetLinked(), r.GetHeld(), r.GetWaiting(), r.GetReversed(), table.Count(int(r.GetSettlementReports()), "settlement report"))
	}
	refunds, err := WaitForRefunds(ctx, client, RefundsBooked+RefundsLinked)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nWhat refund import decided (o2c refunds list --tenant %s):\n", Tenant)
	table.Refunds(out, refunds)
	booked := []string{ShopCreditNoteNumber}
	for _, r := range refunds {
		if r.GetState() == refundv1.RefundState_REFUND_STATE_BOOKED {
			booked = append(booked, r.GetCreditNoteNumber())
		}
	}
	st, err := waitForStatementDocuments(ctx, ledgerConn, booked)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nThe credit notes in the ledger, on Amazon's debtor account (o2c ledger statement --tenant %s --debtor %s): "+
		"each refund once, the shop's own credit note not twice; Amazon's refunded commission is booked with the payout by matching:\n", Tenant, AmazonDebtor)
	table.Statement(out, AmazonDebtor, st.GetDebtorAccount(), st.GetOpeningBalances(), st.GetLines(), st.GetClosingBalances())
	return nil
}

// AmazonDebtor is the ledger's debtor of amazon.de in EUR, which the demo
// tenant's Amazon orders are receivables against.
const AmazonDebtor = "marketplace:amazon.de:EUR"

// publishRefundOrders publishes RefundInvoices and ShopCreditNote as the
// demo tenant's shop, with its NATS user.
func publishRefundOrders(ctx context.Context, sys *System) error {
	for _, inv := range RefundInvoices() {
		if err := publishShop(ctx, sys, "invoice.issued", inv); err != nil {
			return fmt.Errorf("publish %s: %w", inv.GetInvoiceNumber(), err)
		}
	}
	if err := publishShop(ctx, sys, "credit_note.issued", ShopCreditNote()); err != nil {
		return fmt.Errorf("publish %s: %w", ShopCreditNoteNumber, err)
	}
	return nil
}

// waitForStatementDocuments waits until the statement of Amazon's debtor
// has a line of each of the documents and returns it.
func waitForStatementDocuments(ctx context.Context, conn *grpc.ClientConn, docs []string) (*ledgerv1.GetDebtorStatementResponse, error) {
	var st *ledgerv1.GetDebtorStatementResponse
	var missing []string
	err := poll(ctx, func() (bool, error) {
		var err error
		if st, err = Statement(ctx, conn, AmazonDebtor); err != nil {
			return false, err
		}
		have := map[string]bool{}
		for _, l := range st.GetLines() {
			have[l.GetDocumentNumber()] = true
		}
		missing = missing[:0]
		for _, d := range docs {
			if !have[d] {
				missing = append(missing, d)
			}
		}
		return len(missing) == 0, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for %s on %s's statement: %w", strings.Join(missing, ", "), AmazonDebtor, err)
	}
	return st, nil
}

// waitForRefundImportItems waits until refund import has taken in every
// event of the ledger's stream published so far (its items consumer
// acknowledged them).
func waitForRefundImportItems(ctx context.Context, js jetstream.JetStream) error {
	return poll(ctx, func() (bool, error) {
		return bus.CaughtUp(ctx, js, bus.ServiceStream("ledger"), refundimport.ItemsDurable)
	})
}

// RunRefundImport runs the demo tenant's refund import from RefundsSince
// through RefundService, as `o2c refunds import` does, and returns each
// seller account's result; a seller account whose run failed is an error.
func RunRefundImport(ctx context.Context, client refundv1grpc.RefundServiceClient) ([]*refundv1.RunImportResponse, error) {
	stream, err := client.RunImport(ctx, &refundv1.RunImportRequest{Tenant: Tenant, Since: timestamppb.New(RefundsSince)})
	if err != nil {
		return nil, fmt.Errorf("refund import: %w", err)
	}
	var out []*refundv1.RunImportResponse
	for {
		p, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("refund import: %w", err)
		}
		if !p.GetDone() {
			continue
		}
		if p.GetError() != "" {
			return nil, fmt.Errorf("refund import of seller account %s: %s", p.GetSellerAccount(), p.GetError())
		}
		out = append(out, p)
	}
}

// WaitForRefunds waits until refund import lists n refunds of the demo
// tenant that are booked or linked and returns every refund it lists.
func WaitForRefunds(ctx context.Context, client refundv1grpc.RefundServiceClient, n int) ([]*refundv1.Refund, error) {
	var rs []*refundv1.Refund
	var decided int
	err := poll(ctx, func() (bool, error) {
		resp, err := client.ListRefunds(ctx, &refundv1.ListRefundsRequest{Tenant: Tenant})
		if err != nil {
			return false, err
		}
		rs, decided = resp.GetRefunds(), 0
		for _, r := range rs {
			if s := r.GetState(); s == refundv1.RefundState_REFUND_STATE_BOOKED || s == refundv1.RefundState_REFUND_STATE_LINKED {
				decided++
			}
		}
		return decided >= n, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for %d refunds booked or linked (have %d of %d listed): %w", n, decided, len(rs), err)
	}
	return rs, nil
}

// ClaimCreditNoteNumber is the shop's own credit note for the bag of
// ClaimOrder that Amazon's guarantee claim already refunded
// (RefundReviewScenario).
const ClaimCreditNoteNumber = "GS-2026-0008"

// ClaimCreditNote is the shop's credit note for one of ClaimOrder's two
// bags (20.00), issued after Amazon's guarantee claim for the same bag
// was booked: the order is credited twice.
func ClaimCreditNote() *shopv1.CreditNoteIssued {
	inv := RefundInvoices()[2]
	bag := invoice(inv.GetInvoiceNumber(), inv.GetOrderId(), inv.GetChannel(), inv.GetDebtor(), inv.GetIssueDate(), inv.GetPaymentTerms(),
		line{"Kaffeebohnen Crema 1 kg", "1", 1869, 700})
	return &shopv1.CreditNoteIssued{
		Tenant: Tenant, CreditNoteNumber: ClaimCreditNoteNumber, InvoiceNumber: inv.GetInvoiceNumber(),
		CustomerId: inv.GetDebtor().GetCustomerId(), IssueDate: date(2026, 11, 26), Currency: "EUR",
		Lines: bag.GetLines(), Totals: bag.GetTotals(), Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN,
	}
}

// OverRefund is a second refund of ReturnOrder, which Amazon had already
// refunded in full: booking it would credit more than was invoiced, so
// refund import holds it for review (RefundReviewScenario).
func OverRefund() RefundEvent {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	return RefundEvent{at, spapifake.RefundEventList, "a second refund of an order refunded in full",
		spapifake.RefundSpec{OrderID: ReturnOrder, AdjustmentID: "amzn1:crow:demo-return-1006-again", SKU: "MOKA-6", Currency: "EUR",
			Posted: at, Principal: 1000, Tax: 190, Marketplace: "Amazon.de"}}
}

// RefundReviewScenario gives the console's refunds page two refunds to
// review on top of the demo's (Refunds): OverRefund, held, and the
// guarantee claim, which the shop's ClaimCreditNote credits again. It
// returns when refund import lists both as to review.
func RefundReviewScenario(ctx context.Context, sys *System) error {
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		return err
	}
	defer closeNATS()
	if err := Refunds(ctx, io.Discard, sys, js); err != nil {
		return err
	}
	if err := publishShop(ctx, sys, "credit_note.issued", ClaimCreditNote()); err != nil {
		return fmt.Errorf("publish %s: %w", ClaimCreditNoteNumber, err)
	}
	e := OverRefund()
	sys.SPAPI.AddFinancialEvents(e.Posted, e.List, e.Event())
	client := refundv1grpc.NewRefundServiceClient(sys.Conn(refundimport.Name))
	if _, err := RunRefundImport(ctx, client); err != nil {
		return err
	}
	var listed []string
	err = poll(ctx, func() (bool, error) {
		resp, err := client.ListRefunds(ctx, &refundv1.ListRefundsRequest{Tenant: Tenant, ToReview: true})
		if err != nil {
			return false, err
		}
		listed = listed[:0]
		for _, r := range resp.GetRefunds() {
			listed = append(listed, r.GetAdjustmentId()+" "+r.GetState().String())
		}
		return len(listed) == 2, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the held refund and the claim credited twice to be listed for review (listed: %v): %w", listed, err)
	}
	return nil
}
