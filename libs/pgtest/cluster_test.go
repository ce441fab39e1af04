package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/o2c-platform/o2c/libs/procdir"
)

// startForTest starts a private cluster (not the shared one), skipping or
// failing like NewDB when PostgreSQL is missing.
func startForTest(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c, err := Start(context.Background(), opts)
	if err != nil {
		if skip, msg := unavailable(err, os.Getenv); skip {
			t.Skip(msg)
		} else {
			t.Fatal(msg)
		}
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// TestStartSettings starts a fast and a durable cluster, checks their
// settings and that Stop removes them.
func TestStartSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		durable bool
		want    []string // fsync, synchronous_commit, full_page_writes
	}{
		{name: "fast", durable: false, want: []string{"off", "off", "off"}},
		{name: "durable", durable: true, want: []string{"on", "on", "on"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.durable && testing.Short() {
				t.Skip("-short: one private cluster is enough")
			}
			var log strings.Builder
			c := startForTest(t, Options{Durable: tt.durable, Log: &log})
			conn := connect(t, c.URL())
			got := queryStrings(t, conn, `SELECT unnest(ARRAY[current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes')])`)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("durability settings (-want +got):\n%s", diff)
			}
			got = queryStrings(t, conn, `SELECT unnest(ARRAY[current_setting('listen_addresses'), current_setting('max_connections'), current_setting('server_encoding'), current_setting('lc_collate'), current_user])`)
			if diff := cmp.Diff([]string{"127.0.0.1", "200", "UTF8", "C", "postgres"}, got); diff != "" {
				t.Errorf("server settings (-want +got):\n%s", diff)
			}
			if !strings.Contains(log.String(), "starting PostgreSQL") {
				t.Errorf("log = %q, want a starting line", log.String())
			}
			if os.Geteuid() == 0 {
				if uid := processUID(t, c.cmd.Process.Pid); uid == "0" {
					t.Errorf("server runs as root")
				}
			}
			stopAndCheck(t, c)
		})
	}
}

// processUID returns the real uid of pid from /proc/<pid>/status.
func processUID(t testing.TB, pid int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatalf("no Uid line in /proc/%d/status", pid)
	return ""
}

// stopAndCheck stops c and checks that its server and directory are gone.
func stopAndCheck(t testing.TB, c *Cluster) {
	t.Helper()
	dir, pid := c.Dir(), c.cmd.Process.Pid
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cluster dir %s after Stop: stat error %v, want not exist", dir, err)
	}
	if (procdir.Owner{PID: pid}).Alive() {
		t.Errorf("postmaster %d alive after Stop", pid)
	}
}

func TestCreateDatabaseAndOpen(t *testing.T) {
	t.Parallel()
	c := sharedForTest(t)
	ctx := context.Background()
	name, err := databaseName(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, name, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.DropDatabase(context.Background(), name); err != nil {
			t.Error(err)
		}
	})
	if err := c.CreateDatabase(ctx, name, ""); err == nil {
		t.Errorf("creating database %s twice: want error", name)
	}

	// Open a URL naming the new database: the wrapped cluster still
	// administers through database postgres.
	ext, err := Open(ctx, c.DatabaseURL(name))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ext.URL(), c.URL(); got != want {
		t.Errorf("Open(...).URL() = %q, want %q", got, want)
	}
	if got := queryStrings(t, connect(t, ext.DatabaseURL(name)), "SELECT current_database()"); !cmp.Equal(got, []string{name}) {
		t.Errorf("database at DatabaseURL(%q) = %q", name, got)
	}
	if err := ext.Stop(); err != nil {
		t.Errorf("Stop of an opened cluster: %v", err)
	}
	connect(t, c.URL()) // the server must still run
}

func TestOpenRejectsBadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"host=localhost dbname=x", "mysql://localhost/x", "postgres://127.0.0.1:1/x?connect_timeout=5"} {
		if _, err := Open(context.Background(), u); err == nil {
			t.Errorf("Open(%q): want error", u)
		}
	}
}

func TestDatabaseURL(t *testing.T) {
	t.Parallel()
	c := &Cluster{url: "postgres://u:secret@db.example:6543/postgres?sslmode=require"}
	tests := []struct{ db, want string }{
		{"orders", "postgres://u:secret@db.example:6543/orders?sslmode=require"},
		{"with space", "postgres://u:secret@db.example:6543/with%20space?sslmode=require"},
	}
	for _, tt := range tests {
		if got := c.DatabaseURL(tt.db); got != tt.want {
			t.Errorf("DatabaseURL(%q) = %q, want %q", tt.db, got, tt.want)
		}
	}
}

// TestStopServerAndStartAgain takes a cluster's server away under an open
// session and brings it back at the same URL with its data.
func TestStopServerAndStartAgain(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: one private cluster is enough")
	}
	ctx := context.Background()
	c := startForTest(t, Options{})
	url := c.URL()
	conn := connect(t, url)
	// CHECKPOINT on its own, after the commit: synchronous_commit is off.
	for _, sql := range []string{`CREATE TABLE kept (v text)`, `INSERT INTO kept VALUES ('before')`, `CHECKPOINT`} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	firstPID := c.cmd.Process.Pid

	if err := c.StopServer(); err != nil {
		t.Fatal(err)
	}
	if err := c.StopServer(); err != nil {
		t.Errorf("second StopServer: %v", err)
	}
	if _, err := conn.Exec(ctx, `SELECT 1`); err == nil {
		t.Error("query on a session of the stopped server succeeded")
	}
	if other, err := pgx.Connect(ctx, url+"&connect_timeout=5"); err == nil {
		other.Close(ctx)
		t.Error("connecting to the stopped server succeeded")
	}
	if (procdir.Owner{PID: firstPID}).Alive() {
		t.Errorf("postmaster %d alive after StopServer", firstPID)
	}

	if err := c.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.StartServer(ctx); err == nil {
		t.Error("StartServer of a running server: want error")
	}
	if c.URL() != url {
		t.Errorf("URL after StartServer = %q, want %q", c.URL(), url)
	}
	if got := queryStrings(t, connect(t, url), `SELECT v FROM kept`); !cmp.Equal(got, []string{"before"}) {
		t.Errorf("rows after the restart = %q, want [before]", got)
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), "postgres.log")); err != nil {
		t.Errorf("server log: %v", err)
	}
	stopAndCheck(t, c)
}

func TestStopServerOfExternalCluster(t *testing.T) {
	t.Parallel()
	c := &Cluster{url: "postgres://u@db.example:5432/postgres"}
	if err := c.StopServer(); !errors.Is(err, ErrExternal) {
		t.Errorf("StopServer = %v, want ErrExternal", err)
	}
	if err := c.StartServer(context.Background()); !errors.Is(err, ErrExternal) {
		t.Errorf("StartServer = %v, want ErrExternal", err)
	}
}
