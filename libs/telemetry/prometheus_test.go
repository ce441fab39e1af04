package telemetry

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestSetupServesPrometheus: with OTEL_METRICS_EXPORTER=prometheus a
// service serves its metrics at /metrics on OTEL_EXPORTER_PROMETHEUS_HOST
// and OTEL_EXPORTER_PROMETHEUS_PORT, named as the dashboard queries them
// (dots as underscores, _total on counters, the unit on histograms), with
// its service name in target_info, and stops serving at shutdown. The
// exporter reads the process environment, so this test sets it and cannot
// run in parallel.
func TestSetupServesPrometheus(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(lis.Addr().String())
	lis.Close()
	env := map[string]string{
		"OTEL_METRICS_EXPORTER":         "prometheus",
		"OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
		"OTEL_EXPORTER_PROMETHEUS_PORT": port,
		"OTEL_TRACES_EXPORTER":          "none",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	p, shutdown, err := Setup(ctx, "ledger", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMeter(p, "test")
	c, err := m.Counter("o2c.test.things", "Things.", "{thing}")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(ctx, 3)
	h, err := m.Histogram("o2c.test.duration", "Time.", "s", 0.1, 1)
	if err != nil {
		t.Fatal(err)
	}
	h.Record(ctx, 0.5)

	url := "http://127.0.0.1:" + port + "/metrics"
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\no2c_test_things_total{",
		"\no2c_test_duration_seconds_bucket{",
		"\no2c_test_duration_seconds_count{",
		`service_name="ledger"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("GET %s lacks %q:\n%s", url, strings.TrimSpace(want), body)
		}
	}
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("GET %s after shutdown answered %s", url, resp.Status)
	}
}
