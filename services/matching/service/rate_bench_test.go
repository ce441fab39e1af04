package service

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/relay"
)

// The knobs of BenchmarkDecideAtRate. `make bench` leaves them unset (3
// seconds at 2,000 bank transactions/s against 10,000 open items); the
// README's figures set O2C_BENCH_MATCHING_TX=60000 (30 seconds).
const (
	envRateTx    = "O2C_BENCH_MATCHING_TX"    // bank transactions per run (default 6,000)
	envRate      = "O2C_BENCH_MATCHING_RATE"  // offered per second (default 2,000)
	envRateItems = "O2C_BENCH_MATCHING_ITEMS" // open invoices in the read model (default 10,000)
)

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// BenchmarkDecideAtRate offers bank transactions to the service at a
// steady rate, as ingestion's relay publishes them, and measures how long
// each waits for its decision: from its publish to the PaymentDecided the
// service stored with its commands and relayed on
// o2c.<tenant>.matching.payment.decided, which is when the ledger and the
// exception queue can see it. The read model holds O2C_BENCH_MATCHING_ITEMS
// open invoices of a fifth as many debtors, taken in from the ledger's
// events before the clock starts; a third of the transactions name one of
// them with its amount (booked automatically), the rest name nothing and
// go to the exception queue.
//
// Its metrics:
//
//	offered/s           transactions published per second (the rate asked, unless the publisher fell behind)
//	acked/s             transactions decided, stored and acknowledged per second, first publish to the
//	                    bank consumer's last acknowledgement (polled every 20 ms)
//	relayed/s           transactions per second, first publish to the last decision relayed
//	lag-p50-ms, -p99-ms publish -> decision relayed, per transaction
//	stored-p50-ms, -p99 publish -> the transaction that stored the decision began (events.recorded_at)
//	lag-max-ms          the slowest transaction
//	late-p99-ms         lag-p99 of the last fifth published: above lag-p99 when the lag grows, that is
//	                    when the service does not keep up with the rate
func BenchmarkDecideAtRate(b *testing.B) {
	n := envInt(b, envRateTx, 6000)
	rate := envInt(b, envRate, 2000)
	nItems := envInt(b, envRateItems, 10000)
	e := newEnv(b)
	e.handlers = 64 // the default
	s, stop := e.start(b)
	defer stop()
	var last uint64
	for i := range nItems {
		last = s.publish(b, "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: fmt.Sprintf("I-%d", i), DebtorId: fmt.Sprintf("D-%d", i%max(1, nItems/5)),
			Kind: "invoice", DocumentNumber: fmt.Sprintf("RE-2026-%06d", i), Amount: eur(int64(1000 + i)), DocumentDate: nov1, DueDate: dec1,
			PaymentReference: fmt.Sprintf("RE-2026-%06d", i), EntryId: fmt.Sprintf("E-%d", i)})
	}
	s.settled(b, "O2C_LEDGER", ItemsDurable, last)
	b.ResetTimer()
	for round := range b.N {
		b.StopTimer()
		prefix := fmt.Sprintf("R%d-", round)
		msgs, ids := make([]*nats.Msg, n), make([]string, n)
		for i := range n {
			ids[i] = fmt.Sprintf("%sTX-%d", prefix, i)
			remittance, amount := "Zahlung", int64(777+i%500)
			if i%3 == 0 {
				k := (round*n + i) % nItems
				remittance, amount = fmt.Sprintf("RE-2026-%06d", k), int64(1000+k)
			}
			msgs[i] = s.message(b, "ingestion", bankTx(ids[i], amount, remittance, ""))
		}
		b.StartTimer()
		published := make(map[string]time.Time, n)
		interval := time.Second / time.Duration(rate)
		start := time.Now()
		for i, m := range msgs {
			if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
				time.Sleep(wait)
			}
			published[ids[i]] = time.Now()
			if _, err := s.js.PublishMsgAsync(m); err != nil {
				b.Fatal(err)
			}
		}
		offered := float64(n) / time.Since(start).Seconds()
		select {
		case <-s.js.PublishAsyncComplete():
		case <-time.After(time.Minute):
			b.Fatal("the bank transactions were not all acknowledged by JetStream within a minute")
		}
		st, err := s.js.Stream(context.Background(), "O2C_INGESTION")
		if err != nil {
			b.Fatal(err)
		}
		info, err := st.Info(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		s.settled(b, "O2C_INGESTION", BankDurable, info.State.LastSeq)
		ackedAt := time.Now()
		relayed := s.decisions(b, prefix, n)
		b.StopTimer()
		var lags, late []time.Duration
		var lastAt time.Time
		for i, id := range ids {
			at := relayed[id]
			lags = append(lags, at.Sub(published[id]))
			if i >= n*4/5 {
				late = append(late, at.Sub(published[id]))
			}
			if at.After(lastAt) {
				lastAt = at
			}
		}
		stored := s.storedAt(b, prefix)
		var storedLags []time.Duration
		for id, at := range stored {
			storedLags = append(storedLags, at.Sub(published[id]))
		}
		b.ReportMetric(offered, "offered/s")
		b.ReportMetric(float64(n)/ackedAt.Sub(start).Seconds(), "acked/s")
		b.ReportMetric(float64(n)/lastAt.Sub(start).Seconds(), "relayed/s")
		b.ReportMetric(ms(percentile(lags, 50)), "lag-p50-ms")
		b.ReportMetric(ms(percentile(lags, 99)), "lag-p99-ms")
		b.ReportMetric(ms(percentile(lags, 100)), "lag-max-ms")
		b.ReportMetric(ms(percentile(late, 99)), "late-p99-ms")
		b.ReportMetric(ms(percentile(storedLags, 50)), "stored-p50-ms")
		b.ReportMetric(ms(percentile(storedLags, 99)), "stored-p99-ms")
		b.StartTimer()
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile returns the p-th percentile (nearest rank) of ds; 0 for none.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := (len(ds)*p + 99) / 100
	return ds[max(0, min(len(ds), i)-1)]
}

