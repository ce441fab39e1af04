// Package consumer is the ledger's JetStream side. It books what other
// services publish — for now the invoices ingestion accepted
// (o2c.<tenant>.ingestion.invoice.ingested) — as journal entries and open
// items in the ledger's event store. It never reads shop.* subjects.
//
// Idempotency: the ids of the events a booking produces derive from the id
// of the event being booked, so a redelivered or replayed message appends
// nothing new. Failures: a message that cannot be decoded or booked (an
// unsupported VAT rate, say) is terminated after it was logged with its event
// id; everything else is transient and redelivered.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// InvoiceSubjects is the filter of the ledger's invoice consumer.
const InvoiceSubjects = "o2c.*.ingestion.invoice.ingested"

// EventStore appends to the ledger's event store; its errors are transient
// except ErrContentMismatch and ErrInvalidEvent.
type EventStore interface {
	Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events []eventstore.Event) ([]eventstore.Event, error)
}

// Accounts assigns debtor personal accounts; its errors are transient.
type Accounts interface {
	DebtorAccount(ctx context.Context, tenant, debtorID string) (string, error)
}

// Booker books incoming events.
type Booker struct {
	Events   EventStore
	Accounts Accounts
	Log      *slog.Logger
}

// BookInvoice books one ingested invoice whose event id is sourceID.
func (b *Booker) BookInvoice(ctx context.Context, sourceID uuid.UUID, inv *ingestionv1.InvoiceIngested, env eventstore.Envelope) error {
	account, err := b.Accounts.DebtorAccount(ctx, inv.GetTenant(), inv.GetDebtorId())
	if err != nil {
		return err
	}
	bk, err := books.BookInvoice(sourceID, inv, account)
	if err != nil {
		return bus.Permanent(err)
	}
	envFor := func(kind string) eventstore.Envelope {
		return eventstore.Envelope{
			EventID:       books.DerivedID(sourceID, kind),
			OccurredAt:    env.OccurredAt,
			CausationID:   sourceID.String(),
			CorrelationID: env.CorrelationID,
			Actor:         "service:ledger",
			TraceParent:   env.TraceParent,
			TraceState:    env.TraceState,
		}
	}
	stream := eventstore.StreamID{Tenant: inv.GetTenant(), Type: "debtor", ID: inv.GetDebtorId()}
	_, err = b.Events.Append(ctx, stream, eventstore.AnyVersion, []eventstore.Event{
		{Envelope: envFor("journal-entry"), Payload: bk.Entry},
		{Envelope: envFor("open-item"), Payload: bk.OpenItem},
	})
	if errors.Is(err, eventstore.ErrContentMismatch) || errors.Is(err, eventstore.ErrInvalidEvent) {
		return bus.Permanent(fmt.Errorf("book invoice %s: %w", inv.GetInvoiceNumber(), err))
	}
	if err != nil {
		return fmt.Errorf("book invoice %s: %w", inv.GetInvoiceNumber(), err)
	}
	return nil
}

// InvoiceHandler returns the JetStream handler for ingested invoices.
func (b *Booker) InvoiceHandler() bus.Handler {
	return func(ctx context.Context, msg jetstream.Msg) error {
		err := b.handleInvoice(ctx, msg)
		if err != nil && bus.IsPermanent(err) {
			b.Log.Error("ledger: cannot book message; terminated", "subject", msg.Subject(),
				"event_id", msg.Headers().Get("Nats-Msg-Id"), "error", err)
		}
		return err
	}
}

func (b *Booker) handleInvoice(ctx context.Context, msg jetstream.Msg) error {
	ev, err := relay.Decode(msg, nil)
	if err != nil {
		return bus.Permanent(fmt.Errorf("message on %s: %w", msg.Subject(), err))
	}
	inv, ok := ev.Payload.(*ingestionv1.InvoiceIngested)
	if !ok {
		return bus.Permanent(fmt.Errorf("event %s on %s is a %s, not an InvoiceIngested", ev.EventID, msg.Subject(), ev.Type))
	}
	env := ev.Envelope
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		env.TraceParent = fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
		env.TraceState = sc.TraceState().String()
	}
	return b.BookInvoice(ctx, ev.EventID, inv, env)
}
