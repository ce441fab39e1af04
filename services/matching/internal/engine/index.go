package engine

import (
	"math"
	"slices"
	"time"
)

// postings maps a 64-bit key to a set of ids (items or debtors). Most keys
// name one id, which is stored in the map itself; a key with more points
// into lists. It keeps the index of a million open items small.
type postings struct {
	m     map[uint64]uint32
	lists [][]int32
	free  []uint32
}

const multiBit = 1 << 31

func newPostings(n int) postings { return postings{m: make(map[uint64]uint32, n)} }

func (p *postings) add(k uint64, v int32) {
	cur, ok := p.m[k]
	if !ok {
		p.m[k] = uint32(v)
		return
	}
	if cur&multiBit == 0 {
		if int32(cur) == v {
			return
		}
		var slot uint32
		if n := len(p.free); n > 0 {
			slot = p.free[n-1]
			p.free = p.free[:n-1]
			p.lists[slot] = append(p.lists[slot][:0], int32(cur), v)
		} else {
			slot = uint32(len(p.lists))
			p.lists = append(p.lists, []int32{int32(cur), v})
		}
		p.m[k] = slot | multiBit
		return
	}
	l := p.lists[cur&^multiBit]
	if slices.Contains(l[max(0, len(l)-4):], v) {
		return
	}
	p.lists[cur&^multiBit] = append(l, v)
}

func (p *postings) remove(k uint64, v int32) {
	cur, ok := p.m[k]
	if !ok {
		return
	}
	if cur&multiBit == 0 {
		if int32(cur) == v {
			delete(p.m, k)
		}
		return
	}
	slot := cur &^ multiBit
	l := p.lists[slot]
	if i := slices.Index(l, v); i >= 0 {
		l = slices.Delete(l, i, i+1)
	}
	p.lists[slot] = l
	switch len(l) {
	case 0:
		delete(p.m, k)
		p.free = append(p.free, slot)
	case 1:
		p.m[k] = uint32(l[0])
		p.lists[slot] = l[:0]
		p.free = append(p.free, slot)
	}
}

// get returns the ids under k: appended to buf when there is one, else the
// posting list itself, which the caller must not change.
func (p *postings) get(k uint64, buf []int32) []int32 {
	cur, ok := p.m[k]
	if !ok {
		return buf[:0]
	}
	if cur&multiBit == 0 {
		return append(buf[:0], int32(cur))
	}
	return p.lists[cur&^multiBit]
}

// bulkIndex maps 64-bit keys (hashes of number forms, open amounts) to
// items. The entries added before the first lookup (a whole tenant's items
// at start, or a streamed file) are laid out once in one array bucketed by
// a mix of the key, in two passes, with 32 more bits of the mix kept per
// entry: inserting millions of keys into a map one by one took seconds and
// twice the memory. Entries added later go to a map. Entries stay in the
// array when their item is removed or its key changes, and two keys may
// share bucket and fragment: a lookup returns candidates, and every caller
// checks the item (removed, its numbers, its open amount) before taking it.
type bulkIndex struct {
	pending []uint64 // mixed key, then item, pairwise
	start   []uint32
	laid    []laidEntry
	shift   uint
	built   bool
	later   postings
}

type laidEntry struct {
	frag uint32
	item int32
}

func newBulkIndex(n int) bulkIndex {
	return bulkIndex{pending: make([]uint64, 0, 2*n), later: newPostings(0)}
}

