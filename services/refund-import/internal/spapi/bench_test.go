package spapi_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// benchEvents is how many refund events the benchmark pages through.
const benchEvents = 1_000_000

var (
	benchOnce sync.Once
	benchSrv  *spapifake.Server
	benchFrom time.Time
)

// benchServer is a fake holding benchEvents generated refunds posted over
// the 90 days before an hour ago, built once for all runs.
func benchServer() (*spapifake.Server, time.Time) {
	benchOnce.Do(func() {
		benchSrv = spapifake.New(spapifake.Options{Limits: spapi.NoLimits()})
		benchFrom = time.Now().Add(-91 * 24 * time.Hour).Truncate(time.Second)
		specs, lists := spapifake.Refunds(1, benchEvents, benchFrom, benchFrom.Add(90*24*time.Hour))
		for i, g := range specs {
			benchSrv.AddFinancialEvents(g.Posted, lists[i], spapifake.Event(lists[i], g))
		}
	})
	return benchSrv, benchFrom
}

// BenchmarkFinancialEvents pages a client through 1,000,000 refund events
// of the fake server over real HTTP with rate limits off, pages of 100,
// and reports events/s. It measures the client and the fake, not SP-API:
// with Amazon's limits (0.5 requests a second, burst 30) the same million
// events take 10,000 pages, about 5.5 hours per seller account.
func BenchmarkFinancialEvents(b *testing.B) {
	if testing.Short() {
		b.Skip("generates a million events")
	}
	srv, from := benchServer()
	url, stop := srv.Start()
	defer stop()
	c, err := spapi.New(spapi.Config{
		Endpoint: url, TokenURL: url + "/auth/o2/token", Credentials: srv.Credentials(), Limits: spapi.NoLimits(),
		HTTP: &http.Client{Timeout: time.Minute},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	var events, size int
	for range b.N {
		for _, w := range spapi.Windows(from, time.Now()) {
			err := c.FinancialEvents(ctx, w, func(body []byte) error {
				size += len(body)
				events += countAdjustments(body)
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	elapsed := time.Since(start)
	if events != benchEvents*b.N {
		b.Fatalf("paged %d events, want %d", events, benchEvents*b.N)
	}
	b.SetBytes(int64(size / b.N))
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
}

// countAdjustments counts the events of a generated page by their
// OrderAdjustmentItemId.
func countAdjustments(body []byte) int {
	return bytes.Count(body, []byte(`"OrderAdjustmentItemId"`))
}
