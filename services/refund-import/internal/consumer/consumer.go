// Package consumer is refund import's JetStream handler of the ledger's
// item events (OpenItemOpened, OpenItemClassified, OpenItemCleared,
// OpenItemReopened): the open items of orders a refund credits, with
// their VAT lines and the credit notes that cleared them (a shop's credit
// note a refund is linked to, the journal entry a reversal reverses). A
// refund waiting for its order is decided again when the order's item is
// classified, a reversal waiting for its refund's credit note when the
// ledger reports it. The handler checks the tenant (reason code
// unknown_tenant), decodes the relayed event (undecodable: bus.Permanent)
// and returns the domain's error as it is: bus.Consume sorts it with the
// service's fault chain and records what it rejects. Every write is
// idempotent, so a redelivered event changes nothing.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/refund-import/internal/postgres"
)

// LedgerSubjects are the ledger's item events refund import reads.
func LedgerSubjects() []string {
	return []string{"o2c.*.ledger.open-item.opened", "o2c.*.ledger.open-item.classified", "o2c.*.ledger.open-item.cleared",
		"o2c.*.ledger.open-item.reopened"}
}

// Tenants says which tenants exist (tenants.File): Check returns nil for a
// configured tenant and an error wrapping tenants.ErrUnknownTenant or
// tenants.ErrInvalidTenantID otherwise.
type Tenants interface {
	Check(tenant string) error
}

// Redecider decides the waiting refunds of an order again (job.Importer).
type Redecider interface {
	Redecide(ctx context.Context, tenant, orderID string) error
}

// Items applies the ledger's item events.
//
// After an event that changes what credited an order's item (a credit
// note's settlement, the credit balance a credit note opened beyond the
// item, a reopening, the reversal of such a credit balance), the flags of the item's booked refunds are brought
// up to date (postgres.Store.CreditedAgain): a shop credit note that
// credits an order after its marketplace refund was booked is logged as a
// warning naming both credit notes, counted, and shown with the refund in
// its listing (Refund.credited_again_by).
type Items struct {
	Tenants Tenants
	Store   *postgres.Store
	Refunds Redecider
	// Log receives the warnings of orders credited again; nil discards
	// them.
	Log *slog.Logger
	// Now is the time of a new flag; nil means time.Now.
	Now func() time.Time
	// CreditedAgain counts the flags added, by tenant; nil counts none.
	CreditedAgain metric.Int64Counter
}

// Handle applies one of the ledger's item events.
func (h *Items) Handle(ctx context.Context, m bus.Msg) error {
	tenant, msg, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	var orders []string
	var credited string // the item whose credits changed
	switch ev := msg.(type) {
	case *ledgerv1.OpenItemOpened:
		if orders, err = h.Store.OpenItem(ctx, ev); err != nil {
			return err
		}
		credited = ev.GetCreditedOpenItemId()
		// Since 7 December 2026 the ledger classifies the item in the
		// event that opens it; older streams carry a separate
		// OpenItemClassified after it. Both are recorded alike, and the
		// refunds of the item's order are decided again after either.
		if c := ev.GetClassification(); c != nil {
			o, err := h.Store.ClassifyItem(ctx, c)
			if err != nil {
				return err
			}
			if o != "" && !slices.Contains(orders, o) {
				orders = append(orders, o)
			}
		}
	case *ledgerv1.OpenItemClassified:
		o, err := h.Store.ClassifyItem(ctx, ev)
		if err != nil || o == "" {
			return err
		}
		orders = []string{o}
	case *ledgerv1.OpenItemCleared:
		if orders, err = h.Store.SettleItem(ctx, ev); err != nil {
			return err
		}
		// Payments and other settlements credit nothing.
		if slices.ContainsFunc(ev.GetSettlements(), func(st *ledgerv1.Settlement) bool {
			return st.GetKind() == ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE
		}) {
			credited = ev.GetOpenItemId()
		}
		// A credit note reversed takes back the credit balance it opened
		// beyond the item it named.
		item, err := h.Store.UndoBalance(ctx, ev)
		if err != nil {
			return err
		}
		if item != "" {
			credited = item
		}
	case *ledgerv1.OpenItemReopened:
		if err := h.Store.ReopenItem(ctx, ev); err != nil {
			return err
		}
		credited = ev.GetOpenItemId()
	}
	if credited != "" {
		if err := h.creditedAgain(ctx, tenant, credited); err != nil {
			return err
		}
	}
	for _, o := range orders {
		if err := h.Refunds.Redecide(ctx, tenant, o); err != nil {
			return fmt.Errorf("refunds of order %s: %w", o, err)
		}
	}
	return nil
}

// creditedAgain updates the flags of item's booked refunds and reports
// each new one.
func (h *Items) creditedAgain(ctx context.Context, tenant, item string) error {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	flags, err := h.Store.CreditedAgain(ctx, tenant, item, now().UTC())
	if err != nil {
		return err
	}
	for _, f := range flags {
		if h.CreditedAgain != nil {
			h.CreditedAgain.Add(ctx, 1, metric.WithAttributes(attribute.String("tenant", tenant)))
		}
		if h.Log != nil {
			h.Log.WarnContext(ctx, "order credited twice? the shop's credit note credits it after its marketplace refund was booked",
				"tenant", tenant, "order_id", f.OrderID, "open_item_id", f.ItemID, "refund", f.RefundKey,
				"refund_credit_note", f.CreditNote, "shop_credit_note", f.By)
		}
	}
	return nil
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
