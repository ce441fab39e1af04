package chaos_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/chaos"
)

// TestServiceKillAndRestart: StartService and Restart return once the
// service is ready; Kill ends the run function's context and waits for
// it; a failure other than the cancellation is reported by Kill.
func TestServiceKillAndRestart(t *testing.T) {
	t.Parallel()
	var starts, running atomic.Int32
	fail := errors.New("lost its database")
	ready := func(context.Context) error {
		if running.Load() == 0 {
			return errors.New("starting")
		}
		return nil
	}
	s, err := chaos.StartService(t.Context(), "svc", func(ctx context.Context) error {
		n := starts.Add(1)
		time.Sleep(20 * time.Millisecond)
		running.Store(n)
		defer running.Store(0)
		<-ctx.Done()
		if n == 2 {
			return fail
		}
		return ctx.Err()
	}, ready)
	if err != nil {
		t.Fatal(err)
	}
	if running.Load() != 1 {
		t.Error("StartService returned before the service was ready")
	}
	if err := s.Restart(t.Context()); err == nil {
		t.Error("Restart of a running service succeeded")
	}
	if err := chaos.Outage(t.Context(), s, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if running.Load() != 2 {
		t.Error("Restart returned before the service was ready")
	}
	if err := s.Kill(); !errors.Is(err, fail) {
		t.Errorf("Kill after the second run: %v, want %v", err, fail)
	}
	if n := starts.Load(); n != 2 {
		t.Errorf("run %d times, want 2", n)
	}
}

// TestNATSKeepsItsStore: a restarted server listens on the same URL and
// still has what was stored before the kill; a client reconnects.
func TestNATSKeepsItsStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	n := chaos.StartNATS(t)
	nc, err := nats.Connect(n.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "s.one", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	if err := chaos.Outage(ctx, n, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var m *jetstream.RawStreamMsg
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := js.Stream(ctx, "S")
		if err == nil {
			if m, err = st.GetMsg(ctx, 1); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if string(m.Data) != "kept" {
		t.Errorf("message 1 after the restart = %q, want kept", m.Data)
	}
}

// TestPostgresKeepsCommittedData: a row committed before the kill is there
// after the restart, at the same URL.
func TestPostgresKeepsCommittedData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	p := chaos.StartPostgres(t)
	exec := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, p.Cluster.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the kill')")
	if err := chaos.Outage(ctx, p, 0); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, p.Cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "before the kill" {
		t.Errorf("after the restart: %q, %v", v, err)
	}
}

// TestNATSClusterKeepsAStreamThroughANode: a stream of three replicas on a
// three-node cluster takes publishes while one node is down; the node
// restarted catches up, and every message is there once.
func TestNATSClusterKeepsAStreamThroughANode(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cl := chaos.StartNATSCluster(t, 3)
	nc, err := nats.Connect(cl.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Storage: jetstream.FileStorage, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	publish := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			for {
				_, err := js.Publish(ctx, "s.one", []byte{byte(i)}, jetstream.WithMsgID(strconv.Itoa(i)))
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("publish %d: %v", i, err)
				}
				time.Sleep(20 * time.Millisecond) // a new leader is being elected
			}
		}
	}
	publish(0, 10)
	leader := st.CachedInfo().Cluster.Leader
	var down *chaos.NATS
	for i := range cl.Nodes() {
		if "n"+strconv.Itoa(i+1) == leader {
			down = cl.Node(i)
		}
	}
	if down == nil {
		t.Fatalf("leader %q is none of the nodes", leader)
	}
	if err := down.Kill(); err != nil {
		t.Fatal(err)
	}
	publish(10, 20)
	if err := down.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	publish(20, 30)
	info, err := st.Info(ctx)
	for err == nil && info.State.Msgs != 30 && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		info, err = st.Info(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 30 || info.Config.Replicas != 3 {
		t.Errorf("stream holds %d messages in %d replicas, want 30 in 3", info.State.Msgs, info.Config.Replicas)
	}
}
