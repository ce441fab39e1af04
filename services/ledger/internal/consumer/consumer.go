// Package consumer is the ledger's JetStream side. It books what other
// services publish: the invoices, credit notes and cancellations ingestion
// accepted (IngestedSubjects) as RegisterInvoice and IssueCreditNote
// commands, the bank transactions and statements it imported as
// RecordBankTransaction and RecordStatementBalance, and the ledger
// commands of commands.proto that any service publishes on
// o2c.<tenant>.<service>.ledger.<command> (<command> is the message name in
// kebab case, e.g. o2c.acme.matching.ledger.apply-payment). It never reads
// shop.* subjects.
//
// # Streams
//
// Command subjects lie inside the publishing service's own stream
// (bus.ServiceStreamConfig: o2c.*.<service>.>), so the ledger binds one
// durable consumer per commanding service (CommandSources()) to that stream
// with the filter o2c.*.<service>.ledger.>. A separate commands stream over
// o2c.*.*.ledger.> would overlap every service stream, which JetStream
// rejects. A service that does not exist yet has no stream: the ledger
// declares it with exactly the configuration the service will declare
// itself (EnsureCommandStreams), so both can start in any order.
//
// # Messages
//
// A command message is either an event relayed from the publisher's event
// store (it carries O2c-Content-Hash and is read with relay.Decode) or a
// bare command: its type is the O2c-Event-Type header (the full message
// name, e.g. o2c.ledger.v1.ApplyPayment), else the subject's last token;
// its body is binary protobuf, or protojson when Content-Type is
// application/json. The command's tenant must match the subject's.
//
// # Idempotency and failures
//
// Every command carries an idempotency key, so a redelivered or replayed
// message books nothing new. A message for a tenant the tenants file does
// not list is rejected (unknown_tenant) before the books see it; once the
// tenant is added and the ledger restarted, replaying it books it. A message that cannot be decoded is marked
// permanent (bus.Permanent); every other error is returned as it is and
// sorted by the ledger's fault table in bus.Consume: what the books reject
// (invalid, closed period, unknown item, key reused for other content, ...)
// is recorded in the rejection store and terminated, the rest (storage,
// contention) redelivered with back-off until the consumer gives up and
// records it too.
//
// # Credit notes and cancellations
//
// Ingestion accepts a credit note or cancellation only after its invoice
// (same debtor and currency, never crediting more than the invoice's gross
// in total, nothing after a cancellation), and its relay publishes the
// invoice's stream in order; the ledger reads invoices, credit notes and
// cancellations through one durable consumer, whose messages are booked in
// stream order (in batches, BookIngestedBatch: each command decided after
// the ones before it, a command on a period, bank or statement stream
// only after those before it are stored), so it sees them in that order
// too.
//
// A credit note is booked as IssueCreditNote with the key
// "credit-note:<number>", allocated to the open item of the invoice it
// names (books.InvoiceItemID) and with the VAT per rate as the shop sent
// it; what exceeds the item's open amount (the invoice was paid) becomes a
// credit balance.
//
// A cancellation (Storno) is booked as a credit note too, for the
// invoice's gross and VAT per rate, with the key "cancellation:<number>"
// and the cancellation's number as document number. It is not a reversal
// of the invoice's entry (ReverseEntry): a reversal is dated on the
// invoice's date, which moves the output VAT correction into the invoice's
// period (possibly filed or closed) instead of the period of the
// cancellation (§ 17 UStG), and it is refused for an invoice that was paid
// or partly cleared. As a credit note it is dated on the cancellation's
// issue date, corrects revenue and VAT per rate there, clears the invoice's
// open item to zero and leaves what had been paid as a credit balance to
// refund.
//
// An invoice the books do not hold (yet) when its credit note arrives was
// either not booked yet (its own delivery failed for a passing reason and
// comes again) or rejected; the credit note is therefore redelivered with
// back-off (code invoice_not_booked) until the consumer gives up and
// records it. That includes a credit note of a debtor the books do not
// know yet, as long as no other debtor holds the invoice's item (the
// books say so by wrapping ErrUnknownOpenItem as well): a new debtor's
// invoice whose append failed earlier in the same batch, or that comes
// after its credit note. A credit note naming another debtor than its
// booked invoice's is refused (unknown debtor).
//
// A marketplace invoice's item belongs to the marketplace's debtor
// (books.MarketplaceDebtorID of marketplace and currency), not to the
// buyer the shop names. Ingestion copies the invoice's channel onto its
// credit notes and cancellations, and the ledger books them on the
// marketplace's debtor like the invoice: the credit reduces that item
// (what exceeds it is a credit balance of the marketplace, settled with
// its payouts). A correction stored before ingestion copied the channel
// names only the buyer; the books reject it as an invalid allocation.
//
// # Bank transactions and statements
//
// Ingestion emits a BankTransactionReceived per transaction of an imported
// bank file and, after them, a BankStatementReceived per statement. A
// transaction with books set and status BOOK (or none) is booked as
// RecordBankTransaction with the key "bank-transaction:<transaction_id>"
// (BankTransactionCommand): receipts and returns against the unidentified
// receipts clearing account, debits an outgoing rule classified against
// that rule's account, other debits against the unidentified payments
// clearing account. Other transactions (pending, information only,
// notifications that detail a statement entry) book nothing. A final
// statement with a closing booked balance is recorded as
// RecordStatementBalance with the key "bank-statement:<statement_key>"
// (StatementCommand), which the reconciliation compares with the bank
// account; intraday reports and notifications record nothing. As the
// consumer books its messages in stream order, a statement's balance is
// recorded after its transactions are booked. What the books
// refuse (an IBAN or rule the tenant does not have, a closed period) is
// recorded in the rejection store, and the statement's reconciliation then
// shows the difference.
//
// # Senders
//
// The ledger takes each command only from the services entitled to send
// it (books.Senders): matching may apply payments but not register
// invoices. The sender is the <service> of the subject, which only that
// service's NATS user may publish on (deploy/nats). A command from any
// other sender is rejected as forbidden (reason code not_entitled, naming
// sender and command) before its tenant is looked at or the books see it.
package consumer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// The subjects of ingestion's events the ledger books (bus.EventName of
// the message names).
const (
	InvoiceSubjects      = "o2c.*.ingestion.invoice.ingested"
	CreditNoteSubjects   = "o2c.*.ingestion.credit-note.ingested"
	CancellationSubjects = "o2c.*.ingestion.invoice-cancellation.ingested"
	// BankTransactionSubjects carry ingestion.v1.BankTransactionReceived.
	BankTransactionSubjects = "o2c.*.ingestion.bank-transaction.received"
	// BankStatementSubjects carry ingestion.v1.BankStatementReceived.
	BankStatementSubjects = "o2c.*.ingestion.bank-statement.received"
)

