package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/upload"
	"github.com/o2c-platform/o2c/libs/chaos"
	"github.com/o2c-platform/o2c/libs/shoppub"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// ledgerOfWork records what the system accepted, for the checks.
type ledgerOfWork struct {
	mu           sync.Mutex
	invoices     map[string]*shopv1.InvoiceIssued // by number
	creditNotes  map[string]string                // number -> invoice number
	customers    map[string]string                // "debtor/group" of each accepted registration or update
	transactions int                              // bank transactions in accepted statements
	bankRefs     []string                         // their bank references
	statements   []statement
	settlements  []string           // settlement report ids accepted
	refunds      map[string]string  // adjustment id -> order id, refunds the SP-API listed before an answered import
	releases     map[string]release // by reason
	refused      map[string]int     // inputs the system refused with a permanent answer, by kind
	dunningRuns  int
	refundRuns   int
}

type statement struct {
	id      string
	closing int64 // cents
	txs     int
}

type release struct {
	debtor string
	items  []string
}

func newLedgerOfWork() *ledgerOfWork {
	return &ledgerOfWork{invoices: map[string]*shopv1.InvoiceIssued{}, creditNotes: map[string]string{}, customers: map[string]string{},
		refunds: map[string]string{}, releases: map[string]release{}, refused: map[string]int{}}
}

func (w *ledgerOfWork) accepted() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := map[string]int{
		"invoices": len(w.invoices), "credit notes": len(w.creditNotes), "customer updates": len(w.customers),
		"bank statements": len(w.statements), "bank transactions": w.transactions, "settlement reports": len(w.settlements),
		"refunds": len(w.refunds), "releases to collections": len(w.releases), "dunning runs": w.dunningRuns, "refund import runs": w.refundRuns,
	}
	for k, n := range w.refused {
		m["refused "+k] = n
	}
	return m
}

// Numbers and names of the harness's documents.
func invoiceNumber(round, i int) string { return fmt.Sprintf("FH-%03d-%d", round, i) }
func creditNoteNumber(round int) string { return fmt.Sprintf("FHGS-%03d", round) }
func debtorID(k int) string             { return fmt.Sprintf("FH-K%02d", k%debtors) }
func customerID(round int) string       { return fmt.Sprintf("FHC-%03d", round) }
func amazonOrder(round, i int) string   { return fmt.Sprintf("302-%07d-%07d", 4200000+round, i) }
func adjustmentID(round int) string     { return fmt.Sprintf("amzn1:fh:refund-%03d", round) }
func releaseReason(round int) string    { return fmt.Sprintf("fault harness release %d", round) }

// Per round: ownInvoices own-shop invoices over debtors debtors, and
// amazonInvoices Amazon orders.
const (
	ownInvoices    = 6
	amazonInvoices = 2
	debtors        = 12
)

func day(base time.Time, days int) *commonv1.Date {
	d := base.AddDate(0, 0, days)
	return &commonv1.Date{Year: int32(d.Year()), Month: int32(d.Month()), Day: int32(d.Day())}
}

var (
	// issueBase: invoices are issued in September 2026, so that dunning's
	// runs (dunningBase on) find them overdue.
	issueBase   = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	dunningBase = time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)
	// statementBase: one bank statement a day from October 2026.
	statementBase = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	// refundBase: refunds are posted from November 2026, after the seller
	// account's start in the demo's tenants file.
	refundBase = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

func eur(minor int64) *commonv1.Money { return &commonv1.Money{MinorUnits: minor, Currency: "EUR"} }

