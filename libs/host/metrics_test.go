package host_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/rejection"
)

// TestRelayLag: events appended before the relay runs are its backlog,
// with the age of the oldest; once it has published them both are 0.
func TestRelayLag(t *testing.T) {
	t.Parallel()
	f := newHost(t, pgtest.NewDB(t, template), natsembed.Test(t).ClientURL(), time.Second)
	if err := f.h.Relay(); err != nil {
		t.Fatal(err)
	}
	appendNotes(t, f.h, "L-1", "one", "two", "three")
	if got, ok := f.gauge(t, host.RelayBacklogMetric, "relay", service+"-relay"); !ok || got != 3 {
		t.Errorf("%s before the relay runs = %d (reported %v), want 3", host.RelayBacklogMetric, got, ok)
	}
	if _, ok := f.gauge(t, host.RelayAgeMetric, "relay", service+"-relay"); !ok {
		t.Errorf("%s not reported", host.RelayAgeMetric)
	}
	f.serve(t)
	eventually(t, "the relay to catch up", func() bool {
		backlog, _ := f.gauge(t, host.RelayBacklogMetric, "relay", service+"-relay")
		age, _ := f.gauge(t, host.RelayAgeMetric, "relay", service+"-relay")
		return backlog == 0 && age == 0
	})
}

// gauge returns the value of the int64 gauge name at the data point whose
// attribute key is value, and whether there is one.
func (f *fixture) gauge(t testing.TB, name, key, value string) (int64, bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := f.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			g, ok := m.Data.(metricdata.Gauge[int64])
			if !ok {
				t.Fatalf("metric %s is %T, want an int64 gauge", name, m.Data)
			}
			for _, dp := range g.DataPoints {
				if v, ok := dp.Attributes.Value(attribute.Key(key)); ok && v.AsString() == value {
					return dp.Value, true
				}
			}
		}
	}
	return 0, false
}

// TestRejectionsCounted: the host's rejection store counts each rejection
// it records once, by consumer and reason; the same message recorded again
// while its rejection is open is not counted again.
func TestRejectionsCounted(t *testing.T) {
	t.Parallel()
	f := newHost(t, pgtest.NewDB(t, template), natsembed.Test(t).ClientURL(), time.Second)
	t.Cleanup(f.h.Close)
	ctx := context.Background()
	rejected := func(data, code string) bus.Rejected {
		return bus.Rejected{Consumer: "notes", Msg: bus.Msg{Subject: "o2c.acme.hosttest.note.added", Data: []byte(data), Delivered: 1},
			Class: fault.Invalid, Code: code, Err: errors.New("bad note")}
	}
	for _, r := range []bus.Rejected{rejected("a", "invalid"), rejected("a", "invalid"), rejected("b", "invalid"), rejected("c", "gave_up")} {
		if err := f.h.Rejections.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int64{}
	for _, reason := range []string{"invalid", "gave_up"} {
		got[reason] = f.metricSum(t, rejection.Metric, "reason", reason)
	}
	if diff := cmp.Diff(map[string]int64{"invalid": 2, "gave_up": 1}, got); diff != "" {
		t.Errorf("%s by reason (-want +got):\n%s", rejection.Metric, diff)
	}
}
