// Package consumer is matching's JetStream handlers: the bank transactions
// it decides (ingestion's BankTransactionReceived), the open items it
// matches against (the ledger's OpenItemOpened, OpenItemClassified,
// OpenItemCleared and OpenItemReopened), and what it learns from
// ingestion beside them (InvoiceIngested's cash discount terms,
// CustomerIngested for a debtor's master data, the settlement reports of
// marketplaces). Each handler checks the tenant (reason code
// unknown_tenant), decodes the relayed event (undecodable: bus.Permanent)
// and returns the domain's error as it is: bus.Consume sorts it with the
// service's fault chain and records what it rejects.
//
// # Bank transactions
//
// A transaction is decided when it books (books set) and is a receipt or a
// return (classification RECEIPT or RETURN); everything else is done at
// once. Handlers hand their transactions to a Batcher, which resolves the
// payers of a whole batch with one GetCounterparties call per tenant and
// lets the queue.Desk decide them in one append: several handlers wait on
// one commit, which is how the service keeps up with thousands of
// transactions per second. A handler returns only when its decision is
// stored, so an acknowledged transaction is never lost; one that comes
// again after that (a redelivery) is recognised by its payment id and
// decides nothing new. The ledger commands an automatic decision sends
// carry the idempotency key "matching:<transaction id>".
//
// # The ledger's items
//
// The ledger's item events are applied in the order of its stream by one
// consumer. Every event is recorded with its stream sequence, so a
// redelivered older event never undoes a newer one; the engine then holds
// what the ledger says is open, less what matching sent and the ledger
// has not booked yet (see queue.Desk.ItemChanged).
package consumer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/debtor"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
	"github.com/o2c-platform/o2c/services/matching/internal/postgres"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// The subjects matching reads (bus.EventName of the message names).
const (
	// BankTransactionSubjects carry ingestion.v1.BankTransactionReceived.
	BankTransactionSubjects = "o2c.*.ingestion.bank-transaction.received"
	// InvoiceSubjects carry ingestion.v1.InvoiceIngested (cash discount
	// terms).
	InvoiceSubjects = "o2c.*.ingestion.invoice.ingested"
	// CustomerSubjects carry ingestion.v1.CustomerIngested.
	CustomerSubjects = "o2c.*.ingestion.customer.ingested"
	// SettlementReportSubjects and SettlementLinesSubjects carry a
	// marketplace settlement report and its lines.
	SettlementReportSubjects = "o2c.*.ingestion.settlement-report.received"
	SettlementLinesSubjects  = "o2c.*.ingestion.settlement-lines.received"
)

// LedgerSubjects are the ledger's item events matching reads.
func LedgerSubjects() []string {
	return []string{"o2c.*.ledger.open-item.opened", "o2c.*.ledger.open-item.classified", "o2c.*.ledger.open-item.cleared",
		"o2c.*.ledger.open-item.reopened"}
}

// IngestionSubjects are the events of ingestion matching reads beside the
// bank transactions, through one consumer (a settlement report before its
// lines).
func IngestionSubjects() []string {
	return []string{InvoiceSubjects, CustomerSubjects, SettlementReportSubjects, SettlementLinesSubjects}
}

// Tenants says which tenants exist (tenants.File): Check returns nil for a
// configured tenant and an error wrapping tenants.ErrUnknownTenant or
// tenants.ErrInvalidTenantID otherwise.
type Tenants interface {
	Check(tenant string) error
}

// decode checks the message's tenant and decodes the relayed event.
func decode(ts Tenants, m bus.Msg) (string, proto.Message, error) {
	ev, err := relay.DecodeMsg(m.Header, m.Data, nil)
	if err != nil {
		return "", nil, bus.Permanent(fmt.Errorf("message on %s: %w", m.Subject, err))
	}
	tenant := ev.Stream.Tenant
	if t, ok := bus.TenantFromSubject(m.Subject); ok && t != tenant {
		return "", nil, bus.Permanent(fmt.Errorf("message on %s is of tenant %q", m.Subject, tenant))
	}
	if err := ts.Check(tenant); err != nil {
		code := "invalid"
		if errors.Is(err, tenants.ErrUnknownTenant) {
			code = "unknown_tenant"
		}
		return "", nil, fault.WithDetail(fmt.Errorf("message on %s: %w", m.Subject, err), fault.Detail{Code: code, Document: ev.EventID.String()})
	}
	if ev.Payload == nil {
		return "", nil, bus.Permanent(fmt.Errorf("message on %s: %s: %w", m.Subject, ev.Type, eventstore.ErrUndecodable))
	}
	return tenant, ev.Payload, nil
}

// Decider decides arriving payments (queue.Desk.Decide): one error per
// arrival, nil when its decision is stored or was before.
type Decider interface {
	Decide(ctx context.Context, arrivals []queue.Arrival) []error
}

// Bank handles ingestion's bank transactions.
type Bank struct {
	Tenants Tenants
	Batcher *Batcher
}