// invoice is a consistent one-line invoice at 19 % VAT.
func invoice(number, order string, debtor *shopv1.Debtor, amazon bool, issue *commonv1.Date, net int64) *shopv1.InvoiceIssued {
	vat := (net*1900 + 5000) / 10000
	ch := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP}
	terms := &shopv1.PaymentTerms{NetDays: 14}
	if amazon {
		ch = &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE, Marketplace: "amazon.de"}
		terms = &shopv1.PaymentTerms{}
	}
	return &shopv1.InvoiceIssued{
		Tenant: demo.Tenant, InvoiceNumber: number, OrderId: order, Channel: ch, Debtor: debtor, IssueDate: issue,
		PaymentTerms: terms, Currency: "EUR", PaymentReference: number,
		Lines: []*shopv1.InvoiceLine{{Description: "Kaffeemühle " + number, Quantity: "1", NetAmount: eur(net), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(net), Gross: eur(net + vat),
			Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(net), Vat: eur(vat)}}},
	}
}

// roundInvoices are round r's invoices: ownInvoices to the harness's
// debtors, then amazonInvoices Amazon orders.
func roundInvoices(r int) []*shopv1.InvoiceIssued {
	issue := day(issueBase, r%28)
	var out []*shopv1.InvoiceIssued
	for i := range ownInvoices {
		k := r*ownInvoices + i
		d := &shopv1.Debtor{CustomerId: debtorID(k), Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: fmt.Sprintf("Kundin %02d", k%debtors)}
		out = append(out, invoice(invoiceNumber(r, i), fmt.Sprintf("FH-WEB-%03d-%d", r, i), d, false, issue, int64(5000+100*r+37*i)))
	}
	for i := range amazonInvoices {
		n := ownInvoices + i
		d := &shopv1.Debtor{CustomerId: fmt.Sprintf("AMZ-FH-%03d-%d", r, i), Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Amazon-Käufer"}
		out = append(out, invoice(invoiceNumber(r, n), amazonOrder(r, n), d, true, issue, int64(2000+10*r+i)))
	}
	return out
}

// shopMsg is a shop message as the shop sends it: protobuf, with the
// Nats-Msg-Id that makes a retry a duplicate.
func shopMsg(event, id string, m proto.Message) (*nats.Msg, error) {
	data, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg("shop." + demo.Tenant + "." + event)
	msg.Data = data
	msg.Header.Set("Content-Type", "application/protobuf")
	msg.Header.Set(jetstream.MsgIDHeader, demo.Tenant+":"+event+":"+id)
	return msg, nil
}

// publish publishes msg until JetStream acknowledges it (shoppub's retry).
func (h *harness) publish(ctx context.Context, msg *nats.Msg) error {
	_, err := shoppub.Publish(ctx, h.js, msg, shoppub.Options{AckTimeout: 2 * time.Second, MaxBackoff: time.Second})
	if err != nil {
		return fmt.Errorf("publish %s: %w", msg.Subject, err)
	}
	return nil
}

// retry calls f until it succeeds, fails permanently (a gRPC code other
// than Unavailable, DeadlineExceeded, Aborted, Internal, Unknown,
// ResourceExhausted or Canceled), or ctx ends.
func retry(ctx context.Context, what string, f func(ctx context.Context) error) error {
	wait := 100 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := f(actx)
		cancel()
		if err == nil {
			return nil
		}
		if !transient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last: %v)", what, ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// transient reports whether err is worth another attempt.
func transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) {
		return true
	}
	s, ok := status.FromError(err)
	if !ok {
		return true // not an answer from the service
	}
	switch s.Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.Internal, codes.Unknown, codes.ResourceExhausted, codes.Canceled:
		return true
	}
	return false
}

// step is one piece of a round's work.
type step struct {
	name string
	do   func(ctx context.Context) error
}

