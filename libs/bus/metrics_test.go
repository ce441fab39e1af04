package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// TestConsumerMetrics consumes three messages: the handler holds the first
// until the lag is read and rejects the third as invalid. The lag gauges
// show the two messages not yet delivered (the consumer takes one at a
// time) and the one in flight; afterwards the counter says what happened
// by outcome and class, and the histogram has one sample per settled
// message. (The rejection store counts rejections by reason.)
func TestConsumerMetrics(t *testing.T) {
	t.Parallel()
	_, js := natsembed.TestJetStream(t)
	ctx := context.Background()
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("test")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"slow", "good", "bad"} {
		if _, err := js.Publish(ctx, "o2c.acme.test.thing.happened", []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(ctx) })
	rec := &recorder{}
	release, holding := make(chan struct{}), make(chan struct{})
	sub, err := bus.Consume(ctx, js, telemetry.Providers{Meter: mp}, bus.Consumer{
		Stream: bus.ServiceStream("test"), Durable: "metered", Manage: true, MaxAckPending: 1,
		Classify: fault.Chain(fault.Table{{Err: errInvalid, Class: fault.Invalid}}.Classify), Rejections: rec,
	}, func(_ context.Context, m bus.Msg) error {
		switch string(m.Data) {
		case "bad":
			return errInvalid
		case "slow":
			close(holding)
			<-release
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Stop)
	select {
	case <-holding:
	case <-time.After(time.Minute):
		t.Fatal("the third message never reached the handler")
	}
	during := collect(t, reader)
	close(release)
	deadline := time.Now().Add(time.Minute)
	var after map[string]map[string]int64
	for {
		after = collect(t, reader)
		settled := after[bus.MessagesMetric]
		if settled["consumer=metered,stream=O2C_TEST,outcome=ack,class=ok"]+settled["consumer=metered,stream=O2C_TEST,outcome=reject,class=invalid"] >= 3 ||
			time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	key := "consumer=metered,stream=O2C_TEST"
	if diff := cmp.Diff(map[string]int64{key: 2}, during[bus.PendingMetric]); diff != "" {
		t.Errorf("%s while the first message is handled (-want +got):\n%s", bus.PendingMetric, diff)
	}
	if diff := cmp.Diff(map[string]int64{key: 1}, during[bus.AckPendingMetric]); diff != "" {
		t.Errorf("%s while the first message is handled (-want +got):\n%s", bus.AckPendingMetric, diff)
	}
	want := map[string]map[string]int64{
		bus.MessagesMetric: {
			key + ",outcome=ack,class=ok":         2,
			key + ",outcome=reject,class=invalid": 1,
		},
		bus.DurationMetric: {
			key + ",outcome=ack":    2,
			key + ",outcome=reject": 1,
		},
	}
	for name, series := range want {
		if diff := cmp.Diff(series, after[name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	sub.Stop()
	if got := collect(t, reader)[bus.PendingMetric]; len(got) != 0 {
		t.Errorf("%s after Stop = %v, want no series (the callback is unregistered)", bus.PendingMetric, got)
	}
	if len(rec.rejected()) != 1 {
		t.Errorf("%d rejections recorded, want 1", len(rec.rejected()))
	}
}

// collect reads every metric of reader as name -> attributes -> value:
// counters and gauges their value, histograms their count. Attributes are
// written in the order consumer, stream, outcome, class.
func collect(t testing.TB, reader sdkmetric.Reader) map[string]map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	key := func(set attribute.Set) string {
		var k string
		for _, name := range []attribute.Key{"consumer", "stream", "outcome", "class"} {
			if v, ok := set.Value(name); ok {
				if k != "" {
					k += ","
				}
				k += string(name) + "=" + v.Emit()
			}
		}
		return k
	}
	out := map[string]map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			series := map[string]int64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					series[key(p.Attributes)] = p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					series[key(p.Attributes)] = p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					series[key(p.Attributes)] = int64(p.Count)
				}
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
			if len(series) > 0 {
				out[m.Name] = series
			}
		}
	}
	return out
}
