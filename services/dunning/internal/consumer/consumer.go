// Package consumer is dunning's JetStream handlers: the ledger's item
// events (OpenItemOpened, OpenItemClassified, OpenItemCleared,
// OpenItemReopened), which say what is open, and ingestion's
// InvoiceIngested (the §286 (3) BGB notice and the delivery date) and
// CustomerIngested (the debtor's kind, group and language). Each handler
// checks the tenant (reason code unknown_tenant), decodes the relayed
// event (undecodable: bus.Permanent) and returns the store's error as it
// is: bus.Consume sorts it with the service's fault chain and records
// what it rejects.
//
// The ledger's item events are applied in the order of its stream by one
// consumer; each clearing and reopening is recorded with its stream
// sequence, so a redelivered older event never undoes a newer one.
package consumer

import (
	"context"
	"errors"
	"fmt"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/dunning/internal/postgres"
)

// LedgerSubjects are the ledger's item events dunning reads.
func LedgerSubjects() []string {
	return []string{"o2c.*.ledger.open-item.opened", "o2c.*.ledger.open-item.classified", "o2c.*.ledger.open-item.cleared",
		"o2c.*.ledger.open-item.reopened"}
}

// IngestionSubjects are the events of ingestion dunning reads.
func IngestionSubjects() []string {
	return []string{"o2c.*.ingestion.invoice.ingested", "o2c.*.ingestion.customer.ingested"}
}

// Tenants says which tenants exist (tenants.File): Check returns nil for a
// configured tenant and an error wrapping tenants.ErrUnknownTenant or
// tenants.ErrInvalidTenantID otherwise.
type Tenants interface {
	Check(tenant string) error
}

// decode checks the message's tenant and decodes the relayed event.
func decode(ts Tenants, m bus.Msg) (eventstore.Event, error) {
	ev, err := relay.DecodeMsg(m.Header, m.Data, nil)
	if err != nil {
		return ev, bus.Permanent(fmt.Errorf("message on %s: %w", m.Subject, err))
	}
	tenant := ev.Stream.Tenant
	if t, ok := bus.TenantFromSubject(m.Subject); ok && t != tenant {
		return ev, bus.Permanent(fmt.Errorf("message on %s is of tenant %q", m.Subject, tenant))
	}
	if err := ts.Check(tenant); err != nil {
		code := "invalid"
		if errors.Is(err, tenants.ErrUnknownTenant) {
			code = "unknown_tenant"
		}
		return ev, fault.WithDetail(fmt.Errorf("message on %s: %w", m.Subject, err), fault.Detail{Code: code, Document: ev.EventID.String()})
	}
	if ev.Payload == nil {
		return ev, bus.Permanent(fmt.Errorf("message on %s: %s: %w", m.Subject, ev.Type, eventstore.ErrUndecodable))
	}
	return ev, nil
}

// Items applies the ledger's item events to the read model.
type Items struct {
	Tenants Tenants
	Store   *postgres.Store
}

// Handle applies one of the ledger's item events.
func (h *Items) Handle(ctx context.Context, m bus.Msg) error {
	ev, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	switch p := ev.Payload.(type) {
	case *ledgerv1.OpenItemOpened:
		if err := h.Store.OpenItem(ctx, p, m.Sequence); err != nil {
			return err
		}
		// Since 7 December 2026 the ledger classifies the item in the
		// event that opens it; older streams carry a separate
		// OpenItemClassified after it. Both are recorded alike.
		if c := p.GetClassification(); c != nil {
			return h.Store.ClassifyItem(ctx, c)
		}
		return nil
	case *ledgerv1.OpenItemClassified:
		return h.Store.ClassifyItem(ctx, p)
	case *ledgerv1.OpenItemCleared:
		return h.Store.ClearItem(ctx, p, m.Sequence)
	case *ledgerv1.OpenItemReopened:
		return h.Store.ReopenItem(ctx, p, m.Sequence, ev.OccurredAt)
	}
	return nil
}

// Ingestion applies ingestion's invoice and customer events.
type Ingestion struct {
	Tenants Tenants
	Store   *postgres.Store
}

// Handle applies one of ingestion's events.
func (h *Ingestion) Handle(ctx context.Context, m bus.Msg) error {
	ev, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	switch p := ev.Payload.(type) {
	case *ingestionv1.InvoiceIngested:
		return h.Store.Invoice(ctx, p)
	case *ingestionv1.CustomerIngested:
		return h.Store.Customer(ctx, p)
	}
	return nil
}
