// Package consumer is ingestion's processing of shop messages, behind
// both doors: the JetStream consumer of everything shops publish (shop.>)
// and the gRPC IngestionService (package rpc) call the same Handle. On
// JetStream the event type is the part of the subject after
// shop.<tenant>. (see EventTypes); the message is protobuf, or protojson
// with Content-Type: application/json. Each message is validated,
// deduplicated and stored as its normalized event in the event store
// (whose relay publishes it on o2c.<tenant>.ingestion.…); personal data
// (the debtor of an invoice, a customer's data) goes to master data only.
//
// Outcomes: a new message is accepted; the same message again (same
// natural key, same content) is a duplicate and changes nothing, as is a
// customer version older than the one held; anything that cannot be
// accepted fails with an error whose fault.Detail names the reason code:
// a subject that names no tenant (invalid), a tenant the tenants file
// does not list (unknown_tenant, tenants.ErrUnknownTenant), a subject no
// handler reads (unknown_event_type, invoice.ErrUnknownEventType), an
// undecodable message (decode), an invalid message (invalid,
// tenant_mismatch), a changed message under a natural key already accepted
// (conflict), and for cancellations and credit notes an invoice of
// another debtor (other_debtor) or currency (other_currency), or taken
// below zero (below_zero). On JetStream,
// bus.Consume records such a failure as a rejection an operator can replay
// or resolve. These checks run before anything is stored, so no rejected
// message changes anything. Storage failures are classified by the host's
// fault chain: passing ones are redelivered, data PostgreSQL refuses is
// rejected.
//
// Documents that refer to an invoice are appended to the invoice's stream
// at the version read, so the "not below zero" check holds against
// concurrent writers; a version conflict re-reads and checks again.
//
// Out of order is normal: a credit note or cancellation before its
// invoice, a chargeback before its capture and an invoice that names only
// debtor.customer_id before that customer's data are held (outcome Held;
// see Pending), and handled again through Handle when what they wait for
// is accepted. An invoice that carries its debtor data is never held. The
// IngestionService answers such a message HELD. A hold is kept once per
// tenant, event type and document with the time it was first held, so a
// redelivery does not restart its holding period (the tenants file's
// ingestion.holding_period, default 14 days; HoldingPeriod). A hold that
// outlives it is moved to the rejection store by Sweep, with reason code
// held_too_long and a reason naming what it waited for and since when.
// Held lists the holds with the end of their periods (ListPending, `o2c
// pending`). Without a Pending store such messages are rejected
// (unknown_invoice, unknown_capture, unknown_customer).
package consumer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/services/ingestion/internal/credit"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// ShopSubjects is the filter of ingestion's consumer: every subject of the
// SHOP stream, so that a message no handler reads is rejected rather than
// left unread.
const ShopSubjects = "shop.>"

// InvoiceIssued is the event type, the part of the subject after
// shop.<tenant>., of the invoices shops publish.
const InvoiceIssued = "invoice.issued"

// EventTypes are the event types ingestion reads, each with the message it
// carries: the part of the subject after shop.<tenant>.
var EventTypes = map[string]func() proto.Message{
	InvoiceIssued:          func() proto.Message { return &shopv1.InvoiceIssued{} },
	"invoice.cancelled":    func() proto.Message { return &shopv1.InvoiceCancelled{} },
	"credit_note.issued":   func() proto.Message { return &shopv1.CreditNoteIssued{} },
	"customer.registered":  func() proto.Message { return &shopv1.CustomerRegistered{} },
	"customer.updated":     func() proto.Message { return &shopv1.CustomerUpdated{} },
	"order.placed":         func() proto.Message { return &shopv1.OrderPlaced{} },
	"payment.captured":     func() proto.Message { return &shopv1.PaymentCaptured{} },
	"payment.charged_back": func() proto.Message { return &shopv1.ChargebackNotified{} },
}

// maxAttempts bounds how often an append at the version read is retried
// after another writer moved the stream.
const maxAttempts = 8

// EventStore appends events. It returns *eventstore.ContentMismatchError
// (errors.Is ErrContentMismatch) when an event id is reused with other
// content and *eventstore.ConflictError (ErrVersionConflict) when the
// stream is not at the expected version; other errors are storage
// failures.
type EventStore interface {
	Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events []eventstore.Event) ([]eventstore.Event, error)
	// ReadStream returns up to limit events (limit <= 0: all) of stream
	// from version from on, payloads decoded; its errors are storage
	// failures.
	ReadStream(ctx context.Context, stream eventstore.StreamID, from int64, limit int) ([]eventstore.Event, error)
}

