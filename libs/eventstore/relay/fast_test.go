package relay_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
	"github.com/o2c-platform/o2c/libs/natsembed"
)

// countingJetStream is a JetStream client that counts the messages
// published one by one (PublishMsgAsync); fast batches go past it.
type countingJetStream struct {
	jetstream.JetStream
	single atomic.Int64
}

func (c *countingJetStream) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	c.single.Add(1)
	return c.JetStream.PublishMsgAsync(m, opts...)
}

// newBatchJetStream returns a JetStream client of a fresh embedded server
// with the streams BILLING (o2c.*.billing.>) and STATUS (o2c.*.status.>),
// both allowing fast batches when batches is set.
func newBatchJetStream(t testing.TB, batches bool) *countingJetStream {
	t.Helper()
	_, js := natsembed.TestJetStream(t)
	for name, subj := range map[string]string{"BILLING": "o2c.*.billing.>", "STATUS": "o2c.*.status.>"} {
		if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{
			Name: name, Subjects: []string{subj}, Storage: jetstream.FileStorage,
			Duplicates: 10 * time.Minute, AllowBatchPublish: batches,
		}); err != nil {
			t.Fatal(err)
		}
	}
	return &countingJetStream{JetStream: js}
}

// twoStreams routes every third event to the STATUS stream.
func twoStreams(ev eventstore.Event) string {
	if ev.Version%3 == 0 {
		return "o2c." + ev.Stream.Tenant + ".status." + ev.Type
	}
	return subject(ev)
}

// streamOf is the stream of the subjects twoStreams returns.
func streamOf(subject string) string {
	if strings.Contains(subject, ".status.") {
		return "STATUS"
	}
	return "BILLING"
}

// appendLog appends n events, in streams of ten, and waits until all are
// readable; it returns them in log order.
func appendLog(ctx context.Context, t testing.TB, s *eventstore.Store, n int) []eventstore.Event {
	t.Helper()
	var stored []eventstore.Event
	for i := 0; i < n; i += 10 {
		evs := make([]eventstore.Event, min(10, n-i))
		for j := range evs {
			evs[j] = storetest.NewEvent(fmt.Sprintf("e%d", i+j))
			evs[j].Actor = "service:test"
		}
		out, err := s.Append(ctx, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: fmt.Sprint("INV/", i)}, eventstore.NoStream, evs)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, out...)
	}
	for {
		got, _, err := s.ReadAll(ctx, eventstore.Cursor{}, n+1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == n {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of %d events became readable", len(got), n)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// streamPositions returns the O2c-Position header of every message of
// stream, in stream order, and checks each message's headers against
// relay.Message of its event.
func streamPositions(ctx context.Context, t testing.TB, js jetstream.JetStream, stream string, stored []eventstore.Event, subj func(eventstore.Event) string) []int64 {
	t.Helper()
	byPos := make(map[int64]eventstore.Event, len(stored))
	for _, ev := range stored {
		byPos[ev.Position] = ev
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		pos, err := strconv.ParseInt(m.Header.Get(relay.HeaderPosition), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ev := byPos[pos]
		want := relay.Message(subj(ev), ev)
		if m.Subject != want.Subject || !gocmp.Equal(m.Data, want.Data) || !gocmp.Equal(m.Header, want.Header) {
			t.Errorf("%s message %d: subject %s, headers %v; want %s, %v", stream, seq, m.Subject, m.Header, want.Subject, want.Header)
		}
		out = append(out, pos)
	}
	return out
}

// drainFast relays every stored event with cfg and checks that all went
// out in fast batches, none one by one.
func drainFast(ctx context.Context, t testing.TB, s *eventstore.Store, js *countingJetStream, cfg relay.Config, stored []eventstore.Event) {
	t.Helper()
	r, err := relay.New(s, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Drain(ctx); err != nil || n != len(stored) {
		t.Fatalf("Drain = %d, %v; want %d", n, err, len(stored))
	}
	if got := js.single.Load(); got != 0 {
		t.Errorf("%d events published one by one, want none", got)
	}
}

// positions returns the positions of evs, in order.
func positions(evs []eventstore.Event) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Position
	}
	return out
}

// TestRelayPublishesFastBatches relays 1,234 events to two streams, in
// relay batches of 500: with streams that allow fast batches nothing is
// published one by one, without (a stream declared before the flag) every
// event is; either way each stream holds its events once, in log order,
// with the documented headers.
func TestRelayPublishesFastBatches(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		batches bool
		single  int64
	}{
		{name: "fast batches", batches: true, single: 0},
		{name: "streams without AllowBatchPublish", batches: false, single: 1234},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			s := newStore(t)
			js := newBatchJetStream(t, tc.batches)
			stored := appendLog(ctx, t, s, 1234)
			r, err := relay.New(s, js, relay.Config{Subject: twoStreams, Stream: streamOf})
			if err != nil {
				t.Fatal(err)
			}
			n, err := r.Drain(ctx)
			if err != nil || n != len(stored) {
				t.Fatalf("Drain = %d, %v; want %d", n, err, len(stored))
			}
			if got := js.single.Load(); got != tc.single {
				t.Errorf("%d events published one by one, want %d", got, tc.single)
			}
			var billing, status []int64
			for _, ev := range stored {
				if ev.Version%3 == 0 {
					status = append(status, ev.Position)
				} else {
					billing = append(billing, ev.Position)
				}
			}
			if diff := gocmp.Diff(billing, streamPositions(ctx, t, js, "BILLING", stored, twoStreams)); diff != "" {
				t.Errorf("BILLING's events (-want +got):\n%s", diff)
			}
			if diff := gocmp.Diff(status, streamPositions(ctx, t, js, "STATUS", stored, twoStreams)); diff != "" {
				t.Errorf("STATUS's events (-want +got):\n%s", diff)
			}
			if c, err := s.Checkpoint(ctx, "relay"); err != nil || c != stored[len(stored)-1].Cursor {
				t.Errorf("checkpoint %v, %v; want the last event's %v", c, err, stored[len(stored)-1].Cursor)
			}
		})
	}
}

