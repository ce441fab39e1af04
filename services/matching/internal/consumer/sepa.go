package consumer

import (
	"context"
	"strings"
	"time"

	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/services/matching/internal/postgres"
	"github.com/o2c-platform/o2c/services/matching/internal/sepa"
)

// OrderSubjects carry ingestion.v1.OrderIngested (how an order is paid).
const OrderSubjects = "o2c.*.ingestion.order.ingested"

// SepaSubjects are ingestion's events the SEPA part of matching reads:
// orders (payment method), customers (direct debit and the mandate in
// the master data) and bank transactions (collections, their returns and
// payouts' transfers, by end-to-end id).
func SepaSubjects() []string {
	return []string{OrderSubjects, CustomerSubjects, BankTransactionSubjects}
}

// ShopDebtors reads what debtors' master data says for their direct
// debits from ingestion (rpc.Ingestion): a debtor ingestion does not know
// is left out. Its errors are transient.
type ShopDebtors interface {
	ShopDebtors(ctx context.Context, tenant string, ids []string) (map[string]sepa.ShopDebtor, error)
}

// Sepa takes in what collections need of ingestion's events: whether an
// order is paid by direct debit, whether a customer pays by direct debit,
// and the customer's mandates from the master data (ingestion's profile:
// reference, IBAN and signature date, so a shop's mandate is usable
// without an operator; one without a signature date waits for an
// operator to set it). The mandates are personal data: they go into the
// mandate table, never into a log line or an event.
type Sepa struct {
	Tenants Tenants
	Store   *postgres.Store
	// Profiles, when set, reads the customer's mandates from ingestion.
	Profiles ShopDebtors
	// Now is the clock of mandate changes; nil means time.Now.
	Now func() time.Time
}

// Handle applies one OrderIngested or CustomerIngested.
func (h *Sepa) Handle(ctx context.Context, m bus.Msg) error {
	tenant, msg, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	switch ev := msg.(type) {
	case *ingestionv1.BankTransactionReceived:
		// The statement shows a collection (receipt), its return or a
		// payout's transfer (debits) by the end-to-end id; matching's bank
		// consumer decides the same transaction for the ledger.
		if ev.GetAmount().GetMinorUnits() == 0 || strings.TrimSpace(ev.GetEndToEndId()) == "" || !ev.GetBooks() ||
			ev.GetStatus() != "" && ev.GetStatus() != "BOOK" {
			return nil
		}
		on := ev.GetBookingDate()
		if on.GetYear() == 0 {
			on = ev.GetValueDate()
		}
		day := now()
		if on.GetYear() != 0 {
			day = time.Date(int(on.GetYear()), time.Month(on.GetMonth()), int(on.GetDay()), 0, 0, 0, 0, time.UTC)
		}
		return h.Store.StatementShowed(ctx, tenant, strings.TrimSpace(ev.GetEndToEndId()), ev.GetAmount().GetMinorUnits(),
			ev.GetReturnReason(), day)
	case *ingestionv1.OrderIngested:
		if strings.TrimSpace(ev.GetOrderId()) == "" {
			return nil
		}
		return h.Store.SetOrderDirectDebit(ctx, tenant, ev.GetOrderId(),
			ev.GetPaymentMethod() == shopv1.PaymentMethod_PAYMENT_METHOD_DIRECT_DEBIT)
	case *ingestionv1.CustomerIngested:
		if strings.TrimSpace(ev.GetDebtorId()) == "" {
			return nil
		}
		if err := h.Store.SetCustomerDirectDebit(ctx, tenant, ev.GetDebtorId(), ev.GetDirectDebit()); err != nil {
			return err
		}
		if h.Profiles == nil {
			return nil
		}
		ds, err := h.Profiles.ShopDebtors(ctx, tenant, []string{ev.GetDebtorId()})
		if err != nil {
			return err
		}
		d, ok := ds[ev.GetDebtorId()]
		if !ok {
			return nil
		}
		if d.Erased {
			_, err := h.Store.EraseMandates(ctx, tenant, []string{ev.GetDebtorId()}, now())
			return err
		}
		var ms []sepa.Mandate
		if ev.GetDirectDebit() {
			ms = d.MandatesOf(tenant, ev.GetDebtorId())
		}
		return h.Store.ShopMandates(ctx, tenant, ev.GetDebtorId(), ms, now())
	}
	return nil
}

// BlockSubjects carry dunning.v1.BlockSet and BlockLifted: dunning blocks
// (disputes among them) that hold back collections and payouts.
func BlockSubjects() []string {
	return []string{"o2c.*.dunning.block.set", "o2c.*.dunning.block.lifted"}
}

// Blocks takes in dunning's blocks for the SEPA runs.
type Blocks struct {
	Tenants Tenants
	Store   *postgres.Store
}

// Handle applies one BlockSet or BlockLifted.
func (h *Blocks) Handle(ctx context.Context, m bus.Msg) error {
	tenant, msg, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	switch ev := msg.(type) {
	case *dunningv1.BlockSet:
		b := ev.GetBlock()
		if b.GetLifted() {
			return h.Store.LiftBlock(ctx, tenant, b.GetBlockId())
		}
		target := b.GetOpenItemId()
		if target == "" {
			target = b.GetDebtorId()
		}
		return h.Store.PutBlock(ctx, tenant, b.GetBlockId(), target, b.GetReason())
	case *dunningv1.BlockLifted:
		return h.Store.LiftBlock(ctx, tenant, ev.GetBlockId())
	}
	return nil
}
