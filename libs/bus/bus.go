// Package bus is how o2c services use NATS JetStream: the subject scheme,
// stream declarations, and one consume loop with one failure policy.
//
// Subjects: shops publish on shop.<tenant>.<event> (stream SHOP); a service
// publishes on o2c.<tenant>.<service>.<event> (one stream per service,
// O2C_<SERVICE>). Consumers are durable pull consumers with explicit acks.
//
// Commands one service sends another travel on
// o2c.<tenant>.<sender>.<target>.<command>, inside the sender's stream
// (CommandSubject; <command> is the message name in kebab case, e.g.
// o2c.acme.matching.ledger.apply-payment). A service declares which of its
// stored messages are commands for whom (Routes), and its relay publishes
// them there; the target binds one consumer per sender with
// CommandFilter.
//
// The status feed for shops travels on o2c.<tenant>.status.<fact> in the
// stream O2C_STATUS (StatusSubject, StatusStreamConfig); a service routes
// its status facts there with StatusFacts.
//
// Failure policy (Consume, Decide): a handler returns nil when a message is
// done and otherwise its error as it is. The consumer's fault classifier
// sorts the error: a permanent class (invalid, conflict, not found,
// precondition, forbidden) is recorded in the rejection store and the
// message terminated; anything else is redelivered after a growing delay,
// and when the last allowed delivery fails too, the message is recorded as
// a rejection ("gave_up") with the errors of its deliveries. Every rejection
// is logged once.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/subject"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenant"
)

// ShopStream is the stream of everything shops publish (subject.ShopStream).
const ShopStream = subject.ShopStream

// ServiceStream returns the name of the stream service publishes to,
// e.g. "O2C_INGESTION" (subject.ServiceStream).
func ServiceStream(service string) string { return subject.ServiceStream(service) }

// StreamOf returns the stream that stores a subject of the form
// o2c.<tenant>.<area>.… (a service's events and commands, and the status
// feed): ServiceStream of <area>; "" for any other subject.
func StreamOf(subj string) string {
	rest, ok := strings.CutPrefix(subj, "o2c.")
	if !ok {
		return ""
	}
	_, rest, ok = strings.Cut(rest, ".")
	area, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || area == "" {
		return ""
	}
	return ServiceStream(area)
}

// ServiceSubject returns o2c.<tenant>.<service>.<event> (subject.Service).
func ServiceSubject(tenant, service, event string) string {
	return subject.Service(tenant, service, event)
}

// ShopStreamConfig is the declaration of the SHOP stream with the default
// limits (see Limits).
func ShopStreamConfig() jetstream.StreamConfig { return ShopStreamConfigWith(Limits{}) }

// ServiceStreamConfig is the declaration of service's own stream with the
// default limits (see Limits).
func ServiceStreamConfig(service string) jetstream.StreamConfig {
	return ServiceStreamConfigWith(service, Limits{})
}

// ValidTenant reports whether s is a well-formed tenant id. It is
// tenant.Valid, which domain packages use instead of importing bus.
func ValidTenant(s string) bool { return tenant.Valid(s) }

// TenantFromSubject returns the tenant of a shop.<tenant>.… or
// o2c.<tenant>.… subject. It is tenant.FromSubject.
func TenantFromSubject(subject string) (string, bool) { return tenant.FromSubject(subject) }

// Routes says which subject a service's stored messages are relayed on: a
// message type listed here is a command for the named target service, or a
// status fact when the target is StatusTarget; every other type is an event
// of the service itself. Keys are protobuf full
// names ("o2c.ledger.v1.ApplyPayment").
type Routes map[string]string

// StatusArea is the subject segment of the status feed: a service
// relays its status facts on o2c.<tenant>.status.<fact> (StatusSubject)
// instead of its own o2c.<tenant>.<service>.…, into the stream
// StatusStream, which every service that owns a status fact may publish
// to and shops may read their own tenant's part of.
const StatusArea = "status"

// StatusStream is the stream of the status feed, O2C_STATUS, over
// o2c.*.status.>.
var StatusStream = ServiceStream(StatusArea)

// StatusTarget is the Routes value of a message that is a status fact. It
// contains a dot, so no service is ever named so.
const StatusTarget = "o2c.status"

