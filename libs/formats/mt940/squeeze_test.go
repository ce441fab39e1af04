package mt940

import (
	"strings"
	"testing"
)

// TestAppendSqueezed compares appendSqueezed with strings.Fields joined
// again, with white space, control characters, non-ASCII and invalid UTF-8
// at every position of the eight-byte words it tests at once.
func TestAppendSqueezed(t *testing.T) {
	t.Parallel()
	for _, c := range []string{" ", "\t", "\n", "\x00", "\x1f", "!", "~", "\x7f", "é", "\u00a0", "\u2003", "\xff", "\x80"} {
		for n := 0; n < 20; n++ {
			for at := 0; at <= n; at++ {
				s := strings.Repeat("a", at) + c + strings.Repeat("b", n-at)
				want := strings.Join(strings.Fields(s), "")
				if got := string(appendSqueezed(nil, s)); got != want {
					t.Errorf("appendSqueezed(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
}

// TestGraphicASCII8 compares the word test with a byte loop for every
// byte value at every position.
func TestGraphicASCII8(t *testing.T) {
	t.Parallel()
	for c := 0; c < 256; c++ {
		for at := 0; at < 8; at++ {
			b := []byte("abcdefgh")
			b[at] = byte(c)
			want := c > ' ' && c < 0x80
			if got := graphicASCII8(string(b)); got != want {
				t.Errorf("graphicASCII8(%q) = %v, want %v", b, got, want)
			}
		}
	}
}
