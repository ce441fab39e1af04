// Package natsembed runs an in-process NATS server with JetStream enabled,
// for tests and for the all-in-one runner. The server listens on 127.0.0.1
// only and logs nothing.
//
// A server started with Options.ConfigFile takes its accounts, users,
// permissions and JetStream limits from that nats-server configuration file
// (deploy/nats/nats-server.conf, or one WriteConfig wrote): tests and the
// demo then run against the permissions a deployment has.
//
// A server with Options.Cluster is one node of a cluster on loopback: it
// listens for routes on its cluster port, connects to the routes it is
// given, and runs JetStream clustered, so that a stream of several replicas
// survives the loss of a node (package chaos starts three and kills one).
//
// A server without a StoreDir of its own stores in a fresh directory
// $TMPDIR/o2c-natsembed-* with an owner file (procdir) naming this process;
// Shutdown removes it. Every Start removes such directories whose process
// died without Shutdown (killed, or crashed).
package natsembed

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/procdir"
)

// readyTimeout bounds how long Start waits for the server to accept clients.
// It is a safety net for a broken environment, not a performance goal: a
// healthy server is ready in milliseconds.
const readyTimeout = 30 * time.Second

// tempPrefix starts the name of every store directory Start creates.
const tempPrefix = "o2c-natsembed-"

// unownedGrace is how long a store directory without a readable owner file
// is assumed to be in creation by another process (Start writes the owner
// file right after creating the directory).
const unownedGrace = 10 * time.Minute

// ErrPortInUse means the port asked for in Options.Port is taken by another
// process. The error Start returns wraps it and syscall.EADDRINUSE.
var ErrPortInUse = errors.New("port in use")

// Options configures Start.
type Options struct {
	// StoreDir is the JetStream store directory. Empty means a fresh
	// temporary directory that Shutdown removes.
	StoreDir string
	// Port is the client port on 127.0.0.1. Zero means a free port chosen by
	// the kernel. When the port is taken, Start fails with ErrPortInUse
	// rather than choosing another.
	Port int
	// Log receives a line for every abandoned store directory Start removes
	// and for one it cannot remove; nil means silent.
	Log io.Writer
	// ConfigFile, when set, is a nats-server configuration file whose
	// accounts, users, permissions and JetStream limits the server takes.
	// Its variables ($NAME) are read from the file, then the environment.
	// What concerns the machine is Start's own: the server listens on
	// 127.0.0.1 and Port only (no monitoring, cluster, gateway, leaf node,
	// websocket or MQTT listener), stores in StoreDir and logs nothing.
	ConfigFile string
	// Cluster, when set, makes the server a node of a cluster; nil means a
	// single server.
	Cluster *Cluster
}

// Cluster places a server in a NATS cluster on 127.0.0.1.
type Cluster struct {
	// Name is the cluster's name, the same on every node.
	Name string
	// ServerName is this node's name, unique in the cluster and the same
	// across its restarts (JetStream knows its peers by name).
	ServerName string
	// Port is this node's route port on 127.0.0.1. It must be given: the
	// other nodes' Routes name it. A taken port fails with ErrPortInUse.
	Port int
	// Routes are the other nodes' route addresses, host:port.
	Routes []string
}

// Server is a running in-process NATS server with JetStream enabled.
type Server struct {
	ns       *server.Server
	storeDir string
	tempDir  string // removed by Shutdown; empty when the caller chose StoreDir
}

// Start runs an in-process nats-server with JetStream enabled, listening on
// 127.0.0.1 and a free port (or opts.Port), storing in opts.StoreDir (a fresh
// temp dir when it is empty). It first removes the temp store directories
// of processes that died without Shutdown. It returns once the server
// accepts clients.
func Start(opts Options) (*Server, error) {
	return start(opts, os.TempDir())
}

func start(opts Options, tempRoot string) (*Server, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	reapAbandoned(tempRoot, log)
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	} else if err := portFree(port); err != nil {
		return nil, err
	}
	s := &Server{}
	dir := opts.StoreDir
	if dir == "" {
		tmp, err := os.MkdirTemp(tempRoot, tempPrefix)
		if err != nil {
			return nil, fmt.Errorf("natsembed: create store dir: %w", err)
		}
		dir, s.tempDir = tmp, tmp
		if err := procdir.WriteOwner(tmp, procdir.Self()); err != nil {
			s.removeTemp()
			return nil, fmt.Errorf("natsembed: store dir %s: %w", tmp, err)
		}
	}
	s.storeDir = dir
	so, err := serverOptions(opts.ConfigFile)
	if err != nil {
		s.removeTemp()
		return nil, err
	}
	so.Host, so.Port = "127.0.0.1", port
	if c := opts.Cluster; c != nil {
		if c.Port == 0 || c.Name == "" || c.ServerName == "" {
			s.removeTemp()
			return nil, errors.New("natsembed: a cluster node needs a cluster name, a server name and a route port")
		}
		if err := portFree(c.Port); err != nil {
			s.removeTemp()
			return nil, err
		}
		so.ServerName = c.ServerName
		so.Cluster.Name, so.Cluster.Host, so.Cluster.Port = c.Name, "127.0.0.1", c.Port
		routes := make([]string, len(c.Routes))
		for i, r := range c.Routes {
			routes[i] = "nats-route://" + r
		}
		so.Routes = server.RoutesFromStr(strings.Join(routes, ","))
	}
	so.JetStream, so.StoreDir = true, dir
	so.NoLog, so.NoSigs, so.DisableJetStreamBanner = true, true, true
	ns, err := server.NewServer(so)
	if err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("natsembed: configure server: %w", err)
	}
	s.ns = ns
	go ns.Start()
	if !ns.ReadyForConnections(readyTimeout) {
		s.Shutdown()
		return nil, fmt.Errorf("natsembed: server on port %d with store %s not ready for connections after %s", opts.Port, dir, readyTimeout)
	}
	if !ns.JetStreamEnabled() {
		s.Shutdown()
		return nil, errors.New("natsembed: server started but JetStream is not enabled (store dir " + dir + ")")
	}
	return s, nil
}

