// Package consumer is ingestion's JetStream side: it reads everything shops
// publish (shop.>), takes the invoices on shop.<tenant>.invoice.issued,
// decodes (protobuf, or protojson with Content-Type: application/json),
// validates and deduplicates them, keeps the debtor's personal data in
// master data, and appends the normalized InvoiceIngested event to the
// event store (whose relay publishes it on
// o2c.<tenant>.ingestion.invoice.ingested).
//
// Outcomes: a new invoice is accepted; the same invoice again (same number,
// same content) is a duplicate and changes nothing; anything that cannot be
// accepted fails with an error bus.Consume records as a rejection an
// operator can replay or resolve, with its reason code: a subject that
// names no tenant (invalid), a tenant the tenants file does not list
// (unknown_tenant, tenants.ErrUnknownTenant), a subject no handler reads
// (unknown_event_type, invoice.ErrUnknownEventType), an undecodable
// message (decode), an invalid invoice (invalid, tenant_mismatch), or a
// changed invoice under a number already accepted (conflict). These checks
// run in that order and before anything is stored, so nothing is left
// unread in the stream and no message of an unknown tenant changes
// anything. Storage failures are classified by the host's fault chain:
// passing ones are redelivered, data PostgreSQL refuses is rejected.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
)

// ShopSubjects is the filter of ingestion's consumer: every subject of the
// SHOP stream, so that a message no handler reads is rejected rather than
// left unread.
const ShopSubjects = "shop.>"

// InvoiceIssued is the event type, the part of the subject after
// shop.<tenant>., of the invoices shops publish.
const InvoiceIssued = "invoice.issued"

// EventStore appends events. It returns *eventstore.ContentMismatchError
// (errors.Is ErrContentMismatch) when an event id is reused with other
// content; other errors are storage failures.
type EventStore interface {
	Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events []eventstore.Event) ([]eventstore.Event, error)
	// ReadStream returns up to limit events of stream from version from
	// on, payloads decoded; its errors are storage failures.
	ReadStream(ctx context.Context, stream eventstore.StreamID, from int64, limit int) ([]eventstore.Event, error)
}

// Debtors keeps master data; its errors are storage failures.
type Debtors interface {
	SaveDebtor(ctx context.Context, tenant string, d *shopv1.Debtor) error
}

// Tenants says which tenants exist: those of the tenants file. Check
// returns nil for a configured tenant and an error wrapping
// tenants.ErrUnknownTenant for a tenant the file does not list (or
// tenants.ErrInvalidTenantID, which Process rules out before it asks).
type Tenants interface {
	Check(tenant string) error
}

// Processor turns shop messages into stored events. It is the handler of
// ingestion's consumer and of the replay of its rejections.
type Processor struct {
	Events  EventStore
	Debtors Debtors
	// Tenants are the tenants whose messages are accepted.
	Tenants Tenants
	// Tax returns a tenant's tax table, the one the ledger books by; nil
	// means tax.Default() for every tenant.
	Tax func(tenant string) *tax.Table
}

// Process handles one message on a shop subject: nil when the invoice was
// stored or was stored before with the same content; otherwise an error
// with a fault.Detail naming the reason code (and invoice number) that
// wraps one of package invoice's sentinels, tenants.ErrUnknownTenant, or a
// storage failure. Nothing, master data included, changes unless the
// invoice is accepted.
func (p *Processor) Process(ctx context.Context, m bus.Msg) error {
	tenant, ok := bus.TenantFromSubject(m.Subject)
	if !ok || !invoice.ValidTenant(tenant) {
		return fault.WithDetail(fmt.Errorf("%w: subject %q: the tenant is not a tenant id (lowercase letters, digits, dashes)",
			invoice.ErrBadSubject, m.Subject), fault.Detail{Code: "invalid"})
	}
	if err := p.Tenants.Check(tenant); err != nil {
		return fault.WithDetail(fmt.Errorf("message on %s: %w", m.Subject, err), fault.Detail{Code: "unknown_tenant"})
	}
	switch event := strings.TrimPrefix(m.Subject, "shop."+tenant+"."); event {
	case InvoiceIssued:
		return p.invoiceIssued(ctx, tenant, m)
	default:
		return fault.WithDetail(fmt.Errorf("%w %q on %s: ingestion reads only shop.<tenant>.%s", invoice.ErrUnknownEventType,
			event, m.Subject, InvoiceIssued), fault.Detail{Code: "unknown_event_type"})
	}
}