// IngestedSubjects returns the filters of the ledger's consumer of
// ingestion's stream: invoices, credit notes and cancellations, bank
// transactions and statements, read through one consumer so that they are
// booked in the order ingestion emitted them (a statement after its
// transactions).
func IngestedSubjects() []string {
	return []string{InvoiceSubjects, CreditNoteSubjects, CancellationSubjects, BankTransactionSubjects, BankStatementSubjects}
}

// CommandSources returns the services whose streams the ledger reads
// commands from.
func CommandSources() []string {
	return []string{"matching", "dunning", "collections", "refund-import"}
}

// CommandSubjects returns the filter of the command consumer on service's
// stream: o2c.*.<service>.ledger.> (bus.CommandFilter).
func CommandSubjects(service string) string { return bus.CommandFilter(service, "ledger") }

// CommandSubject returns the subject a service publishes a command on
// (bus.CommandSubject).
func CommandSubject(tenant, service string, cmd proto.Message) string {
	return bus.CommandSubject(tenant, service, "ledger", string(cmd.ProtoReflect().Descriptor().FullName()))
}

// EnsureCommandStreams declares the stream of every service in services
// that does not exist yet, with bus.ServiceStreamConfig; it never changes a
// stream that exists.
func EnsureCommandStreams(ctx context.Context, js jetstream.JetStream, services []string) error {
	for _, s := range services {
		_, err := js.Stream(ctx, bus.ServiceStream(s))
		if err == nil {
			continue
		}
		if !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("look up stream of %s: %w", s, err)
		}
		if _, err := js.CreateStream(ctx, bus.ServiceStreamConfig(s)); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("declare stream of %s for its ledger commands: %w", s, err)
		}
	}
	return nil
}