// roundSteps is the work of round r, in order.
func (h *harness) roundSteps(r int) []step {
	invs := roundInvoices(r)
	half := len(invs) / 2
	steps := []step{
		{"invoices (first half)", func(ctx context.Context) error { return h.publishInvoices(ctx, invs[:half]) }},
		{"customer master data", func(ctx context.Context) error { return h.publishCustomers(ctx, r) }},
		{"invoices (second half)", func(ctx context.Context) error { return h.publishInvoices(ctx, invs[half:]) }},
	}
	if r == 0 {
		steps = append(steps, step{"settlement report", func(ctx context.Context) error { return h.importSettlement(ctx) }})
	}
	if r > 0 {
		steps = append(steps,
			step{"credit note", func(ctx context.Context) error { return h.publishCreditNote(ctx, r) }},
			step{"bank statement", func(ctx context.Context) error { return h.importStatement(ctx, r) }},
			step{"refund import", func(ctx context.Context) error { return h.refund(ctx, r) }})
	}
	steps = append(steps, step{"dunning run", func(ctx context.Context) error { return h.dunningRun(ctx, r) }})
	if r > 0 {
		steps = append(steps, step{"release to collections", func(ctx context.Context) error { return h.release(ctx, r) }})
	}
	return steps
}

func (h *harness) publishInvoices(ctx context.Context, invs []*shopv1.InvoiceIssued) error {
	for _, inv := range invs {
		msg, err := shopMsg("invoice.issued", inv.GetInvoiceNumber(), inv)
		if err != nil {
			return err
		}
		if err := h.publish(ctx, msg); err != nil {
			return err
		}
		h.work.mu.Lock()
		h.work.invoices[inv.GetInvoiceNumber()] = inv
		h.work.mu.Unlock()
	}
	return nil
}

// publishCustomers registers round r's customer and updates round r-1's
// (a new customer group).
func (h *harness) publishCustomers(ctx context.Context, r int) error {
	type change struct {
		event, group string
		round        int
	}
	changes := []change{{"customer.registered", "fh-new", r}}
	if r > 0 {
		changes = append(changes, change{"customer.updated", "fh-updated", r - 1})
	}
	for _, c := range changes {
		cust := &shopv1.Customer{CustomerNumber: customerID(c.round), Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, CustomerGroup: c.group,
			Name: fmt.Sprintf("Harness GmbH %d", c.round), Email: fmt.Sprintf("buchhaltung-%d@example.org", c.round), PreferredLanguage: "de"}
		at := timestamppb.New(issueBase.Add(time.Duration(r) * time.Hour))
		var m proto.Message = &shopv1.CustomerRegistered{Tenant: demo.Tenant, Customer: cust, UpdatedAt: at}
		if c.event == "customer.updated" {
			m = &shopv1.CustomerUpdated{Tenant: demo.Tenant, Customer: cust, UpdatedAt: at}
		}
		msg, err := shopMsg(c.event, cust.GetCustomerNumber(), m)
		if err != nil {
			return err
		}
		if err := h.publish(ctx, msg); err != nil {
			return err
		}
		h.work.mu.Lock()
		h.work.customers[cust.GetCustomerNumber()+"/"+c.group] = c.event
		h.work.mu.Unlock()
	}
	return nil
}

// publishCreditNote credits round r-1's last own-shop invoice in full.
func (h *harness) publishCreditNote(ctx context.Context, r int) error {
	inv := roundInvoices(r - 1)[ownInvoices-1]
	cn := &shopv1.CreditNoteIssued{
		Tenant: demo.Tenant, CreditNoteNumber: creditNoteNumber(r), InvoiceNumber: inv.GetInvoiceNumber(),
		CustomerId: inv.GetDebtor().GetCustomerId(), IssueDate: day(issueBase, r%28+3), Currency: "EUR",
		Lines: inv.GetLines(), Totals: inv.GetTotals(), Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN,
	}
	msg, err := shopMsg("credit_note.issued", cn.GetCreditNoteNumber(), cn)
	if err != nil {
		return err
	}
	if err := h.publish(ctx, msg); err != nil {
		return err
	}
	h.work.mu.Lock()
	h.work.creditNotes[cn.GetCreditNoteNumber()] = inv.GetInvoiceNumber()
	h.work.mu.Unlock()
	return nil
}

