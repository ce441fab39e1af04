package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/natsembed"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	matching "github.com/o2c-platform/o2c/services/matching/service"
)

// The demo's SEPA story: a customer of the own shop who pays by direct
// debit, her invoice collected under her mandate, and the credit balance
// her return leaves paid back to her account.
const (
	// SepaDebtor pays by SEPA direct debit.
	SepaDebtor = "K-4001"
	// SepaDebtorName is the account holder.
	SepaDebtorName = "Lena Fischer"
	// SepaDebtorIBAN is her account (a published test IBAN).
	SepaDebtorIBAN = "DE12500105170648489890"
	// SepaMandate is the mandate she signed in the shop's checkout.
	SepaMandate = "MNDT-K-4001-01"
	// SepaOrder is her order, paid by direct debit.
	SepaOrder = "WEB-50010"
	// SepaInvoice is the invoice collected (93.90 EUR).
	SepaInvoice = "RE-2026-1010"
	// SepaInvoiceAmount is its gross amount in cents.
	SepaInvoiceAmount = 9390
	// SepaCreditNote credits the frother she sent back (59.90 EUR) after
	// the invoice was collected: a credit balance.
	SepaCreditNote = "GS-2026-0011"
	// SepaCreditAmount is the credit note's gross amount in cents.
	SepaCreditAmount = 5990
	// SepaCreditorID is the demo tenant's SEPA creditor identifier (the
	// Bundesbank's test identifier).
	SepaCreditorID = "DE98ZZZ09999999999"
	// SepaStatementID is the id of the statement that shows the
	// collection.
	SepaStatementID = "DEMO-STMT-2026-11-23"
)

// The days of the SEPA story: the invoice is issued, the collection
// pre-notified (14 days ahead, on the due date), the file submitted one
// TARGET business day before the collection date, the statement of the
// collection date shows it; the payout run a week after the credit note.
var (
	SepaInvoiceDay    = date(2026, 11, 9)
	SepaSubmitDay     = date(2026, 11, 20)
	SepaCollectionDay = date(2026, 11, 23)
	SepaCreditDay     = date(2026, 11, 24)
	SepaPayoutDay     = date(2026, 12, 1)
)

// SepaInvoices returns SepaDebtor's order, placed and paid by direct
// debit, its invoice and the credit note for the return.
func SepaInvoices() (*shopv1.OrderPlaced, *shopv1.InvoiceIssued, *shopv1.CreditNoteIssued) {
	own := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP}
	lena := &shopv1.Debtor{CustomerId: SepaDebtor, Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: SepaDebtorName, Email: "lena@example.org"}
	frother := line{"Milchaufschäumer Duo", "1", 5034, 1900}
	beans := line{"Kaffeebohnen Crema 1 kg", "2", 3178, 700}
	inv := invoice(SepaInvoice, SepaOrder, own, lena, SepaInvoiceDay, &shopv1.PaymentTerms{NetDays: 14}, frother, beans)
	placed := time.Date(2026, 11, 8, 18, 30, 0, 0, time.UTC)
	order := &shopv1.OrderPlaced{Tenant: Tenant, OrderId: SepaOrder, Channel: own, CustomerId: SepaDebtor,
		PaymentMethod: shopv1.PaymentMethod_PAYMENT_METHOD_DIRECT_DEBIT, Currency: "EUR", Lines: inv.GetLines(),
		ExpectedAmount: inv.GetTotals().GetGross(), PlacedAt: timestamppb.New(placed)}
	returned := invoice(SepaCreditNote, SepaOrder, own, lena, SepaCreditDay, nil, frother)
	cn := &shopv1.CreditNoteIssued{Tenant: Tenant, CreditNoteNumber: SepaCreditNote, InvoiceNumber: SepaInvoice, CustomerId: SepaDebtor,
		IssueDate: SepaCreditDay, Currency: "EUR", Lines: returned.GetLines(), Totals: returned.GetTotals(),
		Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_RETURN}
	return order, inv, cn
}

