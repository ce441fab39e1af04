package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// setupTimeout bounds starting the shared cluster and building a template;
// cleanupTimeout bounds dropping a test's database. They guard against a
// hung server, they are not performance goals.
const (
	setupTimeout   = 5 * time.Minute
	cleanupTimeout = time.Minute
)

// Template describes a migrated template database. Name must change whenever
// the migration changes (e.g. include a hash of the embedded migration
// files): a template that exists under Name is reused as it is.
type Template struct {
	Name string
	// Migrate brings the empty database at url (superuser) to the schema.
	// It must close its connections before returning. Nil means no schema.
	Migrate func(ctx context.Context, url string) error
}

// shared is the cluster NewDB uses: one per test process, found or started
// on first use and stopped by Main. It is a package-level variable because
// NewDB receives only a testing.TB and a Template, and the whole point is
// to share one server (and one built template) among all tests of the
// process instead of paying initdb per test.
var shared sharedCluster

type sharedCluster struct {
	mu        sync.Mutex
	done      bool // c and err are set
	c         *Cluster
	err       error
	templates map[string]*templateBuild
}

// templateBuild lets concurrent NewDB calls in one process wait for one
// build of a template; other processes are kept out by an advisory lock.
type templateBuild struct {
	once sync.Once
	err  error
}

// cluster returns the shared cluster: the server named by TEST_DATABASE_URL,
// then DATABASE_URL, else a throwaway cluster started now. A failure is
// remembered, so a missing PostgreSQL costs one attempt per process.
func (s *sharedCluster) cluster(getenv func(string) string) (*Cluster, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return s.c, s.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	s.c, s.err = findCluster(ctx, getenv)
	s.done = true
	s.templates = make(map[string]*templateBuild)
	return s.c, s.err
}

func findCluster(ctx context.Context, getenv func(string) string) (*Cluster, error) {
	for _, name := range []string{"TEST_DATABASE_URL", "DATABASE_URL"} {
		if u := getenv(name); u != "" {
			c, err := Open(ctx, u)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			return c, nil
		}
	}
	return Start(ctx, Options{})
}

func (s *sharedCluster) build(name string) *templateBuild {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.templates[name]
	if !ok {
		b = &templateBuild{}
		s.templates[name] = b
	}
	return b
}

// stop stops the shared cluster if this process started it.
func (s *sharedCluster) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return nil
	}
	return s.c.Stop()
}

// unavailable decides what NewDB does when it has no cluster: skip the test
// when PostgreSQL is simply not installed, unless the environment variable CI
// is set; fail it on every other error.
func unavailable(err error, getenv func(string) string) (skip bool, msg string) {
	if !errors.Is(err, ErrNoPostgres) {
		return false, fmt.Sprintf("PostgreSQL for tests: %v", err)
	}
	if getenv("CI") != "" {
		return false, fmt.Sprintf("PostgreSQL is required under CI: %v", err)
	}
	return true, fmt.Sprintf("skipping: %v (install PostgreSQL or set TEST_DATABASE_URL)", err)
}

// NewDB returns the URL (superuser) of a fresh database created from tmpl's
// template, dropped at test cleanup. The template is built once per cluster:
// under a pg_advisory_lock, so concurrent test processes sharing one cluster
// build it exactly once, and a template found complete is reused.
//
// The cluster is the one named by TEST_DATABASE_URL, then DATABASE_URL;
// otherwise one throwaway cluster per test process, started on first use and
// stopped by Main (without Main it is left to the next Start's clean-up).
// Without PostgreSQL the test is skipped, or failed when CI is set.
func NewDB(t testing.TB, tmpl Template) string {
	t.Helper()
	c, err := shared.cluster(os.Getenv)
	if err != nil {
		if skip, msg := unavailable(err, os.Getenv); skip {
			t.Skip(msg)
		} else {
			t.Fatal(msg)
		}
	}
	return newDB(t, c, shared.build(tmpl.Name), tmpl)
}

func newDB(t testing.TB, c *Cluster, b *templateBuild, tmpl Template) string {
	t.Helper()
	if tmpl.Name == "" {
		t.Fatal("pgtest: NewDB: Template.Name is empty")
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	b.once.Do(func() { b.err = ensureTemplate(ctx, c, tmpl) })
	if b.err != nil {
		t.Fatalf("pgtest: template %s: %v", tmpl.Name, b.err)
	}
	name, err := databaseName(t.Name())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := c.CreateDatabase(ctx, name, tmpl.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := c.DropDatabase(ctx, name); err != nil {
			t.Error(err)
		}
	})
	return c.DatabaseURL(name)
}

// databaseName makes a unique database name that still shows which test
// made it: a slug of the test name plus random hex, within PostgreSQL's
// 63-byte identifier limit.
func databaseName(testName string) (string, error) {
	var slug strings.Builder
	for _, r := range strings.ToLower(testName) {
		if slug.Len() >= 40 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			slug.WriteRune(r)
		} else {
			slug.WriteByte('_')
		}
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	return "t_" + slug.String() + "_" + hex.EncodeToString(rnd[:]), nil
}

// ensureTemplate makes sure database tmpl.Name exists, migrated and marked
// as a template. It holds a session advisory lock keyed by the name while it
// checks and builds, so of several processes only the first builds it. A
// database left unfinished by a failed or killed build (not yet marked as a
// template) is dropped and built again.
func ensureTemplate(ctx context.Context, c *Cluster, tmpl Template) (err error) {
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { err = errors.Join(err, conn.Close(context.Background())) }()
	key := lockKey(tmpl.Name)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	// Closing the session releases the lock too; unlocking keeps it short
	// when Close is slow.
	defer func() {
		if _, unlockErr := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", key); unlockErr != nil {
			err = errors.Join(err, fmt.Errorf("unlock: %w", unlockErr))
		}
	}()

	var isTemplate bool
	err = conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", tmpl.Name).Scan(&isTemplate)
	switch {
	case err == nil && isTemplate:
		return nil
	case err == nil:
		if err := c.DropDatabase(ctx, tmpl.Name); err != nil {
			return fmt.Errorf("drop unfinished template: %w", err)
		}
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("look up template: %w", err)
	}
	if err := c.CreateDatabase(ctx, tmpl.Name, ""); err != nil {
		return err
	}
	if tmpl.Migrate != nil {
		if err := tmpl.Migrate(ctx, c.DatabaseURL(tmpl.Name)); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	// ALLOW_CONNECTIONS false keeps stray sessions out: any session on the
	// template makes CREATE DATABASE ... TEMPLATE fail.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{tmpl.Name}.Sanitize()+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("mark as template: %w", err)
	}
	return nil
}

// lockKey maps a template name to the advisory lock key guarding its build.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("o2c-pgtest template " + name))
	return int64(h.Sum64())
}

// Main runs the tests and then stops the throwaway cluster NewDB started, if
// any. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if err := shared.stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