// decisions reads the PaymentDecided events the service relayed for the
// payments whose ids start with prefix until it has n of them, and returns
// when each reached JetStream, by payment id. It fails when they do not
// all come within five minutes (a broken service, not a timing goal).
func (s *svc) decisions(b *testing.B, prefix string, n int) map[string]time.Time {
	b.Helper()
	ctx := context.Background()
	cons, err := s.js.OrderedConsumer(ctx, "O2C_MATCHING", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"o2c.acme.matching.payment.decided"}})
	if err != nil {
		b.Fatal(err)
	}
	out := make(map[string]time.Time, n)
	deadline := time.Now().Add(5 * time.Minute)
	for len(out) < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d decisions relayed within five minutes", len(out), n)
		}
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			b.Fatal(err)
		}
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				b.Fatal(err)
			}
			ev, err := relay.Decode(m, nil)
			if err != nil {
				b.Fatal(err)
			}
			d, ok := ev.Payload.(*matchingv1.PaymentDecided)
			if !ok {
				b.Fatalf("%s carries %T", m.Subject(), ev.Payload)
			}
			if id := d.GetPayment().GetPaymentId(); strings.HasPrefix(id, prefix) {
				if _, seen := out[id]; !seen {
					out[id] = meta.Timestamp
				}
			}
		}
	}
	return out
}

// storedAt returns when the transaction that stored each PaymentDecided
// of the payments whose ids start with prefix began, by payment id.
func (s *svc) storedAt(b *testing.B, prefix string) map[string]time.Time {
	b.Helper()
	rows, err := s.m.h.Pool.Query(context.Background(), `SELECT stream_id, min(recorded_at) FROM events
		WHERE event_type = 'o2c.matching.v1.PaymentDecided' AND starts_with(stream_id, $1) GROUP BY stream_id`, prefix)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			b.Fatal(err)
		}
		out[id] = at
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}