// SepaOutcome is what the demo's SEPA story did, for its test.
type SepaOutcome struct {
	// Mandate is the mandate as the operator entered it.
	Mandate *matchingv1.Mandate
	// PreNotify, Submit and Again are the runs of SepaInvoiceDay,
	// SepaSubmitDay and SepaSubmitDay again.
	PreNotify, Submit, Again *matchingv1.CollectResponse
	// PreNotification is the text the debtor is sent.
	PreNotification string
	// Statement is the camt.053 that shows the collection.
	Statement []byte
	// Debits are SepaDebtor's debits once the statement was taken in,
	// MandateAfter her mandate then.
	Debits       []*matchingv1.Debit
	MandateAfter *matchingv1.Mandate
	// Payouts is the payout run of SepaPayoutDay.
	Payouts *matchingv1.PayoutsResponse
	// PayoutStatement is the camt.053 that shows the payout's transfer,
	// PayoutReconciliation its reconciliation once the payout was booked.
	PayoutStatement      []byte
	PayoutReconciliation *ledgerv1.BankReconciliation
}

// Sepa tells the SEPA story: an operator enters SepaDebtor's mandate (`o2c
// sepa mandate put`), the shop publishes her order (paid by direct debit)
// and invoice; the collection run of the invoice day pre-notifies the
// debit for the due date, the run one business day before it writes the
// pain.008, a second run of that day writes nothing new; the bank's
// statement of the collection date shows the collection and matching
// clears the invoice by the debit's end-to-end id; the next run takes the
// booking in (the mandate's next collection is RCUR). The frother comes
// back: the shop's credit note leaves a credit balance, which the payout
// run pays back to her account in a pain.001. Matching's clock is set to
// each day of the story (the files are created on it) and put back on
// real time afterwards.
func Sepa(ctx context.Context, out io.Writer, sys *System, js jetstream.JetStream) (SepaOutcome, error) {
	var res SepaOutcome
	defer sys.clock.Reset()
	client := matchingv1grpc.NewSepaServiceClient(sys.Conn(matching.Name))
	ledgerClient := ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name))

	fmt.Fprintf(out, "\nSEPA direct debit and payout (issue #18; the demo tenant's sepa section: creditor account %s, creditor id %s, 14 days' pre-notification, D-1).\n",
		DemoIBAN, SepaCreditorID)
	sys.clock.Set(date(2026, 11, 8))
	m, err := client.PutMandate(ctx, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Tenant: Tenant, Reference: SepaMandate,
		DebtorId: SepaDebtor, Name: SepaDebtorName, Iban: SepaDebtorIBAN, Bic: "INGDDEFFXXX", SignedOn: date(2026, 11, 8), Scheme: "CORE"},
		Note: "signed in the checkout of " + SepaOrder})
	if err != nil {
		return res, fmt.Errorf("put mandate %s: %w", SepaMandate, err)
	}
	res.Mandate = m.GetMandate()
	fmt.Fprintf(out, "%s signs a mandate in the checkout; the operator enters it (o2c sepa mandate put --tenant demo --reference %s --debtor %s --name '%s' --iban %s --signed 2026-11-08):\n",
		SepaDebtorName, SepaMandate, SepaDebtor, SepaDebtorName, SepaDebtorIBAN)
	fmt.Fprintf(out, "  mandate %s, %s, next collection %s, expires %s unless used\n", res.Mandate.GetReference(), res.Mandate.GetScheme(),
		res.Mandate.GetNextSequence(), table.Date(res.Mandate.GetExpires()))

	order, inv, cn := SepaInvoices()
	opened, err := OpenedItems(ctx, js)
	if err != nil {
		return res, err
	}
	if err := publishShop(ctx, sys, "order.placed", order); err != nil {
		return res, fmt.Errorf("publish order %s: %w", SepaOrder, err)
	}
	if err := publishShop(ctx, sys, "invoice.issued", inv); err != nil {
		return res, fmt.Errorf("publish %s: %w", SepaInvoice, err)
	}
	items, err := waitForDebtorItems(ctx, ledgerClient, SepaDebtor, 1)
	if err != nil {
		return res, err
	}
	if err := waitForSepaInput(ctx, js, opened+1); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "The shop publishes her order %s (payment method direct debit) and the invoice %s of %s, %s EUR due %s.\n",
		SepaOrder, SepaInvoice, table.Date(SepaInvoiceDay), table.Money(items[0].GetOpenAmount().GetMinorUnits(), "EUR"), table.Date(items[0].GetDueDate()))

	collect := func(day *commonv1.Date) (*matchingv1.CollectResponse, error) {
		sys.clock.Set(day)
		r, err := client.Collect(ctx, &matchingv1.CollectRequest{Tenant: Tenant, Date: day})
		if err != nil {
			return nil, fmt.Errorf("collection run %s: %w", table.Date(day), err)
		}
		return r, nil
	}
	if res.PreNotify, err = collect(SepaInvoiceDay); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\nCollection run of %s (o2c sepa collect --tenant demo --date %s): %s pre-notified, nothing submitted yet\n",
		table.Date(SepaInvoiceDay), table.Date(SepaInvoiceDay), table.Count(len(res.PreNotify.GetPreNotified()), "debit"))
	printSepaDebits(out, res.PreNotify.GetPreNotified())
	for _, s := range res.PreNotify.GetSkipped() {
		fmt.Fprintf(out, "  left out %s of %s: %s\n", s.GetOpenItemId(), s.GetDebtorId(), s.GetReason())
	}
	if len(res.PreNotify.GetPreNotifications()) == 0 {
		return res, fmt.Errorf("the run of %s wrote no pre-notification", table.Date(SepaInvoiceDay))
	}
	text, err := os.ReadFile(res.PreNotify.GetPreNotifications()[0])
	if err != nil {
		return res, fmt.Errorf("the pre-notification: %w", err)
	}
	res.PreNotification = string(text)
	fmt.Fprintf(out, "  the pre-notification for the mailer, %s:\n", res.PreNotify.GetPreNotifications()[0])
	for _, l := range strings.Split(strings.TrimRight(res.PreNotification, "\n"), "\n") {
		fmt.Fprintf(out, "      %s\n", l)
	}

	if res.Submit, err = collect(SepaSubmitDay); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\nCollection run of %s, one TARGET business day before the collection date (o2c sepa collect --tenant demo --date %s):\n",
		table.Date(SepaSubmitDay), table.Date(SepaSubmitDay))
	printSepaDebits(out, res.Submit.GetSubmitted())
	if len(res.Submit.GetSubmitted()) != 1 || len(res.Submit.GetFiles()) != 1 {
		return res, fmt.Errorf("the run of %s submitted %d debits in %d files, want 1 in 1", table.Date(SepaSubmitDay),
			len(res.Submit.GetSubmitted()), len(res.Submit.GetFiles()))
	}
	file := res.Submit.GetFiles()[0]
	fmt.Fprintf(out, "  %s: %s, %s, %s %s EUR, message id %s, collection date %s\n  written to %s\n", file.GetName(), file.GetMessageType(),
		file.GetScheme(), table.Count(int(file.GetCount()), "debit"), table.Money(file.GetTotal().GetMinorUnits(), "EUR"), file.GetMessageId(),
		table.Date(file.GetDate()), file.GetPath())
	if res.Again, err = collect(SepaSubmitDay); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "The same run again: %d submitted, the day's file %s given back: nothing is collected twice.\n",
		len(res.Again.GetSubmitted()), strings.Join(fileNames(res.Again.GetFiles()), ", "))

	debit := res.Submit.GetSubmitted()[0]
	res.Statement = SepaStatement(debit.GetEndToEndId(), debit.GetAmount().GetMinorUnits())
	name := "camt053_demo_2026-11-23.xml"
	// Matching decides the statement's transaction on real time, as it
	// decided the demo's earlier statement: a run takes in the payments
	// decided since the last one it read, in the order of their decision
	// time, which must not go back.
	sys.clock.Reset()
	resp, err := importFile(ctx, ingestionv1grpc.NewImportServiceClient(sys.Conn(ingestion.Name)), BankFile{Name: name, Data: res.Statement})
	if err != nil {
		return res, fmt.Errorf("import %s: %w", name, err)
	}
	fmt.Fprintf(out, "\nThe bank's statement of %s shows the collection with its end-to-end id %s (o2c import --tenant demo %s):\n  ",
		table.Date(SepaCollectionDay), debit.GetEndToEndId(), name)
	PrintImports(out, []BankFile{{Name: name}}, []*ingestionv1.ImportResponse{resp})
	if err := waitForCleared(ctx, ledgerClient, SepaDebtor); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "Matching clears %s by the end-to-end id (score 100, ApplyPayment); the ledger has no open item of %s left.\n", SepaInvoice, SepaDebtor)
	// A run takes in the payments matching's read model holds, which may
	// show the decision a little after the ledger cleared the item: the
	// run of the day is repeated (it is idempotent) until the debit is
	// booked.
	err = poll(ctx, func() (bool, error) {
		if _, err := collect(SepaCollectionDay); err != nil {
			return false, err
		}
		lc, err := client.ListCollections(ctx, &matchingv1.ListCollectionsRequest{Tenant: Tenant, DebtorId: SepaDebtor})
		if err != nil {
			return false, fmt.Errorf("list collections: %w", err)
		}
		res.Debits = lc.GetDebits()
		return len(res.Debits) == 1 && res.Debits[0].GetState() == "booked", nil
	})
	if err != nil {
		return res, fmt.Errorf("waiting for the run of %s to book the collection (debits %v): %w", table.Date(SepaCollectionDay), res.Debits, err)
	}
	lm, err := client.ListMandates(ctx, &matchingv1.ListMandatesRequest{Tenant: Tenant, DebtorId: SepaDebtor})
	if err != nil {
		return res, fmt.Errorf("list mandates: %w", err)
	}
	for _, m := range lm.GetMandates() {
		if m.GetReference() == SepaMandate {
			res.MandateAfter = m
		}
	}
	fmt.Fprintf(out, "The run of %s takes the statement in (o2c sepa collections --tenant demo --debtor %s):\n", table.Date(SepaCollectionDay), SepaDebtor)
	printSepaDebits(out, res.Debits)
	fmt.Fprintf(out, "  mandate %s: next collection %s, last collected %s\n", SepaMandate, res.MandateAfter.GetNextSequence(),
		table.Date(res.MandateAfter.GetLastCollected()))

	opened, err = OpenedItems(ctx, js)
	if err != nil {
		return res, err
	}
	if err := publishShop(ctx, sys, "credit_note.issued", cn); err != nil {
		return res, fmt.Errorf("publish %s: %w", SepaCreditNote, err)
	}
	if err := waitForCredit(ctx, ledgerClient, SepaDebtor); err != nil {
		return res, err
	}
	if err := waitForSepaInput(ctx, js, opened+1); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\nOn %s %s sends the frother back; the shop's credit note %s (%s EUR) leaves her a credit balance, the invoice being paid.\n",
		table.Date(SepaCreditDay), SepaDebtorName, SepaCreditNote, table.Money(SepaCreditAmount, "EUR"))
	sys.clock.Set(SepaPayoutDay)
	if res.Payouts, err = client.Payouts(ctx, &matchingv1.PayoutsRequest{Tenant: Tenant, Date: SepaPayoutDay}); err != nil {
		return res, fmt.Errorf("payouts %s: %w", table.Date(SepaPayoutDay), err)
	}
	fmt.Fprintf(out, "Payout run of %s (o2c sepa payouts --tenant demo --date %s): every credit balance and what the rules say\n",
		table.Date(SepaPayoutDay), table.Date(SepaPayoutDay))
	for _, d := range res.Payouts.GetDue() {
		verdict := "held"
		if d.GetReleased() {
			verdict = "paid out"
		}
		fmt.Fprintf(out, "  %-28s %10s EUR  %-8s  %s\n", d.GetDebtorId(), table.Money(d.GetAmount().GetMinorUnits(), "EUR"), verdict, d.GetWhy())
	}
	pf := res.Payouts.GetFile()
	if pf == nil {
		return res, fmt.Errorf("the payout run of %s wrote no file", table.Date(SepaPayoutDay))
	}
	fmt.Fprintf(out, "  %s: %s, %s %s EUR from %s, executed %s\n  written to %s\n", pf.GetName(), pf.GetMessageType(),
		table.Count(int(pf.GetCount()), "transfer"), table.Money(pf.GetTotal().GetMinorUnits(), "EUR"), pf.GetAccount(), table.Date(pf.GetDate()), pf.GetPath())
	fmt.Fprintf(out, "The files are for the bank (EBICS or its portal): o2c sends nothing itself.\n")
	if err := sepaPayoutBooked(ctx, out, sys, &res); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\nThe SEPA files and pre-notifications are in %s: pain008-*.xml (collections), pain001-*.xml (payouts), prenotifications/*.txt (for the mailer).\n",
		filepath.Dir(file.GetPath()))
	return res, nil
}

// sepaPayoutBooked imports the bank's statement of the payout's execution
// date, which shows the transfer (SepaPayoutStatement), and waits until
// matching has booked the payout it recognises by the end-to-end id:
// SepaDebtor has nothing left open or in credit, and the statement
// reconciles (the ledger booked the statement's debit on the bank account
// against unidentified payments, and the payout clears it from there, so
// the money leaves the bank once).
func sepaPayoutBooked(ctx context.Context, out io.Writer, sys *System, res *SepaOutcome) error {
	var due *matchingv1.PayoutDue
	for _, d := range res.Payouts.GetDue() {
		if d.GetReleased() && d.GetDebtorId() == SepaDebtor {
			due = d
		}
	}
	if due == nil {
		return fmt.Errorf("the payout run of %s released nothing for %s", table.Date(SepaPayoutDay), SepaDebtor)
	}
	day := res.Payouts.GetFile().GetDate()
	res.PayoutStatement = SepaPayoutStatement(due.GetEndToEndId(), due.GetAmount().GetMinorUnits(), day)
	name := "camt053_demo_" + table.Date(day) + ".xml"
	sys.clock.Reset()
	resp, err := importFile(ctx, ingestionv1grpc.NewImportServiceClient(sys.Conn(ingestion.Name)), BankFile{Name: name, Data: res.PayoutStatement})
	if err != nil {
		return fmt.Errorf("import %s: %w", name, err)
	}
	fmt.Fprintf(out, "\nThe bank's statement of %s shows the transfer with its end-to-end id %s (o2c import --tenant demo %s):\n  ",
		table.Date(day), due.GetEndToEndId(), name)
	PrintImports(out, []BankFile{{Name: name}}, []*ingestionv1.ImportResponse{resp})
	// Matching takes the statement in with its next run (the service
	// also runs it every minute): a dry run of the payouts, repeated
	// until the ledger has booked the payout.
	client := matchingv1grpc.NewSepaServiceClient(sys.Conn(matching.Name))
	ledgerClient := ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name))
	var open int64
	err = poll(ctx, func() (bool, error) {
		if _, err := client.Payouts(ctx, &matchingv1.PayoutsRequest{Tenant: Tenant, Date: day, DryRun: true}); err != nil {
			return false, err
		}
		open, err = openTotal(ctx, ledgerClient, SepaDebtor)
		return err == nil && open == 0, err
	})
	if err != nil {
		return fmt.Errorf("waiting for the payout to %s to be booked (%s EUR still open): %w", SepaDebtor, table.Money(open, "EUR"), err)
	}
	if res.PayoutReconciliation, err = waitReconciled(ctx, sys.Conn(ledger.Name), SepaPayoutStatementID); err != nil {
		return err
	}
	fmt.Fprintf(out, "Matching books the payout by the end-to-end id (PayOutCreditBalance from unidentified payments, where the ledger booked the statement's debit): %s has nothing open or in credit, and the statement reconciles (closing %s EUR, booked %s EUR).\n",
		SepaDebtor, table.Money(res.PayoutReconciliation.GetExpected().GetMinorUnits(), "EUR"), table.Money(res.PayoutReconciliation.GetBooked().GetMinorUnits(), "EUR"))
	return nil
}

// SepaPayoutStatementID is the id of the statement that shows the payout.
const SepaPayoutStatementID = "DEMO-STMT-2026-12-PAYOUT"

// SepaPayoutOpening is the opening balance of the payout's statement: the
// closing balance of the collection's (SepaStatement).
const SepaPayoutOpening = StatementClosing + SepaInvoiceAmount

// SepaPayoutStatement is the bank's camt.053 of day: the credit transfer
// of amount cents with the end-to-end id to SepaDebtor's account
// (PMNT/ICDT/ESCT, an issued SEPA credit transfer), after the statement
// of the collection.
func SepaPayoutStatement(endToEndID string, amount int64, day *commonv1.Date) []byte {
	return oneEntryStatement{
		ID: SepaPayoutStatementID, Sequence: 230, Day: day, Opening: SepaPayoutOpening, Amount: -amount,
		EndToEndID: endToEndID, CounterpartyName: SepaDebtorName, CounterpartyIBAN: SepaDebtorIBAN,
		Remittance: "Auszahlung Guthaben " + SepaCreditNote, Info: "SEPA-Ueberweisung",
	}.camt()
}

// printSepaDebits prints debits, one line each.
func printSepaDebits(out io.Writer, ds []*matchingv1.Debit) {
	if len(ds) == 0 {
		fmt.Fprintln(out, "  none")
	}
	for _, d := range ds {
		fmt.Fprintf(out, "  %-8s %-13s %8s EUR  mandate %s %s %s, collection date %s, pre-notified %s, end-to-end id %s, %s",
			d.GetDebtorId(), firstOf(d.GetDocumentNumber(), d.GetOpenItemId()), table.Money(d.GetAmount().GetMinorUnits(), "EUR"),
			d.GetMandate(), d.GetScheme(), d.GetSequence(), table.Date(d.GetCollectionDate()), table.Date(d.GetPreNotified()), d.GetEndToEndId(), d.GetState())
		if d.GetFile() != "" {
			fmt.Fprintf(out, " in %s", d.GetFile())
		}
		fmt.Fprintln(out)
	}
}

func fileNames(fs []*matchingv1.SepaFile) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.GetName())
	}
	return out
}

// publishShop publishes m on shop.<tenant>.<event> as the demo shop.
func publishShop(ctx context.Context, sys *System, event string, m proto.Message) error {
	js, closeNATS, err := sys.JetStream(natsembed.ShopUser(Tenant))
	if err != nil {
		return err
	}
	defer closeNATS()
	msg := nats.NewMsg("shop." + Tenant + "." + event)
	if msg.Data, err = proto.Marshal(m); err != nil {
		return err
	}
	msg.Header.Set("Content-Type", "application/protobuf")
	_, err = js.PublishMsg(ctx, msg)
	return err
}

// waitForSepaInput waits until the ledger's stream holds opened
// OpenItemOpened events of the tenant and matching has taken in both the
// ledger's stream (its items) and ingestion's (the orders' payment
// methods), so that a run sees the items as direct debits.
func waitForSepaInput(ctx context.Context, js jetstream.JetStream, opened int) error {
	have := 0
	if err := poll(ctx, func() (bool, error) {
		n, err := OpenedItems(ctx, js)
		have = n
		return n >= opened, err
	}); err != nil {
		return fmt.Errorf("waiting for %d items opened in the ledger's stream (have %d): %w", opened, have, err)
	}
	if err := WaitForMatchingItems(ctx, js); err != nil {
		return fmt.Errorf("waiting for matching to take in the ledger's items: %w", err)
	}
	err := poll(ctx, func() (bool, error) {
		return bus.CaughtUp(ctx, js, bus.ServiceStream("ingestion"), matching.SepaDurable)
	})
	if err != nil {
		return fmt.Errorf("waiting for matching's %s to take in ingestion's orders: %w", matching.SepaDurable, err)
	}
	return nil
}

// openTotal is the sum of what debtor's open items have open (a credit
// balance counts negative).
func openTotal(ctx context.Context, client ledgerv1grpc.LedgerServiceClient, debtor string) (int64, error) {
	r, err := client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: Tenant, DebtorId: debtor})
	if err != nil {
		return 0, err
	}
	var open int64
	for _, it := range r.GetOpenItems() {
		open += it.GetOpenAmount().GetMinorUnits()
	}
	return open, nil
}

// waitForCleared waits until debtor has no open item with an amount open.
func waitForCleared(ctx context.Context, client ledgerv1grpc.LedgerServiceClient, debtor string) error {
	var open int64
	err := poll(ctx, func() (bool, error) {
		var err error
		open, err = openTotal(ctx, client, debtor)
		return err == nil && open == 0, err
	})
	if err != nil {
		return fmt.Errorf("waiting for the collection to clear %s's items (%d cents open): %w", debtor, open, err)
	}
	return nil
}

// waitForCredit waits until debtor has an item with a credit balance.
func waitForCredit(ctx context.Context, client ledgerv1grpc.LedgerServiceClient, debtor string) error {
	err := poll(ctx, func() (bool, error) {
		r, err := client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: Tenant, DebtorId: debtor})
		if err != nil {
			return false, err
		}
		for _, it := range r.GetOpenItems() {
			if it.GetOpenAmount().GetMinorUnits() < 0 {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the credit balance of %s: %w", debtor, err)
	}
	return nil
}

// SepaStatement is the bank's camt.053.001.08 of SepaCollectionDay for the
// demo account: the opening balance is the closing one of the demo's 18
// November statement, and its one entry is the collection of amount cents
// under SepaMandate with the debit's end-to-end id (PMNT/IDDT/ESDD, a SEPA
// core direct debit the creditor issued).
func SepaStatement(endToEndID string, amount int64) []byte {
	money := func(c int64) string { return table.Money(c, "EUR") }
	r := strings.NewReplacer("{E2E}", endToEndID, "{AMT}", money(amount), "{OPEN}", money(StatementClosing),
		"{CLOSE}", money(StatementClosing+amount), "{IBAN}", DemoIBAN, "{DEBTOR}", SepaDebtorName, "{DEBTOR_IBAN}", SepaDebtorIBAN,
		"{MANDATE}", SepaMandate, "{CI}", SepaCreditorID, "{INVOICE}", SepaInvoice, "{ID}", SepaStatementID)
	return []byte(r.Replace(sepaStatementTemplate))
}

const sepaStatementTemplate = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>DEMO-053-20261123</MsgId><CreDtTm>2026-11-23T22:05:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{ID}</Id><ElctrncSeqNb>223</ElctrncSeqNb><LglSeqNb>223</LglSeqNb>
      <CreDtTm>2026-11-23T22:05:00+01:00</CreDtTm>
      <FrToDt><FrDtTm>2026-11-23T00:00:00+01:00</FrDtTm><ToDtTm>2026-11-23T23:59:59+01:00</ToDtTm></FrToDt>
      <Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy><Ownr><Nm>Demo Shop GmbH</Nm></Ownr></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{OPEN}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-23</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{CLOSE}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-23</Dt></Dt></Bal>
      <Ntry>
        <NtryRef>1</NtryRef><Amt Ccy="EUR">{AMT}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-23</Dt></BookgDt><ValDt><Dt>2026-11-23</Dt></ValDt><AcctSvcrRef>2026112300001</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{E2E}</EndToEndId><MndtId>{MANDATE}</MndtId></Refs>
          <Amt Ccy="EUR">{AMT}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
          <RltdPties><Dbtr><Pty><Nm>{DEBTOR}</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>{DEBTOR_IBAN}</IBAN></Id></DbtrAcct>
            <Cdtr><Pty><Nm>Demo Shop GmbH</Nm><Id><PrvtId><Othr><Id>{CI}</Id><SchmeNm><Prtry>SEPA</Prtry></SchmeNm></Othr></PrvtId></Id></Pty></Cdtr></RltdPties>
          <RmtInf><Ustrd>{INVOICE}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
        <AddtlNtryInf>SEPA-Lastschrift Einzug</AddtlNtryInf>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
`
