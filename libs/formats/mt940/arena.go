package mt940

import "strings"

// arenaChunk is the size of the allocations an arena cuts strings from.
const arenaChunk = 16 << 10

// arena hands out strings cut from shared allocations of arenaChunk bytes:
// one allocation for some forty entries' fields, purposes and
// fingerprints instead of four per entry. A string it returned stays valid
// and unchanged for ever (the builder only appends, never within what it
// has handed out); a caller that keeps one string keeps its chunk alive.
// The zero arena is ready to use, and a nil *arena allocates every string
// on its own.
type arena struct {
	b strings.Builder
}

// string returns the text of p as a string that shares an allocation with
// the arena's other strings.
func (a *arena) string(p []byte) string {
	if a == nil || len(p) > arenaChunk/4 {
		return string(p)
	}
	if len(p) == 0 {
		return ""
	}
	if a.b.Cap()-a.b.Len() < len(p) {
		// A new chunk. Strings cut from the old one keep it alive.
		a.b = strings.Builder{}
		a.b.Grow(arenaChunk)
	}
	start := a.b.Len()
	a.b.Write(p)
	return a.b.String()[start:]
}
