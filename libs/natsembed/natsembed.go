// Package natsembed runs an in-process NATS server with JetStream enabled,
// for tests and for the all-in-one runner. The server listens on 127.0.0.1
// only and logs nothing.
package natsembed

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long Start waits for the server to accept clients.
// It is a safety net for a broken environment, not a performance goal: a
// healthy server is ready in milliseconds.
const readyTimeout = 30 * time.Second

// Options configures Start.
type Options struct {
	// StoreDir is the JetStream store directory. Empty means a fresh
	// temporary directory that Shutdown removes.
	StoreDir string
	// Port is the client port on 127.0.0.1. Zero means a free port chosen by
	// the kernel.
	Port int
}

// Server is a running in-process NATS server with JetStream enabled.
type Server struct {
	ns       *server.Server
	storeDir string
	tempDir  string // removed by Shutdown; empty when the caller chose StoreDir
}

// Start runs an in-process nats-server with JetStream enabled, listening on
// 127.0.0.1 and a free port (or opts.Port), storing in opts.StoreDir (a fresh
// temp dir when it is empty). It returns once the server accepts clients.
func Start(opts Options) (*Server, error) {
	s := &Server{}
	dir := opts.StoreDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "o2c-natsembed-")
		if err != nil {
			return nil, fmt.Errorf("natsembed: create store dir: %w", err)
		}
		dir, s.tempDir = tmp, tmp
	}
	s.storeDir = dir
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	ns, err := server.NewServer(&server.Options{
		Host:                   "127.0.0.1",
		Port:                   port,
		JetStream:              true,
		StoreDir:               dir,
		NoLog:                  true,
		NoSigs:                 true,
		DisableJetStreamBanner: true,
	})
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

// ClientURL returns the nats:// URL clients connect to.
func (s *Server) ClientURL() string {
	return s.ns.ClientURL()
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