// serverOptions returns the options of the configuration file path, with
// every listener but the client port turned off, or empty options when path
// is empty.
func serverOptions(path string) (*server.Options, error) {
	if path == "" {
		return &server.Options{}, nil
	}
	o, err := server.ProcessConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("natsembed: configuration %s: %w", path, err)
	}
	o.HTTPHost, o.HTTPPort, o.HTTPSPort, o.ProfPort = "", 0, 0, 0
	o.Cluster, o.Routes, o.Gateway, o.LeafNode = server.ClusterOpts{}, nil, server.GatewayOpts{}, server.LeafNodeOpts{}
	o.Websocket, o.MQTT = server.WebsocketOpts{}, server.MQTTOpts{}
	o.LogFile, o.Syslog, o.RemoteSyslog, o.PidFile, o.PortsFileDir = "", false, "", "", ""
	return o, nil
}

// portFree checks that port on 127.0.0.1 can be listened on, so that a
// taken port fails at once: nats-server itself would only report it by
// never becoming ready. Another process can still take the port between
// this check and the server's listen; Start then fails after readyTimeout.
func portFree(port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("natsembed: %s: %w (%w)", addr, ErrPortInUse, err)
		}
		return fmt.Errorf("natsembed: listen on %s: %w", addr, err)
	}
	if err := l.Close(); err != nil {
		return fmt.Errorf("natsembed: probe %s: %w", addr, err)
	}
	return nil
}

// reapAbandoned removes every store directory under root that Start
// created for a process that has since died. Directories of other users are
// left alone. Problems are written to log and do not stop the scan:
// reaping is housekeeping, not a reason to fail a start.
func reapAbandoned(root string, log io.Writer) {
	entries, err := os.ReadDir(root)
	if err != nil {
		fmt.Fprintf(log, "natsembed: scan %s for abandoned store dirs: %v\n", root, err)
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if fi, err := e.Info(); err != nil || !ownedByMe(fi) {
			continue
		}
		o, abandoned := procdir.Abandoned(dir, unownedGrace)
		if !abandoned {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(log, "natsembed: remove abandoned store dir %s: %v\n", dir, err)
			continue
		}
		fmt.Fprintf(log, "natsembed: removed abandoned store dir %s (owner %s gone)\n", dir, o)
	}
}

// ownedByMe reports whether fi belongs to this process's user.
func ownedByMe(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Geteuid()
}

// ClientURL returns the nats:// URL clients connect to.
func (s *Server) ClientURL() string {
	return s.ns.ClientURL()
}

// JetStreamPeers returns the names of the cluster's nodes whose JetStream
// is online, as this server knows them while it leads the cluster's
// JetStream; nil when it does not lead (or is not clustered). A stream of
// R replicas can be placed once R nodes are listed.
func (s *Server) JetStreamPeers() []string {
	return s.ns.JetStreamClusterPeers()
}

// StoreDir returns the JetStream store directory: Options.StoreDir, or the
// temporary directory Start created (which Shutdown removes).
func (s *Server) StoreDir() string {
	return s.storeDir
}

// Shutdown stops the server, waits until it has shut down and removes the
// temporary store directory Start created, if any. It is safe to call more
// than once.
func (s *Server) Shutdown() {
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
	s.removeTemp()
}

func (s *Server) removeTemp() {
	if s.tempDir != "" {
		// Best effort: a leftover temp dir is harmless and Shutdown has no
		// error to report it through.
		_ = os.RemoveAll(s.tempDir)
		s.tempDir = ""
	}
}

// Test starts a server for t and shuts it down at t's cleanup. It fails the
// test when the server cannot start.
func Test(t testing.TB) *Server {
	t.Helper()
	s, err := Start(Options{})
	if err != nil {
		t.Fatalf("start embedded NATS: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// TestJetStream is Test with a client connected to the server, closed at
// t's cleanup, and the client's JetStream context (js.Conn() is the
// connection).
func TestJetStream(t testing.TB) (*Server, jetstream.JetStream) {
	t.Helper()
	s := Test(t)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("connect to embedded NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("JetStream of embedded NATS: %v", err)
	}
	return s, js
}
