// Package pgtest provides throwaway PostgreSQL clusters for tests and
// development, and fresh per-test databases cloned from a migrated template.
//
// Start runs initdb and a private postgres server listening on 127.0.0.1 and
// a free port, tuned for speed (no fsync) unless Options.Durable is set;
// Stop removes it again. Non-durable clusters copy the data directory of an
// earlier identical initdb, kept next to the clusters, instead of running
// initdb each time. Clusters live under $TMPDIR/o2c-pgtest, one
// directory each with an owner file; every Start removes the clusters of
// processes that died without calling Stop. StopServer and StartServer
// take a throwaway cluster's server away and bring it back at the same
// URL, for tests of clients that must survive a database outage. Open
// wraps an external server instead.
//
// In tests, NewDB is the usual entry point: it uses the server named by
// TEST_DATABASE_URL (or DATABASE_URL), or starts one throwaway cluster per
// test process, which Main stops.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-platform/o2c/libs/procdir"
)

// superuser is the name of the bootstrap superuser initdb creates.
const superuser = "postgres"

// maxPortAttempts bounds the retries when another process takes the free
// port between choosing it and the server binding it.
const maxPortAttempts = 3

// maxSocketPath is the longest unix socket path allowed on Linux
// (sizeof(sun_path) - 1). Longer cluster paths get no unix socket.
const maxSocketPath = 107

// Options configures Start.
type Options struct {
	// Durable keeps PostgreSQL's default durability (fsync,
	// synchronous_commit, full_page_writes on). Default false: tests tune the
	// throwaway cluster for speed (fsync=off, synchronous_commit=off,
	// full_page_writes=off).
	Durable bool
	// Log receives progress lines ("starting PostgreSQL 15 in /tmp/...");
	// nil = silent.
	Log io.Writer
}

// Cluster is a running PostgreSQL server: either a throwaway one this
// process started, or an external one named by a URL.
type Cluster struct {
	url string // superuser URL, database "postgres"
	// fileCopy makes CREATE DATABASE copy the template's files instead of
	// WAL-logging every block (PostgreSQL 15's default): several times
	// faster when fsync is off, which makes its checkpoints cheap.
	fileCopy bool

	// The fields below are set only for a throwaway cluster.
	dir string // cluster directory: owner file, data dir, server log
	log io.Writer
	// server is what StartServer needs to start the server again.
	server struct {
		binDir  string
		port    int
		durable bool
		runAs   *syscall.Credential
	}

	// serverMu serialises StopServer, StartServer and Stop; start runs
	// before anyone else can reach the cluster.
	serverMu sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed once the server process has been waited for
	waitErr  error         // the server's exit status, valid after exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start initialises and starts a throwaway cluster in a new directory under
// $TMPDIR/o2c-pgtest and returns once it accepts connections. It never uses
// DATABASE_URL or TEST_DATABASE_URL (see Open). Before starting, it removes
// clusters left behind by processes that died without calling Stop. It
// returns an error wrapping ErrNoPostgres when no server binaries are
// installed. The caller must call Stop.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	return start(ctx, opts, defaultRoot())
}

