package relay_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
	"github.com/o2c-platform/o2c/libs/pgtest"
)

// BenchmarkRelay measures publishing stored events to JetStream (embedded
// server, file storage) from a store on a cluster with PostgreSQL's default
// durability, checkpoint writes included. One op is one event.
func BenchmarkRelay(b *testing.B) {
	ctx := context.Background()
	c, err := pgtest.Start(ctx, pgtest.Options{Durable: true})
	if err != nil {
		b.Skipf("no PostgreSQL: %v", err)
	}
	b.Cleanup(func() {
		if err := c.Stop(); err != nil {
			b.Error(err)
		}
	})
	if err := c.CreateDatabase(ctx, "relay", ""); err != nil {
		b.Fatal(err)
	}
	if err := eventstore.Migrate(ctx, c.DatabaseURL("relay"), schema); err != nil {
		b.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, c.DatabaseURL("relay"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	s, err := eventstore.New(pool, schema, eventstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	js := newJetStream(b)
	r, err := relay.New(s, js, relay.Config{Subject: subject})
	if err != nil {
		b.Fatal(err)
	}
	run := 0
	b.Run("Drain", func(b *testing.B) {
		run++
		for i := 0; i < b.N; i += 500 {
			evs := make([]eventstore.Event, min(500, b.N-i))
			for j := range evs {
				evs[j] = storetest.NewEvent(fmt.Sprintf("invoice line %d with some text", j))
			}
			if _, err := s.Append(ctx, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: fmt.Sprint(run, "-", i)}, eventstore.NoStream, evs); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		start := time.Now()
		n := 0
		for n < b.N {
			k, err := r.Drain(ctx)
			if err != nil {
				b.Fatal(err)
			}
			n += k
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		if n != b.N {
			b.Fatalf("relayed %d events, want %d", n, b.N)
		}
	})
}
