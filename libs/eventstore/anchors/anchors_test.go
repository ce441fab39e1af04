package anchors_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/anchors"
	"github.com/o2c-platform/o2c/libs/natsembed"
)

// anchor returns a signed anchor of service with sequence number seq.
func anchor(t testing.TB, service string, seq int64) *eventstore.Anchor {
	t.Helper()
	chain := sha256.Sum256([]byte(fmt.Sprint(service, seq)))
	a := &eventstore.Anchor{
		Service:   service,
		Seq:       seq,
		Prev:      make([]byte, sha256.Size),
		CreatedAt: time.Date(2024, 6, 1, 12, 0, int(seq), 123456000, time.UTC),
		Cursor:    eventstore.Cursor{TxID: 1000 + uint64(seq), Position: seq * 10},
		Events:    seq * 10,
		Streams:   seq,
		Root:      bytes.Repeat([]byte{byte(seq)}, sha256.Size),
		Heads: []eventstore.StreamHead{
			{Stream: eventstore.StreamID{Tenant: "acme", Type: "periods", ID: "periods"}, Version: seq, ChainHash: chain[:]},
			{Stream: eventstore.StreamID{Tenant: "acme", Type: "debtor", ID: "K/1 \"ü\""}, Version: 2 * seq, ChainHash: chain[:]},
		},
	}
	a.Sign(eventstore.DevOnlyAnchorKey())
	return a
}

func readAll(t testing.TB, src eventstore.AnchorSource, service string) []*eventstore.Anchor {
	t.Helper()
	var out []*eventstore.Anchor
	if err := src.ReadAnchors(context.Background(), service, func(a *eventstore.Anchor) error {
		out = append(out, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// testSink is the contract every anchor sink passes. newSink returns two
// handles on one fresh store, as two processes would have.
func testSink(t *testing.T, newSink func(t *testing.T) (eventstore.AnchorSink, eventstore.AnchorSink)) {
	t.Run("append and read back in order, per service", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newSink(t)
		if got := readAll(t, s, "ledger"); len(got) != 0 {
			t.Fatalf("empty sink returned %d anchors", len(got))
		}
		want := []*eventstore.Anchor{anchor(t, "ledger", 1), anchor(t, "ledger", 2), anchor(t, "ledger", 3)}
		other := anchor(t, "ingestion", 1)
		for i, a := range want {
			if err := s.AppendAnchor(ctx, a); err != nil {
				t.Fatalf("append #%d: %v", a.Seq, err)
			}
			if i == 0 {
				if err := s.AppendAnchor(ctx, other); err != nil {
					t.Fatalf("append ingestion #1: %v", err)
				}
			}
		}
		got := readAll(t, s, "ledger")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("read back (-appended +read):\n%s", diff)
		}
		for _, a := range got {
			if err := a.CheckSignature(eventstore.DevOnlyAnchorKey().Public().(ed25519.PublicKey)); err != nil {
				t.Errorf("read back anchor: %v", err)
			}
		}
		if diff := cmp.Diff([]*eventstore.Anchor{other}, readAll(t, s, "ingestion")); diff != "" {
			t.Errorf("other service (-appended +read):\n%s", diff)
		}
	})
	t.Run("out of sequence appends conflict and store nothing", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newSink(t)
		for _, seq := range []int64{2, 0} {
			if err := s.AppendAnchor(ctx, anchor(t, "ledger", seq)); !errors.Is(err, eventstore.ErrAnchorConflict) {
				t.Errorf("append #%d to an empty sink: %v, want ErrAnchorConflict", seq, err)
			}
		}
		for seq := int64(1); seq <= 2; seq++ {
			if err := s.AppendAnchor(ctx, anchor(t, "ledger", seq)); err != nil {
				t.Fatal(err)
			}
		}
		for _, seq := range []int64{1, 2, 4} {
			if err := s.AppendAnchor(ctx, anchor(t, "ledger", seq)); !errors.Is(err, eventstore.ErrAnchorConflict) {
				t.Errorf("append #%d after #2: %v, want ErrAnchorConflict", seq, err)
			}
		}
		if got := readAll(t, s, "ledger"); len(got) != 2 {
			t.Errorf("sink holds %d anchors, want 2", len(got))
		}
	})
	t.Run("of concurrent appends of one sequence number one wins", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		a, b := newSink(t)
		if err := a.AppendAnchor(ctx, anchor(t, "ledger", 1)); err != nil {
			t.Fatal(err)
		}
		const writers = 6
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			sink := a
			if i%2 == 1 {
				sink = b
			}
			wg.Go(func() {
				an := anchor(t, "ledger", 2)
				an.Events += int64(i) // distinct content
				an.Sign(eventstore.DevOnlyAnchorKey())
				errs[i] = sink.AppendAnchor(ctx, an)
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, eventstore.ErrAnchorConflict):
				t.Errorf("writer %d: %v, want nil or ErrAnchorConflict", i, err)
			}
		}
		if got := readAll(t, b, "ledger"); won != 1 || len(got) != 2 {
			t.Errorf("%d writers won, sink holds %d anchors; want 1 and 2", won, len(got))
		}
	})
	t.Run("an error of fn stops the read", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newSink(t)
		for seq := int64(1); seq <= 3; seq++ {
			if err := s.AppendAnchor(ctx, anchor(t, "ledger", seq)); err != nil {
				t.Fatal(err)
			}
		}
		stop := errors.New("stop")
		calls := 0
		err := s.ReadAnchors(ctx, "ledger", func(*eventstore.Anchor) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("ReadAnchors = %v after %d calls, want fn's error after 1", err, calls)
		}
	})
}

