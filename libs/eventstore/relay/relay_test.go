package relay_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const schema = "billing"

var template = pgtest.Template{
	Name:    eventstore.TemplateName(schema),
	Migrate: func(ctx context.Context, url string) error { return eventstore.Migrate(ctx, url, schema) },
}

// newStore returns a store on a fresh database, connected as the app role.
func newStore(t testing.TB) *eventstore.Store {
	t.Helper()
	ctx := context.Background()
	owner := pgtest.NewDB(t, template)
	role, err := eventstore.EnsureAppRole(ctx, owner, schema)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(owner)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, err := eventstore.New(pool, schema, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newJetStream returns a JetStream client of a fresh embedded server with
// stream BILLING on o2c.*.billing.>.
func newJetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	_, js := natsembed.TestJetStream(t)
	_, err := js.CreateStream(context.Background(), jetstream.StreamConfig{
		Name:       "BILLING",
		Subjects:   []string{"o2c.*.billing.>"},
		Duplicates: 10 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func subject(ev eventstore.Event) string {
	return "o2c." + ev.Stream.Tenant + ".billing." + ev.Type
}

// flaky publishes through JetStream and misbehaves after the first `after`
// publishes: it either loses the acknowledgement of the next publish (the
// message reaches JetStream, the relay sees an error) or cancels the
// relay's context.
type flaky struct {
	relay.Publisher
	after  int
	cancel context.CancelFunc // nil: lose the acknowledgement instead

	mu        sync.Mutex
	published int
}

func (f *flaky) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	f.mu.Lock()
	f.published++
	n := f.published
	f.mu.Unlock()
	fut, err := f.Publisher.PublishMsgAsync(m, opts...)
	if n == f.after+1 {
		if f.cancel == nil {
			return nil, errors.New("connection lost before the acknowledgement")
		}
		f.cancel()
	}
	return fut, err
}

func TestRelayRestartsAndDeliversEachEventOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := newStore(t)
	js := newJetStream(t)

	var stored []eventstore.Event
	for i := range 6 {
		evs := make([]eventstore.Event, 10)
		for j := range evs {
			evs[j] = storetest.NewEvent(fmt.Sprintf("e%d-%d", i, j))
			evs[j].CorrelationID, evs[j].Actor = "corr-"+fmt.Sprint(i), "service:test"
			evs[j].TraceParent, evs[j].TraceState = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "o2c=1"
		}
		evs[0].CausationID = "cmd-" + fmt.Sprint(i)
		out, err := s.Append(ctx, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: fmt.Sprint("INV/", i)}, eventstore.NoStream, evs)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, out...)
	}
	cfg := relay.Config{Subject: subject, BatchSize: 20, Poll: time.Millisecond}
	// Transaction ids are server-wide: while another database of a shared
	// test cluster has a transaction open, the read horizon can hold back
	// some of these events. Wait until all of them are readable so that
	// the runs below see the whole log.
	for {
		got, _, err := s.ReadAll(ctx, eventstore.Cursor{}, len(stored)+1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == len(stored) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of %d events became readable", len(got), len(stored))
		case <-time.After(5 * time.Millisecond):
		}
	}

	// Run 1: the 26th publish reaches JetStream but its ack is lost.
	lost := &flaky{Publisher: js, after: 25}
	r, err := relay.New(s, lost, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Drain(ctx); err == nil {
		t.Fatal("Drain with a lost acknowledgement succeeded")
	}
	if c, err := s.Checkpoint(ctx, "relay"); err != nil || c != stored[24].Cursor {
		t.Fatalf("checkpoint after the lost ack = %v, %v; want %v (the 25 acknowledged events)", c, err, stored[24].Cursor)
	}

	// Run 2: the relay's context is cancelled in the middle of a batch.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	cancelled := &flaky{Publisher: js, after: 12, cancel: stop}
	r, err = relay.New(s, cancelled, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(runCtx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
	// The relay stops publishing but keeps the 13 acknowledgements of
	// what it had published.
	if c, err := s.Checkpoint(ctx, "relay"); err != nil || c != stored[25+12].Cursor {
		t.Fatalf("checkpoint after cancel = %v, %v; want %v", c, err, stored[25+12].Cursor)
	}

	// Run 3: to the end.
	counted := &flaky{Publisher: js, after: 1 << 30}
	r, err = relay.New(s, counted, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Checkpoint(ctx, "relay"); err != nil || c != stored[len(stored)-1].Cursor {
		t.Fatalf("final checkpoint %v, %v; want %v", c, err, stored[len(stored)-1].Cursor)
	}
	publishes := lost.published + cancelled.published + counted.published
	if publishes <= len(stored) {
		t.Fatalf("%d publishes for %d events: the restarts re-published nothing, the test proves nothing", publishes, len(stored))
	}

	info, err := js.Stream(ctx, "BILLING")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := info.Info(ctx); err != nil || st.State.Msgs != uint64(len(stored)) {
		t.Fatalf("JetStream holds %v messages (%v) after %d publishes, want %d: the duplicate window must drop re-publishes", st.State.Msgs, err, publishes, len(stored))
	}

	got := consumeIdempotently(ctx, t, info, len(stored))
	// The nak moved one event behind the others; compare in store order.
	slices.SortFunc(got, func(a, b eventstore.Event) int { return cmp.Compare(a.Position, b.Position) })
	want := make([]eventstore.Event, len(stored))
	for i, ev := range stored {
		ev.Cursor, ev.ChainHash = eventstore.Cursor{}, nil
		want[i] = ev
	}
	if diff := gocmp.Diff(want, got, protocmp.Transform(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("events applied by the consumer (-stored +decoded):\n%s", diff)
	}
}

// consumeIdempotently reads every message with a durable pull consumer and
// applies each event id once. It leaves the first message unacknowledged
// once, so that its redelivery exercises the dedupe.
func consumeIdempotently(ctx context.Context, t *testing.T, stream jetstream.Stream, n int) []eventstore.Event {
	t.Helper()
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:   "ledger",
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	applied := map[uuid.UUID]int{}
	var order []eventstore.Event
	nakked := false
	redelivered := 0
	for len(order) < n {
		batch, err := cons.Fetch(10, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for msg := range batch.Messages() {
			ev, err := relay.Decode(msg, nil)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !nakked {
				// The consumer crashes before it acknowledges.
				nakked = true
				if err := msg.Nak(); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if applied[ev.EventID] > 0 {
				redelivered++
			} else {
				order = append(order, ev)
			}
			applied[ev.EventID]++
			if err := msg.Ack(); err != nil {
				t.Fatal(err)
			}
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d events: %v", len(order), n, ctx.Err())
		}
	}
	for id, k := range applied {
		if k != 1 {
			t.Errorf("event %s delivered %d times after the nak", id, k)
		}
	}
	return order
}

func TestDecodeRejectsMalformed(t *testing.T) {
	t.Parallel()
	prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "1"}, []eventstore.Event{storetest.NewEvent("x")})
	if err != nil {
		t.Fatal(err)
	}
	ev := prepared[0]
	ev.Version, ev.Position, ev.RecordedAt = 1, 1, time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	good := relay.Message("o2c.acme.billing.x", ev)
	if got, err := relay.DecodeMsg(good.Header, good.Data, nil); err != nil || got.EventID != ev.EventID {
		t.Fatalf("DecodeMsg of a good message = %v, %v", got.EventID, err)
	}
	tests := []struct {
		name   string
		change func(*nats.Msg)
	}{
		{"no msg id", func(m *nats.Msg) { m.Header.Del(relay.HeaderMsgID) }},
		{"bad msg id", func(m *nats.Msg) { m.Header.Set(relay.HeaderMsgID, "x") }},
		{"no type", func(m *nats.Msg) { m.Header.Del(relay.HeaderEventType) }},
		{"bad version", func(m *nats.Msg) { m.Header.Set(relay.HeaderStreamVersion, "v1") }},
		{"bad occurred-at", func(m *nats.Msg) { m.Header.Set(relay.HeaderOccurredAt, "yesterday") }},
		{"bad hash", func(m *nats.Msg) { m.Header.Set(relay.HeaderContentHash, "zz") }},
		{"altered actor", func(m *nats.Msg) { m.Header.Set(relay.HeaderActor, "mallory") }},
		{"altered data", func(m *nats.Msg) { m.Data = append([]byte{}, "\x0a\x01y"...) }},
		{"undecodable data", func(m *nats.Msg) { m.Data = []byte{0xff} }},
	}
	for _, tc := range tests {
		m := relay.Message("o2c.acme.billing.x", ev)
		tc.change(m)
		if _, err := relay.DecodeMsg(m.Header, m.Data, nil); !errors.Is(err, relay.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", tc.name, err)
		}
	}
}