// Arrival returns the payment matching decides for a bank transaction, and
// false for one it leaves alone: one that does not book, or is neither a
// receipt nor a return.
func Arrival(tx *ingestionv1.BankTransactionReceived) (*matchingv1.Payment, bool) {
	if !tx.GetBooks() || tx.GetStatus() != "" && tx.GetStatus() != "BOOK" {
		return nil, false
	}
	switch tx.GetClassification() {
	case ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT,
		ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RETURN:
	default:
		return nil, false
	}
	return &matchingv1.Payment{
		PaymentId: tx.GetTransactionId(), TransactionId: tx.GetTransactionId(), AccountIban: tx.GetAccountIban(),
		Amount: tx.GetAmount(), BookingDate: tx.GetBookingDate(), ValueDate: tx.GetValueDate(), Remittance: tx.GetRemittance(),
		EndToEndId: tx.GetEndToEndId(), MandateId: tx.GetMandateId(), CreditorReferences: tx.GetCreditorReferences(),
		CounterpartyId: tx.GetCounterpartyId(), ReturnReason: tx.GetReturnReason(), BankTxCode: tx.GetBankTxCode(),
		Charges: tx.GetCharges(), Reversal: tx.GetReversal(), StatementKey: tx.GetStatementKey(),
	}, true
}

// Handle decides one bank transaction; it returns once the decision is
// stored.
func (h *Bank) Handle(ctx context.Context, m bus.Msg) error {
	tenant, msg, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	tx, ok := msg.(*ingestionv1.BankTransactionReceived)
	if !ok {
		return nil // another event of ingestion's: not for this consumer
	}
	p, ok := Arrival(tx)
	if !ok {
		return nil
	}
	if p.GetPaymentId() == "" || p.GetAmount().GetMinorUnits() == 0 {
		return fault.WithDetail(fmt.Errorf("%w: bank transaction %q of %s", engine.ErrInvalidPayment, p.GetPaymentId(), p.GetAmount()),
			fault.Detail{Code: "invalid", Document: p.GetPaymentId()})
	}
	return h.Batcher.Decide(ctx, queue.Arrival{Tenant: tenant, Payment: p})
}

// Items is what the ledger's item events change: the store first, then
// the tenant's engine (queue.Desk).
type Items struct {
	Tenants Tenants
	Store   *postgres.Store
	Desk    *queue.Desk
	// Profiles, when set, is asked for the master data of a debtor the
	// engine meets for the first time on an item (a shop's invoice that
	// carried its customer's data, with no CustomerIngested of its own).
	Profiles Profiles
}

// Handle applies one of the ledger's item events.
func (h *Items) Handle(ctx context.Context, m bus.Msg) error {
	tenant, msg, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	switch ev := msg.(type) {
	case *ledgerv1.OpenItemOpened:
		if err := h.opened(ctx, tenant, ev, m.Sequence); err != nil {
			return err
		}
		// Since 7 December 2026 the ledger classifies the item in the
		// event that opens it; older streams carry a separate
		// OpenItemClassified after it. Both are handled alike.
		if c := ev.GetClassification(); c != nil {
			return h.classified(ctx, tenant, c, m.Sequence)
		}
		return nil
	case *ledgerv1.OpenItemClassified:
		return h.classified(ctx, tenant, ev, m.Sequence)
	case *ledgerv1.OpenItemCleared:
		ch, err := h.Store.SettleItem(ctx, ev, m.Sequence)
		if err != nil || !ch.Applied {
			return err
		}
		return h.Desk.ItemChanged(ctx, tenant, ev.GetOpenItemId(), ch.Open, ch.Settled, nil)
	case *ledgerv1.OpenItemReopened:
		ch, err := h.Store.ReopenItem(ctx, ev, m.Sequence)
		if err != nil || !ch.Applied {
			return err
		}
		return h.Desk.ItemChanged(ctx, tenant, ev.GetOpenItemId(), ch.Open, nil, ch.Undone)
	}
	return nil
}

// opened records a new item and gives it to the engine, with its debtor's
// master data, unless it was known before or is not for matching.
func (h *Items) opened(ctx context.Context, tenant string, ev *ledgerv1.OpenItemOpened, seq uint64) error {
	it, fresh, err := h.Store.OpenItem(ctx, ev, seq)
	if err != nil || !fresh {
		return err
	}
	if err := h.profile(ctx, tenant, it.Debtor); err != nil {
		return err
	}
	return h.Desk.PutItem(ctx, tenant, it)
}

// classified records an item's classification and gives the engine the
// item again when the classification tells it something new.
func (h *Items) classified(ctx context.Context, tenant string, ev *ledgerv1.OpenItemClassified, seq uint64) error {
	it, ok, err := h.Store.ClassifyItem(ctx, ev, seq)
	if err != nil || !ok {
		return err
	}
	if it.Channel == "" && it.Kind == engine.ItemInvoice {
		return nil // nothing the engine does not know yet
	}
	return h.Desk.PutItem(ctx, tenant, it)
}

