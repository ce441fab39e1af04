package telemetry

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestMain(m *testing.M) {
	pgtest.Main(m)
}

// recording returns Providers whose spans go to the returned recorder.
func recording(t testing.TB) (Providers, *tracetest.SpanRecorder) {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Errorf("shut down tracer provider: %v", err)
		}
	})
	return Providers{Tracer: tp, Propagator: Propagation()}, sr
}

// spanInfo is what the tests compare of a recorded span.
type spanInfo struct {
	Name   string
	Kind   trace.SpanKind
	Attrs  map[string]string // only the keys the test asks for
	Status string
}

// info summarises s, keeping the attributes named in keys.
func info(s sdktrace.ReadOnlySpan, keys ...string) spanInfo {
	attrs := map[string]string{}
	for _, kv := range s.Attributes() {
		for _, k := range keys {
			if string(kv.Key) == k {
				attrs[k] = kv.Value.Emit()
			}
		}
	}
	return spanInfo{Name: s.Name(), Kind: s.SpanKind(), Attrs: attrs, Status: s.Status().Code.String()}
}

func TestExporterRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		env         map[string]string
		wantTraces  string
		wantMetrics string
	}{
		{name: "nothing set", env: nil, wantTraces: "none", wantMetrics: "none"},
		{
			name:        "generic endpoint",
			env:         map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
			wantTraces:  "otlp",
			wantMetrics: "otlp",
		},
		{
			name:        "traces endpoint only",
			env:         map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"},
			wantTraces:  "otlp",
			wantMetrics: "none",
		},
		{
			name:        "metrics endpoint only",
			env:         map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://collector:4318/v1/metrics"},
			wantTraces:  "none",
			wantMetrics: "otlp",
		},
		{
			name: "explicit exporters win over an endpoint",
			env: map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
				"OTEL_TRACES_EXPORTER":        "console",
				"OTEL_METRICS_EXPORTER":       "none",
			},
			wantTraces:  "console",
			wantMetrics: "none",
		},
		{
			name:        "blank counts as unset",
			env:         map[string]string{"OTEL_TRACES_EXPORTER": " ", "OTEL_EXPORTER_OTLP_ENDPOINT": " "},
			wantTraces:  "none",
			wantMetrics: "none",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string { return tt.env[k] }
			got := []string{
				exporterFor(getenv, "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
				exporterFor(getenv, "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"),
			}
			if diff := cmp.Diff([]string{tt.wantTraces, tt.wantMetrics}, got); diff != "" {
				t.Errorf("exporters [traces metrics] (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSetupDevRun checks that with no OTEL_* settings Setup exports
// nothing yet still hands out real trace ids, and that propagation works.
func TestSetupDevRun(t *testing.T) {
	// Not parallel: it asserts on the process environment below.
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if os.Getenv(k) != "" {
			t.Skipf("%s is set in the environment; this test checks the default", k)
		}
	}
	env := map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=dev,service.name=ignored"}
	p, shutdown, err := Setup(context.Background(), "o2c-ledger", func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	tp, ok := p.Tracer.(*sdktrace.TracerProvider)
	if !ok {
		t.Fatalf("tracer provider is %T, want the SDK's", p.Tracer)
	}
	_, span := tp.Tracer("test").Start(context.Background(), "work")
	if !span.SpanContext().IsValid() {
		t.Error("span context of a dev run is not valid; trace ids would not propagate")
	}
	span.End()
	if p.Propagator == nil || len(p.Propagator.Fields()) == 0 {
		t.Error("no propagator")
	}
	if err := shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func TestSetupDisabled(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
	p, shutdown, err := Setup(context.Background(), "o2c-ledger", func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	_, span := p.Tracer.Tracer("test").Start(context.Background(), "work")
	if span.SpanContext().IsValid() || span.IsRecording() {
		t.Error("OTEL_SDK_DISABLED=true still records spans")
	}
	if err := shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func TestSetupErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		service string
		env     map[string]string
	}{
		{name: "empty service name", service: "", env: nil},
		{name: "pair without =", service: "o2c-ledger", env: map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "a=1,broken"}},
		{name: "bad percent encoding", service: "o2c-ledger", env: map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "a=%zz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, shutdown, err := Setup(context.Background(), tt.service, func(k string) string { return tt.env[k] })
			if err == nil {
				t.Error("Setup = nil error, want one")
			}
			if shutdown == nil {
				t.Error("shutdown is nil; callers may defer it unconditionally")
			}
		})
	}
}

func TestParseResourceAttributes(t *testing.T) {
	t.Parallel()
	got, err := parseResourceAttributes(" deployment.environment.name = prod ,service.name=x,, team=a%2Cb%3Dc")
	if err != nil {
		t.Fatal(err)
	}
	want := []attribute.KeyValue{
		attribute.String("deployment.environment.name", "prod"),
		attribute.String("team", "a,b=c"),
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b attribute.KeyValue) bool { return a == b })); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
}

func TestZeroProvidersAreUsable(t *testing.T) {
	t.Parallel()
	var p Providers
	ctx, span := StartPublish(context.Background(), p, nil)
	EndSpan(span, context.Canceled)
	ctx, span = StartConsume(ctx, p, "", nil)
	EndSpan(span, nil)
	EndSpan(nil, nil)
	InjectNATS(ctx, nil, nil)
	if got := ExtractNATS(ctx, nil, nil); got != ctx {
		t.Error("ExtractNATS with a nil propagator changed the context")
	}
	var m Meter
	c, err := m.Counter("o2c.test.count", "A count.", "1")
	if err != nil {
		t.Fatalf("counter on the zero Meter: %v", err)
	}
	c.Add(ctx, 1)
	TracePgx(nil, p)
}

func TestMeter(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	m := NewMeter(Providers{Meter: mp}, "github.com/o2c-platform/o2c/services/ledger")

	breaches, err := m.Counter("o2c_ledger_invariant_breaches_total", "Ledger invariant violations detected.", "1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.Counter("o2c_ledger_invariant_breaches_total", "Ledger invariant violations detected.", "1")
	if err != nil {
		t.Fatal(err)
	}
	inFlight, err := m.UpDownCounter("o2c.consumer.in_flight", "Messages being handled.", "{message}")
	if err != nil {
		t.Fatal(err)
	}
	latency, err := m.Histogram("o2c.consumer.duration", "Handling time.", "s", 0.01, 0.1, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	breaches.Add(ctx, 2)
	again.Add(ctx, 1)
	inFlight.Add(ctx, 3)
	inFlight.Add(ctx, -1)
	latency.Record(ctx, 0.05)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			switch data := md.Data.(type) {
			case metricdata.Sum[int64]:
				got[md.Name] = attribute.Int64Value(data.DataPoints[0].Value).Emit()
			case metricdata.Histogram[float64]:
				dp := data.DataPoints[0]
				got[md.Name] = attribute.Int64SliceValue(toInt64(dp.BucketCounts)).Emit()
			}
		}
	}
	want := map[string]string{
		"o2c_ledger_invariant_breaches_total": "3",
		"o2c.consumer.in_flight":              "2",
		"o2c.consumer.duration":               "[0,1,0,0]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("collected metrics (-want +got):\n%s", diff)
	}

	if _, err := m.Counter("9 not a name", "", "1"); err == nil {
		t.Error("Counter with an invalid name = nil error, want one")
	}
}

func toInt64(us []uint64) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = int64(u)
	}
	return out
}
