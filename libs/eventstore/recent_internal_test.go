package eventstore

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRecentKeepsWithinBytes adds events of a quarter of the byte budget
// each: the fifth is not kept while four are, and is kept once small events
// took the slots of two of them; what fill finds is what was added, and a
// position whose slot holds another is a miss.
func TestRecentKeepsWithinBytes(t *testing.T) {
	t.Parallel()
	big := func(pos int64) Event {
		return Event{Envelope: Envelope{Position: pos, Cursor: Cursor{TxID: 7, Position: pos}}, Data: make([]byte, recentBytes/4)}
	}
	small := func(pos int64) Event {
		return Event{Envelope: Envelope{Position: pos, Cursor: Cursor{TxID: 8, Position: pos}}, Data: []byte("small")}
	}
	var r recent
	r.add([]Event{big(1), big(2), big(3), big(4), big(5)})
	if r.bytes > recentBytes {
		t.Fatalf("kept %d bytes, more than %d", r.bytes, recentBytes)
	}
	cursors := func(evs ...Event) []Cursor {
		var cs []Cursor
		for _, ev := range evs {
			cs = append(cs, ev.Cursor)
		}
		return cs
	}
	got := make([]Event, 5)
	if missing := r.fill(cursors(big(1), big(2), big(3), big(4), big(5)), got); !cmp.Equal(missing, []int{4}) {
		t.Errorf("missing %v after five events of a quarter of the budget, want [4]", missing)
	}
	// Positions 1+recentSlots and 2+recentSlots take slots 1 and 2: the
	// big events there go.
	r.add([]Event{small(1 + recentSlots), small(2 + recentSlots), big(5)})
	got = make([]Event, 3)
	missing := r.fill(cursors(big(1), small(1+recentSlots), big(5)), got)
	if !cmp.Equal(missing, []int{0}) {
		t.Errorf("missing %v, want [0] (position 1's slot holds position %d)", missing, 1+recentSlots)
	}
	if got[1].Cursor != small(1+recentSlots).Cursor || string(got[1].Data) != "small" || len(got[2].Data) != recentBytes/4 {
		t.Errorf("fill returned %v, %v", got[1].Cursor, got[2].Cursor)
	}
	if want := 3*(recentBytes/4) + 2*len("small"); r.bytes != want {
		t.Errorf("kept %d bytes, want %d", r.bytes, want)
	}
}