// Commander executes ledger commands; its errors wrap the typed errors of
// package books, books.ErrUnsupportedCommand or books.ErrContended, a
// context error, or are storage failures.
type Commander interface {
	Execute(ctx context.Context, cmd proto.Message, m books.Meta) (books.Result, error)
}

// Tenants says which tenants exist: those of the tenants file. Check
// returns nil for a configured tenant, an error wrapping
// tenants.ErrInvalidTenantID for a string that is no tenant id, and one
// wrapping tenants.ErrUnknownTenant for a tenant the file does not list.
type Tenants interface {
	Check(tenant string) error
}

// Booker books incoming messages through the Commander. Its handlers
// return the Commander's errors as they are; bus.Consume sorts them with
// the ledger's fault table and records what it rejects. A message for a
// tenant the tenants file does not list is rejected before it reaches the
// books (reason code unknown_tenant), so no books are started for it.
type Booker struct {
	Commands Commander
	Tenants  Tenants
}

// checkTenant returns nil for a configured tenant, else the Tenants error
// with the rejection's reason code and document.
func (b *Booker) checkTenant(tenant, document string) error {
	err := b.Tenants.Check(tenant)
	if err == nil {
		return nil
	}
	code := "invalid"
	if errors.Is(err, tenants.ErrUnknownTenant) {
		code = "unknown_tenant"
	}
	return fault.WithDetail(err, fault.Detail{Code: code, Document: document})
}

// InvoiceCommand returns the RegisterInvoice command of an ingested invoice.
// Its idempotency key is "invoice:" plus the invoice number, so the same
// invoice ingested again books once, and a different invoice under a used
// number is rejected.
func InvoiceCommand(inv *ingestionv1.InvoiceIngested) *ledgerv1.RegisterInvoice {
	cmd := &ledgerv1.RegisterInvoice{
		Tenant: inv.GetTenant(), IdempotencyKey: "invoice:" + inv.GetInvoiceNumber(), InvoiceNumber: inv.GetInvoiceNumber(),
		DebtorId: inv.GetDebtorId(), OrderId: inv.GetOrderId(), Currency: inv.GetCurrency(), Gross: inv.GetGross(),
		IssueDate: inv.GetIssueDate(), DueDate: inv.GetDueDate(), PaymentReference: inv.GetPaymentReference(),
	}
	// The marketplace collects from the buyer: the receivable is against
	// the marketplace, the buyer is a reference and is never dunned.
	cmd.Marketplace = marketplaceOf(inv.GetChannel())
	cmd.Vat = vatAmounts(inv.GetVat())
	return cmd
}

// marketplaceOf is the marketplace that collects an invoice of channel
// ch, or "" when the merchant collects it.
func marketplaceOf(ch *shopv1.SalesChannel) string {
	if ch.GetKind() != shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE {
		return ""
	}
	return ch.GetMarketplace()
}

// correctedDebtor is the debtor whose item a correction of an invoice of
// channel ch names: the marketplace's debtor (books.MarketplaceDebtorID)
// when a marketplace collects it, as InvoiceCommand put the invoice
// there, else the buyer.
func correctedDebtor(buyer string, ch *shopv1.SalesChannel, currency string) string {
	if mp := marketplaceOf(ch); mp != "" {
		return books.MarketplaceDebtorID(mp, currency)
	}
	return buyer
}