func start(ctx context.Context, opts Options, root string) (*Cluster, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	began := time.Now()
	binDir, err := findBinDir()
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := ensureRoot(root); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	reapDead(root, log)
	removeStaleTemps(root)

	runAs, err := serverCredential()
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	dir, err := os.MkdirTemp(root, clusterPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: create cluster dir: %w", err)
	}
	c := &Cluster{dir: dir, log: log}
	fail := func(err error) (*Cluster, error) {
		c.kill()
		if rmErr := os.RemoveAll(dir); rmErr != nil {
			fmt.Fprintf(log, "pgtest: remove %s: %v\n", dir, rmErr)
		}
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := procdir.WriteOwner(dir, procdir.Self()); err != nil {
		return fail(err)
	}
	if runAs != nil {
		if err := os.Chown(dir, int(runAs.Uid), int(runAs.Gid)); err != nil {
			return fail(fmt.Errorf("hand cluster dir to uid %d: %w", runAs.Uid, err))
		}
	}
	dataDir := filepath.Join(dir, dataSubdir)
	if err := initCluster(ctx, root, binDir, dataDir, opts.Durable, runAs, log); err != nil {
		return fail(err)
	}
	version, err := serverVersion(dataDir)
	if err != nil {
		return fail(err)
	}
	if major, err := strconv.Atoi(version); err == nil && major >= 15 && !opts.Durable {
		c.fileCopy = true
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(log, "pgtest: starting PostgreSQL %s in %s on 127.0.0.1:%d\n", version, dir, port)
		c.server.binDir, c.server.port, c.server.durable, c.server.runAs = binDir, port, opts.Durable, runAs
		err = c.startServer(ctx, false)
		if err == nil {
			break
		}
		if !errors.Is(err, errPortTaken) || attempt == maxPortAttempts {
			return fail(err)
		}
	}
	fmt.Fprintf(log, "pgtest: PostgreSQL %s ready at %s after %s\n", version, c.url, time.Since(began).Round(time.Millisecond))
	return c, nil
}

// serverCredential returns the unprivileged user initdb and postgres run as
// when this process is root (PostgreSQL refuses to run as root): the
// postgres account if it exists, else nobody. It returns nil otherwise.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var errs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, err := strconv.ParseUint(u.Uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %s: uid %q: %w", name, u.Uid, err)
		}
		gid, err := strconv.ParseUint(u.Gid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %s: gid %q: %w", name, u.Gid, err)
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("running as root, and no unprivileged user to run PostgreSQL as: %w", errors.Join(errs...))
}

// command builds a command for a server binary, run as runAs when set, in
// dir (the server user may not be able to enter the caller's working
// directory), with no PG* variables from the environment that could point it
// at another cluster.
func command(ctx context.Context, path, dir string, runAs *syscall.Credential, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "LC_ALL=C")
	if runAs != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: runAs}
	}
	return cmd
}

// initCluster creates the data directory: a copy of the cached result of
// an earlier identical initdb when there is one (not for durable clusters),
// else by running initdb and caching the result.
func initCluster(ctx context.Context, root, binDir, dataDir string, durable bool, runAs *syscall.Credential, log io.Writer) error {
	args := []string{"-U", superuser, "-A", "trust", "-E", "UTF8", "--locale=C"}
	if durable {
		fmt.Fprintf(log, "pgtest: initdb %s\n", dataDir)
		return initdb(ctx, binDir, dataDir, args, runAs)
	}
	args = append(args, "--no-sync")
	cacheDir, err := initdbCacheDir(root, binDir, args, runAs)
	if err != nil {
		return err
	}
	copied, err := fromCache(cacheDir, dataDir, runAs)
	if copied {
		fmt.Fprintf(log, "pgtest: copied initdb result from %s to %s\n", cacheDir, dataDir)
		return nil
	}
	if err != nil {
		fmt.Fprintf(log, "pgtest: %v; running initdb instead\n", err)
		if err := os.RemoveAll(dataDir); err != nil {
			return fmt.Errorf("remove partial copy: %w", err)
		}
	}
	fmt.Fprintf(log, "pgtest: initdb %s\n", dataDir)
	if err := initdb(ctx, binDir, dataDir, args, runAs); err != nil {
		return err
	}
	if err := storeCache(root, cacheDir, dataDir, runAs); err != nil {
		fmt.Fprintf(log, "pgtest: %v\n", err) // the next Start runs initdb again
	}
	return nil
}

func initdb(ctx context.Context, binDir, dataDir string, args []string, runAs *syscall.Credential) error {
	args = append([]string{"-D", dataDir}, args...)
	cmd := command(ctx, filepath.Join(binDir, "initdb"), filepath.Dir(dataDir), runAs, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", dataDir, err, bytes.TrimSpace(out))
	}
	return nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	return port, nil
}

// errPortTaken means the server could not bind its port: another process
// took it after freePort chose it.
var errPortTaken = errors.New("port already in use")

