// Package telemetry wires OpenTelemetry traces and metrics into o2c services.
//
// Everything here works on an explicit [Providers] value rather than on the
// global otel providers: a service builds one with [Setup] in run(ctx, getenv)
// and hands it to the pieces that emit telemetry, and a test builds one from
// an in-memory span recorder and a manual metric reader. Nothing in this
// package reads or sets otel.SetTracerProvider, otel.SetMeterProvider or
// otel.SetTextMapPropagator, so six services started in one process by the
// all-in-one runner keep their own service.name.
//
// The pieces:
//   - [Setup] builds SDK providers whose exporters follow the standard OTEL_*
//     environment variables (see [Setup] for the rule that keeps a dev run
//     from dialling a collector that is not there).
//   - [InjectNATS], [ExtractNATS], [StartPublish] and [StartConsume] carry W3C
//     trace context through NATS message headers under the exact lowercase
//     keys traceparent, tracestate and baggage, and make producer and
//     consumer spans following the messaging semantic conventions.
//   - [GRPCServerOption] and [GRPCDialOption] install the otelgrpc stats
//     handler bound to the given providers.
//   - [PgxTracer] makes a client span per PostgreSQL query, batch and
//     COPY FROM; [TracePgx] installs it on a pgx connection config.
//   - [Meter] creates named counters, histograms and observable gauges.
//   - [NewLogger] is a service's JSON logger: the trace_id and span_id of
//     the record's span on every line logged inside one ([NewLogHandler]),
//     IBANs, e-mail addresses and secrets masked (package redact).
//
// A zero or partly filled Providers is valid: missing parts fall back to
// no-op implementations, so code under test never needs nil checks.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope under which this package creates
// its own tracers (NATS and PostgreSQL spans).
const ScopeName = "github.com/o2c-platform/o2c/libs/telemetry"

// Providers are the OpenTelemetry providers a service emits telemetry
// through. Any nil field is treated as its no-op implementation (and a nil
// Propagator as no propagation), so the zero value is a valid "telemetry
// off" setting.
type Providers struct {
	Tracer     trace.TracerProvider
	Meter      metric.MeterProvider
	Propagator propagation.TextMapPropagator
}

// withDefaults returns p with every nil field replaced by its no-op
// implementation.
func (p Providers) withDefaults() Providers {
	if p.Tracer == nil {
		p.Tracer = tracenoop.NewTracerProvider()
	}
	if p.Meter == nil {
		p.Meter = metricnoop.NewMeterProvider()
	}
	if p.Propagator == nil {
		p.Propagator = propagation.NewCompositeTextMapPropagator()
	}
	return p
}

// Propagation returns the propagator used across process boundaries: W3C
// tracecontext (traceparent, tracestate) and W3C baggage.
func Propagation() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// ShutdownFunc flushes buffered telemetry and releases the exporters. It
// must be called once, with a context that bounds how long flushing may
// take; telemetry emitted after it is dropped.
type ShutdownFunc func(context.Context) error

// Exporter names as used in OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER.
const (
	exporterNone = "none"
	exporterOTLP = "otlp"
)