// CreditNoteCommand returns the IssueCreditNote command of an ingested
// credit note: key "credit-note:" plus its number, allocated to the open
// item of the invoice it credits, VAT per rate as sent. For a marketplace
// invoice the debtor is the marketplace's, which holds the item.
func CreditNoteCommand(cn *ingestionv1.CreditNoteIngested) *ledgerv1.IssueCreditNote {
	return &ledgerv1.IssueCreditNote{
		Tenant: cn.GetTenant(), IdempotencyKey: "credit-note:" + cn.GetCreditNoteNumber(), CreditNoteNumber: cn.GetCreditNoteNumber(),
		DebtorId: correctedDebtor(cn.GetDebtorId(), cn.GetChannel(), cn.GetCurrency()), OpenItemId: books.InvoiceItemID(cn.GetTenant(), cn.GetInvoiceNumber()), Currency: cn.GetCurrency(),
		Vat: vatAmounts(cn.GetVat()), Gross: money(cn.GetGross()), IssueDate: cn.GetIssueDate(),
	}
}

// CancellationCommand returns the IssueCreditNote command of an ingested
// cancellation: the invoice's gross and VAT per rate credited under the
// cancellation's number with key "cancellation:" plus that number,
// allocated to the invoice's open item (see the package comment for why
// not a reversal). For a marketplace invoice the debtor is the
// marketplace's, which holds the item.
func CancellationCommand(c *ingestionv1.InvoiceCancellationIngested) *ledgerv1.IssueCreditNote {
	return &ledgerv1.IssueCreditNote{
		Tenant: c.GetTenant(), IdempotencyKey: "cancellation:" + c.GetCancellationNumber(), CreditNoteNumber: c.GetCancellationNumber(),
		DebtorId: correctedDebtor(c.GetDebtorId(), c.GetChannel(), c.GetCurrency()), OpenItemId: books.InvoiceItemID(c.GetTenant(), c.GetInvoiceNumber()), Currency: c.GetCurrency(),
		Vat: vatAmounts(c.GetVat()), Gross: money(c.GetGross()), IssueDate: c.GetIssueDate(),
	}
}

func vatAmounts(vs []*shopv1.VatTotal) []*ledgerv1.VatAmount {
	var out []*ledgerv1.VatAmount
	for _, v := range vs {
		out = append(out, &ledgerv1.VatAmount{RateBp: v.GetRateBp(), Net: money(v.GetNet()), Vat: money(v.GetVat()),
			TaxCountry: v.GetTaxCountry(), TaxTreatment: v.GetTaxTreatment()})
	}
	return out
}

func money(m *commonv1.Money) *commonv1.Money {
	if m == nil {
		return nil
	}
	return &commonv1.Money{MinorUnits: m.GetMinorUnits(), Currency: m.GetCurrency()}
}

// BankTransactionCommand returns the RecordBankTransaction command of a
// bank transaction, and false when it books nothing (books unset, or a
// status other than BOOK). The counter follows the classification; the
// booking date is the value date when the bank gave none. The entry's text
// is the bank's booking text only: remittance information may name
// people, and the ledger's events are kept for good.
func BankTransactionCommand(tx *ingestionv1.BankTransactionReceived) (*ledgerv1.RecordBankTransaction, bool) {
	if !tx.GetBooks() || tx.GetStatus() != "" && tx.GetStatus() != "BOOK" {
		return nil, false
	}
	cmd := &ledgerv1.RecordBankTransaction{
		Tenant: tx.GetTenant(), IdempotencyKey: "bank-transaction:" + tx.GetTransactionId(), TransactionId: tx.GetTransactionId(),
		Iban: tx.GetAccountIban(), Amount: money(tx.GetAmount()), BookingDate: tx.GetBookingDate(), ValueDate: tx.GetValueDate(),
		Text: tx.GetBookingText(),
	}
	if cmd.BookingDate == nil {
		cmd.BookingDate = tx.GetValueDate()
	}
	switch tx.GetClassification() {
	case ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT,
		ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RETURN:
		cmd.Counter = ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_RECEIPTS
	case ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED:
		cmd.Counter, cmd.Rule = ledgerv1.BankCounter_BANK_COUNTER_OUTGOING_RULE, tx.GetRule()
	case ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_INCOMING_CLASSIFIED:
		cmd.Counter, cmd.Rule = ledgerv1.BankCounter_BANK_COUNTER_INCOMING_RULE, tx.GetRule()
	case ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_UNCLASSIFIED:
		cmd.Counter = ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_PAYMENTS
	}
	return cmd, true
}

