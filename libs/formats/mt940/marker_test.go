package mt940

import (
	"strings"
	"testing"
)

// nextMarkerByBytes is nextMarker's definition, one byte at a time.
func nextMarkerByBytes(s string, sep byte) int {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == sep && isDigit(s[i+1]) && isDigit(s[i+2]) {
			return i
		}
	}
	return -1
}

// TestNextMarker compares nextMarker, which looks for the separator eight
// bytes at a time, with its definition: markers, separators without two
// digits, and bytes one off the separator (which a borrow could mistake
// for it) at every position of strings up to three words long, a marker
// cut off at the end, and a separator next to bytes 0x00 and 0xff.
func TestNextMarker(t *testing.T) {
	t.Parallel()
	for _, sep := range []byte{'?', '>'} {
		pieces := []string{
			string(sep) + "20", string(sep) + "2", string(sep) + "2x", string(sep),
			string(sep) + string(sep) + "21", string(sep+1) + "20", string(sep-1) + "20",
			"\x00" + string(sep) + "33", "\xff" + string(sep) + "33",
		}
		for _, p := range pieces {
			for n := 0; n <= 26; n++ {
				for at := 0; at <= n; at++ {
					s := strings.Repeat("a", at) + p + strings.Repeat("b", n-at)
					if got, want := nextMarker(s, sep), nextMarkerByBytes(s, sep); got != want {
						t.Errorf("nextMarker(%q, %q) = %d, want %d", s, sep, got, want)
					}
					s = strings.Repeat("1", at) + p + strings.Repeat("\x00", n-at) + p
					if got, want := nextMarker(s, sep), nextMarkerByBytes(s, sep); got != want {
						t.Errorf("nextMarker(%q, %q) = %d, want %d", s, sep, got, want)
					}
				}
			}
		}
	}
}