// startServer runs postgres as c.server says and waits until it accepts
// connections. The server log is appended to on a restart, else started
// afresh.
func (c *Cluster) startServer(ctx context.Context, restart bool) error {
	binDir, port, durable, runAs := c.server.binDir, c.server.port, c.server.durable, c.server.runAs
	dataDir := filepath.Join(c.dir, dataSubdir)
	socketDir := c.dir
	if len(filepath.Join(socketDir, ".s.PGSQL."+strconv.Itoa(port))) > maxSocketPath {
		socketDir = ""
	}
	settings := []string{
		"listen_addresses=127.0.0.1",
		"port=" + strconv.Itoa(port),
		"unix_socket_directories=" + socketDir,
		"max_connections=200",
	}
	if !durable {
		settings = append(settings, "fsync=off", "synchronous_commit=off", "full_page_writes=off")
	}
	args := []string{"-D", dataDir}
	for _, s := range settings {
		args = append(args, "-c", s)
	}
	logPath := filepath.Join(c.dir, "postgres.log")
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if restart {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	logFile, err := os.OpenFile(logPath, flags, 0o666)
	if err != nil {
		return fmt.Errorf("create server log: %w", err)
	}
	defer logFile.Close() // the child has its own copy of the descriptor
	// The server must outlive ctx (it runs until Stop), so it does not get
	// ctx; readiness below honours ctx instead.
	cmd := command(context.Background(), filepath.Join(binDir, "postgres"), dataDir, runAs, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	c.cmd, c.exited = cmd, exited
	go func() {
		c.waitErr = cmd.Wait()
		close(exited)
	}()
	c.url = (&url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}).String()

	err = c.waitReady(ctx)
	if err == nil {
		return nil
	}
	c.kill()
	tail := logTail(logPath)
	if strings.Contains(tail, "Address already in use") {
		return fmt.Errorf("postgres on port %d: %w", port, errPortTaken)
	}
	return fmt.Errorf("%w\nserver log %s:\n%s", err, logPath, tail)
}

// waitReady connects to the server until it answers, the server exits or ctx
// ends. Connection attempts are cheap (refused at once while the server is
// not listening), so this polls briefly instead of sleeping a fixed time.
func (c *Cluster) waitReady(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(c.url)
	if err != nil {
		return fmt.Errorf("parse %s: %w", c.url, err)
	}
	cfg.ConnectTimeout = 5 * time.Second
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for postgres at %s: %w (last error: %v)", c.url, ctx.Err(), err)
		case <-c.exited:
			return fmt.Errorf("postgres exited during start-up: %v", c.waitErr)
		case <-tick.C:
		}
	}
}

// logTail returns the last few KiB of the server log.
func logTail(path string) string {
	const max = 4 << 10
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(bytes.TrimSpace(b))
}

// kill stops the server, if one runs, with an immediate shutdown (SIGQUIT),
// and SIGKILL if that takes longer than quitGrace. It returns once the
// postmaster has exited; the postmaster waits for its backends first.
func (c *Cluster) kill() {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGQUIT) // fails only when it has exited already
	select {
	case <-c.exited:
	case <-time.After(quitGrace):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// Open wraps the external server named by rawURL, a postgres:// URL of a
// role allowed to create and drop databases. It checks that the server
// answers. URL returns rawURL with the database set to "postgres".
func Open(ctx context.Context, rawURL string) (*Cluster, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("pgtest: open: %q is not a postgres:// URL", redact(rawURL))
	}
	c := &Cluster{url: rawURL}
	c.url = c.DatabaseURL("postgres")
	conn, err := pgx.Connect(ctx, c.url)
	if err != nil {
		return nil, fmt.Errorf("pgtest: open %s: %w", redact(c.url), err)
	}
	err = conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int >= 150000 AND current_setting('fsync') = 'off'").Scan(&c.fileCopy)
	if err := errors.Join(err, conn.Close(ctx)); err != nil {
		return nil, fmt.Errorf("pgtest: open %s: %w", redact(c.url), err)
	}
	return c, nil
}