// importFile sends a file to ingestion's ImportService until it answers
// IMPORTED or DUPLICATE_FILE.
func (h *harness) importFile(ctx context.Context, name string, data []byte) (*ingestionv1.ImportResponse, error) {
	client := ingestionv1grpc.NewImportServiceClient(h.conn("ingestion"))
	var resp *ingestionv1.ImportResponse
	err := retry(ctx, "import "+name, func(ctx context.Context) error {
		var err error
		resp, err = upload.Send(ctx, client, upload.File{Tenant: demo.Tenant, Data: strings.NewReader(string(data)),
			Header: &ingestionv1.ImportHeader{FileName: name, Size: int64(len(data))}})
		return err
	})
	if err != nil {
		return nil, err
	}
	switch resp.GetStatus() {
	case ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED, ingestionv1.ImportStatus_IMPORT_STATUS_DUPLICATE_FILE:
		return resp, nil
	}
	return nil, fmt.Errorf("import %s: %v", name, resp)
}

// importSettlement imports the demo's Amazon settlement report, whose
// order the first round's work publishes (the demo's RE-2026-1003).
func (h *harness) importSettlement(ctx context.Context) error {
	inv := demo.Invoices()[2]
	msg, err := shopMsg("invoice.issued", inv.GetInvoiceNumber(), inv)
	if err != nil {
		return err
	}
	if err := h.publish(ctx, msg); err != nil {
		return err
	}
	h.work.mu.Lock()
	h.work.invoices[inv.GetInvoiceNumber()] = inv
	h.work.mu.Unlock()
	f := demo.BankFiles()[1]
	if _, err := h.importFile(ctx, f.Name, f.Data); err != nil {
		return err
	}
	h.work.mu.Lock()
	h.work.settlements = append(h.work.settlements, demo.SettlementID)
	h.work.mu.Unlock()
	return nil
}

// payerIBAN is the German IBAN debtor k pays from, one per debtor.
func payerIBAN(k int) string {
	blz, number := "12030000", fmt.Sprintf("%010d", 7_000_000+k%debtors)
	n, _ := new(big.Int).SetString(blz+number+"131400", 10) // "DE" is 13 14
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("DE%02d%s%s", check, blz, number)
}

// importStatement imports round r's bank statement, camt.053 or MT940:
// receipts paying round r-1's
// first two own-shop invoices by number, a payer nobody knows, and in
// round 1 the Amazon payout of the settlement report.
func (h *harness) importStatement(ctx context.Context, r int) error {
	prev := roundInvoices(r - 1)
	var txs []camtTx
	for i := range 2 {
		inv := prev[i]
		txs = append(txs, camtTx{amount: inv.GetTotals().GetGross().GetMinorUnits(), name: inv.GetDebtor().GetName(),
			iban: payerIBAN((r-1)*ownInvoices + i), remittance: inv.GetInvoiceNumber() + " Danke", e2e: inv.GetInvoiceNumber()})
	}
	txs = append(txs, camtTx{amount: 5000 + int64(r), name: "J. Unbekannt", iban: "NL91ABNA0417164300", remittance: "Zahlung", e2e: "NOTPROVIDED"})
	if r == 1 {
		txs = append(txs, camtTx{amount: 2095, name: "AMAZON PAYMENTS EUROPE S.C.A.", iban: "LU280019400644750000",
			remittance: "AMAZON.DE SETTLEMENT " + demo.SettlementID, e2e: demo.SettlementID})
	}
	h.work.mu.Lock()
	opening := int64(1_000_000)
	if n := len(h.work.statements); n > 0 {
		opening = h.work.statements[n-1].closing
	}
	h.work.mu.Unlock()
	date := day(statementBase, r)
	id := fmt.Sprintf("FH-STMT-%03d", r)
	// camt.053 in odd rounds, MT940 in even ones.
	data, closing := camt053(id, r, date, opening, txs)
	name := "camt053_" + id + ".xml"
	if r%2 == 0 {
		data, closing = mt940(id, r, date, opening, txs)
		name = "mt940_" + id + ".sta"
	}
	if _, err := h.importFile(ctx, name, data); err != nil {
		return err
	}
	h.work.mu.Lock()
	h.work.statements = append(h.work.statements, statement{id: id, closing: closing, txs: len(txs)})
	h.work.transactions += len(txs)
	for i := range txs {
		h.work.bankRefs = append(h.work.bankRefs, fmt.Sprintf("%s-%d", id, i+1))
	}
	h.work.mu.Unlock()
	return nil
}