// Debtors keeps master data; its errors are storage failures.
type Debtors interface {
	SaveDebtor(ctx context.Context, tenant string, d *shopv1.Debtor) error
	// SaveCustomer records a customer's data as of updatedAt unless a
	// later version is held; it reports whether it did.
	SaveCustomer(ctx context.Context, tenant string, c *shopv1.Customer, updatedAt time.Time) (bool, error)
	// KnownCustomer returns the data held of a customer as a debtor, and
	// false when none is held (never received, or erased).
	KnownCustomer(ctx context.Context, tenant, id string) (*shopv1.Debtor, bool, error)
}

// Pending keeps held messages (package postgres implements it); its
// errors are storage failures.
type Pending interface {
	// Hold records h; holding a message again keeps its first HeldAt.
	Hold(ctx context.Context, h shop.Hold) error
	// Waiting returns tenant's holds waiting for fact, oldest first.
	Waiting(ctx context.Context, tenant string, fact shop.Fact) ([]shop.Hold, error)
	// Pending returns tenant's holds (every tenant's for ""), oldest
	// first.
	Pending(ctx context.Context, tenant string) ([]shop.Hold, error)
	// Release deletes a hold.
	Release(ctx context.Context, tenant, eventType, document string) error
}

// Tenants says which tenants exist: those of the tenants file. Check
// returns nil for a configured tenant and an error wrapping
// tenants.ErrUnknownTenant for a tenant the file does not list (or
// tenants.ErrInvalidTenantID, which Process rules out before it asks).
type Tenants interface {
	Check(tenant string) error
}

// Processor turns shop messages into stored events. It is the handler of
// ingestion's consumer, of the replay of its rejections and of the
// IngestionService.
type Processor struct {
	Events  EventStore
	Debtors Debtors
	// Tenants are the tenants whose messages are accepted.
	Tenants Tenants
	// Tax returns a tenant's tax table, the one the ledger books by; nil
	// means tax.Default() for every tenant.
	Tax func(tenant string) *tax.Table
	// Invoices, when set, stores the invoices of a batch (ProcessBatch)
	// with one commit; nil stores each message on its own.
	Invoices Invoices
	// Pending holds messages that wait for another; nil rejects them.
	Pending Pending
	// Rejections records held messages that can no longer be accepted:
	// released and then rejected, or held too long (see Sweep). Required
	// with Pending.
	Rejections bus.Recorder
	// Consumer is the durable name the rejections of held messages are
	// recorded under, so that a replay runs them through Process again.
	Consumer string
	// HoldingPeriod returns how long a tenant's messages are held; nil
	// means shop.DefaultHoldingPeriod.
	HoldingPeriod func(tenant string) time.Duration
	// Now is the clock of holds; nil means time.Now.
	Now func() time.Time
}

// Outcome is what Handle did with an acceptable message.
type Outcome int

// The outcomes of a message that was not rejected.
const (
	// Accepted means the message's event was stored now.
	Accepted Outcome = iota + 1
	// Duplicate means the event was stored before with the same content
	// (or the customer version is older than the one held): nothing
	// changed.
	Duplicate
	// Held means the message waits for another (Result.WaitsFor) and is
	// kept until it arrives: nothing was stored as an event.
	Held
)

// Result is the outcome of one message and the id of its event.
type Result struct {
	Outcome Outcome
	EventID uuid.UUID
	// WaitsFor is what a held message waits for; Reason says so.
	WaitsFor shop.Fact
	Reason   string
}

// Process handles one message on a shop subject (see Handle): nil when it
// was accepted or was a duplicate, otherwise an error as Handle returns it
// or, for the subject and the encoding, with reason code invalid,
// unknown_tenant, unknown_event_type or decode.
func (p *Processor) Process(ctx context.Context, m bus.Msg) error {
	tenant, msg, err := p.decode(m)
	if err != nil {
		return err
	}
	_, err = p.Handle(ctx, tenant, msg)
	return err
}

