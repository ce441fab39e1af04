package eventstore_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/anchors"
)

var (
	periods = eventstore.StreamID{Tenant: "acme", Type: "periods", ID: "periods"}
	debtor1 = eventstore.StreamID{Tenant: "acme", Type: "debtor", ID: "K-1"}
	debtor2 = eventstore.StreamID{Tenant: "acme", Type: "debtor", ID: "K-2"}
)

func devPublicKey() ed25519.PublicKey {
	return eventstore.DevOnlyAnchorKey().Public().(ed25519.PublicKey)
}

// anchoredStore is a fresh store with three streams (periods: 3 events,
// K-1: 2, K-2: 1), anchored once into an in-memory sink.
type anchoredStore struct {
	db       testDB
	store    *eventstore.Store
	sink     *anchors.Memory
	anchorer *eventstore.Anchorer
	events   map[eventstore.StreamID][]eventstore.Event
}

func newAnchoredStore(t testing.TB) anchoredStore {
	t.Helper()
	db := newTestDB(t)
	s := anchoredStore{db: db, store: newStore(t, db), sink: anchors.NewMemory(), events: map[eventstore.StreamID][]eventstore.Event{}}
	s.anchorer = eventstore.NewAnchorer(s.store, s.sink, eventstore.DevOnlyAnchorKey(), eventstore.AnchorerOptions{})
	for st, n := range map[eventstore.StreamID]int{periods: 3, debtor1: 2, debtor2: 1} {
		s.events[st] = appendN(t, s.store, st, n)
	}
	anchorNow(t, db, s.anchorer, 1)
	return s
}

