package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/anchors"
	"github.com/o2c-platform/o2c/libs/natsembed"
)

func TestAnchorFlags(t *testing.T) {
	t.Parallel()
	dev := eventstore.DevOnlyAnchorKey().Public().(ed25519.PublicKey)
	_, other, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherPub := other.Public().(ed25519.PublicKey)
	file := filepath.Join(t.TempDir(), "anchors.jsonl")
	if err := anchors.NewFile(file).AppendAnchor(context.Background(), signed(t, other)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		flags   anchorFlags
		wantKey ed25519.PublicKey // nil: no anchor check
		wantErr string
	}{
		{name: "no source", flags: anchorFlags{}},
		{name: "a key alone", flags: anchorFlags{publicKey: base64.StdEncoding.EncodeToString(otherPub)}},
		{name: "dev key without source", flags: anchorFlags{devKey: true}, wantErr: "needs --anchors-file"},
		{name: "two sources", flags: anchorFlags{file: file, natsURL: "nats://127.0.0.1:1", devKey: true}, wantErr: "one anchor source"},
		{name: "source without key", flags: anchorFlags{file: file}, wantErr: "needs the key"},
		{name: "bad key", flags: anchorFlags{file: file, publicKey: "c2hvcnQ="}, wantErr: "--anchor-public-key"},
		{name: "missing file", flags: anchorFlags{file: file + ".missing", devKey: true}, wantErr: "--anchors-file"},
		{name: "file and dev key", flags: anchorFlags{file: file, devKey: true}, wantKey: dev},
		{name: "file and key", flags: anchorFlags{file: file, publicKey: base64.StdEncoding.EncodeToString(otherPub)}, wantKey: otherPub},
	}
	for _, tc := range tests {
		got, closeFn, err := tc.flags.open(context.Background())
		closeFn()
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantKey == nil && got != nil:
			t.Errorf("%s: an anchor check from %s, want none", tc.name, got.Name)
		case tc.wantKey != nil && (got == nil || !got.PublicKey.Equal(tc.wantKey)):
			t.Errorf("%s: %+v, want a check with key %x", tc.name, got, tc.wantKey)
		}
	}
}

func TestAnchorFlagsNATS(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a NATS server")
	}
	srv := natsembed.Test(t)
	f := anchorFlags{natsURL: srv.ClientURL(), devKey: true}
	if _, closeFn, err := f.open(context.Background()); err == nil || !strings.Contains(err.Error(), anchors.StreamName) {
		closeFn()
		t.Errorf("without the anchors stream: %v, want an error naming %s", err, anchors.StreamName)
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateOrUpdateStream(context.Background(), anchors.StreamConfig()); err != nil {
		t.Fatal(err)
	}
	if err := anchors.NewJetStream(js).AppendAnchor(context.Background(), signed(t, eventstore.DevOnlyAnchorKey())); err != nil {
		t.Fatal(err)
	}
	got, closeFn, err := f.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	n := 0
	if err := got.Source.ReadAnchors(context.Background(), "ledger", func(a *eventstore.Anchor) error {
		n++
		return a.CheckSignature(got.PublicKey)
	}); err != nil || n != 1 {
		t.Errorf("read %d anchors through the flags' source: %v; want 1 that verifies", n, err)
	}
}

// signed returns a first anchor of "ledger" signed with key.
func signed(t testing.TB, key ed25519.PrivateKey) *eventstore.Anchor {
	t.Helper()
	a := &eventstore.Anchor{Service: "ledger", Seq: 1, Prev: make([]byte, 32), Root: make([]byte, 32)}
	a.Sign(key)
	return a
}
