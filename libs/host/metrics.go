package host

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/o2c-platform/o2c/libs/telemetry"
)

// Metric names of the relay's lag, observed each time metrics are
// collected (a Prometheus scrape) from the event store and the relay's
// checkpoint.
const (
	// RelayBacklogMetric is the number of events the service appended that
	// its relay has not yet published (counted up to 1,000,000), with
	// attributes "service" and "relay" (the relay's checkpoint name).
	RelayBacklogMetric = "o2c.relay.backlog"
	// RelayAgeMetric is the age in seconds of the oldest event not yet
	// published (0 when there is none), with "service" and "relay".
	RelayAgeMetric = "o2c.relay.oldest_age"
)

// relayLagTimeout bounds the two queries that read a relay's lag while
// metrics are collected.
const relayLagTimeout = 2 * time.Second

// watchRelay registers the observation of relay's lag on the host's meter,
// unregistered when the host closes.
func (h *Host) watchRelay(relay string) error {
	m := telemetry.NewMeter(h.Telemetry, "github.com/o2c-platform/o2c/libs/host")
	backlog, err := m.Gauge(RelayBacklogMetric, "Events appended to the event store and not yet published by the relay.", "{event}")
	if err != nil {
		return err
	}
	age, err := m.Gauge(RelayAgeMetric, "Age of the oldest event the relay has not yet published, 0 when it is caught up.", "s")
	if err != nil {
		return err
	}
	set := metric.WithAttributes(attribute.String("service", h.Spec.Name), attribute.String("relay", relay))
	reg, err := m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, relayLagTimeout)
		defer cancel()
		at, err := h.Events.Checkpoint(ctx, relay)
		if err != nil {
			return nil // no value this time: a gap, not a false zero
		}
		n, oldest, err := h.Events.Backlog(ctx, at, 0)
		if err != nil {
			return nil
		}
		var secs int64
		if !oldest.IsZero() {
			secs = max(int64(time.Since(oldest)/time.Second), 0)
		}
		o.ObserveInt64(backlog, n, set)
		o.ObserveInt64(age, secs, set)
		return nil
	}, backlog, age)
	if err != nil {
		return fmt.Errorf("relay %s: %w", relay, err)
	}
	h.mu.Lock()
	h.metricRegs = append(h.metricRegs, reg)
	h.mu.Unlock()
	return nil
}

// unwatch unregisters every metric callback of the host.
func (h *Host) unwatch() {
	h.mu.Lock()
	regs := h.metricRegs
	h.metricRegs = nil
	h.mu.Unlock()
	for _, r := range regs {
		_ = r.Unregister() // fails only for a registration already gone
	}
}
