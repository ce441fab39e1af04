// Package chaos kills and restarts the parts of a running o2c system in
// tests: an in-process service, the embedded NATS server and the throwaway
// PostgreSQL cluster. Each is a Target; a test starts them, kills one in
// the middle of its work, restarts it, and checks that nothing was lost or
// done twice.
//
// Each restart brings the part back where clients expect it: a service
// runs its run function again (on the address that function listens on),
// NATS listens on the same port with the same JetStream store, and
// PostgreSQL on the same port with the same data directory. A NATS cluster
// (StartNATSCluster) is several such servers joined by routes, each node a
// Target of its own. Clients
// reconnect on their own; what they meet meanwhile is the fault under test.
package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
)

// Target is a part of the system a test can kill and restart.
type Target interface {
	// Name says what the target is ("ingestion", "NATS", "PostgreSQL").
	Name() string
	// Kill stops the target at once; killing a stopped target does
	// nothing.
	Kill() error
	// Restart starts a killed target again and returns once it is up.
	Restart(ctx context.Context) error
}

// Outage kills t, waits for down (or until ctx ends) and restarts it.
func Outage(ctx context.Context, t Target, down time.Duration) error {
	if err := t.Kill(); err != nil {
		return fmt.Errorf("kill %s: %w", t.Name(), err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(down):
	}
	if err := t.Restart(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("restart %s: %w", t.Name(), err)
	}
	return nil
}

// Service is an in-process service run by a function that blocks until
// its context ends, such as a service's Run. Kill cancels that context
// (the closest an in-process service comes to a kill: whatever it has in
// flight is abandoned) and waits for the function to return.
type Service struct {
	name  string
	run   func(ctx context.Context) error
	ready func(ctx context.Context) error

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// StartService runs run in a new goroutine under the name name and
// returns once ready returns nil (see WaitReady); ready nil means at once.
// The caller must Kill the service before the test ends.
func StartService(ctx context.Context, name string, run, ready func(ctx context.Context) error) (*Service, error) {
	s := &Service{name: name, run: run, ready: ready}
	s.start()
	if err := s.WaitReady(ctx); err != nil {
		_ = s.Kill()
		return nil, err
	}
	return s, nil
}

// WaitReady polls the service's ready function until it returns nil. It
// fails when ctx ends first or the run function returns meanwhile: a
// service that stops while starting (NATS went away during its connect,
// say) is what a supervisor would restart, and the caller decides.
func (s *Service) WaitReady(ctx context.Context) error {
	if s.ready == nil {
		return nil
	}
	for {
		err := s.ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-s.Done():
			return fmt.Errorf("%s stopped while starting: %w", s.name, s.Err())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last: %v)", s.name, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *Service) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.cancel, s.done, s.err = cancel, done, nil
	go func() {
		defer close(done)
		err := s.run(ctx)
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}()
}

// Name returns the service's name.
func (s *Service) Name() string { return s.name }

// Err returns the error the run function returned, nil while it runs.
func (s *Service) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Done is closed when the current run of the service has returned.
func (s *Service) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

// Kill cancels the service's context and waits until its run function has
// returned. It returns that function's error unless it is nil or the
// cancellation itself.
func (s *Service) Kill() error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	cancel()
	<-done
	if err := s.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

// Restart runs the service again after Kill and returns once it is ready
// (see WaitReady).
func (s *Service) Restart(ctx context.Context) error {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		s.mu.Unlock()
		return fmt.Errorf("restart %s: it is running", s.name)
	}
	s.start()
	s.mu.Unlock()
	return s.WaitReady(ctx)
}

// NATS is an embedded NATS JetStream server that keeps its port and its
// store across Kill and Restart, as a server restarted by its supervisor
// would.
type NATS struct {
	name string
	opts natsembed.Options
	mu   sync.Mutex
	srv  *natsembed.Server
}

// StartNATS starts an embedded server on a free port, storing in a
// directory of tb's, and shuts it down at tb's cleanup.
func StartNATS(tb testing.TB) *NATS { return StartNATSWith(tb, "") }

// StartNATSWith is StartNATS with the users and permissions of the
// nats-server configuration file configFile (natsembed.WriteConfig); it
// keeps them across Restart. An empty configFile is StartNATS.
func StartNATSWith(tb testing.TB, configFile string) *NATS {
	tb.Helper()
	srv, err := natsembed.Start(natsembed.Options{StoreDir: tb.TempDir(), ConfigFile: configFile})
	if err != nil {
		tb.Fatalf("start embedded NATS: %v", err)
	}
	u, err := url.Parse(srv.ClientURL())
	if err != nil {
		srv.Shutdown()
		tb.Fatalf("embedded NATS URL %s: %v", srv.ClientURL(), err)
	}
	port, _ := strconv.Atoi(u.Port())
	n := &NATS{name: "NATS", opts: natsembed.Options{StoreDir: srv.StoreDir(), Port: port, ConfigFile: configFile}, srv: srv}
	tb.Cleanup(func() { _ = n.Kill() })
	return n
}

// Name returns "NATS", or "NATS node <i>" for a node of a cluster.
func (n *NATS) Name() string { return n.name }

// URL returns the server's client URL; it stays the same across restarts.
func (n *NATS) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(n.opts.Port) }

// StoreDir returns the JetStream store directory.
func (n *NATS) StoreDir() string { return n.opts.StoreDir }

// Kill shuts the server down; its clients are disconnected and start
// reconnecting.
func (n *NATS) Kill() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv = nil
	}
	return nil
}

