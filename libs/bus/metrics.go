package bus

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// The metrics every consumer bound with Consume records (OpenTelemetry
// names; Prometheus adds _total to counters and _seconds, _bucket, _sum and
// _count to the histogram). docs/observability.md lists them with their
// labels. Rejections are counted by the rejection store (package
// rejection), which records them.
const (
	// MessagesMetric counts messages settled, with the attributes
	// consumer, stream, outcome (ack, redeliver or reject) and class (the
	// fault class of the handler's error, "ok" for none).
	MessagesMetric = "o2c.consumer.messages"
	// DurationMetric is the time in seconds a message took from being
	// handed to the handler to being settled, with consumer, stream and
	// outcome; in a batched consumer, the whole batch's time.
	DurationMetric = "o2c.consumer.duration"
	// PendingMetric is an observable gauge of the messages of the
	// consumer's stream and filter not yet delivered to it (JetStream's
	// num_pending), with consumer and stream: the consumer's lag.
	PendingMetric = "o2c.consumer.pending"
	// AckPendingMetric is an observable gauge of the messages delivered
	// to the consumer and not yet acknowledged or terminated (JetStream's
	// num_ack_pending), with consumer and stream.
	AckPendingMetric = "o2c.consumer.ack_pending"
)

// meterScope is the instrumentation scope of the consumers' metrics.
const meterScope = "github.com/o2c-platform/o2c/libs/bus"

// durationBounds are the histogram buckets of DurationMetric, in seconds.
var durationBounds = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// lagTimeout bounds the JetStream request that reads a consumer's lag
// while metrics are collected.
const lagTimeout = 2 * time.Second

// consumerMetrics are the instruments of one bound consumer.
type consumerMetrics struct {
	messages metric.Int64Counter
	duration metric.Float64Histogram
	attrs    []attribute.KeyValue
	lag      metric.Registration // nil when not registered
}

// newConsumerMetrics creates the instruments of consumer c on p's meter
// and registers the callback that reads cons's lag when metrics are
// collected.
func newConsumerMetrics(p telemetry.Providers, c Consumer, cons jetstream.Consumer) (*consumerMetrics, error) {
	m := telemetry.NewMeter(p, meterScope)
	cm := &consumerMetrics{attrs: []attribute.KeyValue{attribute.String("consumer", c.Durable), attribute.String("stream", c.Stream)}}
	var err error
	if cm.messages, err = m.Counter(MessagesMetric, "Messages a consumer settled, by outcome and fault class.", "{message}"); err != nil {
		return nil, err
	}
	if cm.duration, err = m.Histogram(DurationMetric, "Time from handing a message to its handler to settling it.", "s", durationBounds...); err != nil {
		return nil, err
	}
	pending, err := m.Gauge(PendingMetric, "Messages of the consumer's stream and filter not yet delivered to it (JetStream num_pending).", "{message}")
	if err != nil {
		return nil, err
	}
	ackPending, err := m.Gauge(AckPendingMetric, "Messages delivered to the consumer and not yet acknowledged (JetStream num_ack_pending).", "{message}")
	if err != nil {
		return nil, err
	}
	set := metric.WithAttributes(cm.attrs...)
	cm.lag, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, lagTimeout)
		defer cancel()
		info, err := cons.Info(ctx)
		if err != nil {
			// No value this time: a gap in the series, not a false zero.
			return nil
		}
		o.ObserveInt64(pending, int64(info.NumPending), set)
		o.ObserveInt64(ackPending, int64(info.NumAckPending), set)
		return nil
	}, pending, ackPending)
	if err != nil {
		return nil, err
	}
	return cm, nil
}

// settled records a message's outcome and the time since start.
func (cm *consumerMetrics) settled(ctx context.Context, v Verdict, class fault.Class, err error, start time.Time) {
	if cm == nil {
		return
	}
	outcome := "ack"
	switch v {
	case Redeliver:
		outcome = "redeliver"
	case Reject:
		outcome = "reject"
	}
	cls := "ok"
	if err != nil {
		cls = class.String()
	}
	cm.messages.Add(ctx, 1, cm.with(attribute.String("outcome", outcome), attribute.String("class", cls)))
	cm.duration.Record(ctx, time.Since(start).Seconds(), cm.with(attribute.String("outcome", outcome)))
}

// with is the consumer's attributes and kvs as a measurement option.
func (cm *consumerMetrics) with(kvs ...attribute.KeyValue) metric.MeasurementOption {
	all := make([]attribute.KeyValue, 0, len(cm.attrs)+len(kvs))
	return metric.WithAttributes(append(append(all, cm.attrs...), kvs...)...)
}

// stop unregisters the lag callback.
func (cm *consumerMetrics) stop() error {
	if cm == nil || cm.lag == nil {
		return nil
	}
	return cm.lag.Unregister()
}
