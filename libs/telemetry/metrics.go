package telemetry

import (
	"fmt"

	"go.opentelemetry.io/otel/metric"
)

// Meter creates named instruments on one instrumentation scope of a
// MeterProvider. Instrument names are OpenTelemetry names, dotted or
// underscored: a counter o2c.ledger.invariant_breaches of unit "1" is
// exported to Prometheus as o2c_ledger_invariant_breaches_total, and so is
// one named o2c_ledger_invariant_breaches_total (the exporter does not
// double the suffix). Creating the same
// instrument twice returns the same instrument, so services may create
// their instruments where they are used.
//
// Instruments record int64 counts and float64 measurements such as
// durations in seconds; money is never recorded as a float64 measurement.
type Meter struct {
	meter metric.Meter
}

// NewMeter returns the Meter of scope (normally the import path of the
// package that records) from p.Meter.
func NewMeter(p Providers, scope string) Meter {
	return Meter{meter: p.withDefaults().Meter.Meter(scope)}
}

// Counter returns the monotonic int64 counter name, described by
// description and counted in unit (UCUM, "1" for plain counts). It fails
// on a name that is not a valid OpenTelemetry instrument name.
func (m Meter) Counter(name, description, unit string) (metric.Int64Counter, error) {
	c, err := m.metric().Int64Counter(name, metric.WithDescription(description), metric.WithUnit(unit))
	if err != nil {
		return nil, fmt.Errorf("create counter %s: %w", name, err)
	}
	return c, nil
}

// UpDownCounter returns the int64 counter name that can go up and down
// (e.g. messages in flight).
func (m Meter) UpDownCounter(name, description, unit string) (metric.Int64UpDownCounter, error) {
	c, err := m.metric().Int64UpDownCounter(name, metric.WithDescription(description), metric.WithUnit(unit))
	if err != nil {
		return nil, fmt.Errorf("create up-down counter %s: %w", name, err)
	}
	return c, nil
}

// Histogram returns the float64 histogram name. bounds, when given, are the
// explicit bucket boundaries in ascending order; otherwise the SDK default
// buckets apply (for durations in seconds pass bounds suited to seconds).
func (m Meter) Histogram(name, description, unit string, bounds ...float64) (metric.Float64Histogram, error) {
	opts := []metric.Float64HistogramOption{metric.WithDescription(description), metric.WithUnit(unit)}
	if len(bounds) > 0 {
		opts = append(opts, metric.WithExplicitBucketBoundaries(bounds...))
	}
	h, err := m.metric().Float64Histogram(name, opts...)
	if err != nil {
		return nil, fmt.Errorf("create histogram %s: %w", name, err)
	}
	return h, nil
}

// Gauge returns the asynchronous int64 gauge name, whose values are
// observed by a callback registered with [Meter.RegisterCallback] each
// time metrics are collected (e.g. a consumer's lag read from JetStream).
func (m Meter) Gauge(name, description, unit string) (metric.Int64ObservableGauge, error) {
	g, err := m.metric().Int64ObservableGauge(name, metric.WithDescription(description), metric.WithUnit(unit))
	if err != nil {
		return nil, fmt.Errorf("create gauge %s: %w", name, err)
	}
	return g, nil
}

// RegisterCallback registers f to observe instruments each time metrics
// are collected, until the returned registration is unregistered. f runs
// on the collector's goroutine (a Prometheus scrape) and should bound its
// own work.
func (m Meter) RegisterCallback(f metric.Callback, instruments ...metric.Observable) (metric.Registration, error) {
	r, err := m.metric().RegisterCallback(f, instruments...)
	if err != nil {
		return nil, fmt.Errorf("register metric callback: %w", err)
	}
	return r, nil
}

// metric returns the underlying meter, a no-op one for the zero Meter.
func (m Meter) metric() metric.Meter {
	if m.meter == nil {
		return NewMeter(Providers{}, ScopeName).meter
	}
	return m.meter
}