// decode returns the tenant and message of m, or the error Process
// returns for its subject or encoding.
func (p *Processor) decode(m bus.Msg) (string, proto.Message, error) {
	tenant, ok := bus.TenantFromSubject(m.Subject)
	if !ok || !invoice.ValidTenant(tenant) {
		return "", nil, fault.WithDetail(fmt.Errorf("%w: subject %q: the tenant is not a tenant id (lowercase letters, digits, dashes)",
			invoice.ErrBadSubject, m.Subject), fault.Detail{Code: "invalid"})
	}
	if err := p.CheckTenant(tenant); err != nil {
		return "", nil, fmt.Errorf("message on %s: %w", m.Subject, err)
	}
	event := strings.TrimPrefix(m.Subject, "shop."+tenant+".")
	newMsg, ok := EventTypes[event]
	if !ok {
		return "", nil, fault.WithDetail(fmt.Errorf("%w %q on %s: ingestion reads shop.<tenant>.{%s}", invoice.ErrUnknownEventType,
			event, m.Subject, strings.Join(slices.Sorted(maps.Keys(EventTypes)), ",")), fault.Detail{Code: "unknown_event_type"})
	}
	msg := newMsg()
	name := msg.ProtoReflect().Descriptor().Name()
	if isJSON(m.Header.Get("Content-Type")) {
		if err := protojson.Unmarshal(m.Data, msg); err != nil {
			return "", nil, fault.WithDetail(fmt.Errorf("%w: JSON %s: %v", invoice.ErrUndecodable, name, err), fault.Detail{Code: "decode"})
		}
	} else if err := proto.Unmarshal(m.Data, msg); err != nil {
		return "", nil, fault.WithDetail(fmt.Errorf("%w: protobuf %s (send JSON with Content-Type: application/json): %v",
			invoice.ErrUndecodable, name, err), fault.Detail{Code: "decode"})
	}
	return tenant, msg, nil
}

// CheckTenant returns nil for a configured tenant, else an error wrapping
// tenants.ErrUnknownTenant with reason code unknown_tenant.
func (p *Processor) CheckTenant(tenant string) error {
	if err := p.Tenants.Check(tenant); err != nil {
		return fault.WithDetail(err, fault.Detail{Code: "unknown_tenant"})
	}
	return nil
}

