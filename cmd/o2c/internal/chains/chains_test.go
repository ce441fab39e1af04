package chains

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
	"github.com/o2c-platform/o2c/libs/pgtest"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestVerifyNamesFirstBrokenLink corrupts one stored event behind the
// triggers' back (as a superuser can) and expects Verify to name it.
func TestVerifyNamesFirstBrokenLink(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDB(t, pgtest.Template{Name: database.TemplateName("ledger", ledger.Migrations()), Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, "ledger", ledger.Migrations())
		return err
	}})
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store, err := eventstore.New(pool, "ledger", eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stream := eventstore.StreamID{Tenant: "acme", Type: "debtor", ID: "K-1"}
	evs, err := store.Append(ctx, stream, eventstore.NoStream, []eventstore.Event{
		storetest.NewEvent("a"), storetest.NewEvent("b"), storetest.NewEvent("c"),
	})
	if err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	ok, err := Verify(ctx, url, []string{"ledger", "ingestion"}, &out)
	if err != nil || !ok {
		t.Fatalf("Verify on an intact store = %v, %v\n%s", ok, err, out.String())
	}
	if !strings.Contains(out.String(), "ledger     ok: read models equal a rebuild") || !strings.Contains(out.String(), "ledger     ok: 1 streams, 3 events") || !strings.Contains(out.String(), "ingestion  no event store") {
		t.Errorf("output:\n%s", out.String())
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE ledger.events SET actor = 'mallory' WHERE event_id = $1`, evs[1].EventID); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	ok, err = Verify(ctx, url, []string{"ledger"}, &out)
	if err != nil || ok {
		t.Fatalf("Verify on a tampered store = %v, %v", ok, err)
	}
	want := "first broken link: stream acme/debtor/K-1 version 2 event " + evs[1].EventID.String()
	if !strings.Contains(out.String(), want) {
		t.Errorf("output does not name the tampered event (%s):\n%s", want, out.String())
	}
}
