// Package consumer is ingestion's JetStream side: it takes the invoices shops
// publish on shop.<tenant>.invoice.issued, decodes (protobuf, or protojson
// with Content-Type: application/json), validates and deduplicates them,
// keeps the debtor's personal data in master data, and appends the
// normalized InvoiceIngested event to the event store (whose relay publishes
// it on o2c.<tenant>.ingestion.invoice.ingested).
//
// Outcomes: a new invoice is accepted; the same invoice again (same number,
// same content) is a duplicate and changes nothing; anything that cannot be
// accepted — undecodable, invalid, tenant mismatch, or a changed invoice
// under a number already accepted — is recorded as a rejection an operator
// can replay or resolve, and the message is terminated. Storage failures are
// transient: the message is redelivered.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

// InvoiceSubjects is the filter of ingestion's invoice consumer.
const InvoiceSubjects = "shop.*.invoice.issued"

// EventStore appends events. It returns *eventstore.ContentMismatchError
// (errors.Is ErrContentMismatch) when an event id is reused with other
// content; other errors are transient.
type EventStore interface {
	Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events []eventstore.Event) ([]eventstore.Event, error)
}

// Store keeps master data and rejections; its errors are transient.
type Store interface {
	SaveDebtor(ctx context.Context, tenant string, d *shopv1.Debtor) error
	Reject(ctx context.Context, r postgres.Rejection) (uuid.UUID, error)
}

// Message is a shop message as received.
type Message struct {
	Subject     string
	ContentType string
	MsgID       string
	Headers     map[string][]string
	Data        []byte
}

// Outcome is what processing did with a message.
type Outcome int

const (
	// Accepted means the invoice was stored and will be published.
	Accepted Outcome = iota + 1
	// Rejected means the message was recorded as a rejection.
	Rejected
)

// Result describes the outcome of Process.
type Result struct {
	Outcome Outcome
	// EventID is the invoice's event id when the message could be decoded.
	EventID uuid.UUID
	// RejectionID, ReasonCode and Reason are set for Rejected.
	RejectionID uuid.UUID
	ReasonCode  string
	Reason      string
}

// Processor turns shop messages into stored events or rejections.
type Processor struct {
	Events EventStore
	Store  Store
}

// rejection is a permanent failure with its reason code.
type rejection struct {
	code    string
	err     error
	invoice string
}

// Process handles one message. It returns an error only for transient
// failures (the message should be redelivered); rejections are a Result.
func (p *Processor) Process(ctx context.Context, m Message) (Result, error) {
	res, rej, err := p.process(ctx, m)
	if err != nil {
		return Result{}, err
	}
	if rej == nil {
		return res, nil
	}
	tenant, _ := bus.TenantFromSubject(m.Subject)
	id, err := p.Store.Reject(ctx, postgres.Rejection{
		Tenant: tenant, Subject: m.Subject, ContentType: m.ContentType, MsgID: m.MsgID,
		Headers: m.Headers, Payload: m.Data, InvoiceNumber: rej.invoice,
		ReasonCode: rej.code, Reason: rej.err.Error(),
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Outcome: Rejected, EventID: res.EventID, RejectionID: id, ReasonCode: rej.code, Reason: rej.err.Error()}, nil
}

func (p *Processor) process(ctx context.Context, m Message) (Result, *rejection, error) {
	tenant, ok := bus.TenantFromSubject(m.Subject)
	if !ok || !invoice.ValidTenant(tenant) {
		return Result{}, &rejection{code: "invalid", err: fmt.Errorf("subject %q: tenant is not a tenant id (lowercase letters, digits, dashes)", m.Subject)}, nil
	}
	inv := &shopv1.InvoiceIssued{}
	if isJSON(m.ContentType) {
		if err := protojson.Unmarshal(m.Data, inv); err != nil {
			return Result{}, &rejection{code: "decode", err: fmt.Errorf("decode JSON InvoiceIssued: %w", err)}, nil
		}
	} else if err := proto.Unmarshal(m.Data, inv); err != nil {
		return Result{}, &rejection{code: "decode", err: fmt.Errorf("decode protobuf InvoiceIssued (send JSON with Content-Type: application/json): %w", err)}, nil
	}
	if err := invoice.Validate(inv, tenant); err != nil {
		code := "invalid"
		if errors.Is(err, invoice.ErrTenantMismatch) {
			code = "tenant_mismatch"
		}
		return Result{}, &rejection{code: code, err: err, invoice: inv.GetInvoiceNumber()}, nil
	}
	ev, err := invoice.Normalize(inv)
	if err != nil {
		return Result{}, nil, err
	}
	id := invoice.EventID(tenant, inv.GetInvoiceNumber())
	if err := p.Store.SaveDebtor(ctx, tenant, inv.GetDebtor()); err != nil {
		return Result{}, nil, err
	}
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
	stream := eventstore.StreamID{Tenant: tenant, Type: "invoice", ID: inv.GetInvoiceNumber()}
	_, err = p.Events.Append(ctx, stream, eventstore.AnyVersion, []eventstore.Event{{Envelope: env, Payload: ev}})
	if errors.Is(err, eventstore.ErrContentMismatch) {
		return Result{EventID: id}, &rejection{code: "conflict", invoice: inv.GetInvoiceNumber(), err: fmt.Errorf(
			"invoice %s was already accepted with different content; correct an issued invoice with a cancellation or a credit note under a new number, never by re-sending it changed (%w)",
			inv.GetInvoiceNumber(), err)}, nil
	}
	if err != nil {
		return Result{}, nil, fmt.Errorf("store invoice %s: %w", inv.GetInvoiceNumber(), err)
	}
	return Result{Outcome: Accepted, EventID: id}, nil, nil
}

func isJSON(contentType string) bool {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	return ct == "application/json"
}

func traceparent(sc trace.SpanContext) string {
	return fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
}

// Handler returns the JetStream handler for shop invoices.
func (p *Processor) Handler() bus.Handler {
	return func(ctx context.Context, msg jetstream.Msg) error {
		hdr := msg.Headers()
		m := Message{
			Subject:     msg.Subject(),
			ContentType: hdr.Get("Content-Type"),
			MsgID:       hdr.Get("Nats-Msg-Id"),
			Headers:     hdr,
			Data:        msg.Data(),
		}
		res, err := p.Process(ctx, m)
		if err != nil {
			return err
		}
		if res.Outcome == Rejected {
			return bus.Permanent(fmt.Errorf("rejected as %s (rejection %s): %s", res.ReasonCode, res.RejectionID, res.Reason))
		}
		return nil
	}
}