// Handle validates msg, one of the shop messages of EventTypes sent for
// tenant (a configured one: see CheckTenant), and stores its event. It
// returns Accepted or Duplicate; otherwise an error with a fault.Detail
// naming the reason code (see the package comment) and the document, that
// wraps a sentinel of package invoice or shop, or a storage failure.
// Nothing, master data included, changes unless the message is accepted.
func (p *Processor) Handle(ctx context.Context, tenant string, msg proto.Message) (Result, error) {
	res, err := p.handle(ctx, tenant, msg)
	if fact, ok := shop.Awaits(err); ok && p.Pending != nil {
		return p.hold(ctx, tenant, msg, fact, err)
	}
	if err != nil {
		return res, err
	}
	if fact, ok := provides(msg); ok {
		if err := p.release(ctx, tenant, fact); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// handle is Handle without holds.
func (p *Processor) handle(ctx context.Context, tenant string, msg proto.Message) (Result, error) {
	var opts []invoice.Option
	if p.Tax != nil {
		opts = append(opts, invoice.WithTaxTable(p.Tax(tenant)))
	}
	switch m := msg.(type) {
	case *shopv1.InvoiceIssued:
		return p.invoiceIssued(ctx, tenant, m, opts)
	case *shopv1.InvoiceCancelled:
		stream := eventstore.StreamID{Tenant: tenant, Type: shop.InvoiceStream, ID: m.GetInvoiceNumber()}
		return p.correction(ctx, stream, m.GetCancellationNumber(), func(st shop.InvoiceState) (shop.Event, error) {
			return shop.Cancellation(m, tenant, st)
		})
	case *shopv1.CreditNoteIssued:
		stream := eventstore.StreamID{Tenant: tenant, Type: shop.InvoiceStream, ID: m.GetInvoiceNumber()}
		if id := m.GetRequestId(); id != "" {
			// The shop's answer to a credit note the console requested
			// ("issued_by": "shop"): it must name a request sent to it
			// for this invoice and credit no more than was approved.
			if err := credit.CheckKey("request_id", id, 64); err != nil {
				return Result{}, rejected(fmt.Errorf("credit note %s: %w: %v", m.GetCreditNoteNumber(), invoice.ErrInvalid, err), m.GetCreditNoteNumber())
			}
			req := eventstore.StreamID{Tenant: tenant, Type: credit.RequestStream, ID: id}
			evs, err := p.Events.ReadStream(ctx, req, 1, 0)
			if err != nil {
				return Result{}, fmt.Errorf("read %s: %w", req, err)
			}
			if err := credit.CheckShopAnswer(credit.Fold(evs), m.GetInvoiceNumber(), m.GetTotals().GetGross().GetMinorUnits()); err != nil {
				return Result{}, rejected(fmt.Errorf("credit note %s: %w", m.GetCreditNoteNumber(), err), m.GetCreditNoteNumber())
			}
		}
		return p.correction(ctx, stream, m.GetCreditNoteNumber(), func(st shop.InvoiceState) (shop.Event, error) {
			return shop.CreditNote(m, tenant, st, opts...)
		})
	case *shopv1.CustomerRegistered:
		return p.customer(ctx, tenant, m.GetTenant(), m.GetCustomer(), m.GetUpdatedAt(), m)
	case *shopv1.CustomerUpdated:
		return p.customer(ctx, tenant, m.GetTenant(), m.GetCustomer(), m.GetUpdatedAt(), m)
	case *shopv1.OrderPlaced:
		e, err := shop.Order(m, tenant)
		return p.simple(ctx, e, err)
	case *shopv1.PaymentCaptured:
		e, err := shop.Capture(m, tenant)
		return p.simple(ctx, e, err)
	case *shopv1.ChargebackNotified:
		e, err := shop.Chargeback(m, tenant)
		if err != nil {
			return Result{}, rejected(err, "")
		}
		return p.appendOnce(ctx, e.Stream, func(history []eventstore.Event) (shop.Event, error) {
			if err := shop.CheckCapture(payloads(history), m.GetProvider(), m.GetCaptureReference(), "chargeback "+e.Document); err != nil {
				return shop.Event{}, err
			}
			return e, nil
		})
	default:
		return Result{}, fault.WithDetail(fmt.Errorf("%w: %T", invoice.ErrUnknownEventType, msg), fault.Detail{Code: "unknown_event_type"})
	}
}

// invoiceIssued handles an InvoiceIssued of tenant (see Handle).
func (p *Processor) invoiceIssued(ctx context.Context, tenant string, inv *shopv1.InvoiceIssued, opts []invoice.Option) (Result, error) {
	number := inv.GetInvoiceNumber()
	sent := inv
	byReference := invoice.DebtorByReference(inv)
	if byReference {
		id := inv.GetDebtor().GetCustomerId()
		d, ok, err := p.Debtors.KnownCustomer(ctx, tenant, id)
		if err != nil {
			return Result{}, fmt.Errorf("invoice %s: %w", number, err)
		}
		if !ok {
			if err := invoice.ValidateHeld(inv, tenant, opts...); err != nil {
				return Result{}, rejected(err, number)
			}
			return Result{}, &shop.WaitError{Fact: shop.Fact{Kind: shop.AwaitCustomer, Key: id},
				Err: fmt.Errorf("invoice %s: %w: it names only debtor.customer_id %q", number, shop.ErrUnknownCustomer, id)}
		}
		inv = proto.Clone(inv).(*shopv1.InvoiceIssued)
		inv.Debtor = d
	}
	e, err := invoiceEvent(tenant, inv, sent, byReference, opts)
	if err != nil {
		return Result{}, err
	}
	res, err := p.appendOnce(ctx, e.Stream, func([]eventstore.Event) (shop.Event, error) { return e, nil })
	if err != nil {
		return res, p.invoiceConflict(ctx, e, err)
	}
	// Master data follows the accepted invoice only: a rejected message
	// never changes it. Should this fail, the redelivery finds the invoice
	// stored (a duplicate) and saves the debtor again. An invoice that
	// named only its customer brings no data of its own.
	if byReference {
		return res, nil
	}
	if err := p.Debtors.SaveDebtor(ctx, tenant, inv.GetDebtor()); err != nil {
		return Result{}, fmt.Errorf("invoice %s: %w", number, err)
	}
	return res, nil
}

// invoiceEvent validates inv, an InvoiceIssued of tenant completed with
// the customer's data when byReference (sent is the message as sent), and
// returns its event.
func invoiceEvent(tenant string, inv, sent *shopv1.InvoiceIssued, byReference bool, opts []invoice.Option) (shop.Event, error) {
	number := inv.GetInvoiceNumber()
	if err := invoice.Validate(inv, tenant, opts...); err != nil {
		return shop.Event{}, rejected(err, number)
	}
	ev, err := invoice.Normalize(inv)
	if err != nil {
		return shop.Event{}, fault.WithDetail(err, fault.Detail{Document: number})
	}
	if byReference {
		// The event stands for the message as sent, not for the
		// customer data it was completed with: the same message sent
		// again is a duplicate even after the customer's data changed.
		if ev.SourceHash, err = invoice.SourceHash(sent); err != nil {
			return shop.Event{}, fault.WithDetail(err, fault.Detail{Document: number})
		}
	}
	occurred := invoice.ToTime(inv.GetIssueDate())
	if inv.GetIssuedAt().IsValid() {
		occurred = inv.GetIssuedAt().AsTime()
	}
	stream := eventstore.StreamID{Tenant: tenant, Type: shop.InvoiceStream, ID: number}
	return shop.Event{Stream: stream, ID: invoice.EventID(tenant, number), OccurredAt: occurred, Payload: ev, Document: number}, nil
}

// invoiceConflict returns err, the failure to store the invoice event e,
// as the conflict it is (reason code conflict, saying what changed) when
// it is a content mismatch.
func (p *Processor) invoiceConflict(ctx context.Context, e shop.Event, err error) error {
	var mismatch *eventstore.ContentMismatchError
	if !errors.As(err, &mismatch) {
		return err
	}
	ev, _ := e.Payload.(*ingestionv1.InvoiceIngested)
	return fault.WithDetail(fmt.Errorf("invoice %s: %w: %s; correct an issued invoice with a cancellation or a credit note under a new number\ndetails: %v",
		e.Document, invoice.ErrChanged, p.changes(ctx, e.Stream, ev), mismatch), fault.Detail{Code: "conflict", Document: e.Document})
}

// simple stores the event of a message that depends on nothing stored.
func (p *Processor) simple(ctx context.Context, e shop.Event, err error) (Result, error) {
	if err != nil {
		return Result{}, rejected(err, "")
	}
	return p.appendOnce(ctx, e.Stream, func([]eventstore.Event) (shop.Event, error) { return e, nil })
}

// correction stores a cancellation or credit note numbered doc against
// the invoice stream it refers to, built from the stream's state.
func (p *Processor) correction(ctx context.Context, stream eventstore.StreamID, doc string, build func(shop.InvoiceState) (shop.Event, error)) (Result, error) {
	return p.appendOnce(ctx, stream, func(history []eventstore.Event) (shop.Event, error) {
		return build(shop.Fold(payloads(history), doc))
	})
}

// customer stores a version of a customer's data: master data first (a
// version older than the one held is a duplicate and stores nothing),
// then its event.
func (p *Processor) customer(ctx context.Context, tenant, payloadTenant string, c *shopv1.Customer, updatedAt *timestamppb.Timestamp, msg proto.Message) (Result, error) {
	e, err := shop.Customer(payloadTenant, tenant, c, updatedAt, msg)
	if err != nil {
		return Result{}, rejected(err, c.GetCustomerNumber())
	}
	return p.appendOnce(ctx, e.Stream, func(history []eventstore.Event) (shop.Event, error) {
		if has(history, e.ID) {
			return e, nil
		}
		applied, err := p.Debtors.SaveCustomer(ctx, tenant, c, updatedAt.AsTime())
		if err != nil {
			return shop.Event{}, fmt.Errorf("customer %s: %w", c.GetCustomerNumber(), err)
		}
		if !applied {
			return shop.Event{}, errStale
		}
		return e, nil
	})
}

// errStale says a customer version is older than the one held.
var errStale = errors.New("stale customer version")

// appendOnce reads stream, builds the event from what it holds and appends
// it at the version read: Duplicate when its id is stored with the same
// content, an error wrapping invoice.ErrChanged (reason code conflict)
// when with other content, Accepted otherwise. When another writer moved
// the stream meanwhile it reads and builds again.
func (p *Processor) appendOnce(ctx context.Context, stream eventstore.StreamID, build func([]eventstore.Event) (shop.Event, error)) (Result, error) {
	for attempt := 1; ; attempt++ {
		history, err := p.Events.ReadStream(ctx, stream, 1, 0)
		if err != nil {
			return Result{}, fmt.Errorf("read %s: %w", stream, err)
		}
		e, err := build(history)
		if errors.Is(err, errStale) {
			return Result{Outcome: Duplicate}, nil
		}
		if err != nil {
			return Result{}, rejected(err, "")
		}
		env := envelope(ctx, stream, e)
		expected, outcome := eventstore.ExpectedVersion(len(history)), Accepted
		if has(history, e.ID) {
			expected, outcome = eventstore.AnyVersion, Duplicate
		}
		_, err = p.Events.Append(ctx, stream, expected, []eventstore.Event{{Envelope: env, Payload: e.Payload}})
		switch {
		case err == nil:
			return Result{Outcome: outcome, EventID: e.ID}, nil
		case errors.Is(err, eventstore.ErrVersionConflict) && attempt < maxAttempts:
			continue
		case errors.Is(err, eventstore.ErrContentMismatch) && e.Kind == "":
			return Result{}, err // an invoice: invoiceIssued says what changed
		case errors.Is(err, eventstore.ErrContentMismatch):
			return Result{}, fault.WithDetail(fmt.Errorf("%s %s %w: %s\ndetails: %w", e.Kind, e.Document, shop.ErrChanged,
				p.changed(ctx, stream, e), err), fault.Detail{Code: "conflict", Document: e.Document})
		default:
			return Result{}, fmt.Errorf("store %s: %w", e.Document, err)
		}
	}
}

// envelope is the envelope of e, stored on stream, handled with ctx.
func envelope(ctx context.Context, stream eventstore.StreamID, e shop.Event) eventstore.Envelope {
	env := eventstore.Envelope{
		EventID:       e.ID,
		OccurredAt:    e.OccurredAt,
		CorrelationID: e.ID.String(),
		Actor:         "shop:" + stream.Tenant,
	}
	// Every envelope field that enters the content hash is derived from
	// the message itself, never from what carried it (a Nats-Msg-Id, an
	// arrival time, a trace): the same message re-sent must hash the
	// same, or it would be mistaken for a change.
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		env.TraceParent = traceparent(sc)
		env.TraceState = sc.TraceState().String()
	}
	return env
}

// reasonCodes are the rejection reason codes of the domain's sentinels,
// first match wins.
var reasonCodes = []struct {
	err  error
	code string
}{
	{invoice.ErrTenantMismatch, "tenant_mismatch"},
	{invoice.ErrInvalid, "invalid"},
	{shop.ErrUnknownInvoice, "unknown_invoice"},
	{shop.ErrUnknownCapture, "unknown_capture"},
	{shop.ErrUnknownCustomer, "unknown_customer"},
	{shop.ErrOtherDebtor, "other_debtor"},
	{shop.ErrOtherCurrency, "other_currency"},
	{shop.ErrBelowZero, "below_zero"},
}

// rejected gives a domain error its reason code and document, unless it
// has them. Other errors (storage failures) are returned as they are: the
// host's chain classifies them.
func rejected(err error, doc string) error {
	if fault.DetailOf(err).Code != "" {
		return err
	}
	for _, r := range reasonCodes {
		if errors.Is(err, r.err) {
			return fault.WithDetail(err, fault.Detail{Code: r.code, Document: doc})
		}
	}
	return err
}

func payloads(history []eventstore.Event) []proto.Message {
	ps := make([]proto.Message, len(history))
	for i, e := range history {
		ps[i] = e.Payload
	}
	return ps
}

func has(history []eventstore.Event, id uuid.UUID) bool {
	return slices.ContainsFunc(history, func(e eventstore.Event) bool { return e.EventID == id })
}

// changed says what differs between the event with e's id in stream and
// e, or why it cannot say.
func (p *Processor) changed(ctx context.Context, stream eventstore.StreamID, e shop.Event) string {
	stored, err := p.Events.ReadStream(ctx, stream, 1, 0)
	if err != nil {
		return "the accepted version could not be read to compare"
	}
	for _, s := range stored {
		if s.EventID == e.ID && s.Payload != nil {
			return "differs in " + invoice.Diff(s.Payload, e.Payload)
		}
	}
	return "the accepted version could not be read to compare"
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