// profile gives the engine the master data of a debtor it has none of.
// Marketplace debtors have none.
func (h *Items) profile(ctx context.Context, tenant, id string) error {
	if h.Profiles == nil || debtor.Reserved(id) {
		return nil
	}
	known, err := h.Desk.Profiled(ctx, tenant, id)
	if err != nil || known {
		return err
	}
	ds, err := h.Profiles.Debtors(ctx, tenant, []string{id})
	if err != nil {
		return err
	}
	for _, d := range ds {
		if err := h.Desk.PutDebtor(ctx, tenant, d); err != nil {
			return err
		}
	}
	return nil
}

// Profiles fetches debtors' master data from ingestion (in memory only).
// Errors mean ingestion could not be asked (transient).
type Profiles interface {
	Debtors(ctx context.Context, tenant string, ids []string) ([]engine.Debtor, error)
}

// Ingestion handles ingestion's events beside the bank transactions.
type Ingestion struct {
	Tenants Tenants
	Store   *postgres.Store
	Desk    *queue.Desk
	// Profiles, when set, refreshes a debtor's master data in the engine
	// when its CustomerIngested arrives.
	Profiles Profiles
	// Settlements, when set, takes in marketplace settlement reports.
	Settlements Settlements
}

// Settlements takes in marketplace settlement reports and their lines.
type Settlements interface {
	Report(ctx context.Context, r *ingestionv1.SettlementReportReceived) error
	Lines(ctx context.Context, l *ingestionv1.SettlementLinesReceived) error
}

// Handle applies one of ingestion's events.
func (h *Ingestion) Handle(ctx context.Context, m bus.Msg) error {
	tenant, msg, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	switch ev := msg.(type) {
	case *ingestionv1.InvoiceIngested:
		it, ok, err := h.Store.InvoiceTerms(ctx, ev)
		if err != nil || !ok {
			return err
		}
		return h.Desk.PutItem(ctx, tenant, it)
	case *ingestionv1.CustomerIngested:
		if h.Profiles == nil || strings.TrimSpace(ev.GetDebtorId()) == "" {
			return nil
		}
		ds, err := h.Profiles.Debtors(ctx, tenant, []string{ev.GetDebtorId()})
		if err != nil {
			return err
		}
		for _, d := range ds {
			if err := h.Desk.PutDebtor(ctx, tenant, d); err != nil {
				return err
			}
		}
		return nil
	case *ingestionv1.SettlementReportReceived:
		if h.Settlements == nil {
			return nil
		}
		return h.Settlements.Report(ctx, ev)
	case *ingestionv1.SettlementLinesReceived:
		if h.Settlements == nil {
			return nil
		}
		return h.Settlements.Lines(ctx, ev)
	}
	return nil
}

// SettlementIntake takes in marketplace settlement reports (Settlements):
// each is stored as it comes, header and batches of lines; once complete
// it is given to the engine (queue.Desk.PutSettlement, with the ledger's
// order items it names), and the open payments that may pay it out (its
// id in the remittance, or its total) are decided again, since a payout
// often arrives before its report.
type SettlementIntake struct {
	Store *postgres.Store
	Desk  *queue.Desk
	// CatchUp, when set, brings the queue's read model up to date before
	// it is asked for the payments a report may settle.
	CatchUp func(ctx context.Context) error
}

// Report takes in a report's header.
func (s *SettlementIntake) Report(ctx context.Context, r *ingestionv1.SettlementReportReceived) error {
	complete, err := s.Store.SaveReport(ctx, r)
	if err != nil || !complete {
		return err
	}
	return s.take(ctx, r.GetTenant(), r.GetSettlementId())
}

// Lines takes in a batch of a report's lines.
func (s *SettlementIntake) Lines(ctx context.Context, l *ingestionv1.SettlementLinesReceived) error {
	complete, err := s.Store.SaveLines(ctx, l)
	if err != nil || !complete {
		return err
	}
	return s.take(ctx, l.GetTenant(), l.GetSettlementId())
}

func (s *SettlementIntake) take(ctx context.Context, tenant, id string) error {
	r, err := s.Store.Report(ctx, tenant, id)
	if err != nil {
		return err
	}
	orders, err := s.Store.OrderItems(ctx, tenant, queue.OrderIDs(r))
	if err != nil {
		return err
	}
	if err := s.Desk.PutSettlement(ctx, tenant, r, orders); err != nil {
		return err
	}
	if s.CatchUp != nil {
		if err := s.CatchUp(ctx); err != nil {
			return err
		}
	}
	ids, err := s.Store.PaymentsFor(ctx, tenant, id, r.Total, r.HasTotal)
	if err != nil {
		return err
	}
	for _, p := range ids {
		if err := s.Desk.Redecide(ctx, tenant, p); err != nil {
			return fmt.Errorf("settlement %s: payment %s: %w", id, p, err)
		}
	}
	return nil
}