// Setup builds the tracer and meter providers of the service serviceName
// and returns them with the function that flushes and stops them.
//
// The rule for choosing exporters, per signal (traces; metrics alike with
// OTEL_METRICS_EXPORTER and OTEL_EXPORTER_OTLP_METRICS_ENDPOINT):
//   - OTEL_SDK_DISABLED=true: no SDK at all, no-op providers (the propagator
//     is still W3C, so incoming trace context is passed on).
//   - OTEL_TRACES_EXPORTER set: that exporter ("none", "otlp", "console";
//     "prometheus" for metrics), as autoexport defines them.
//   - else OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
//     set: "otlp".
//   - else "none": a dev run never tries to reach a collector. Spans still
//     get real trace ids, which are carried across gRPC and NATS (and can go
//     into logs); they are just not exported.
//
// getenv decides the above. Once a signal is to be exported, the exporter is
// built by go.opentelemetry.io/contrib/exporters/autoexport, and it and the
// exporters it builds (OTLP endpoint, protocol, headers, TLS, Prometheus
// host and port, OTEL_BSP_* batching, OTEL_TRACES_SAMPLER) read the process
// environment with os.Getenv themselves: in production getenv must be
// os.Getenv for the two to agree, and tests should only rely on the "none"
// path or inject Providers directly.
//
// The resource carries service.name=serviceName (it wins over
// OTEL_SERVICE_NAME, so the all-in-one runner keeps six distinct services),
// the telemetry.sdk.* attributes and any attributes listed in
// OTEL_RESOURCE_ATTRIBUTES read through getenv.
//
// With OTEL_METRICS_EXPORTER=prometheus the service serves its metrics in
// the Prometheus text format at /metrics on OTEL_EXPORTER_PROMETHEUS_HOST
// (default localhost: set 0.0.0.0 in a container, so that Prometheus can
// scrape it) and OTEL_EXPORTER_PROMETHEUS_PORT (default 9464), until the
// shutdown function runs. docs/observability.md lists the metrics.
//
// Setup sets no otel globals. Calling it more than once in a process is
// fine except with OTEL_METRICS_EXPORTER=prometheus, whose HTTP listener
// can be bound only once.
func Setup(ctx context.Context, serviceName string, getenv func(string) string) (Providers, ShutdownFunc, error) {
	noop := func(context.Context) error { return nil }
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if serviceName == "" {
		return Providers{}, noop, errors.New("telemetry setup: empty service name")
	}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return Providers{Propagator: Propagation()}.withDefaults(), noop, nil
	}

	res, err := newResource(ctx, serviceName, getenv)
	if err != nil {
		return Providers{}, noop, fmt.Errorf("telemetry setup %s: %w", serviceName, err)
	}

	traceOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if exporterFor(getenv, "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != exporterNone {
		exp, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return Providers{}, noop, fmt.Errorf("telemetry setup %s: span exporter: %w", serviceName, err)
		}
		if !autoexport.IsNoneSpanExporter(exp) {
			traceOpts = append(traceOpts, sdktrace.WithBatcher(exp))
		}
	}
	tp := sdktrace.NewTracerProvider(traceOpts...)

	var mp metric.MeterProvider = metricnoop.NewMeterProvider()
	shutdownMeter := noop
	if exporterFor(getenv, "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") != exporterNone {
		reader, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return Providers{}, noop, errors.Join(
				fmt.Errorf("telemetry setup %s: metric reader: %w", serviceName, err),
				tp.Shutdown(ctx))
		}
		if !autoexport.IsNoneMetricReader(reader) {
			smp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(reader))
			mp, shutdownMeter = smp, smp.Shutdown
		}
	}

	shutdown := func(ctx context.Context) error {
		var errs []error
		if err := tp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down tracer provider of %s: %w", serviceName, err))
		}
		if err := shutdownMeter(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down meter provider of %s: %w", serviceName, err))
		}
		return errors.Join(errs...)
	}
	return Providers{Tracer: tp, Meter: mp, Propagator: Propagation()}, shutdown, nil
}

// exporterFor applies the exporter rule documented on [Setup] to one signal:
// the signal's exporter variable if set, else "otlp" when an OTLP endpoint
// (generic or the signal's own) is set, else "none".
func exporterFor(getenv func(string) string, exporterVar, signalEndpointVar string) string {
	if v := strings.TrimSpace(getenv(exporterVar)); v != "" {
		return v
	}
	if strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")) != "" ||
		strings.TrimSpace(getenv(signalEndpointVar)) != "" {
		return exporterOTLP
	}
	return exporterNone
}

// newResource describes the service: service.name, the SDK attributes and
// the pairs of OTEL_RESOURCE_ATTRIBUTES.
func newResource(ctx context.Context, serviceName string, getenv func(string) string) (*resource.Resource, error) {
	attrs, err := parseResourceAttributes(getenv("OTEL_RESOURCE_ATTRIBUTES"))
	if err != nil {
		return nil, err
	}
	attrs = append(attrs, semconv.ServiceName(serviceName))
	res, err := resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attrs...),
	)
	if err != nil {
		return nil, fmt.Errorf("build resource: %w", err)
	}
	return res, nil
}

// parseResourceAttributes reads OTEL_RESOURCE_ATTRIBUTES: comma-separated
// key=value pairs whose values are percent-encoded. service.name is
// dropped: the caller's service name always wins.
func parseResourceAttributes(s string) ([]attribute.KeyValue, error) {
	var attrs []attribute.KeyValue
	for i, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES pair %d %q: want key=value", i+1, pair)
		}
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES pair %d %q: %w", i+1, pair, err)
		}
		if attribute.Key(k) == semconv.ServiceNameKey {
			continue
		}
		attrs = append(attrs, attribute.String(k, val))
	}
	return attrs, nil
}
