package eventstore

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestHeadSetRoot pins the digest of the stream heads, which every stored
// anchor signs, and checks that it does not depend on the order in which
// heads are added or on the heads replaced on the way.
func TestHeadSetRoot(t *testing.T) {
	t.Parallel()
	// Computed by a separate implementation (Python hashlib) of the layout
	// documented at Anchor.Root.
	const want = "59648db89ad7476e93248f5ab167302963e4ea7dac8ef3685bfe9e98e2c73b3e"
	periods := StreamID{Tenant: "acme", Type: "periods", ID: "periods"}
	k1 := StreamID{Tenant: "acme", Type: "debtor", ID: "K-1"}
	beta := StreamID{Tenant: "beta", Type: "debtor", ID: "K-1"}
	a := newHeadSet()
	a.set(periods, 7, bytes.Repeat([]byte{0x33}, 32))
	a.set(beta, 1, bytes.Repeat([]byte{0x55}, 32))
	a.root() // merge, then add more
	a.set(k1, 1, bytes.Repeat([]byte{0x99}, 32))
	a.set(k1, 2, bytes.Repeat([]byte{0x44}, 32))
	b := newHeadSet()
	b.set(k1, 2, bytes.Repeat([]byte{0x44}, 32))
	b.set(beta, 1, bytes.Repeat([]byte{0x55}, 32))
	b.set(periods, 7, bytes.Repeat([]byte{0x33}, 32))
	for name, s := range map[string]*headSet{"added in two rounds": a, "added at once": b} {
		if got := hex.EncodeToString(s.root()); got != want {
			t.Errorf("%s: root %s, golden %s", name, got, want)
		}
		if s.len() != 3 {
			t.Errorf("%s: %d heads, want 3", name, s.len())
		}
	}
}
