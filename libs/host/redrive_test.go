package host_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/chaos"
	"github.com/o2c-platform/o2c/libs/pgtest"
)

// logRedrive is the beginning of the relay's re-drive log line.
const logRedrive = "JetStream lost this service's stream"

// TestRelayRedrivesAfterStreamLoss: a relay that finds its stream new and
// empty while its checkpoint is past the start publishes every stored
// event again, each once under its event id; a relay that finds its stream
// as it left it does not.
func TestRelayRedrivesAfterStreamLoss(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDB(t, template)
	ns := chaos.StartNATS(t)
	ctx := t.Context()
	run := func() (*fixture, func()) {
		f := newHost(t, dbURL, ns.URL(), time.Second)
		if err := f.h.Relay(); err != nil {
			t.Fatal(err)
		}
		f.serve(t)
		return f, func() {
			if err := f.stop(); err != nil {
				t.Fatal(err)
			}
		}
	}
	msgIDs := func(want int) map[string]int {
		t.Helper()
		nc, err := nats.Connect(ns.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		var st jetstream.Stream
		var info *jetstream.StreamInfo
		eventually(t, "the stream to hold the events", func() bool {
			st, err = js.Stream(ctx, bus.ServiceStream(service))
			if err != nil {
				return false
			}
			info, err = st.Info(ctx)
			return err == nil && info.State.Msgs >= uint64(want)
		})
		ids := map[string]int{}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
			m, err := st.GetMsg(ctx, seq)
			if err != nil {
				t.Fatal(err)
			}
			ids[m.Header.Get(jetstream.MsgIDHeader)]++
		}
		return ids
	}

	f, stop := run()
	evs := appendNotes(t, f.h, "n-1", "one", "two", "three")
	want := map[string]int{}
	for _, ev := range evs {
		want[ev.EventID.String()] = 1
	}
	if diff := cmp.Diff(want, msgIDs(len(evs))); diff != "" {
		t.Fatalf("published (-want +got):\n%s", diff)
	}
	stop()

	// A restart with the stream intact publishes nothing again.
	f, stop = run()
	for _, ev := range appendNotes(t, f.h, "n-2", "four") {
		want[ev.EventID.String()] = 1
	}
	if diff := cmp.Diff(want, msgIDs(len(want))); diff != "" {
		t.Errorf("after a restart (-want +got):\n%s", diff)
	}
	stop()
	if n := len(f.log.find(logRedrive)); n != 0 {
		t.Errorf("%d re-drives after a restart with the stream intact, want none", n)
	}

	// The NATS store is lost: the stream comes back empty.
	if err := ns.Kill(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(ns.StoreDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(ns.StoreDir(), e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := ns.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	f, stop = run()
	defer stop()
	if diff := cmp.Diff(want, msgIDs(len(want))); diff != "" {
		t.Errorf("after the re-drive (-want +got):\n%s", diff)
	}
	got := f.log.find(logRedrive)
	if len(got) != 1 || got[0]["stream"] != bus.ServiceStream(service) || got[0]["checkpoint_position"] == "0" {
		t.Errorf("re-drive log lines %v, want one naming %s and the checkpoint", got, bus.ServiceStream(service))
	}
}
