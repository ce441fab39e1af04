package telemetry

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// messagingSystemNATS is the messaging.system value for NATS (core and
// JetStream); semconv has no enum member for it.
const messagingSystemNATS = "nats"

// NATSCarrier adapts a nats.Header to propagation.TextMapCarrier.
//
// NATS header keys are case-sensitive and nats.Header.Set stores a key as
// given, so the carrier writes the exact lowercase keys the W3C propagators
// use (traceparent, tracestate, baggage) and removes other spellings of the
// same key, so that one message never carries two trace contexts. On read
// it prefers the lowercase key and falls back to a case-insensitive match
// (the lexically first one, so the choice is deterministic), which accepts
// a publisher that canonicalised the key to "Traceparent".
//
// Set on a nil NATSCarrier does nothing: a nil map cannot be written.
type NATSCarrier nats.Header

var _ propagation.TextMapCarrier = NATSCarrier(nil)

// Get returns the first value stored under key, matched as described on
// [NATSCarrier], or "" when there is none.
func (c NATSCarrier) Get(key string) string {
	k := strings.ToLower(key)
	if vs := c[k]; len(vs) > 0 {
		return vs[0]
	}
	best, found := "", false
	for hk, vs := range c {
		if len(vs) > 0 && strings.EqualFold(hk, k) && (!found || hk < best) {
			best, found = hk, true
		}
	}
	if !found {
		return ""
	}
	return c[best][0]
}

// Set stores value as the only value of the lowercased key, removing any
// other spelling of it.
func (c NATSCarrier) Set(key, value string) {
	if c == nil {
		return
	}
	k := strings.ToLower(key)
	for hk := range c {
		if hk != k && strings.EqualFold(hk, k) {
			delete(c, hk)
		}
	}
	c[k] = []string{value}
}

// Keys returns the header keys as stored, in no particular order.
func (c NATSCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// InjectNATS writes the span context and baggage of ctx into hdr through
// prop. A nil prop or a nil hdr injects nothing; use [StartPublish] to get
// a header allocated when the message has none.
func InjectNATS(ctx context.Context, prop propagation.TextMapPropagator, hdr nats.Header) {
	if prop == nil || hdr == nil {
		return
	}
	prop.Inject(ctx, NATSCarrier(hdr))
}

// ExtractNATS returns ctx with the remote span context and baggage found in
// hdr through prop. With a nil prop, or when hdr carries no (valid) trace
// context, ctx is returned unchanged in that respect.
func ExtractNATS(ctx context.Context, prop propagation.TextMapPropagator, hdr nats.Header) context.Context {
	if prop == nil {
		return ctx
	}
	return prop.Extract(ctx, NATSCarrier(hdr))
}

// StartPublish starts a producer span "publish <subject>" for msg as a
// child of ctx and injects the new span context into msg.Header (allocated
// when nil) through p.Propagator. The caller publishes msg with the returned
// context and ends the span with [EndSpan].
//
// Attributes follow the messaging semantic conventions: messaging.system
// "nats", messaging.destination.name (the subject), messaging.operation.name
// "publish", messaging.operation.type "send" and messaging.message.body.size.
// The span name carries the subject, so subjects should be of low
// cardinality (no ids in them); opts can add attributes or links.
func StartPublish(ctx context.Context, p Providers, msg *nats.Msg, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	p = p.withDefaults()
	var subject string
	var size int
	if msg != nil {
		subject, size = msg.Subject, len(msg.Data)
	}
	start := []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			semconv.MessagingSystemKey.String(messagingSystemNATS),
			semconv.MessagingDestinationName(subject),
			semconv.MessagingOperationName("publish"),
			semconv.MessagingOperationTypeSend,
			semconv.MessagingMessageBodySize(size),
		),
	}
	ctx, span := p.Tracer.Tracer(ScopeName).Start(ctx, spanName("publish", subject), append(start, opts...)...)
	if msg != nil {
		if msg.Header == nil {
			msg.Header = nats.Header{}
		}
		InjectNATS(ctx, p.Propagator, msg.Header)
	}
	return ctx, span
}

// StartConsume starts a consumer span "process <subject>" for a received
// message with headers hdr. The trace context in hdr (read through
// p.Propagator) becomes the span's parent and is also added as a link, so
// the processing span shares the publisher's trace; baggage from hdr is in
// the returned context. Without trace context in hdr the span is a child of
// ctx.
//
// It takes the subject and header rather than a message so that it serves
// both *nats.Msg (m.Subject, m.Header) and jetstream.Msg (m.Subject(),
// m.Headers()). Attributes: messaging.system "nats",
// messaging.destination.name, messaging.operation.name "process",
// messaging.operation.type "process"; opts can add more (e.g.
// semconv.MessagingConsumerGroupName for a durable consumer). End the span
// with [EndSpan].
func StartConsume(ctx context.Context, p Providers, subject string, hdr nats.Header, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	p = p.withDefaults()
	ctx = ExtractNATS(ctx, p.Propagator, hdr)
	start := []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			semconv.MessagingSystemKey.String(messagingSystemNATS),
			semconv.MessagingDestinationName(subject),
			semconv.MessagingOperationName("process"),
			semconv.MessagingOperationTypeProcess,
		),
	}
	if remote := trace.SpanContextFromContext(ctx); remote.IsValid() && remote.IsRemote() {
		start = append(start, trace.WithLinks(trace.Link{SpanContext: remote}))
	}
	return p.Tracer.Tracer(ScopeName).Start(ctx, spanName("process", subject), append(start, opts...)...)
}

// EndSpan ends span, first recording err on it (as an exception event, an
// error status and the error.type attribute) when err is not nil.
func EndSpan(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.SetAttributes(errorType(err))
	}
	span.End()
}

// errorType is the error.type attribute for err: its Go type, which is of
// low cardinality, unlike its message.
func errorType(err error) attribute.KeyValue {
	return semconv.ErrorTypeKey.String(fmt.Sprintf("%T", err))
}

// spanName joins a messaging operation and a destination, leaving the
// destination out when it is empty.
func spanName(operation, destination string) string {
	if destination == "" {
		return operation
	}
	return operation + " " + destination
}
