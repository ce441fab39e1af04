// Package bus is how o2c services use NATS JetStream: the subject scheme,
// stream declarations, and one consume loop with one failure policy.
//
// Subjects: shops publish on shop.<tenant>.<event> (stream SHOP); a service
// publishes on o2c.<tenant>.<service>.<event> (one stream per service,
// O2C_<SERVICE>). Consumers are durable pull consumers with explicit acks.
//
// Failure policy (Consume): a handler returns nil to acknowledge, an error
// wrapped with Permanent to terminate the message (the handler must have
// recorded it where an operator can see it first), and any other error to
// have it redelivered after a growing delay. After MaxDeliver attempts a
// message is no longer redelivered; JetStream raises an advisory for it.
package bus

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/telemetry"
)

// ShopStream is the stream of everything shops publish.
const ShopStream = "SHOP"

// ServiceStream returns the name of the stream service publishes to,
// e.g. "O2C_INGESTION".
func ServiceStream(service string) string {
	return "O2C_" + strings.ToUpper(strings.ReplaceAll(service, "-", "_"))
}

// ServiceSubject returns o2c.<tenant>.<service>.<event>.
func ServiceSubject(tenant, service, event string) string {
	return "o2c." + tenant + "." + service + "." + event
}

// ShopStreamConfig is the declaration of the SHOP stream.
func ShopStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        ShopStream,
		Description: "Events published by shop systems: shop.<tenant>.<event>",
		Subjects:    []string{"shop.>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Duplicates:  24 * time.Hour,
	}
}

// ServiceStreamConfig is the declaration of service's own stream.
func ServiceStreamConfig(service string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        ServiceStream(service),
		Description: "Events published by the " + service + " service: o2c.<tenant>." + service + ".<event>",
		Subjects:    []string{"o2c.*." + service + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		// Nats-Msg-Id is the event id: within this window a re-published
		// event (relay restart) is dropped by the server.
		Duplicates: 24 * time.Hour,
	}
}

var tenantRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidTenant reports whether s is a well-formed tenant id: lowercase
// letters, digits and single dashes, at most 63 characters. Tenants are
// subject tokens, so dots and wildcards are never allowed.
func ValidTenant(s string) bool {
	return len(s) <= 63 && tenantRE.MatchString(s)
}

// TenantFromSubject returns the tenant of a shop.<tenant>.… or
// o2c.<tenant>.… subject.
func TenantFromSubject(subject string) (string, bool) {
	parts := strings.SplitN(subject, ".", 3)
	if len(parts) < 3 || (parts[0] != "shop" && parts[0] != "o2c") || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

// EnsureStreams creates or updates the given streams. Services call it at
// start unless the platform team manages streams (see Config.ManageStreams).
func EnsureStreams(ctx context.Context, js jetstream.JetStream, cfgs ...jetstream.StreamConfig) error {
	for _, c := range cfgs {
		if _, err := js.CreateOrUpdateStream(ctx, c); err != nil {
			return fmt.Errorf("declare stream %s: %w", c.Name, err)
		}
	}
	return nil
}

// permanent marks an error that redelivery cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that Consume terminates the message instead of
// redelivering it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was wrapped with Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Handler processes one message; see the package doc for what its result means.
type Handler func(ctx context.Context, msg jetstream.Msg) error

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
	// MaxDeliver bounds redeliveries; 0 means 20.
	MaxDeliver int
}

// Subscription is a bound consumer; Stop ends it.
type Subscription struct {
	cc   jetstream.ConsumeContext
	wg   *sync.WaitGroup
	once sync.Once
}

// Stop drains the subscription: no new messages are fetched, handlers in
// flight finish, then it returns.
func (s *Subscription) Stop() {
	s.once.Do(func() {
		s.cc.Drain()
		<-s.cc.Closed()
		s.wg.Wait()
	})
}

// backoff is the redelivery delay after the given number of deliveries.
func backoff(delivered uint64) time.Duration {
	d := 100 * time.Millisecond << min(delivered, 10)
	return min(d, time.Minute)
}

// Consume binds the consumer c (waiting, until ctx ends, for its stream to
// exist: another service may declare it) and runs h for every message in
// background goroutines until Stop. It returns once the consumer is bound,
// so a service can report SERVING only after every Consume returned. The
// handler's context carries the trace context from the message headers.
func Consume(ctx context.Context, js jetstream.JetStream, p telemetry.Providers, c Consumer, h Handler) (*Subscription, error) {
	cfg := jetstream.ConsumerConfig{
		Durable:        c.Durable,
		FilterSubjects: c.FilterSubjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckWait:        30 * time.Second,
		MaxDeliver:     c.MaxDeliver,
	}
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = 20
	}
	var cons jetstream.Consumer
	for {
		var err error
		if c.Manage {
			cons, err = js.CreateOrUpdateConsumer(ctx, c.Stream, cfg)
		} else {
			cons, err = js.Consumer(ctx, c.Stream, c.Durable)
		}
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
	wg := &sync.WaitGroup{}
	hctx := context.WithoutCancel(ctx)
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		wg.Add(1)
		defer wg.Done()
		mctx, span := telemetry.StartConsume(hctx, p, msg.Subject(), msg.Headers())
		err := h(mctx, msg)
		telemetry.EndSpan(span, err)
		switch {
		case err == nil:
			_ = msg.Ack()
		case IsPermanent(err):
			_ = msg.Term()
		default:
			var delivered uint64 = 1
			if md, mdErr := msg.Metadata(); mdErr == nil {
				delivered = md.NumDelivered
			}
			_ = msg.NakWithDelay(backoff(delivered))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("consume %s on %s: %w", c.Durable, c.Stream, err)
	}
	return &Subscription{cc: cc, wg: wg}, nil
}

// EventName derives the <event> part of a subject from a protobuf full name:
// the message name split into words, the last word (the verb) after a dot
// and the others joined by dashes: "o2c.ingestion.v1.InvoiceIngested" ->
// "invoice.ingested", "o2c.ledger.v1.OpenItemOpened" -> "open-item.opened".
func EventName(fullName string) string {
	name := fullName[strings.LastIndexByte(fullName, '.')+1:]
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
