package chains

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/anchors"
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

// TestVerifyAnchoredFindsDeletedTail deletes the last event of the
// ledger's periods stream, as a superuser can behind the triggers' back.
// The chains still verify; the anchors name the stream and the version.
func TestVerifyAnchoredFindsDeletedTail(t *testing.T) {
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
	periods := eventstore.StreamID{Tenant: "acme", Type: "periods", ID: "periods"}
	closed, err := store.Append(ctx, periods, eventstore.NoStream, []eventstore.Event{storetest.NewEvent("2024-05 closed"), storetest.NewEvent("2024-06 closed")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, eventstore.StreamID{Tenant: "acme", Type: "debtor", ID: "K-1"}, eventstore.NoStream, []eventstore.Event{storetest.NewEvent("a")}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "anchors.jsonl")
	sink := anchors.NewFile(path)
	anchorAll(t, eventstore.NewAnchorer(store, sink, eventstore.DevOnlyAnchorKey(), eventstore.AnchorerOptions{}), sink, 3)
	trusted := &Anchors{Source: sink, PublicKey: eventstore.DevOnlyAnchorKey().Public().(ed25519.PublicKey), Name: "file " + path}

	verify := func(anchors *Anchors) (bool, string) {
		t.Helper()
		var out bytes.Buffer
		ok, err := VerifyAnchored(ctx, url, []string{"ledger"}, anchors, &out)
		if err != nil {
			t.Fatal(err)
		}
		return ok, out.String()
	}
	if ok, out := verify(trusted); !ok || !strings.Contains(out, "ledger     anchors ok: 1 anchors") {
		t.Errorf("intact store: ok %v\n%s", ok, out)
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM ledger.events WHERE event_id = $1`, closed[1].EventID); err != nil {
		t.Fatal(err)
	}

	ok, out := verify(nil)
	if !ok || !strings.Contains(out, "cannot be detected without anchors") {
		t.Errorf("without anchors: ok %v, want the chains to verify and the gap to be named\n%s", ok, out)
	}
	ok, out = verify(trusted)
	want := "stream acme/periods/periods version 2: tail deleted"
	if ok || !strings.Contains(out, "ledger     ANCHORS DO NOT MATCH") || !strings.Contains(out, want) {
		t.Errorf("with anchors: ok %v, want a failure naming %q\n%s", ok, want, out)
	}

	// A forged anchor that would cover the deletion is reported, and does
	// not hide it.
	var last *eventstore.Anchor
	if err := sink.ReadAnchors(ctx, "ledger", func(a *eventstore.Anchor) error { last = a; return nil }); err != nil {
		t.Fatal(err)
	}
	forged := *last
	forged.Seq, forged.Prev, forged.Events = last.Seq+1, last.Hash(), last.Events-1
	forged.Heads = []eventstore.StreamHead{{Stream: periods, Version: 1, ChainHash: closed[0].ChainHash}}
	_, mallory, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	forged.Sign(mallory)
	if err := sink.AppendAnchor(ctx, &forged); err != nil {
		t.Fatal(err)
	}
	ok, out = verify(trusted)
	if ok || !strings.Contains(out, "anchor 2: bad signature") || !strings.Contains(out, want) {
		t.Errorf("with a forged anchor: ok %v\n%s", ok, out)
	}
}

// anchorAll anchors until the latest anchor covers events events: events
// of transactions still open anywhere in the cluster wait behind them.
func anchorAll(t testing.TB, a *eventstore.Anchorer, src eventstore.AnchorSource, events int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net, not a goal
	defer cancel()
	for {
		if _, err := a.Anchor(ctx); err != nil {
			t.Fatal(err)
		}
		var covered int64
		if err := src.ReadAnchors(ctx, "ledger", func(an *eventstore.Anchor) error { covered = an.Events; return nil }); err != nil {
			t.Fatal(err)
		}
		if covered == events {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("anchors cover %d events, want %d: %v", covered, events, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// TestPrintReadModelsSaysWhatIsWrong expects a breach of a debtor
// invariant to be printed with its detail, an amount breach with its
// difference, and the header to tell breaches from differing tables.
func TestPrintReadModelsSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	rep := ledger.ReadModelReport{Events: 12}
	// The breach type lives in the ledger's internal packages; grow the
	// slice instead of naming it.
	rep.Breaches = slices.Grow(rep.Breaches, 2)[:2]
	rep.Breaches[0].Invariant, rep.Breaches[0].Tenant, rep.Breaches[0].DebtorID = "merge_target", "acme", "K-5001"
	rep.Breaches[0].Detail = "K-5001 was merged into K-5002, which had been merged into K-5001 before"
	rep.Breaches[1].Invariant, rep.Breaches[1].Tenant, rep.Breaches[1].Currency, rep.Breaches[1].Difference = "trial balance", "acme", "EUR", 1
	var out bytes.Buffer
	if printReadModels(rep, &out) {
		t.Error("printReadModels with breaches = true, want false")
	}
	want := `ledger     INVARIANTS BREACHED (read models equal a rebuild from 12 events)
  invariant "merge_target" breached for acme: K-5001 was merged into K-5002, which had been merged into K-5001 before
  invariant "trial balance" breached for acme EUR: off by 1 minor units
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