// mix scrambles a key so that its top bits choose a bucket evenly (an
// open amount's key is far from uniform).
func mix(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// add indexes item under key k.
func (x *bulkIndex) add(k uint64, item int32) {
	if x.built {
		x.later.add(k, item)
		return
	}
	x.pending = append(x.pending, mix(k), uint64(uint32(item)))
}

// remove takes item off key k where it can; see bulkIndex.
func (x *bulkIndex) remove(k uint64, item int32) {
	if x.built {
		x.later.remove(k, item)
	}
}

// build lays out the pending entries: a counting sort by the top bits of
// the mixed key, about two entries a bucket.
func (x *bulkIndex) build() {
	if x.built || len(x.pending) == 0 {
		return
	}
	x.built = true
	n := len(x.pending) / 2
	bits := uint(1)
	for 1<<bits < n/2 && bits < 31 {
		bits++
	}
	x.shift = 64 - bits
	x.start = make([]uint32, 1<<bits+1)
	for i := 0; i < len(x.pending); i += 2 {
		x.start[x.pending[i]>>x.shift+1]++
	}
	for b := 1; b < len(x.start); b++ {
		x.start[b] += x.start[b-1]
	}
	x.laid = make([]laidEntry, n)
	next := slices.Clone(x.start[:len(x.start)-1])
	for i := 0; i < len(x.pending); i += 2 {
		h := x.pending[i]
		b := h >> x.shift
		x.laid[next[b]] = laidEntry{frag: uint32(h), item: int32(uint32(x.pending[i+1]))}
		next[b]++
	}
	x.pending = nil
}

// get appends the items under k (and perhaps a few others, see bulkIndex)
// to buf[:0].
func (x *bulkIndex) get(k uint64, buf []int32) []int32 {
	x.build()
	buf = buf[:0]
	if x.built {
		h := mix(k)
		b := h >> x.shift
		for _, en := range x.laid[x.start[b]:x.start[b+1]] {
			if en.frag == uint32(h) {
				buf = append(buf, en.item)
			}
		}
	}
	if len(x.later.m) > 0 {
		var one [1]int32
		buf = append(buf, x.later.get(k, one[:0])...)
	}
	return buf
}

// noDay is the day number of an unknown date.
const noDay = math.MinInt32

// dayOf is the calendar day of t as days since 1970-01-01, noDay for the
// zero time.
func dayOf(t time.Time) int32 {
	if t.IsZero() {
		return noDay
	}
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dayString formats a day number as YYYY-MM-DD.
func dayString(d int32) string {
	if d == noDay {
		return "?"
	}
	return time.Unix(int64(d)*86400, 0).UTC().Format(time.DateOnly)
}

// amountKey is the key of an open amount in a currency.
func amountKey(cur uint16, minor int64) uint64 {
	return uint64(cur)<<52 | uint64(minor+1<<51)&(1<<52-1)
}

// prefixIndex finds the open items one of whose numbers starts with a given
// prefix: for a text a bank cut inside a number. Keys are the first 12
// characters of a number's full and digits forms in base 37; it is sorted
// when first asked and entries added later are searched linearly until
// the next sort.
type prefixIndex struct {
	entries []prefixEntry
	sorted  int
}

type prefixEntry struct {
	code uint64
	item int32
}

const prefixChars = 12

var pow37 = func() [prefixChars + 1]uint64 {
	var p [prefixChars + 1]uint64
	p[0] = 1
	for i := 1; i <= prefixChars; i++ {
		p[i] = p[i-1] * 37
	}
	return p
}()

// prefixCode encodes up to prefixChars characters of s (upper-case letters
// and digits) in base 37, padded with zeros.
func prefixCode(s string) uint64 {
	var c uint64
	for i := range prefixChars {
		var v uint64
		if i < len(s) {
			switch ch := s[i]; {
			case ch >= '0' && ch <= '9':
				v = uint64(ch-'0') + 1
			case ch >= 'A' && ch <= 'Z':
				v = uint64(ch-'A') + 11
			}
		}
		c = c*37 + v
	}
	return c
}

func (x *prefixIndex) add(form string, item int32) {
	x.entries = append(x.entries, prefixEntry{code: prefixCode(form), item: item})
}

// query appends to out the items with a key starting with prefix (at most
// limit+1 of them, so the caller sees that there were more than limit).
// Entries of removed items are returned too; the caller checks.
func (x *prefixIndex) query(prefix string, limit int, out []int32) []int32 {
	if len(x.entries)-x.sorted > 4096 || (x.sorted == 0 && len(x.entries) > 0) {
		slices.SortFunc(x.entries, func(a, b prefixEntry) int {
			switch {
			case a.code < b.code:
				return -1
			case a.code > b.code:
				return 1
			}
			return int(a.item - b.item)
		})
		x.sorted = len(x.entries)
	}
	n := min(len(prefix), prefixChars)
	lo := prefixCode(prefix[:n])
	hi := lo + pow37[prefixChars-n] - 1
	i, _ := slices.BinarySearchFunc(x.entries[:x.sorted], lo, func(e prefixEntry, c uint64) int {
		switch {
		case e.code < c:
			return -1
		case e.code > c:
			return 1
		}
		return 0
	})
	for ; i < x.sorted && x.entries[i].code <= hi; i++ {
		if !slices.Contains(out, x.entries[i].item) {
			out = append(out, x.entries[i].item)
			if len(out) > limit {
				return out
			}
		}
	}
	for _, e := range x.entries[x.sorted:] {
		if e.code >= lo && e.code <= hi && !slices.Contains(out, e.item) {
			out = append(out, e.item)
			if len(out) > limit {
				return out
			}
		}
	}
	return out
}