// redact hides the password of a URL for error messages.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// URL returns the superuser URL of database "postgres".
func (c *Cluster) URL() string {
	return c.url
}

// DatabaseURL returns the superuser URL of database db.
func (c *Cluster) DatabaseURL(db string) string {
	u, err := url.Parse(c.url)
	if err != nil {
		// c.url was built or checked by Start or Open.
		return c.url
	}
	u.Path = "/" + db
	u.RawPath = ""
	return u.String()
}

// CreateDatabase creates database name as a copy of template (the server's
// default, template1, when template is empty). Copying fails while another
// session is connected to template.
func (c *Cluster) CreateDatabase(ctx context.Context, name, template string) error {
	stmt := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		stmt += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if c.fileCopy {
		stmt += " STRATEGY FILE_COPY"
	}
	if err := c.exec(ctx, stmt); err != nil {
		return fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return nil
}

// DropDatabase drops database name if it exists, disconnecting its sessions
// first (PostgreSQL 13 and later).
func (c *Cluster) DropDatabase(ctx context.Context, name string) error {
	if err := c.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgtest: drop database %s: %w", name, err)
	}
	return nil
}

// exec runs one statement on a short-lived connection to database postgres.
func (c *Cluster) exec(ctx context.Context, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, c.url)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, sql, args...)
	return errors.Join(err, conn.Close(ctx))
}

// Dir returns the directory of a throwaway cluster (data directory in
// "data", server log in "postgres.log"), or "" for an external one.
func (c *Cluster) Dir() string {
	return c.dir
}

// ErrExternal is returned by StopServer and StartServer for a cluster from
// Open: pgtest does not run its server.
var ErrExternal = errors.New("pgtest: the server of an external cluster is not pgtest's to stop or start")

// StopServer stops the server of a throwaway cluster at once, as a crash
// or an operator's immediate shutdown would: open sessions end, and new
// connections are refused. The cluster's directory and port stay, so that
// StartServer can bring the server back at the same URL. Data committed
// shortly before may be lost unless the cluster is Durable (a fast cluster
// runs with synchronous_commit off); run CHECKPOINT first to keep it.
// Stopping a stopped server does nothing. It returns ErrExternal for a
// cluster from Open.
func (c *Cluster) StopServer() error {
	if c.dir == "" {
		return ErrExternal
	}
	c.serverMu.Lock()
	defer c.serverMu.Unlock()
	c.kill()
	return nil
}

// StartServer starts the server of a throwaway cluster that StopServer
// stopped, on the same port, and returns once it accepts connections (the
// server first recovers from the immediate shutdown). It fails when the
// server runs, after Stop, when another process has taken the port, and
// with ErrExternal for a cluster from Open.
func (c *Cluster) StartServer(ctx context.Context) error {
	if c.dir == "" {
		return ErrExternal
	}
	c.serverMu.Lock()
	defer c.serverMu.Unlock()
	select {
	case <-c.exited:
	default:
		return fmt.Errorf("pgtest: start server in %s: it is running", c.dir)
	}
	if _, err := os.Stat(c.dir); err != nil {
		return fmt.Errorf("pgtest: start server: cluster removed: %w", err)
	}
	if err := c.startServer(ctx, true); err != nil {
		return fmt.Errorf("pgtest: start server again on port %d: %w", c.server.port, err)
	}
	return nil
}

// Stop stops a throwaway cluster's server and removes its directory. It is a
// no-op for a cluster from Open, and safe to call more than once.
func (c *Cluster) Stop() error {
	if c.dir == "" {
		return nil
	}
	c.stopOnce.Do(func() {
		c.serverMu.Lock()
		defer c.serverMu.Unlock()
		c.kill()
		if err := os.RemoveAll(c.dir); err != nil {
			c.stopErr = fmt.Errorf("pgtest: remove cluster %s: %w", c.dir, err)
			return
		}
		fmt.Fprintf(c.log, "pgtest: stopped and removed %s\n", c.dir)
	})
	return c.stopErr
}
