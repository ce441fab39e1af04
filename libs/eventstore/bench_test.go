package eventstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
	"github.com/o2c-platform/o2c/libs/pgtest"
)

// benchStore returns a store on a fresh migrated database of c.
func benchStore(b *testing.B, c *pgtest.Cluster, name string) *eventstore.Store {
	b.Helper()
	ctx := context.Background()
	if err := c.CreateDatabase(ctx, name, ""); err != nil {
		b.Fatal(err)
	}
	url := c.DatabaseURL(name)
	if err := eventstore.Migrate(ctx, url, schema); err != nil {
		b.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	s, err := eventstore.New(pool, schema, eventstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func startDurable(b *testing.B) *pgtest.Cluster {
	b.Helper()
	c, err := pgtest.Start(context.Background(), pgtest.Options{Durable: true})
	if err != nil {
		b.Skipf("no PostgreSQL: %v", err)
	}
	b.Cleanup(func() {
		if err := c.Stop(); err != nil {
			b.Error(err)
		}
	})
	return c
}

// BenchmarkStore measures appends and the ordered read on a cluster with
// PostgreSQL's default durability (fsync, synchronous commit). One op is
// one event.
func BenchmarkStore(b *testing.B) {
	c := startDurable(b)
	for _, batch := range []int{1, 100} {
		for _, writers := range []int{1, 4, 16} {
			name := fmt.Sprintf("Append/batch=%d/writers=%d", batch, writers)
			s := benchStore(b, c, fmt.Sprintf("append_%d_%d", batch, writers))
			b.Run(name, func(b *testing.B) { benchAppend(b, s, batch, writers) })
		}
	}
	s := benchStore(b, c, "readall")
	fillLog(b, s, 20000)
	b.Run("ReadAll", func(b *testing.B) { benchReadAll(b, s) })
}

func benchAppend(b *testing.B, s *eventstore.Store, batch, writers int) {
	ctx := context.Background()
	events := make([]eventstore.Event, batch)
	for i := range events {
		events[i] = storetest.NewEvent(fmt.Sprintf("invoice line %d with some text", i))
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			// Each writer appends to streams of its own, one stream per
			// 1000 events, at the exact expected version.
			var st eventstore.StreamID
			var version int64
			for k := 0; ; k++ {
				n := min(int64(batch), left.Add(-int64(batch))+int64(batch))
				if n <= 0 {
					return
				}
				if version == 0 || version >= 1000 {
					st, version = eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: fmt.Sprintf("w%d-%d-%d", w, k, time.Now().UnixNano())}, 0
				}
				evs := make([]eventstore.Event, n)
				for i := range evs {
					evs[i] = events[i]
					evs[i].EventID = uuid.New()
				}
				if _, err := s.Append(ctx, st, eventstore.ExpectedVersion(version), evs); err != nil {
					failed.Store(err)
					return
				}
				version += n
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}

// fillLog appends total events in batches of 500 to fresh streams.
func fillLog(b *testing.B, s *eventstore.Store, total int) {
	b.Helper()
	for i := 0; i < total; i += 500 {
		evs := make([]eventstore.Event, 500)
		for j := range evs {
			evs[j] = storetest.NewEvent(fmt.Sprintf("invoice line %d with some text", j))
		}
		if _, err := s.Append(context.Background(), eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: fmt.Sprint("fill-", i)}, eventstore.NoStream, evs); err != nil {
			b.Fatal(err)
		}
	}
}

// benchReadAll reads the log in pages of 1000, starting over at its end.
func benchReadAll(b *testing.B, s *eventstore.Store) {
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	var c eventstore.Cursor
	for read := 0; read < b.N; {
		evs, next, err := s.ReadAll(ctx, c, min(1000, b.N-read))
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) == 0 {
			next = eventstore.Cursor{} // start over at the beginning
		}
		read += len(evs)
		c = next
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