// refund has Amazon refund round r-1's first Amazon order in full and
// runs refund import.
func (h *harness) refund(ctx context.Context, r int) error {
	inv := roundInvoices(r - 1)[ownInvoices]
	net := inv.GetTotals().GetNet().GetMinorUnits()
	spec := spapifake.RefundSpec{OrderID: inv.GetOrderId(), AdjustmentID: adjustmentID(r), SKU: "FH-SKU", Currency: "EUR",
		Posted: refundBase.Add(time.Duration(r) * time.Hour), Principal: net, Tax: inv.GetTotals().GetGross().GetMinorUnits() - net,
		Commission: net / 10, Marketplace: "Amazon.de"}
	h.spapi.AddFinancialEvents(spec.Posted, spapifake.RefundEventList, spapifake.Event(spapifake.RefundEventList, spec))
	if err := h.runRefundImport(ctx); err != nil {
		return err
	}
	h.work.mu.Lock()
	h.work.refunds[spec.AdjustmentID] = spec.OrderID
	h.work.mu.Unlock()
	return nil
}

func (h *harness) runRefundImport(ctx context.Context) error {
	client := refundv1grpc.NewRefundServiceClient(h.conn("refund-import"))
	err := retry(ctx, "refund import", func(ctx context.Context) error {
		stream, err := client.RunImport(ctx, &refundv1.RunImportRequest{Tenant: demo.Tenant, SellerAccount: demo.RefundSeller, Since: timestamppb.New(refundBase)})
		if err != nil {
			return err
		}
		for {
			if _, err := stream.Recv(); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
		}
	})
	if err != nil {
		return err
	}
	h.work.mu.Lock()
	h.work.refundRuns++
	h.work.mu.Unlock()
	return nil
}

// dunningRun runs dunning for round r's day (two days apart).
func (h *harness) dunningRun(ctx context.Context, r int) error {
	client := dunningv1grpc.NewDunningServiceClient(h.conn("dunning"))
	err := retry(ctx, "dunning run", func(ctx context.Context) error {
		stream, err := client.Run(ctx, &dunningv1.RunRequest{Tenant: demo.Tenant, Date: day(dunningBase, 2*r)})
		if err != nil {
			return err
		}
		var last *dunningv1.RunResponse
		for {
			resp, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			last = resp
		}
		if !last.GetDone() {
			return status.Error(codes.Unavailable, "the run ended without its last answer")
		}
		return nil
	})
	if err != nil {
		return err
	}
	h.work.mu.Lock()
	h.work.dunningRuns++
	h.work.mu.Unlock()
	return nil
}