// Restart starts the server again on the same port with the same store.
// The port is retried for a while, since the kernel may not have released
// it yet.
func (n *NATS) Restart(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.srv != nil {
		return errors.New("restart NATS: it is running")
	}
	for {
		srv, err := natsembed.Start(n.opts)
		if err == nil {
			n.srv = srv
			return nil
		}
		if !errors.Is(err, natsembed.ErrPortInUse) {
			return fmt.Errorf("restart NATS on port %d: %w", n.opts.Port, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("restart NATS on port %d: %w (%w)", n.opts.Port, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// NATSCluster is a cluster of embedded NATS JetStream servers on loopback,
// each with its own store; each node is a Target that keeps its ports,
// name and store across Kill and Restart, as a pod of a StatefulSet would.
// A stream declared with as many replicas as there are nodes keeps
// accepting and delivering messages while one node is down (a majority
// is up), and the restarted node catches up from the others.
type NATSCluster struct {
	nodes []*NATS
}

// clusterReadyTimeout bounds the wait for the cluster's JetStream to elect
// a leader. It is a safety net for a broken environment: a healthy cluster
// elects within seconds.
const clusterReadyTimeout = time.Minute

// StartNATSCluster starts a cluster of n nodes on free ports of 127.0.0.1,
// storing in directories of tb's, waits until its JetStream has a
// leader, and shuts every node down at tb's cleanup.
func StartNATSCluster(tb testing.TB, n int) *NATSCluster {
	tb.Helper()
	ports, err := freePorts(2 * n)
	if err != nil {
		tb.Fatalf("NATS cluster: %v", err)
	}
	routes := make([]string, n)
	for i := range n {
		routes[i] = "127.0.0.1:" + strconv.Itoa(ports[n+i])
	}
	c := &NATSCluster{nodes: make([]*NATS, n)}
	for i := range n {
		others := make([]string, 0, n-1)
		for j, r := range routes {
			if j != i {
				others = append(others, r)
			}
		}
		c.nodes[i] = &NATS{name: fmt.Sprintf("NATS node %d", i+1), opts: natsembed.Options{
			StoreDir: tb.TempDir(),
			Port:     ports[i],
			Cluster:  &natsembed.Cluster{Name: "o2c", ServerName: fmt.Sprintf("n%d", i+1), Port: ports[n+i], Routes: others},
		}}
	}
	tb.Cleanup(func() {
		for _, node := range c.nodes {
			_ = node.Kill()
		}
	})
	// Started together: a node's JetStream waits for its peers.
	errs := make(chan error, n)
	for _, node := range c.nodes {
		go func() { errs <- node.Restart(tb.Context()) }()
	}
	for range n {
		if err := <-errs; err != nil {
			tb.Fatalf("start NATS cluster: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(tb.Context(), clusterReadyTimeout)
	defer cancel()
	if err := c.WaitJetStream(ctx); err != nil {
		tb.Fatalf("NATS cluster: %v", err)
	}
	return c
}

// freePorts returns n distinct ports of 127.0.0.1 that were free a moment
// ago.
func freePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Node returns node i (from 0), a Target.
func (c *NATSCluster) Node(i int) *NATS { return c.nodes[i] }

// Nodes returns the number of nodes.
func (c *NATSCluster) Nodes() int { return len(c.nodes) }

// URL returns the client URLs of every node, comma-separated, as
// nats.Connect and NATS_URL take them: a client reconnects to another node
// when its own goes away.
func (c *NATSCluster) URL() string {
	urls := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		urls[i] = n.URL()
	}
	return strings.Join(urls, ",")
}

// WaitJetStream waits until the cluster's JetStream has a leader that
// knows every running node as online (so a stream of as many replicas as
// running nodes can be placed) and answers a request, or ctx ends.
func (c *NATSCluster) WaitJetStream(ctx context.Context) error {
	for !c.allPeersOnline() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("JetStream of the cluster has no leader that knows every node: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	nc, err := nats.Connect(c.URL(), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", c.URL(), err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := js.AccountInfo(actx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("JetStream of the cluster not ready: %w (last: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// allPeersOnline reports whether a running node leads the cluster's
// JetStream and sees every running node online.
func (c *NATSCluster) allPeersOnline() bool {
	running := 0
	var peers []string
	for _, n := range c.nodes {
		n.mu.Lock()
		if n.srv != nil {
			running++
			if p := n.srv.JetStreamPeers(); p != nil {
				peers = p
			}
		}
		n.mu.Unlock()
	}
	return running > 0 && len(peers) == running
}

// Postgres is a throwaway PostgreSQL cluster of its own, with full
// durability, so that a kill loses no committed transaction, as a real
// server's crash would not.
type Postgres struct {
	Cluster *pgtest.Cluster
}

// StartPostgres starts a durable throwaway cluster and stops it at tb's
// cleanup. Without PostgreSQL binaries it skips the test, or fails it when
// CI is set.
func StartPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	c, err := pgtest.Start(tb.Context(), pgtest.Options{Durable: true})
	if errors.Is(err, pgtest.ErrNoPostgres) && os.Getenv("CI") == "" {
		tb.Skipf("skipping: %v", err)
	}
	if err != nil {
		tb.Fatalf("start PostgreSQL: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return &Postgres{Cluster: c}
}

// Name returns "PostgreSQL".
func (p *Postgres) Name() string { return "PostgreSQL" }

// Kill stops the server immediately (pgtest.Cluster.StopServer).
func (p *Postgres) Kill() error { return p.Cluster.StopServer() }

// Restart starts the server again on the same port and data, and returns
// once it accepts connections (after crash recovery).
func (p *Postgres) Restart(ctx context.Context) error { return p.Cluster.StartServer(ctx) }

// Serving returns a ready function for StartService that asks the gRPC
// health service at addr (without TLS, as a service with development
// authentication serves) whether it is SERVING.
func Serving(addr string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return err
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		if r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("%s is %s", addr, r.GetStatus())
		}
		return nil
	}
}