// invoiceIssued handles an InvoiceIssued of tenant (see Process).
func (p *Processor) invoiceIssued(ctx context.Context, tenant string, m bus.Msg) error {
	inv := &shopv1.InvoiceIssued{}
	contentType := m.Header.Get("Content-Type")
	if isJSON(contentType) {
		if err := protojson.Unmarshal(m.Data, inv); err != nil {
			return fault.WithDetail(fmt.Errorf("%w: JSON InvoiceIssued: %v", invoice.ErrUndecodable, err), fault.Detail{Code: "decode"})
		}
	} else if err := proto.Unmarshal(m.Data, inv); err != nil {
		return fault.WithDetail(fmt.Errorf("%w: protobuf InvoiceIssued (send JSON with Content-Type: application/json): %v",
			invoice.ErrUndecodable, err), fault.Detail{Code: "decode"})
	}
	number := inv.GetInvoiceNumber()
	var opts []invoice.Option
	if p.Tax != nil {
		opts = append(opts, invoice.WithTaxTable(p.Tax(tenant)))
	}
	if err := invoice.Validate(inv, tenant, opts...); err != nil {
		code := "invalid"
		if errors.Is(err, invoice.ErrTenantMismatch) {
			code = "tenant_mismatch"
		}
		return fault.WithDetail(err, fault.Detail{Code: code, Document: number})
	}
	ev, err := invoice.Normalize(inv)
	if err != nil {
		return fault.WithDetail(err, fault.Detail{Document: number})
	}
	id := invoice.EventID(tenant, number)
	occurred := invoice.ToTime(inv.GetIssueDate())
	if inv.GetIssuedAt().IsValid() {
		occurred = inv.GetIssuedAt().AsTime()
	}
	// Every envelope field that enters the content hash is derived from the
	// invoice itself, never from the message that carried it (its
	// Nats-Msg-Id, its arrival time): the same invoice re-sent in another
	// message must hash the same, or it would be mistaken for a change.
	env := eventstore.Envelope{
		EventID:       id,
		OccurredAt:    occurred,
		CorrelationID: id.String(),
		Actor:         "shop:" + tenant,
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		env.TraceParent = traceparent(sc)
		env.TraceState = sc.TraceState().String()
	}
	stream := eventstore.StreamID{Tenant: tenant, Type: "invoice", ID: number}
	_, err = p.Events.Append(ctx, stream, eventstore.AnyVersion, []eventstore.Event{{Envelope: env, Payload: ev}})
	if errors.Is(err, eventstore.ErrContentMismatch) {
		return fault.WithDetail(fmt.Errorf("invoice %s: %w: %s; correct an issued invoice with a cancellation or a credit note under a new number\ndetails: %v",
			number, invoice.ErrChanged, p.changes(ctx, stream, ev), err), fault.Detail{Code: "conflict", Document: number})
	}
	if err != nil {
		return fmt.Errorf("store invoice %s: %w", number, err)
	}
	// Master data follows the accepted invoice only: a rejected message
	// never changes it. Should this fail, the redelivery finds the invoice
	// stored (a no-op) and saves the debtor again.
	if err := p.Debtors.SaveDebtor(ctx, tenant, inv.GetDebtor()); err != nil {
		return fmt.Errorf("invoice %s: %w", number, err)
	}
	return nil
}

func isJSON(contentType string) bool {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	return ct == "application/json"
}

func traceparent(sc trace.SpanContext) string {
	return fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
}

// changes says what differs between the invoice stored under stream and ev,
// or why it cannot say.
func (p *Processor) changes(ctx context.Context, stream eventstore.StreamID, ev *ingestionv1.InvoiceIngested) string {
	stored, err := p.Events.ReadStream(ctx, stream, 1, 1)
	if err != nil || len(stored) == 0 {
		return "the accepted version could not be read to compare"
	}
	old, ok := stored[0].Payload.(*ingestionv1.InvoiceIngested)
	if !ok {
		return "the accepted version is a " + stored[0].Type
	}
	return "differs in " + invoice.Diff(old, ev)
}