// release hands one invoice of round r-1, the third, fourth or fifth,
// to the reference agency, which agency-sim works. Each invoice is handed
// over once at most, and none that the statements pay or the credit notes
// credit: a release of what the books do not show as collected yet, or a
// shop's credit note on an item in collection, are business conflicts of
// the harness's own making, not faults.
func (h *harness) release(ctx context.Context, r int) error {
	i := 2 + r%3
	doc := invoiceNumber(r-1, i)
	debtor := debtorID((r-1)*ownInvoices + i)
	var items []string
	err := retry(ctx, "open items of "+debtor, func(ctx context.Context) error {
		resp, err := ledgerv1grpc.NewLedgerServiceClient(h.conn("ledger")).ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: demo.Tenant, DebtorId: debtor})
		if err != nil {
			return err
		}
		items = items[:0]
		for _, it := range resp.GetOpenItems() {
			if it.GetDocumentNumber() == doc && it.GetOpenAmount().GetMinorUnits() > 0 {
				items = append(items, it.GetId())
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	reason := releaseReason(r)
	client := collectionsv1grpc.NewCollectionsServiceClient(h.conn("collections"))
	// Collections learns of the items from the ledger's events: an item
	// it does not know yet (NotFound) is asked about again for a while.
	// The key makes a retry after a lost answer get the case the first
	// attempt opened instead of a refusal.
	unknownUntil := time.Now().Add(30 * time.Second)
	err = retry(ctx, "release "+debtor, func(ctx context.Context) error {
		_, err := client.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: demo.Tenant, DebtorId: debtor, OpenItemIds: items,
			Reason: reason, Agency: demo.ReferenceAgency, IdempotencyKey: reason})
		if status.Code(err) == codes.NotFound && time.Now().Before(unknownUntil) {
			return status.Error(codes.Unavailable, err.Error())
		}
		return err
	})
	h.work.mu.Lock()
	defer h.work.mu.Unlock()
	if err != nil {
		switch status.Code(err) {
		case codes.FailedPrecondition, codes.InvalidArgument, codes.AlreadyExists, codes.NotFound:
			// Items already in a case, paid meanwhile or not known to
			// collections yet: a refusal with its reason, not accepted
			// work.
			h.work.refused["releases"]++
			h.logf("round %d: collections refused the release of %s: %v", r, debtor, err)
			return nil
		}
		return err
	}
	h.work.releases[reason] = release{debtor: debtor, items: items}
	return nil
}

// stepTimeout bounds a step of a round, retries included: a step that
// cannot finish in it fails the run rather than hang it.
const stepTimeout = 3 * time.Minute

// rounds runs the rounds, each with its fault.
func (h *harness) rounds(ctx context.Context, rep *Report) error {
	for r := range h.opt.Rounds {
		steps := h.roundSteps(r)
		target := h.targets[h.rng.IntN(len(h.targets))]
		at := h.rng.IntN(len(steps))
		delay := time.Duration(h.rng.IntN(max(int(h.maxDelay(r)/time.Millisecond), 1))) * time.Millisecond
		down := time.Duration(100+h.rng.IntN(1500)) * time.Millisecond
		h.logf("round %d/%d: %d steps; %s is killed %s into %q and down for %s", r+1, h.opt.Rounds, len(steps), target.Name(), delay, steps[at].name, down)
		faultDone := make(chan error, 1)
		began := time.Now()
		for i, s := range steps {
			if i == at {
				go func() {
					time.Sleep(delay)
					faultDone <- h.outage(ctx, target, down)
				}()
			}
			sctx, cancel := context.WithTimeout(ctx, stepTimeout)
			err := s.do(sctx)
			cancel()
			if err != nil {
				return fmt.Errorf("round %d: %s: %w", r+1, s.name, err)
			}
		}
		if err := <-faultDone; err != nil {
			return fmt.Errorf("round %d: %w", r+1, err)
		}
		rep.Faults[target.Name()]++
		h.logf("round %d/%d done in %s", r+1, h.opt.Rounds, time.Since(began).Round(time.Millisecond))
	}
	return nil
}

// maxDelay bounds how long after its step's start round r's fault
// strikes: Options.MaxDelay, else 400 ms in even rounds (a fault between
// steps as often as in one) and 20 ms in odd ones, when the step's
// messages are still in the handlers (the services take milliseconds for
// a step).
func (h *harness) maxDelay(r int) time.Duration {
	switch {
	case h.opt.MaxDelay > 0:
		return h.opt.MaxDelay
	case r%2 == 1:
		return 20 * time.Millisecond
	}
	return 400 * time.Millisecond
}

// outage kills target with SIGKILL (a service) or at once (NATS,
// PostgreSQL), keeps it down for down and restarts it.
func (h *harness) outage(ctx context.Context, target chaos.Target, down time.Duration) error {
	if err := chaos.Outage(ctx, target, down); err != nil {
		return err
	}
	h.logf("%s restarted", target.Name())
	return nil
}
