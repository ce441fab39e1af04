package eventstore_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// schema is the service schema the tests use.
const schema = "billing"

var template = pgtest.Template{
	Name:    eventstore.TemplateName(schema),
	Migrate: func(ctx context.Context, url string) error { return eventstore.Migrate(ctx, url, schema) },
}

// testDB is a fresh migrated database: the owner's (superuser) URL and the
// app role's URL.
type testDB struct {
	ownerURL, appURL string
}

func newTestDB(t testing.TB) testDB {
	t.Helper()
	owner := pgtest.NewDB(t, template)
	role, err := eventstore.EnsureAppRole(context.Background(), owner, schema)
	if err != nil {
		t.Fatal(err)
	}
	return testDB{ownerURL: owner, appURL: withUser(t, owner, role)}
}

func withUser(t testing.TB, rawURL, user string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(user)
	return u.String()
}

func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// newStore opens a store connected as the app role.
func newStore(t testing.TB, db testDB) *eventstore.Store {
	t.Helper()
	s, err := eventstore.New(newPool(t, db.appURL), schema, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// tamper runs sql as the superuser with triggers disabled, as an attacker
// with database access would.
func tamper(t testing.TB, ownerURL, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, ownerURL)
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	tag, err := conn.Exec(ctx, sql, args...)
	if err != nil {
		t.Fatalf("tamper %q: %v", sql, err)
	}
	if tag.RowsAffected() != 1 {
		t.Fatalf("tamper %q touched %d rows, want 1", sql, tag.RowsAffected())
	}
}