// StatementCommand returns the RecordStatementBalance command of a bank
// statement, and false when it records nothing (not a final statement, or
// no closing booked balance). The closing date is the statement's end
// date when the bank gave no balance date; the opening balance is dated
// on its own balance date, else on the statement's start date, else on
// its closing date (events stored before opening_date existed).
func StatementCommand(st *ingestionv1.BankStatementReceived) (*ledgerv1.RecordStatementBalance, bool) {
	if st.GetKind() != ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_FINAL || !st.GetHasClosingBooked() {
		return nil, false
	}
	cmd := &ledgerv1.RecordStatementBalance{
		Tenant: st.GetTenant(), IdempotencyKey: "bank-statement:" + st.GetStatementKey(), StatementKey: st.GetStatementKey(),
		Iban: st.GetAccountIban(), ClosingBalance: money(st.GetClosingBooked()), ClosingDate: st.GetClosingDate(),
		StatementId: st.GetStatementId(), Sequence: st.GetSequence(),
	}
	if cmd.ClosingDate == nil {
		cmd.ClosingDate = st.GetToDate()
	}
	if st.GetHasOpeningBooked() {
		cmd.OpeningBalance, cmd.OpeningDate = money(st.GetOpeningBooked()), st.GetOpeningDate()
		if cmd.OpeningDate == nil {
			cmd.OpeningDate = st.GetFromDate()
		}
		if cmd.OpeningDate == nil {
			cmd.OpeningDate = cmd.GetClosingDate()
		}
	}
	return cmd, true
}

// BookInvoice is the handler of ingested invoices.
func (b *Booker) BookInvoice(ctx context.Context, msg bus.Msg) error {
	ev, err := relay.DecodeMsg(msg.Header, msg.Data, nil)
	if err != nil {
		return bus.Permanent(fmt.Errorf("message on %s: %w", msg.Subject, err))
	}
	inv, ok := ev.Payload.(*ingestionv1.InvoiceIngested)
	if !ok {
		return bus.Permanent(fmt.Errorf("event %s on %s is a %s, not an InvoiceIngested", ev.EventID, msg.Subject, ev.Type))
	}
	j, err := b.invoiceJob(ctx, ev, inv)
	if err != nil {
		return err
	}
	_, err = b.Commands.Execute(ctx, j.cmd, j.meta)
	return j.wrap(err)
}

// BookIngested is the handler of ingestion's events the ledger books
// (IngestedSubjects): an invoice as RegisterInvoice, a credit note or
// cancellation as IssueCreditNote, a bank transaction as
// RecordBankTransaction and a final statement as RecordStatementBalance
// (see the package comment). Any other event is rejected as invalid.
func (b *Booker) BookIngested(ctx context.Context, msg bus.Msg) error {
	j, err := b.ingested(ctx, msg)
	if err != nil || j.cmd == nil {
		return err
	}
	_, err = b.Commands.Execute(ctx, j.cmd, j.meta)
	return j.wrap(err)
}

// BookIngestedBatch is BookIngested for the messages of a batch
// (bus.BatchHandler): their commands are executed in order with one
// ExecuteBatch when the Commander is a BatchCommander, so that those on
// debtors' streams are stored with one commit, and each message gets the
// error BookIngested would give it.
func (b *Booker) BookIngestedBatch(_ context.Context, batch []bus.Delivery) []error {
	errs := make([]error, len(batch))
	jobs := make([]job, len(batch))
	for i, d := range batch {
		jobs[i], errs[i] = b.ingested(d.Ctx, d.Msg)
	}
	b.execute(batch, jobs, errs)
	return errs
}

// BatchCommander executes many commands as Commander.Execute would one
// after another (books.Commander.ExecuteBatch): one result and one error
// per command, in order.
type BatchCommander interface {
	ExecuteBatch(ctx context.Context, cmds []books.Command) ([]books.Result, []error)
}

