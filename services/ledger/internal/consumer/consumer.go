// Package consumer is the ledger's JetStream side. It books what other
// services publish: the invoices ingestion accepted
// (o2c.<tenant>.ingestion.invoice.ingested) as RegisterInvoice commands,
// and the ledger commands of commands.proto that any service publishes on
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
// message books nothing new. Failures are sorted in one place (classify): a
// message that cannot be decoded, or a command the books reject (invalid,
// closed period, unknown item, key reused for other content, ...), is
// terminated after one log line naming subject, message id and error; the
// rest (storage, contention) is transient and redelivered with backoff.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// InvoiceSubjects is the filter of the ledger's invoice consumer.
const InvoiceSubjects = "o2c.*.ingestion.invoice.ingested"

// CommandSources returns the services whose streams the ledger reads
// commands from.
func CommandSources() []string {
	return []string{"matching", "dunning", "collections", "refund-import"}
}

// CommandSubjects returns the filter of the command consumer on service's
// stream: o2c.*.<service>.ledger.>.
func CommandSubjects(service string) string { return "o2c.*." + service + ".ledger.>" }

// CommandSubject returns the subject a service publishes a command on.
func CommandSubject(tenant, service string, cmd proto.Message) string {
	return bus.ServiceSubject(tenant, service, "ledger."+kebab(string(cmd.ProtoReflect().Descriptor().Name())))
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

// Booker books incoming messages through the Commander.
type Booker struct {
	Commands Commander
	Log      *slog.Logger
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
	if inv.GetChannel().GetKind() == shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE {
		// The marketplace collects from the buyer: the receivable is against
		// the marketplace, the buyer is a reference and is never dunned.
		cmd.Marketplace = inv.GetChannel().GetMarketplace()
	}
	for _, v := range inv.GetVat() {
		cmd.Vat = append(cmd.Vat, &ledgerv1.VatAmount{RateBp: v.GetRateBp(), Net: money(v.GetNet()), Vat: money(v.GetVat())})
	}
	return cmd
}

func money(m *commonv1.Money) *commonv1.Money {
	if m == nil {
		return nil
	}
	return &commonv1.Money{MinorUnits: m.GetMinorUnits(), Currency: m.GetCurrency()}
}

// InvoiceHandler returns the JetStream handler for ingested invoices.
func (b *Booker) InvoiceHandler() bus.Handler {
	return b.handler(func(ctx context.Context, msg jetstream.Msg) error {
		ev, err := relay.Decode(msg, nil)
		if err != nil {
			return bus.Permanent(fmt.Errorf("message on %s: %w", msg.Subject(), err))
		}
		inv, ok := ev.Payload.(*ingestionv1.InvoiceIngested)
		if !ok {
			return bus.Permanent(fmt.Errorf("event %s on %s is a %s, not an InvoiceIngested", ev.EventID, msg.Subject(), ev.Type))
		}
		_, err = b.Commands.Execute(ctx, InvoiceCommand(inv), withTrace(ctx, books.Meta{
			Actor: "service:ledger", CausationID: ev.EventID.String(), CorrelationID: ev.CorrelationID,
		}))
		if err != nil {
			return fmt.Errorf("book invoice %s: %w", inv.GetInvoiceNumber(), err)
		}
		return nil
	})
}

// CommandHandler returns the JetStream handler for published commands.
func (b *Booker) CommandHandler() bus.Handler {
	return b.handler(b.handleCommand)
}

func (b *Booker) handleCommand(ctx context.Context, msg jetstream.Msg) error {
	cmd, m, err := decodeCommand(msg)
	if err != nil {
		return bus.Permanent(err)
	}
	if t, ok := bus.TenantFromSubject(msg.Subject()); !ok || t != tenantOf(cmd) {
		return bus.Permanent(fmt.Errorf("command on %s is for tenant %q", msg.Subject(), tenantOf(cmd)))
	}
	if _, err := b.Commands.Execute(ctx, cmd, withTrace(ctx, m)); err != nil {
		return fmt.Errorf("command %s on %s: %w", cmd.ProtoReflect().Descriptor().Name(), msg.Subject(), err)
	}
	return nil
}

// handler wraps h with the one failure policy of the package.
func (b *Booker) handler(h bus.Handler) bus.Handler {
	return func(ctx context.Context, msg jetstream.Msg) error {
		err := classify(h(ctx, msg))
		if err != nil && bus.IsPermanent(err) {
			b.Log.Error("ledger: cannot book message; terminated", "subject", msg.Subject(),
				"msg_id", msg.Headers().Get(jetstream.MsgIDHeader), "error", err)
		}
		return err
	}
}

// classify marks as permanent what redelivery cannot fix: the books'
// rejections. Storage failures, contention and context errors stay
// transient.
func classify(err error) error {
	switch {
	case err == nil, bus.IsPermanent(err):
		return err
	case errors.Is(err, books.ErrContended), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	for _, e := range []error{
		books.ErrInvalidCommand, books.ErrInvalidAllocation, books.ErrUnsupportedRate, books.ErrIdempotencyConflict,
		books.ErrDuplicateDocument, books.ErrNotAuthorised, books.ErrUnknownDebtor, books.ErrUnknownOpenItem,
		books.ErrUnknownEntry, books.ErrPeriodClosed, books.ErrItemSettled, books.ErrAlreadyReversed,
		books.ErrExceedsOpen, books.ErrPeriodState, books.ErrUnknownAccount, books.ErrUnsupportedCommand,
	} {
		if errors.Is(err, e) {
			return bus.Permanent(err)
		}
	}
	return err
}

func newCommand(name string) (proto.Message, bool) {
	switch name {
	case "o2c.ledger.v1.RegisterInvoice":
		return &ledgerv1.RegisterInvoice{}, true
	case "o2c.ledger.v1.RecordOpeningBalance":
		return &ledgerv1.RecordOpeningBalance{}, true
	case "o2c.ledger.v1.IssueCreditNote":
		return &ledgerv1.IssueCreditNote{}, true
	case "o2c.ledger.v1.ApplyPayment":
		return &ledgerv1.ApplyPayment{}, true
	case "o2c.ledger.v1.ReturnPayment":
		return &ledgerv1.ReturnPayment{}, true
	case "o2c.ledger.v1.AssessCharge":
		return &ledgerv1.AssessCharge{}, true
	case "o2c.ledger.v1.WriteOff":
		return &ledgerv1.WriteOff{}, true
	case "o2c.ledger.v1.RecoverWrittenOff":
		return &ledgerv1.RecoverWrittenOff{}, true
	case "o2c.ledger.v1.RecordAgencyCollection":
		return &ledgerv1.RecordAgencyCollection{}, true
	case "o2c.ledger.v1.ReverseEntry":
		return &ledgerv1.ReverseEntry{}, true
	case "o2c.ledger.v1.PayOutCreditBalance":
		return &ledgerv1.PayOutCreditBalance{}, true
	case "o2c.ledger.v1.ClosePeriod":
		return &ledgerv1.ClosePeriod{}, true
	case "o2c.ledger.v1.ReopenPeriod":
		return &ledgerv1.ReopenPeriod{}, true
	case "o2c.ledger.v1.MergeDebtor":
		return &ledgerv1.MergeDebtor{}, true
	}
	return nil, false
}

// decodeCommand reads the command in msg (see the package comment).
func decodeCommand(msg jetstream.Msg) (proto.Message, books.Meta, error) {
	h := msg.Headers()
	actor := "service:" + serviceOf(msg.Subject())
	if h.Get(relay.HeaderContentHash) != "" {
		ev, err := relay.Decode(msg, nil)
		if err != nil {
			return nil, books.Meta{}, fmt.Errorf("message on %s: %w", msg.Subject(), err)
		}
		cmd, ok := newCommand(ev.Type)
		if !ok || ev.Payload == nil {
			return nil, books.Meta{}, fmt.Errorf("event %s on %s: %w: %s", ev.EventID, msg.Subject(), books.ErrUnsupportedCommand, ev.Type)
		}
		proto.Merge(cmd, ev.Payload)
		return cmd, books.Meta{Actor: cmpOr(ev.Actor, actor), CausationID: ev.EventID.String(), CorrelationID: ev.CorrelationID}, nil
	}
	name := h.Get(relay.HeaderEventType)
	if name == "" {
		subj := msg.Subject()
		name = "o2c.ledger.v1." + camel(subj[strings.LastIndexByte(subj, '.')+1:])
	}
	cmd, ok := newCommand(name)
	if !ok {
		return nil, books.Meta{}, fmt.Errorf("message on %s: %w: %q", msg.Subject(), books.ErrUnsupportedCommand, name)
	}
	var err error
	if ct := h.Get(relay.HeaderContentType); strings.HasPrefix(ct, "application/json") {
		err = protojson.Unmarshal(msg.Data(), cmd)
	} else {
		err = proto.Unmarshal(msg.Data(), cmd)
	}
	if err != nil {
		return nil, books.Meta{}, fmt.Errorf("message on %s: decode %s: %w", msg.Subject(), name, err)
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

// kebab turns "ApplyPayment" into "apply-payment".
func kebab(name string) string {
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// camel turns "apply-payment" into "ApplyPayment".
func camel(token string) string {
	var b strings.Builder
	for _, w := range strings.Split(token, "-") {
		if w == "" {
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