// StatusFacts returns Routes relaying each of the full names on the status
// feed (StatusSubject).
func StatusFacts(fullNames ...string) Routes { return CommandsFor(StatusTarget, fullNames...) }

// StatusSubject returns o2c.<tenant>.status.<fact>, where <fact> is
// EventName of fullName: "o2c.status.v1.InvoiceStatusChanged" ->
// o2c.<tenant>.status.invoice-status.changed.
func StatusSubject(tenant, fullName string) string {
	return ServiceSubject(tenant, StatusArea, EventName(fullName))
}

// StatusStreamConfig is the declaration of StatusStream with the default
// limits.
func StatusStreamConfig() jetstream.StreamConfig { return StatusStreamConfigWith(Limits{}) }

// StatusStreamConfigWith is the declaration of StatusStream with the
// limits l. Any service that publishes status facts may declare it.
func StatusStreamConfigWith(l Limits) jetstream.StreamConfig {
	c := ServiceStreamConfigWith(StatusArea, l)
	c.Description = "The status feed: facts about invoices and customers for the shops, o2c.<tenant>.status.<fact>"
	return c
}

// With returns the routes of r and o together (o's win on a conflict).
func (r Routes) With(o Routes) Routes {
	out := make(Routes, len(r)+len(o))
	for k, v := range r {
		out[k] = v
	}
	for k, v := range o {
		out[k] = v
	}
	return out
}

// CommandsFor returns Routes sending each of the full names to target.
func CommandsFor(target string, fullNames ...string) Routes {
	r := make(Routes, len(fullNames))
	for _, n := range fullNames {
		r[n] = target
	}
	return r
}

// Subject returns the subject service relays a stored message of type
// fullName for tenant on: StatusSubject for a status fact in r,
// CommandSubject for a command in r, else ServiceSubject with EventName.
func (r Routes) Subject(tenant, service, fullName string) string {
	if target, ok := r[fullName]; ok {
		if target == StatusTarget {
			return StatusSubject(tenant, fullName)
		}
		return CommandSubject(tenant, service, target, fullName)
	}
	return ServiceSubject(tenant, service, EventName(fullName))
}

// CommandSubject returns o2c.<tenant>.<sender>.<target>.<command>, where
// <command> is CommandToken of fullName.
func CommandSubject(tenant, sender, target, fullName string) string {
	return ServiceSubject(tenant, sender, target+"."+CommandToken(fullName))
}

// CommandFilter is the subject filter of target's consumer of the commands
// sender publishes: o2c.*.<sender>.<target>.>.
func CommandFilter(sender, target string) string { return "o2c.*." + sender + "." + target + ".>" }