// TestRelayFastBatchAfterCrash publishes some events of the log before
// the relay runs, as a relay that crashed before saving its checkpoint
// would have: the first events of the batch, or events in its middle and
// its last (the one that commits the batch). The fast batch skips them as
// duplicates, as single publishes would, and every event is in the stream
// once, none published one by one.
func TestRelayFastBatchAfterCrash(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		before []int // indexes of the log published before the relay runs
	}{
		{name: "first events published before", before: []int{0, 1, 2}},
		{name: "middle and last events published before", before: []int{7, 8, 30, 99}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			s := newStore(t)
			js := newBatchJetStream(t, true)
			stored := appendLog(ctx, t, s, 100)
			for _, i := range tc.before {
				if _, err := js.PublishMsg(ctx, relay.Message(subject(stored[i]), stored[i])); err != nil {
					t.Fatal(err)
				}
			}
			drainFast(ctx, t, s, js, relay.Config{Subject: subject, Stream: streamOf}, stored)
			got := streamPositions(ctx, t, js, "BILLING", stored, subject)
			slices.Sort(got)
			if diff := gocmp.Diff(positions(stored), got); diff != "" {
				t.Errorf("events in the stream, by position (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRelayFastBatchEndedEarly relays a log whose 51st event is larger
// than the stream takes: the fast batch is not acknowledged in full, the
// relay publishes its events again one by one (what the batch stored is
// dropped as duplicates), fails on that event and keeps its checkpoint on
// the 50th. The events after it are in the stream, as they were before
// fast batches: the relay publishes them again after the failure, and
// JetStream drops them then.
func TestRelayFastBatchEndedEarly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := newStore(t)
	js := newBatchJetStream(t, true)
	st, err := js.Stream(ctx, "BILLING")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := info.Config
	cfg.MaxMsgSize = 4 << 10
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	var stored []eventstore.Event
	for i := range 3 {
		evs := make([]eventstore.Event, 25)
		for j := range evs {
			evs[j] = storetest.NewEvent(fmt.Sprintf("e%d-%d", i, j))
		}
		out, err := s.Append(ctx, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: fmt.Sprint("INV/", i)}, eventstore.NoStream, evs)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, out...)
		if i == 1 {
			big := storetest.NewEvent(string(make([]byte, 8<<10)))
			out, err := s.Append(ctx, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "INV/big"}, eventstore.NoStream, []eventstore.Event{big})
			if err != nil {
				t.Fatal(err)
			}
			stored = append(stored, out...)
		}
	}
	for {
		got, _, err := s.ReadAll(ctx, eventstore.Cursor{}, len(stored)+1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == len(stored) {
			stored = got
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	r, err := relay.New(s, js, relay.Config{Subject: subject, Stream: streamOf})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Drain(ctx); err == nil || n != 50 {
		t.Fatalf("Drain = %d, %v; want 50 and the large event's error", n, err)
	}
	if js.single.Load() == 0 {
		t.Error("nothing published one by one after the fast batch ended early")
	}
	if c, err := s.Checkpoint(ctx, "relay"); err != nil || c != stored[49].Cursor {
		t.Errorf("checkpoint %v, %v; want the 50th event's %v", c, err, stored[49].Cursor)
	}
	var want []int64
	for i, ev := range stored {
		if i != 50 {
			want = append(want, ev.Position)
		}
	}
	got := streamPositions(ctx, t, js, "BILLING", stored, subject)
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("events in the stream (-want +got):\n%s", diff)
	}
}

// TestRelayFastBatchAsAServiceUser relays the ledger's events, to its own
// stream and to the status feed, connected as the ledger's NATS user with
// the permissions natsembed gives it (as make demo and the fault harness
// run): every event arrives, in fast batches, and the server reports no
// permission violation. A relay that asked JetStream for the stream of a
// subject (STREAM.NAMES, not among the ledger's permissions) stalled
// here until its acknowledgements timed out.
func TestRelayFastBatchAsAServiceUser(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "nats-server.conf")
	pw, err := natsembed.WriteConfig(path, natsembed.Users{Services: natsembed.Services(), Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsembed.Start(natsembed.Options{ConfigFile: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	connect := func(user string) jetstream.JetStream {
		nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo(user, pw[user]), nats.CustomInboxPrefix(natsembed.InboxPrefix(user)),
			nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
				t.Errorf("%s: %v", user, err)
			}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	admin := connect(natsembed.AdminUser)
	for _, cfg := range []jetstream.StreamConfig{bus.ServiceStreamConfig("ledger"), bus.StatusStreamConfig()} {
		if !cfg.AllowBatchPublish {
			t.Fatalf("%s is declared without AllowBatchPublish", cfg.Name)
		}
		if _, err := admin.CreateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	js := &countingJetStream{JetStream: connect("ledger")}
	s := newStore(t)
	stored := appendLog(ctx, t, s, 300)
	ledgerSubject := func(ev eventstore.Event) string {
		if ev.Version%3 == 0 {
			return bus.StatusSubject(ev.Stream.Tenant, "o2c.status.v1."+ev.Type)
		}
		return bus.ServiceSubject(ev.Stream.Tenant, "ledger", ev.Type)
	}
	drainFast(ctx, t, s, js, relay.Config{Subject: ledgerSubject, Stream: bus.StreamOf, AckWait: time.Minute}, stored)
	total := 0
	for _, name := range []string{bus.ServiceStream("ledger"), bus.StatusStream} {
		st, err := admin.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += int(info.State.Msgs)
	}
	if total != len(stored) {
		t.Errorf("the streams hold %d messages, want %d", total, len(stored))
	}
}

// TestRelayFastBatchBesideAnAbandonedBatch leaves fast batches unfinished
// on the stream, as a relay killed in the middle of one does (started,
// never committed), under the batch ids a relay that numbered its batches
// 0, 1, … would use, and then relays: every event arrives once, in fast
// batches, none published one by one. A relay whose batch ids repeated
// joined the abandoned batch, whose server then skipped its messages
// without an answer, and it waited out AckWait on every retry (CI, make
// test: TestKillDuringImportBooksEachTransactionOnce).
func TestRelayFastBatchBesideAnAbandonedBatch(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := newStore(t)
	js := newBatchJetStream(t, true)
	stored := appendLog(ctx, t, s, 100)
	nc := js.Conn()
	for g := range 3 {
		m := relay.Message(subject(stored[g]), stored[g])
		m.Reply = fmt.Sprintf("_INBOX.killed.%d.500.fail.1.0.$FI", g)
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	drainFast(ctx, t, s, js, relay.Config{Subject: subject, Stream: streamOf, AckWait: time.Minute}, stored)
	if diff := gocmp.Diff(positions(stored), streamPositions(ctx, t, js, "BILLING", stored, subject)); diff != "" {
		t.Errorf("events in the stream (-want +got):\n%s", diff)
	}
}
