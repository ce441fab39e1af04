package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	Main(m)
}

// itemsTemplate returns a template with one table, counting its migrations
// in runs. Its name is unique per call so that a template left in a shared
// server by an earlier run cannot make a count of 0 look right.
func itemsTemplate(t testing.TB, runs *atomic.Int32) Template {
	t.Helper()
	name, err := databaseName("tmpl")
	if err != nil {
		t.Fatal(err)
	}
	return Template{
		Name: name,
		Migrate: func(ctx context.Context, url string) error {
			runs.Add(1)
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				return err
			}
			_, err = conn.Exec(ctx, "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)")
			return errors.Join(err, conn.Close(ctx))
		},
	}
}

// dropTemplate removes a template database made by a test once the test and
// its subtests are done, so shared servers do not collect them.
func dropTemplate(t testing.TB, c *Cluster, name string) {
	t.Helper()
	t.Cleanup(func() {
		ctx := context.Background()
		if err := c.exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH IS_TEMPLATE false"); err != nil {
			t.Errorf("unmark template %s: %v", name, err)
			return
		}
		if err := c.DropDatabase(ctx, name); err != nil {
			t.Error(err)
		}
	})
}

// sharedForTest returns the cluster NewDB uses, skipping or failing like
// NewDB when there is none.
func sharedForTest(t testing.TB) *Cluster {
	t.Helper()
	c, err := shared.cluster(os.Getenv)
	if err != nil {
		if skip, msg := unavailable(err, os.Getenv); skip {
			t.Skip(msg)
		} else {
			t.Fatal(msg)
		}
	}
	return c
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func queryStrings(t testing.TB, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return got
}

func TestNewDBIsolatedDatabasesFromTemplate(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	tmpl := itemsTemplate(t, &runs)
	dropTemplate(t, sharedForTest(t), tmpl.Name)

	first := connect(t, NewDB(t, tmpl))
	second := connect(t, NewDB(t, tmpl))
	ctx := context.Background()
	if _, err := first.Exec(ctx, "INSERT INTO items VALUES (1, 'only in first')"); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, first, "SELECT name FROM items"); !cmp.Equal(got, []string{"only in first"}) {
		t.Errorf("first database items = %q, want the inserted row", got)
	}
	if got := queryStrings(t, second, "SELECT name FROM items"); len(got) != 0 {
		t.Errorf("second database items = %q, want none (databases must be isolated)", got)
	}
	dbs := queryStrings(t, first, "SELECT current_database()")
	dbs = append(dbs, queryStrings(t, second, "SELECT current_database()")...)
	if dbs[0] == dbs[1] {
		t.Errorf("both NewDB calls returned database %s", dbs[0])
	}
	if got := runs.Load(); got != 1 {
		t.Errorf("template migrated %d times, want 1", got)
	}
}

func TestNewDBDropsDatabaseAtCleanup(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	tmpl := itemsTemplate(t, &runs)
	c := sharedForTest(t)
	dropTemplate(t, c, tmpl.Name)

	var url string
	t.Run("user", func(t *testing.T) {
		url = NewDB(t, tmpl)
	})
	name := url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
	var exists bool
	err := connect(t, c.URL()).QueryRow(context.Background(),
		"SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test's cleanup", name)
	}
}

func TestNewDBBuildsTemplateOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	tmpl := itemsTemplate(t, &runs)
	dropTemplate(t, sharedForTest(t), tmpl.Name)

	t.Run("group", func(t *testing.T) {
		for i := range 6 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				conn := connect(t, NewDB(t, tmpl))
				if got := queryStrings(t, conn, "SELECT name FROM items"); len(got) != 0 {
					t.Errorf("fresh database has items %q", got)
				}
			})
		}
	})
	if got := runs.Load(); got != 1 {
		t.Errorf("template migrated %d times by 6 parallel NewDB calls, want 1", got)
	}
}