// settle waits until every transaction that wrote events has ended and
// fell below the horizon (see ReadAll), so that the next Anchor covers all
// of them: other tests' transactions, anywhere in the cluster, hold the
// horizon back for a moment.
func settle(t testing.TB, db testDB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net, not a goal
	defer cancel()
	conn := connect(t, db.ownerURL)
	var last string
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(tx_id)::text, '0') FROM billing.events`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for {
		var below bool
		if err := conn.QueryRow(ctx, `SELECT $1::text::xid8 < pg_snapshot_xmin(pg_current_snapshot())`, last).Scan(&below); err != nil {
			t.Fatalf("waiting for transaction %s to fall below the horizon: %v", last, err)
		}
		if below {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// anchorNow settles the log and anchors it, expecting want anchors.
func anchorNow(t testing.TB, db testDB, a *eventstore.Anchorer, want int) {
	t.Helper()
	settle(t, db)
	if n, err := a.Anchor(context.Background()); err != nil || n != want {
		t.Fatalf("Anchor = %d, %v; want %d", n, err, want)
	}
}

func verifyAnchors(t testing.TB, s *eventstore.Store, src eventstore.AnchorSource, pub ed25519.PublicKey) eventstore.AnchorReport {
	t.Helper()
	rep, err := s.VerifyAnchors(context.Background(), src, pub)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// ignoreDetail compares problems by anchor, stream, version and kind.
var ignoreDetail = cmpopts.IgnoreFields(eventstore.AnchorProblem{}, "Detail")

// TestAnchorsDetectTampering tampers with an anchored store the way a
// superuser can, behind the triggers' back, and expects VerifyAnchors to
// name the stream and the version. The hash chains alone do not see any
// of it: Verify stays green.
func TestAnchorsDetectTampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper func(t *testing.T, s anchoredStore)
		want   []eventstore.AnchorProblem
	}{
		{
			name:   "clean store",
			tamper: func(*testing.T, anchoredStore) {},
		},
		{
			name: "last event of a stream deleted",
			tamper: func(t *testing.T, s anchoredStore) {
				tamper(t, s.db.ownerURL, `DELETE FROM billing.events WHERE event_id = $1`, s.events[periods][2].EventID)
			},
			want: []eventstore.AnchorProblem{
				{Anchor: 1, Kind: eventstore.ProblemLogLength},
				{Anchor: 1, Stream: periods, Version: 3, Kind: eventstore.ProblemTailDeleted},
			},
		},
		{
			name: "whole stream deleted",
			tamper: func(t *testing.T, s anchoredStore) {
				tamper(t, s.db.ownerURL, `DELETE FROM billing.events WHERE event_id = $1`, s.events[debtor2][0].EventID)
			},
			want: []eventstore.AnchorProblem{
				{Anchor: 1, Kind: eventstore.ProblemLogLength},
				{Anchor: 1, Stream: debtor2, Version: 1, Kind: eventstore.ProblemStreamDeleted},
			},
		},
		{
			name: "event rewritten with its chain recomputed",
			tamper: func(t *testing.T, s anchoredStore) {
				rewrite(t, s, debtor1, 1)
			},
			want: []eventstore.AnchorProblem{
				{Anchor: 1, Stream: debtor1, Version: 2, Kind: eventstore.ProblemChainHash},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newAnchoredStore(t)
			tc.tamper(t, s)
			chains, err := s.store.Verify(context.Background())
			if err != nil || !chains.OK() {
				t.Fatalf("Verify = %+v, %v; the tampering is meant to keep every chain intact", chains, err)
			}
			rep := verifyAnchors(t, s.store, s.sink, devPublicKey())
			if diff := cmp.Diff(tc.want, rep.Problems, ignoreDetail, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nreport: %v", diff, rep.Problems)
			}
			if rep.OK() != (len(tc.want) == 0) || rep.Anchors != 1 || rep.Latest == nil || rep.Latest.Seq != 1 {
				t.Errorf("report: OK %v, %d anchors, latest %+v", rep.OK(), rep.Anchors, rep.Latest)
			}
		})
	}
}

// rewrite changes the actor of version v of stream and recomputes the
// content hash and every chain hash from there, as an attacker who knows
// the hash layout would.
func rewrite(t testing.TB, s anchoredStore, stream eventstore.StreamID, v int64) {
	t.Helper()
	evs, err := s.store.ReadStream(context.Background(), stream, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var prev []byte
	for _, ev := range evs {
		if ev.Version == v {
			ev.Actor = "mallory"
			ev.ContentHash = eventstore.ContentHash(&ev)
		}
		if ev.Version >= v {
			ev.ChainHash = eventstore.ChainHash(prev, ev.ContentHash, stream, ev.Version)
			tamper(t, s.db.ownerURL, `UPDATE billing.events SET actor = $1, content_hash = $2, chain_hash = $3 WHERE event_id = $4`,
				ev.Actor, ev.ContentHash, ev.ChainHash, ev.EventID)
		}
		prev = ev.ChainHash
	}
}

// TestAnchorsDetectReplacedTail deletes the last event of a stream and lets
// the service append a new one in its place, which then gets anchored too.
func TestAnchorsDetectReplacedTail(t *testing.T) {
	t.Parallel()
	s := newAnchoredStore(t)
	tamper(t, s.db.ownerURL, `DELETE FROM billing.events WHERE event_id = $1`, s.events[periods][2].EventID)
	appendN(t, s.store, periods, 1)
	anchorNow(t, s.db, s.anchorer, 1)
	rep := verifyAnchors(t, s.store, s.sink, devPublicKey())
	want := []eventstore.AnchorProblem{
		{Anchor: 2, Stream: periods, Version: 3, Kind: eventstore.ProblemRewound},
		{Anchor: 2, Kind: eventstore.ProblemLogLength},
		{Anchor: 1, Stream: periods, Version: 3, Kind: eventstore.ProblemChainHash},
	}
	if diff := cmp.Diff(want, rep.Problems, ignoreDetail); diff != "" {
		t.Errorf("problems (-want +got):\n%s\nreport: %v", diff, rep.Problems)
	}
}

// sliceSource is an anchor source over a slice, for anchors edited in a
// test.
type sliceSource []*eventstore.Anchor

func (s sliceSource) ReadAnchors(ctx context.Context, service string, fn func(*eventstore.Anchor) error) error {
	for _, a := range s {
		if a.Service != service {
			continue
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

func readAnchors(t testing.TB, src eventstore.AnchorSource) sliceSource {
	t.Helper()
	var out sliceSource
	if err := src.ReadAnchors(context.Background(), schema, func(a *eventstore.Anchor) error {
		out = append(out, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVerifyAnchorsChecksTheAnchors edits the anchors themselves: forged,
// altered, removed, or checked against another key.
func TestVerifyAnchorsChecksTheAnchors(t *testing.T) {
	t.Parallel()
	s := newAnchoredStore(t)
	appendN(t, s.store, debtor1, 1)
	anchorNow(t, s.db, s.anchorer, 1)
	appendN(t, s.store, debtor2, 1)
	anchorNow(t, s.db, s.anchorer, 1)
	stored := readAnchors(t, s.sink)
	if len(stored) != 3 {
		t.Fatalf("%d anchors, want 3", len(stored))
	}
	_, mallory, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	clone := func(a *eventstore.Anchor) *eventstore.Anchor {
		c := *a
		c.Heads = append([]eventstore.StreamHead(nil), a.Heads...)
		return &c
	}
	tests := []struct {
		name    string
		anchors func() sliceSource
		pub     ed25519.PublicKey
		want    []eventstore.AnchorProblem
		latest  int64
	}{
		{
			name:    "intact",
			anchors: func() sliceSource { return stored },
			latest:  3,
		},
		{
			name: "forged anchor appended",
			anchors: func() sliceSource {
				f := clone(stored[2])
				f.Seq, f.Prev = 4, stored[2].Hash()
				f.Sign(mallory)
				return append(stored[:3:3], f)
			},
			want:   []eventstore.AnchorProblem{{Anchor: 4, Kind: eventstore.ProblemSignature}},
			latest: 3,
		},
		{
			name: "anchored head altered",
			anchors: func() sliceSource {
				f := clone(stored[1])
				f.Heads[0].Version--
				return sliceSource{stored[0], f, stored[2]}
			},
			want: []eventstore.AnchorProblem{
				{Anchor: 2, Kind: eventstore.ProblemSignature},
				{Anchor: 3, Kind: eventstore.ProblemSequence},
				{Anchor: 3, Kind: eventstore.ProblemRoot},
			},
			latest: 3,
		},
		{
			name:    "anchor removed",
			anchors: func() sliceSource { return sliceSource{stored[0], stored[2]} },
			want: []eventstore.AnchorProblem{
				{Anchor: 3, Kind: eventstore.ProblemSequence},
				{Anchor: 3, Kind: eventstore.ProblemRoot},
			},
			latest: 3,
		},
		{
			name:    "another trusted key",
			anchors: func() sliceSource { return stored },
			pub:     mallory.Public().(ed25519.PublicKey),
			want: []eventstore.AnchorProblem{
				{Anchor: 1, Kind: eventstore.ProblemSignature},
				{Anchor: 2, Kind: eventstore.ProblemSignature},
				{Anchor: 3, Kind: eventstore.ProblemSignature},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := tc.pub
			if pub == nil {
				pub = devPublicKey()
			}
			rep := verifyAnchors(t, s.store, tc.anchors(), pub)
			if diff := cmp.Diff(tc.want, rep.Problems, ignoreDetail, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nreport: %v", diff, rep.Problems)
			}
			var latest int64
			if rep.Latest != nil {
				latest = rep.Latest.Seq
			}
			if latest != tc.latest || rep.OK() != (len(tc.want) == 0) {
				t.Errorf("latest anchor %d, OK %v; want %d, %v", latest, rep.OK(), tc.latest, len(tc.want) == 0)
			}
		})
	}
}

// TestAnchorerWritesOnlyWhenTheLogMoved checks what one anchor holds: the
// moved heads only, linked to the anchor before, counting the whole log.
func TestAnchorerWritesOnlyWhenTheLogMoved(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	store := newStore(t, db)
	sink := anchors.NewMemory()
	at := time.Date(2024, 6, 30, 23, 59, 0, 0, time.UTC)
	a := eventstore.NewAnchorer(store, sink, eventstore.DevOnlyAnchorKey(), eventstore.AnchorerOptions{Now: func() time.Time { return at }})
	anchorNow(t, db, a, 0)
	appendN(t, store, periods, 2)
	p := appendN(t, store, debtor1, 1)
	anchorNow(t, db, a, 1)
	anchorNow(t, db, a, 0)
	k := appendN(t, store, debtor1, 2)
	anchorNow(t, db, a, 1)

	got := readAnchors(t, sink)
	if len(got) != 2 {
		t.Fatalf("%d anchors, want 2", len(got))
	}
	first, second := got[0], got[1]
	want := &eventstore.Anchor{
		Service:   schema,
		Seq:       2,
		Prev:      first.Hash(),
		CreatedAt: at,
		Cursor:    k[1].Cursor,
		Events:    5,
		Streams:   2,
		Heads:     []eventstore.StreamHead{{Stream: debtor1, Version: 3, ChainHash: k[1].ChainHash}},
		Key:       devPublicKey(),
	}
	if diff := cmp.Diff(want, second, cmpopts.IgnoreFields(eventstore.Anchor{}, "Root", "Signature")); diff != "" {
		t.Errorf("second anchor (-want +got):\n%s", diff)
	}
	if first.Seq != 1 || first.Events != 3 || first.Cursor != p[0].Cursor || len(first.Heads) != 2 {
		t.Errorf("first anchor: %+v", first)
	}
	if rep := verifyAnchors(t, store, sink, devPublicKey()); !rep.OK() {
		t.Errorf("VerifyAnchors: %v", rep.Problems)
	}
}

// TestAnchorerSplitsLargeChanges bounds the heads per anchor.
func TestAnchorerSplitsLargeChanges(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	store := newStore(t, db)
	for i := range 5 {
		appendN(t, store, eventstore.StreamID{Tenant: "acme", Type: "debtor", ID: fmt.Sprint("K-", i)}, 2)
	}
	sink := anchors.NewMemory()
	a := eventstore.NewAnchorer(store, sink, eventstore.DevOnlyAnchorKey(), eventstore.AnchorerOptions{MaxHeads: 2})
	anchorNow(t, db, a, 3)
	var heads int
	for _, an := range readAnchors(t, sink) {
		if len(an.Heads) > 2 {
			t.Errorf("anchor %d lists %d heads", an.Seq, len(an.Heads))
		}
		heads += len(an.Heads)
	}
	if heads != 5 {
		t.Errorf("anchors list %d heads, want 5", heads)
	}
	if rep := verifyAnchors(t, store, sink, devPublicKey()); !rep.OK() || rep.Latest.Events != 10 || rep.Latest.Streams != 5 {
		t.Errorf("VerifyAnchors: %v, latest %+v", rep.Problems, rep.Latest)
	}
}

// TestAnchorersShareASink runs two anchorers of one service (two replicas)
// on one sink: the one that falls behind reloads and continues the chain.
func TestAnchorersShareASink(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	store := newStore(t, db)
	sink := anchors.NewMemory()
	a := eventstore.NewAnchorer(store, sink, eventstore.DevOnlyAnchorKey(), eventstore.AnchorerOptions{})
	b := eventstore.NewAnchorer(store, sink, eventstore.DevOnlyAnchorKey(), eventstore.AnchorerOptions{})
	for i, an := range []*eventstore.Anchorer{a, b, a, a, b} {
		appendN(t, store, eventstore.StreamID{Tenant: "acme", Type: "debtor", ID: fmt.Sprint("K-", i%2)}, 1)
		anchorNow(t, db, an, 1)
	}
	rep := verifyAnchors(t, store, sink, devPublicKey())
	if !rep.OK() || rep.Anchors != 5 || rep.Latest.Events != 5 {
		t.Errorf("VerifyAnchors: %d anchors, latest %+v, problems %v", rep.Anchors, rep.Latest, rep.Problems)
	}
}

// TestAnchorerRefusesBrokenChain: an anchorer does not continue a chain it
// cannot verify with its own key.
func TestAnchorerRefusesBrokenChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	store := newStore(t, db)
	sink := anchors.NewMemory()
	_, other, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, store, periods, 1)
	anchorNow(t, db, eventstore.NewAnchorer(store, sink, other, eventstore.AnchorerOptions{}), 1)
	appendN(t, store, periods, 1)
	settle(t, db)
	_, err = eventstore.NewAnchorer(store, sink, eventstore.DevOnlyAnchorKey(), eventstore.AnchorerOptions{}).Anchor(ctx)
	if !errors.Is(err, eventstore.ErrAnchorChain) {
		t.Errorf("Anchor on a chain signed by another key: %v, want ErrAnchorChain", err)
	}
}

// TestAnchorerRun anchors in the background until cancelled.
func TestAnchorerRun(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	store := newStore(t, db)
	sink := anchors.NewMemory()
	appendN(t, store, periods, 2)
	a := eventstore.NewAnchorer(store, sink, eventstore.DevOnlyAnchorKey(), eventstore.AnchorerOptions{Interval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	deadline, stop := context.WithTimeout(context.Background(), time.Minute) // a safety net, not a goal
	defer stop()
	waitFor := func(events int64) {
		t.Helper()
		for deadline.Err() == nil {
			if got := readAnchors(t, sink); len(got) > 0 && got[len(got)-1].Events == events {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("no anchor of %d events: %+v", events, readAnchors(t, sink))
	}
	waitFor(2)
	appendN(t, store, periods, 1)
	waitFor(3)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v after cancel, want nil", err)
	}
	if rep := verifyAnchors(t, store, sink, devPublicKey()); !rep.OK() {
		t.Errorf("VerifyAnchors: %v", rep.Problems)
	}
}

func TestAnchorKeys(t *testing.T) {
	t.Parallel()
	seed := sha256.Sum256([]byte("test seed"))
	enc := base64.StdEncoding.EncodeToString(seed[:])
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(enc+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		err  error
	}{
		{"from the variable", map[string]string{eventstore.AnchorKeyEnv: enc}, nil},
		{"without padding", map[string]string{eventstore.AnchorKeyEnv: strings.TrimRight(enc, "=")}, nil},
		{"from a file", map[string]string{eventstore.AnchorKeyFileEnv: file}, nil},
		{"variable before file", map[string]string{eventstore.AnchorKeyEnv: enc, eventstore.AnchorKeyFileEnv: "/nonexistent"}, nil},
		{"none", map[string]string{}, eventstore.ErrNoAnchorKey},
	}
	for _, tc := range tests {
		k, err := eventstore.AnchorKeyFromEnv(func(k string) string { return tc.env[k] })
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
			continue
		}
		if err == nil && !k.Equal(ed25519.NewKeyFromSeed(seed[:])) {
			t.Errorf("%s: another key", tc.name)
		}
	}
	for _, bad := range []string{"c2hvcnQ=", "not base64!"} {
		if _, err := eventstore.AnchorKeyFromEnv(func(k string) string { return map[string]string{eventstore.AnchorKeyEnv: bad}[k] }); err == nil {
			t.Errorf("key %q was accepted", bad)
		}
	}
	pub, err := eventstore.ParseAnchorPublicKey(base64.StdEncoding.EncodeToString(devPublicKey()))
	if err != nil || !pub.Equal(devPublicKey()) {
		t.Errorf("ParseAnchorPublicKey = %x, %v; want %x", pub, err, devPublicKey())
	}
}

// TestAnchorGolden pins the signed layout of an anchor: anchors are kept
// for ever and verified by later versions of this code.
func TestAnchorGolden(t *testing.T) {
	t.Parallel()
	a := &eventstore.Anchor{
		Service:   "ledger",
		Seq:       2,
		Prev:      bytes.Repeat([]byte{0x11}, 32),
		CreatedAt: time.Date(2024, 7, 1, 0, 1, 0, 0, time.UTC),
		Cursor:    eventstore.Cursor{TxID: 1234, Position: 56},
		Events:    56,
		Streams:   3,
		Root:      bytes.Repeat([]byte{0x22}, 32),
		Heads:     []eventstore.StreamHead{{Stream: periods, Version: 7, ChainHash: bytes.Repeat([]byte{0x33}, 32)}},
	}
	const want = "f687d09016e86f6a61465beb6506fda31fd7b9c554f970d2beb2f6b60d79283a" // also computed by a separate implementation (Python hashlib)
	if got := hex.EncodeToString(a.Hash()); got != want {
		t.Errorf("anchor hash %s, golden %s: the signed layout changed, so stored anchors no longer verify", got, want)
	}
	a.Sign(eventstore.DevOnlyAnchorKey())
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back eventstore.Anchor
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.CheckSignature(devPublicKey()); err != nil {
		t.Errorf("after a JSON round trip: %v\n%s", err, data)
	}
}