// job is the command a message asks for, with its metadata and how its
// error is reported; cmd is nil when the message books nothing.
type job struct {
	cmd  proto.Message
	meta books.Meta
	wrap func(error) error
}

// execute executes the commands of jobs whose errs are nil, in order,
// and sets their errors in errs.
func (b *Booker) execute(batch []bus.Delivery, jobs []job, errs []error) {
	var cmds []books.Command
	var idx []int
	for i, j := range jobs {
		if errs[i] == nil && j.cmd != nil {
			cmds = append(cmds, books.Command{Msg: j.cmd, Meta: j.meta})
			idx = append(idx, i)
		}
	}
	if len(cmds) == 0 {
		return
	}
	bc, ok := b.Commands.(BatchCommander)
	if !ok {
		for _, i := range idx {
			_, err := b.Commands.Execute(batch[i].Ctx, jobs[i].cmd, jobs[i].meta)
			errs[i] = jobs[i].wrap(err)
		}
		return
	}
	_, cerrs := bc.ExecuteBatch(context.WithoutCancel(batch[idx[0]].Ctx), cmds)
	for k, i := range idx {
		errs[i] = jobs[i].wrap(cerrs[k])
	}
}

// ingested returns the job of one of ingestion's events (see
// BookIngested), or the error BookIngested returns without booking.
func (b *Booker) ingested(ctx context.Context, msg bus.Msg) (job, error) {
	ev, err := relay.DecodeMsg(msg.Header, msg.Data, nil)
	if err != nil {
		return job{}, bus.Permanent(fmt.Errorf("message on %s: %w", msg.Subject, err))
	}
	switch p := ev.Payload.(type) {
	case *ingestionv1.InvoiceIngested:
		return b.invoiceJob(ctx, ev, p)
	case *ingestionv1.CreditNoteIngested:
		return b.creditJob(ctx, ev, "credit note", p.GetCreditNoteNumber(), p.GetInvoiceNumber(), CreditNoteCommand(p))
	case *ingestionv1.InvoiceCancellationIngested:
		return b.creditJob(ctx, ev, "cancellation", p.GetCancellationNumber(), p.GetInvoiceNumber(), CancellationCommand(p))
	case *ingestionv1.BankTransactionReceived:
		cmd, ok := BankTransactionCommand(p)
		if !ok {
			return job{}, nil
		}
		return b.bankJob(ctx, ev, "bank transaction", p.GetTransactionId(), cmd)
	case *ingestionv1.BankStatementReceived:
		cmd, ok := StatementCommand(p)
		if !ok {
			return job{}, nil
		}
		return b.bankJob(ctx, ev, "statement", p.GetStatementKey(), cmd)
	}
	return job{}, bus.Permanent(fmt.Errorf("event %s on %s is a %s, which the ledger does not book", ev.EventID, msg.Subject, ev.Type))
}

func (b *Booker) invoiceJob(ctx context.Context, ev eventstore.Event, inv *ingestionv1.InvoiceIngested) (job, error) {
	if err := b.checkTenant(inv.GetTenant(), inv.GetInvoiceNumber()); err != nil {
		return job{}, fmt.Errorf("book invoice %s: %w", inv.GetInvoiceNumber(), err)
	}
	return job{cmd: InvoiceCommand(inv), meta: ingestedMeta(ctx, ev), wrap: func(err error) error {
		if err != nil {
			return fault.WithDetail(fmt.Errorf("book invoice %s: %w", inv.GetInvoiceNumber(), err), fault.Detail{Document: inv.GetInvoiceNumber()})
		}
		return nil
	}}, nil
}

