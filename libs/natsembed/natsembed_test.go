package natsembed_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/natsembed"
)

func TestJetStreamPublishConsume(t *testing.T) {
	t.Parallel()
	s := natsembed.Test(t)

	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)

	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	want := []string{"first", "second", "third"}
	for _, m := range want {
		if _, err := js.Publish(ctx, "orders.created", []byte(m)); err != nil {
			t.Fatalf("publish %q: %v", m, err)
		}
	}
	cons, err := stream.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "reader", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("create consumer: %v", err)
	}
	batch, err := cons.Fetch(len(want), jetstream.FetchMaxWait(30*time.Second))
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	var got []string
	for msg := range batch.Messages() {
		got = append(got, string(msg.Data()))
		if err := msg.Ack(); err != nil {
			t.Fatalf("ack: %v", err)
		}
	}
	if err := batch.Error(); err != nil {
		t.Fatalf("fetch batch: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("consumed messages (-want +got):\n%s", diff)
	}
}

func TestShutdownRemovesTempStoreOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		ownDir    bool
		wantExist bool
	}{
		{name: "temp store removed", ownDir: false, wantExist: false},
		{name: "caller store kept", ownDir: true, wantExist: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts natsembed.Options
			if tt.ownDir {
				opts.StoreDir = t.TempDir()
			}
			s, err := natsembed.Start(opts)
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			nc, err := nats.Connect(s.ClientURL())
			if err != nil {
				s.Shutdown()
				t.Fatalf("connect: %v", err)
			}
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatalf("jetstream: %v", err)
			}
			// A file-backed stream makes the server write into its store dir.
			if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "S", Subjects: []string{"s"}}); err != nil {
				t.Fatalf("create stream: %v", err)
			}
			nc.Close()
			dir := s.StoreDir()
			s.Shutdown()
			s.Shutdown() // a second call must be harmless
			_, err = os.Stat(dir)
			if got := err == nil; got != tt.wantExist {
				t.Errorf("store dir %s exists after Shutdown = %v, want %v (stat: %v)", dir, got, tt.wantExist, err)
			}
		})
	}
}

func TestPortOption(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := natsembed.Start(natsembed.Options{Port: port})
	if err != nil {
		t.Fatalf("start on port %d: %v", port, err)
	}
	t.Cleanup(s.Shutdown)
	if got, want := s.ClientURL(), fmt.Sprintf("nats://127.0.0.1:%d", port); got != want {
		t.Errorf("ClientURL() = %q, want %q", got, want)
	}
}

// TestClusterNodeNeedsItsNames: a cluster node without a cluster name, a
// server name or a route port is refused before anything starts.
func TestClusterNodeNeedsItsNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		c    natsembed.Cluster
	}{
		{"no cluster name", natsembed.Cluster{ServerName: "n1", Port: 1}},
		{"no server name", natsembed.Cluster{Name: "o2c", Port: 1}},
		{"no route port", natsembed.Cluster{Name: "o2c", ServerName: "n1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir(), Cluster: &tt.c})
			if err == nil {
				s.Shutdown()
				t.Fatal("Start succeeded")
			}
			if want := "natsembed: a cluster node needs a cluster name, a server name and a route port"; err.Error() != want {
				t.Errorf("Start: %v, want %q", err, want)
			}
		})
	}
}