// TestEnsureTemplateAdvisoryLock calls ensureTemplate from several goroutines
// without the in-process once, as separate test processes sharing one
// cluster would: the advisory lock alone must make one of them build.
func TestEnsureTemplateAdvisoryLock(t *testing.T) {
	t.Parallel()
	c := sharedForTest(t)
	var runs atomic.Int32
	tmpl := itemsTemplate(t, &runs)
	dropTemplate(t, c, tmpl.Name)

	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() { errs[i] = ensureTemplate(context.Background(), c, tmpl) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("ensureTemplate #%d: %v", i, err)
		}
	}
	if got := runs.Load(); got != 1 {
		t.Errorf("template migrated %d times, want 1", got)
	}
}

func TestEnsureTemplateRebuildsUnfinished(t *testing.T) {
	t.Parallel()
	c := sharedForTest(t)
	var runs atomic.Int32
	tmpl := itemsTemplate(t, &runs)
	dropTemplate(t, c, tmpl.Name)
	broken := tmpl
	broken.Migrate = func(context.Context, string) error { return errors.New("migration 3 failed") }

	if err := ensureTemplate(context.Background(), c, broken); err == nil || !strings.Contains(err.Error(), "migration 3 failed") {
		t.Fatalf("ensureTemplate with failing migration: err = %v, want the migration's error", err)
	}
	if err := ensureTemplate(context.Background(), c, tmpl); err != nil {
		t.Fatalf("ensureTemplate after a failed build: %v", err)
	}
	if got := runs.Load(); got != 1 {
		t.Errorf("template migrated %d times after the failed build, want 1", got)
	}
	if err := c.CreateDatabase(context.Background(), tmpl.Name+"_copy", tmpl.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropDatabase(context.Background(), tmpl.Name+"_copy") })
	conn := connect(t, c.DatabaseURL(tmpl.Name+"_copy"))
	if got := queryStrings(t, conn, "SELECT name FROM items"); len(got) != 0 {
		t.Errorf("copy of rebuilt template has items %q", got)
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	notInstalled := fmt.Errorf("pgtest: %w", ErrNoPostgres)
	broken := errors.New("initdb: disk full")
	tests := []struct {
		name     string
		err      error
		env      map[string]string
		wantSkip bool
		wantMsg  string
	}{
		{name: "not installed, local", err: notInstalled, wantSkip: true, wantMsg: "skipping"},
		{name: "not installed, CI", err: notInstalled, env: map[string]string{"CI": "true"}, wantMsg: "PostgreSQL is required under CI"},
		{name: "not installed, CI empty", err: notInstalled, env: map[string]string{"CI": ""}, wantSkip: true, wantMsg: "skipping"},
		{name: "broken, local", err: broken, wantMsg: "disk full"},
		{name: "broken, CI", err: broken, env: map[string]string{"CI": "1"}, wantMsg: "disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			skip, msg := unavailable(tt.err, func(k string) string { return tt.env[k] })
			if skip != tt.wantSkip || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("unavailable(%v) = %v, %q; want %v, containing %q", tt.err, skip, msg, tt.wantSkip, tt.wantMsg)
			}
		})
	}
}

func TestDatabaseName(t *testing.T) {
	t.Parallel()
	tests := []struct{ test, wantPrefix string }{
		{"TestX", "t_testx_"},
		{"TestLedger/post_journal#01", "t_testledger_post_journal_01_"},
		{strings.Repeat("TestVeryLong", 10), "t_" + strings.Repeat("testverylong", 10)[:40] + "_"},
	}
	for _, tt := range tests {
		got, err := databaseName(tt.test)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got, tt.wantPrefix) || len(got) > 63 {
			t.Errorf("databaseName(%q) = %q, want prefix %q and at most 63 bytes", tt.test, got, tt.wantPrefix)
		}
		again, _ := databaseName(tt.test)
		if again == got {
			t.Errorf("databaseName(%q) twice = %q, want different names", tt.test, got)
		}
	}
}