func TestMemory(t *testing.T) {
	t.Parallel()
	testSink(t, func(*testing.T) (eventstore.AnchorSink, eventstore.AnchorSink) {
		m := anchors.NewMemory()
		return m, m
	})
}

func TestFile(t *testing.T) {
	t.Parallel()
	testSink(t, func(t *testing.T) (eventstore.AnchorSink, eventstore.AnchorSink) {
		path := filepath.Join(t.TempDir(), "anchors.jsonl")
		return anchors.NewFile(path), anchors.NewFile(path)
	})
}

func TestJetStream(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a NATS server")
	}
	testSink(t, func(t *testing.T) (eventstore.AnchorSink, eventstore.AnchorSink) {
		// StreamName is fixed, so each subtest gets a server of its own.
		s := natsembed.Test(t)
		return newJetStreamSink(t, s.ClientURL()), newJetStreamSink(t, s.ClientURL())
	})
}

func newJetStreamSink(t testing.TB, url string) *anchors.JetStream {
	t.Helper()
	js := connect(t, url)
	if _, err := js.CreateOrUpdateStream(context.Background(), anchors.StreamConfig()); err != nil {
		t.Fatal(err)
	}
	return anchors.NewJetStream(js)
}

func connect(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
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

// TestJetStreamStream checks the stream declaration: it coexists with the
// service streams (no overlapping subjects) and refuses to delete or purge
// anchors.
func TestJetStreamStream(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a NATS server")
	}
	ctx := context.Background()
	srv := natsembed.Test(t)
	js := connect(t, srv.ClientURL())
	for _, cfg := range []jetstream.StreamConfig{bus.ServiceStreamConfig("ledger"), bus.ServiceStreamConfig("anchors"), anchors.StreamConfig()} {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			t.Fatalf("create stream %s: %v", cfg.Name, err)
		}
	}
	sink := anchors.NewJetStream(js)
	if err := sink.AppendAnchor(ctx, anchor(t, "ledger", 1)); err != nil {
		t.Fatal(err)
	}
	str, err := js.Stream(ctx, anchors.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if err := str.DeleteMsg(ctx, 1); err == nil {
		t.Error("deleting an anchor succeeded, want it denied")
	}
	if err := str.Purge(ctx); err == nil {
		t.Error("purging the anchors succeeded, want it denied")
	}
	if got := readAll(t, sink, "ledger"); len(got) != 1 {
		t.Errorf("%d anchors left, want 1", len(got))
	}
}

// TestFileTornLastLine appends after a crash cut the last line short: the
// reader ignores the torn line, the next append replaces it.
func TestFileTornLastLine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "anchors.jsonl")
	f := anchors.NewFile(path)
	first := anchor(t, "ledger", 1)
	if err := f.AppendAnchor(ctx, first); err != nil {
		t.Fatal(err)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.WriteString(`{"service":"ledger","seq":2,"pre`); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	if got := readAll(t, anchors.NewFile(path), "ledger"); len(got) != 1 {
		t.Fatalf("read %d anchors with a torn last line, want 1", len(got))
	}
	second := anchor(t, "ledger", 2)
	if err := anchors.NewFile(path).AppendAnchor(ctx, second); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*eventstore.Anchor{first, second}, readAll(t, f, "ledger")); diff != "" {
		t.Errorf("after the append (-want +got):\n%s", diff)
	}
}

// TestFileMalformedLine: a line that is not an anchor is reported with its
// line number.
func TestFileMalformedLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "anchors.jsonl")
	if err := os.WriteFile(path, []byte("{\"service\":\"ledger\",\"seq\":1,\"root\":\"zz\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := anchors.NewFile(path).ReadAnchors(context.Background(), "ledger", func(*eventstore.Anchor) error { return nil })
	if !errors.Is(err, eventstore.ErrMalformedAnchor) {
		t.Errorf("ReadAnchors = %v, want ErrMalformedAnchor", err)
	}
}