// creditJob books cmd, the credit note or cancellation (kind) number of
// invoice. An invoice the books do not hold is waited for (transient,
// code invoice_not_booked); see the package comment.
func (b *Booker) creditJob(ctx context.Context, ev eventstore.Event, kind, number, invoice string, cmd *ledgerv1.IssueCreditNote) (job, error) {
	if err := b.checkTenant(cmd.GetTenant(), number); err != nil {
		return job{}, fmt.Errorf("book %s %s: %w", kind, number, err)
	}
	return job{cmd: cmd, meta: ingestedMeta(ctx, ev), wrap: func(err error) error {
		switch {
		case err == nil:
			return nil
		case errors.Is(err, books.ErrUnknownOpenItem):
			return fault.WithDetail(fault.Mark(fmt.Errorf("book %s %s: invoice %s is not booked (yet): %w", kind, number, invoice, err), fault.Transient),
				fault.Detail{Code: "invoice_not_booked", Document: number})
		}
		return fault.WithDetail(fmt.Errorf("book %s %s of invoice %s: %w", kind, number, invoice, err), fault.Detail{Document: number})
	}}, nil
}

// bankJob books cmd, the command of the bank transaction or statement
// (kind) document.
func (b *Booker) bankJob(ctx context.Context, ev eventstore.Event, kind, document string, cmd interface {
	proto.Message
	GetTenant() string
}) (job, error) {
	if err := b.checkTenant(cmd.GetTenant(), document); err != nil {
		return job{}, fmt.Errorf("book %s %s: %w", kind, document, err)
	}
	return job{cmd: cmd, meta: ingestedMeta(ctx, ev), wrap: func(err error) error {
		if err != nil {
			return fault.WithDetail(fmt.Errorf("book %s %s: %w", kind, document, err), fault.Detail{Document: document})
		}
		return nil
	}}, nil
}

// ingestedMeta is the metadata of a command booked for ingestion's event
// ev. Its actor is the one ingestion recorded on ev: the shop that sent
// the document ("shop:<tenant>"), the person who requested a credit note
// in the console or imported a bank file, the drop folder. It is what the
// ledger's events, settlements and statements name as who booked it
// (IngestedActor for an event that names none). A redelivered event names
// the same actor, so a retry stores the same events.
func ingestedMeta(ctx context.Context, ev eventstore.Event) books.Meta {
	return withTrace(ctx, books.Meta{Actor: cmp.Or(ev.Actor, IngestedActor), CausationID: ev.EventID.String(), CorrelationID: ev.CorrelationID})
}

// IngestedActor is the actor of a booking for an ingestion event that
// names none (events stored before ingestion recorded actors).
const IngestedActor = "service:ledger"

// BookCommand is the handler of the commands other services publish.
func (b *Booker) BookCommand(ctx context.Context, msg bus.Msg) error {
	j, err := b.command(ctx, msg)
	if err != nil {
		return err
	}
	_, err = b.Commands.Execute(ctx, j.cmd, j.meta)
	return j.wrap(err)
}

// BookCommandBatch is BookCommand for the messages of a batch
// (bus.BatchHandler), executed as BookIngestedBatch executes its
// messages.
func (b *Booker) BookCommandBatch(_ context.Context, batch []bus.Delivery) []error {
	errs := make([]error, len(batch))
	jobs := make([]job, len(batch))
	for i, d := range batch {
		jobs[i], errs[i] = b.command(d.Ctx, d.Msg)
	}
	b.execute(batch, jobs, errs)
	return errs
}

// command returns the job of a command message (see BookCommand), or the
// error BookCommand returns without executing it.
func (b *Booker) command(ctx context.Context, msg bus.Msg) (job, error) {
	cmd, m, err := decodeCommand(msg)
	if err != nil {
		return job{}, bus.Permanent(err)
	}
	if t, ok := bus.TenantFromSubject(msg.Subject); !ok || t != tenantOf(cmd) {
		return job{}, bus.Permanent(fmt.Errorf("command on %s is for tenant %q", msg.Subject, tenantOf(cmd)))
	}
	if err := checkSender(msg, cmd); err != nil {
		return job{}, fault.WithDetail(fmt.Errorf("command %s on %s: %w", cmd.ProtoReflect().Descriptor().Name(), msg.Subject, err),
			fault.Detail{Code: "not_entitled", Document: idempotencyKey(cmd)})
	}
	if err := b.checkTenant(tenantOf(cmd), idempotencyKey(cmd)); err != nil {
		return job{}, fmt.Errorf("command %s on %s: %w", cmd.ProtoReflect().Descriptor().Name(), msg.Subject, err)
	}
	return job{cmd: cmd, meta: withTrace(ctx, m), wrap: func(err error) error {
		if err != nil {
			return fault.WithDetail(fmt.Errorf("command %s on %s: %w", cmd.ProtoReflect().Descriptor().Name(), msg.Subject, err),
				fault.Detail{Document: idempotencyKey(cmd)})
		}
		return nil
	}}, nil
}