// CommandToken returns the message name of a protobuf full name in kebab
// case: "o2c.ledger.v1.ApplyPayment" -> "apply-payment".
func CommandToken(fullName string) string {
	name := fullName[strings.LastIndexByte(fullName, '.')+1:]
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

// CommandName returns the message name of the last token of a command
// subject: "apply-payment" -> "ApplyPayment" (the inverse of CommandToken
// for the name).
func CommandName(token string) string {
	var b strings.Builder
	for _, w := range strings.Split(token, "-") {
		if w == "" {
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// EnsureStreams creates or updates the given streams. Services call it at
// start unless the platform team manages streams (see Config.ManageStreams).
// A declaration that meets JetStream between leaders (a cluster forming
// or a node restarting: timeouts, no responders, "temporarily
// unavailable", too few peers online for the replicas) is retried with
// backoff for up to DeclareRetry, since the same request succeeds a moment
// later; other errors, and the end of ctx, return at once.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, cfgs ...jetstream.StreamConfig) error {
	for _, c := range cfgs {
		err := retryTransient(ctx, func(ctx context.Context) error {
			_, err := js.CreateOrUpdateStream(ctx, c)
			return err
		})
		if err != nil {
			return fmt.Errorf("declare stream %s: %w", c.Name, err)
		}
	}
	return nil
}

// DeclareRetry is how long EnsureStreams and Consume retry a declaration
// that failed for a moment, and declareCall the time each attempt has.
const (
	DeclareRetry = time.Minute
	declareCall  = 5 * time.Second
)

// retryTransient runs f, each call with declareCall to answer, until it
// succeeds, fails for a reason other than a transient one (see
// TransientJetStream), ctx ends, or DeclareRetry has passed; it returns
// f's last error.
func retryTransient(ctx context.Context, f func(context.Context) error) error {
	deadline := time.Now().Add(DeclareRetry)
	wait := 100 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, declareCall)
		err := f(cctx)
		cancel()
		if err == nil || ctx.Err() != nil || !TransientJetStream(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// TransientJetStream reports whether err is a JetStream API failure that
// says nothing about the request: no answer in time, no responder, the
// JetStream system temporarily unavailable (503) or too few peers online to
// place the replicas (10005). Callers whose own context ended must check
// it first: a deadline of theirs is not transient.
func TransientJetStream(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) {
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.Code == 503 || api.ErrorCode == jsInsufficientResources)
}

// jsInsufficientResources is the JetStream API's error code for "no
// suitable peers for placement" (JSClusterNoPeersErr).
const jsInsufficientResources jetstream.ErrorCode = 10005

// Permanent marks err as a failure that redelivery cannot fix, for
// failures without a sentinel of their own (an undecodable message). It is
// fault.Mark(err, fault.Invalid).
func Permanent(err error) error { return fault.Mark(err, fault.Invalid) }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool { return fault.Chain()(err) == fault.Invalid }

// Msg is one message as a handler sees it: from JetStream, or read back
// from the rejection store for a replay (then Stream, Sequence and
// Delivered are zero).
type Msg struct {
	Subject string
	Header  nats.Header
	Data    []byte
	// Stream and Sequence place the message in its stream.
	Stream   string
	Sequence uint64
	// Delivered counts the deliveries of the message, this one included.
	Delivered uint64
}

// Handler processes one message. It returns nil when the message is done
// (processed, or a duplicate) and otherwise the error as it is: Consume
// classifies it (see Consumer.Classify).
type Handler func(ctx context.Context, msg Msg) error

// Rejected is a message a consumer gives up on, handed to a Recorder.
type Rejected struct {
	// Consumer is the durable consumer's name.
	Consumer string
	Msg      Msg
	// Class is the failure's class; a message whose last delivery failed
	// transiently has Class Transient or Unknown.
	Class fault.Class
	// Code is the reason code: the fault.Detail code, the class name, or
	// "gave_up" after the last delivery.
	Code string
	// Err is the last delivery's error.
	Err error
	// DeliveryErrors are the errors of the earlier deliveries this process
	// saw, oldest first (at most maxDeliveryErrors).
	DeliveryErrors []string
}

// Recorder keeps rejected messages where an operator can see and replay
// them (package rejection). Its errors are transient: the message is then
// redelivered and recorded on a later delivery.
type Recorder interface {
	Record(ctx context.Context, r Rejected) error
}

// Consumer describes a durable consumer to bind.
type Consumer struct {
	// Stream to consume from.
	Stream string
	// Durable name of the consumer.
	Durable string
	// FilterSubjects limits the subjects delivered.
	FilterSubjects []string
	// Manage creates or updates the consumer; otherwise it must exist.
	Manage bool
	// MaxDeliver bounds deliveries; 0 means 20. The last one is never
	// dropped unrecorded: if it fails, the message is rejected as gave_up.
	// The bound is kept by Consume; a managed consumer is declared without
	// a server-side bound, and a platform-managed one should be too
	// (max_deliver -1), or rejections that cannot be recorded at its last
	// delivery are lost with one error log line.
	MaxDeliver int
	// MaxAckPending bounds the messages delivered and not yet acknowledged
	// or terminated; the server delivers no more until one is. 0 means
	// DefaultMaxAckPending. A message redelivered after a Nak waits out its
	// back-off outside this bound's count only once it is redelivered, so
	// a burst of failing messages slows the consumer instead of flooding it.
	MaxAckPending int
	// Classify sorts the handler's errors (the domain's fault table chained
	// with the platform's); nil means fault.Chain() alone.
	Classify fault.Classifier
	// Rejections records what the consumer rejects. Required.
	Rejections Recorder
	// Log receives one line per rejected message and per recording failure;
	// nil means slog.Default().
	Log *slog.Logger
	// Batch, when set, handles the live messages instead of the Handler
	// given to Consume, several at a time: the messages delivered while
	// the previous batch was handled, up to MaxBatch, in stream order, so
	// that a batch can be stored with one commit. It must decide each
	// message as the Handler would on its own, in the batch's order; the
	// Handler still serves replays of rejected messages (package host).
	Batch BatchHandler
	// MaxBatch bounds a batch; 0 means DefaultMaxBatch.
	MaxBatch int
}

// DefaultMaxBatch is how many messages a batch handler gets at most when
// Consumer.MaxBatch is zero.
const DefaultMaxBatch = 256

// Delivery is one message of a batch with the context of its own span
// (trace context from its headers).
type Delivery struct {
	Ctx context.Context
	Msg Msg
}

// BatchHandler handles the messages of a batch in their order and returns
// one error per message, as a Handler would (nil when it is done); each
// error is classified on its own, so a message that fails does not fail
// the others. A nil or short slice counts as nil for the missing
// messages.
type BatchHandler func(ctx context.Context, batch []Delivery) []error

// Subscription is a bound consumer; Stop ends it.
type Subscription struct {
	cc      jetstream.ConsumeContext
	wg      *sync.WaitGroup
	metrics *consumerMetrics
	once    sync.Once
}

// Stop drains the subscription: no new messages are fetched, handlers in
// flight finish, then it returns.
func (s *Subscription) Stop() {
	s.once.Do(func() {
		s.cc.Drain()
		<-s.cc.Closed()
		s.wg.Wait()
		_ = s.metrics.stop() // fails only for a registration already gone
	})
}

// backoff is the redelivery delay after the given number of deliveries.
func backoff(delivered uint64) time.Duration {
	d := 100 * time.Millisecond << min(delivered, 10)
	return min(d, time.Minute)
}

// Verdict is what Consume does with a message after its handler returned.
type Verdict int

const (
	// Ack: the message is done.
	Ack Verdict = iota + 1
	// Redeliver later (Nak with back-off).
	Redeliver
	// Reject: record the message as a rejection, then terminate it.
	Reject
)

// Decide is the one failure policy of every consumer: nil acknowledges; a
// permanent class rejects; anything else is redelivered, except on the last
// allowed delivery, where it is rejected too, so that nothing is dropped
// without a record.
func Decide(c fault.Class, err error, delivered uint64, maxDeliver int) Verdict {
	switch {
	case err == nil:
		return Ack
	case c.Permanent():
		return Reject
	case maxDeliver > 0 && delivered >= uint64(maxDeliver):
		return Reject
	}
	return Redeliver
}

// maxDeliveryErrors bounds the delivery errors remembered per message.
const maxDeliveryErrors = 10

// attempts remembers the errors of a message's earlier deliveries, by
// stream sequence, until it is acknowledged or terminated. It is memory
// only: after a restart the earlier errors are not known.
type attempts struct {
	mu   sync.Mutex
	errs map[uint64][]string
}

func (a *attempts) add(seq uint64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.errs) > 10000 { // a burst of failures: forget rather than grow
		clear(a.errs)
	}
	e := append(a.errs[seq], err.Error())
	if len(e) > maxDeliveryErrors {
		e = e[len(e)-maxDeliveryErrors:]
	}
	a.errs[seq] = e
}

func (a *attempts) take(seq uint64) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.errs[seq]
	delete(a.errs, seq)
	return e
}

// Consume binds the consumer c (waiting, until ctx ends, for its stream to
// exist: another service may declare it) and runs h for every message in
// background goroutines until Stop. It returns once the consumer is bound,
// so a service can report SERVING only after every Consume returned. The
// handler's context carries the trace context from the message headers.
// What happens to a message after h returns is decided by Decide.
func Consume(ctx context.Context, js jetstream.JetStream, p telemetry.Providers, c Consumer, h Handler) (*Subscription, error) {
	if c.Rejections == nil {
		return nil, fmt.Errorf("consumer %s: no rejection recorder", c.Durable)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:        c.Durable,
		FilterSubjects: c.FilterSubjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckWait:        30 * time.Second,
		// The bound is enforced by Decide, not by the server: a message
		// whose rejection cannot be recorded must still come again.
		MaxDeliver:    -1,
		MaxAckPending: c.MaxAckPending,
	}
	if cfg.MaxAckPending <= 0 {
		cfg.MaxAckPending = DefaultMaxAckPending
	}
	bound := c.MaxDeliver
	if bound <= 0 {
		bound = 20
	}
	classify := c.Classify
	if classify == nil {
		classify = fault.Chain()
	}
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	var cons jetstream.Consumer
	for {
		var err error
		err = retryTransient(ctx, func(ctx context.Context) (err error) {
			if c.Manage {
				cons, err = js.CreateOrUpdateConsumer(ctx, c.Stream, cfg)
			} else {
				cons, err = js.Consumer(ctx, c.Stream, c.Durable)
			}
			return err
		})
		if err == nil {
			break
		}
		if !errors.Is(err, jetstream.ErrStreamNotFound) && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil, fmt.Errorf("bind consumer %s on %s: %w", c.Durable, c.Stream, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("bind consumer %s: stream %s not there: %w", c.Durable, c.Stream, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	if info := cons.CachedInfo(); info != nil && info.Config.MaxDeliver > 0 && info.Config.MaxDeliver < bound {
		// An unmanaged consumer with a server-side bound: reject on its
		// last delivery, since the server sends no more.
		bound = info.Config.MaxDeliver
	}
	metrics, err := newConsumerMetrics(p, c, cons)
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", c.Durable, err)
	}
	v := &verdicts{c: c, classify: classify, bound: bound, log: log, seen: &attempts{errs: map[uint64][]string{}}, metrics: metrics}
	wg := &sync.WaitGroup{}
	hctx := context.WithoutCancel(ctx)
	if c.Batch != nil {
		sub, err := consumeBatches(hctx, cons, p, c, v, wg)
		if err != nil {
			_ = metrics.stop()
			return nil, err
		}
		return sub, nil
	}
	cc, err := cons.Consume(func(jm jetstream.Msg) {
		wg.Add(1)
		defer wg.Done()
		start := time.Now()
		m := msgOf(jm, c.Stream)
		if ackFirst {
			_ = jm.Ack() // the fault harness's broken build only
		}
		mctx, span := telemetry.StartConsume(hctx, p, m.Subject, m.Header)
		err := h(mctx, m)
		telemetry.EndSpan(span, err)
		v.settle(mctx, jm, m, err, start)
	})
	if err != nil {
		_ = metrics.stop()
		return nil, fmt.Errorf("consume %s on %s: %w", c.Durable, c.Stream, err)
	}
	return &Subscription{cc: cc, wg: wg, metrics: metrics}, nil
}

// msgOf is the Msg of a JetStream message of stream.
func msgOf(jm jetstream.Msg, stream string) Msg {
	m := Msg{Subject: jm.Subject(), Header: jm.Headers(), Data: jm.Data(), Stream: stream, Delivered: 1}
	if md, mdErr := jm.Metadata(); mdErr == nil {
		m.Sequence, m.Delivered = md.Sequence.Stream, md.NumDelivered
	}
	return m
}

// verdicts carries out Decide for one consumer.
type verdicts struct {
	c        Consumer
	classify fault.Classifier
	bound    int
	log      *slog.Logger
	seen     *attempts
	metrics  *consumerMetrics
}

// settle acknowledges, redelivers or rejects jm after its handler, handed
// the message at start, returned err, and records the outcome in the
// consumer's metrics. Its log lines carry ctx's trace context.
func (v *verdicts) settle(ctx context.Context, jm jetstream.Msg, m Msg, err error, start time.Time) {
	c, log, seen := v.c, v.log, v.seen
	class := v.classify(err)
	verdict := Decide(class, err, m.Delivered, v.bound)
	switch verdict {
	case Ack:
		seen.take(m.Sequence)
		_ = jm.Ack()
	case Redeliver:
		seen.add(m.Sequence, err)
		_ = jm.NakWithDelay(backoff(m.Delivered))
	case Reject:
		r := Rejected{Consumer: c.Durable, Msg: m, Class: class, Err: err, Code: fault.DetailOf(err).Code}
		if r.Code == "" {
			r.Code = class.String()
		}
		if !class.Permanent() {
			r.Code = "gave_up"
			r.Err = fmt.Errorf("gave up after %d deliveries: %w", m.Delivered, err)
		}
		r.DeliveryErrors = seen.take(m.Sequence)
		if rerr := c.Rejections.Record(ctx, r); rerr != nil {
			// Not recorded: the message must come again, even past the
			// bound, so it is never dropped without a record.
			log.ErrorContext(ctx, "cannot record rejected message; redelivering", "consumer", c.Durable,
				"subject", m.Subject, "seq", m.Sequence, "error", err, "record_error", rerr)
			seen.add(m.Sequence, err)
			_ = jm.NakWithDelay(backoff(m.Delivered))
			v.metrics.settled(ctx, Redeliver, class, err, start)
			return
		}
		log.WarnContext(ctx, "message rejected", "consumer", c.Durable, "subject", m.Subject, "seq", m.Sequence,
			"code", r.Code, "error", r.Err)
		_ = jm.Term()
	}
	v.metrics.settled(ctx, verdict, class, err, start)
}

// consumeBatches is Consume with c.Batch: the subscription's callback
// queues each message (in stream order, as JetStream calls it one message
// at a time) and one goroutine hands what is queued to c.Batch, at most
// c.MaxBatch at a time. Stop drains the subscription and waits until the
// queued messages are handled.
func consumeBatches(ctx context.Context, cons jetstream.Consumer, p telemetry.Providers, c Consumer, v *verdicts, wg *sync.WaitGroup) (*Subscription, error) {
	max := c.MaxBatch
	if max <= 0 {
		max = DefaultMaxBatch
	}
	queue := make(chan jetstream.Msg, max)
	cc, err := cons.Consume(func(jm jetstream.Msg) { queue <- jm })
	if err != nil {
		return nil, fmt.Errorf("consume %s on %s: %w", c.Durable, c.Stream, err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			var jms []jetstream.Msg
			select {
			case jm := <-queue:
				jms = append(jms, jm)
			case <-cc.Closed():
				// Drained: no callback runs any more; handle what is queued.
				select {
				case jm := <-queue:
					jms = append(jms, jm)
				default:
					return
				}
			}
		fill:
			for len(jms) < max {
				select {
				case jm := <-queue:
					jms = append(jms, jm)
				default:
					break fill
				}
			}
			handleBatch(ctx, p, c, v, jms)
		}
	}()
	return &Subscription{cc: cc, wg: wg, metrics: v.metrics}, nil
}

// handleBatch runs c.Batch on jms and settles each message.
func handleBatch(ctx context.Context, p telemetry.Providers, c Consumer, v *verdicts, jms []jetstream.Msg) {
	start := time.Now()
	batch := make([]Delivery, len(jms))
	spans := make([]func(error), len(jms))
	for i, jm := range jms {
		m := msgOf(jm, c.Stream)
		mctx, span := telemetry.StartConsume(ctx, p, m.Subject, m.Header)
		batch[i] = Delivery{Ctx: mctx, Msg: m}
		spans[i] = func(err error) { telemetry.EndSpan(span, err) }
	}
	if ackFirst {
		for _, jm := range jms {
			_ = jm.Ack() // the fault harness's broken build only
		}
	}
	errs := c.Batch(ctx, batch)
	for i, jm := range jms {
		var err error
		if i < len(errs) {
			err = errs[i]
		}
		spans[i](err)
		v.settle(batch[i].Ctx, jm, batch[i].Msg, err, start)
	}
}

// EventName derives the <event> part of a subject from a protobuf full name:
// the message name split into words, the last word (the verb) after a dot
// and the others joined by dashes: "o2c.ingestion.v1.InvoiceIngested" ->
// "invoice.ingested", "o2c.ledger.v1.OpenItemOpened" -> "open-item.opened".
func EventName(fullName string) string {
	name := fullName[strings.LastIndexByte(fullName, '.')+1:]
	// Protobuf names are ASCII: one pass into one buffer (the relays call
	// this for every event they publish). Anything else takes the words.
	last, ascii := 0, true
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= utf8.RuneSelf:
			ascii = false
		case i > 0 && c >= 'A' && c <= 'Z':
			last = i
		}
	}
	if ascii {
		b := make([]byte, 0, len(name)+4)
		for i := 0; i < len(name); i++ {
			c := name[i]
			if i > 0 && c >= 'A' && c <= 'Z' {
				if i == last {
					b = append(b, '.')
				} else {
					b = append(b, '-')
				}
			}
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		return string(b)
	}
	var words []string
	start := 0
	for i := 1; i < len(name); i++ {
		if name[i] >= 'A' && name[i] <= 'Z' {
			words = append(words, strings.ToLower(name[start:i]))
			start = i
		}
	}
	words = append(words, strings.ToLower(name[start:]))
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], "-") + "." + words[len(words)-1]
}
