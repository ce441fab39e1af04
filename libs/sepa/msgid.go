package sepa

import (
	"strconv"
	"strings"
	"time"
)

// MaxIDLength is the length of every identifier of a SEPA file (message,
// payment information, end-to-end and mandate identification): Max35Text.
const MaxIDLength = 35

// MessageID returns a message identification of at most 35 characters:
// the prefix, the instant t in UTC to the second and seq, joined by "-",
// e.g. "DEMO-20261207T021500-1". The prefix is transliterated (Latin),
// stripped of spaces and slashes and cut so the whole fits; a negative seq
// counts as 0. Two calls return the same identification only for the same
// prefix, second and seq: a run numbers its files with seq and names its
// creditor (tenant and account) in the prefix, so identifications are
// unique per creditor as long as no two runs for it start in the same
// second.
func MessageID(prefix string, t time.Time, seq int) string {
	if seq < 0 {
		seq = 0
	}
	stamp := t.UTC().Format("20060102T150405")
	tail := "-" + stamp + "-" + strconv.Itoa(seq)
	p := strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' {
			return -1
		}
		return r
	}, Latin(prefix))
	if room := MaxIDLength - len(tail); len(p) > room {
		p = p[:max(room, 0)]
	}
	if p == "" {
		return strings.TrimPrefix(tail, "-")
	}
	return p + tail
}