// checkSender returns nil when the service that sent msg may send cmd
// (books.CheckSender). The sender is the <service> of the subject, which
// only that service's NATS user may publish on; a message read from a
// stream (replays have none) must come from that service's own stream.
func checkSender(msg bus.Msg, cmd proto.Message) error {
	sender := serviceOf(msg.Subject)
	if msg.Stream != "" && msg.Stream != bus.ServiceStream(sender) {
		return fmt.Errorf("%w: read from stream %s, but %s's commands travel only in %s",
			books.ErrSenderNotEntitled, msg.Stream, sender, bus.ServiceStream(sender))
	}
	return books.CheckSender(sender, cmd)
}

func idempotencyKey(cmd proto.Message) string {
	if k, ok := cmd.(interface{ GetIdempotencyKey() string }); ok {
		return k.GetIdempotencyKey()
	}
	return ""
}

// decodeCommand reads the command in msg (see the package comment).
func decodeCommand(msg bus.Msg) (proto.Message, books.Meta, error) {
	h := msg.Header
	actor := "service:" + serviceOf(msg.Subject)
	if h.Get(relay.HeaderContentHash) != "" {
		ev, err := relay.DecodeMsg(h, msg.Data, nil)
		if err != nil {
			return nil, books.Meta{}, fmt.Errorf("message on %s: %w", msg.Subject, err)
		}
		cmd, ok := books.NewCommand(ev.Type)
		if !ok || ev.Payload == nil {
			return nil, books.Meta{}, fmt.Errorf("event %s on %s: %w: %s", ev.EventID, msg.Subject, books.ErrUnsupportedCommand, ev.Type)
		}
		proto.Merge(cmd, ev.Payload)
		return cmd, books.Meta{Actor: cmpOr(ev.Actor, actor), CausationID: ev.EventID.String(), CorrelationID: ev.CorrelationID}, nil
	}
	name := h.Get(relay.HeaderEventType)
	if name == "" {
		subj := msg.Subject
		name = "o2c.ledger.v1." + bus.CommandName(subj[strings.LastIndexByte(subj, '.')+1:])
	}
	cmd, ok := books.NewCommand(name)
	if !ok {
		return nil, books.Meta{}, fmt.Errorf("message on %s: %w: %q", msg.Subject, books.ErrUnsupportedCommand, name)
	}
	var err error
	if ct := h.Get(relay.HeaderContentType); strings.HasPrefix(ct, "application/json") {
		err = protojson.Unmarshal(msg.Data, cmd)
	} else {
		err = proto.Unmarshal(msg.Data, cmd)
	}
	if err != nil {
		return nil, books.Meta{}, fmt.Errorf("message on %s: decode %s: %w", msg.Subject, name, err)
	}
	return cmd, books.Meta{
		Actor: cmpOr(h.Get(relay.HeaderActor), actor), CausationID: h.Get(jetstream.MsgIDHeader), CorrelationID: h.Get(relay.HeaderCorrelationID),
	}, nil
}

// withTrace sets the trace context of the message's span on m.
func withTrace(ctx context.Context, m books.Meta) books.Meta {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		m.TraceParent = fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
		m.TraceState = sc.TraceState().String()
	}
	return m
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func tenantOf(cmd proto.Message) string {
	if t, ok := cmd.(interface{ GetTenant() string }); ok {
		return t.GetTenant()
	}
	return ""
}

// serviceOf returns the <service> of o2c.<tenant>.<service>.….
func serviceOf(subject string) string {
	parts := strings.SplitN(subject, ".", 4)
	if len(parts) < 3 {
		return "unknown"
	}
	return parts[2]
}
