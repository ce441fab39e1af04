package mt940

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// TestRFReference compares rfReference with its definition (the text
// without spaces is 5 to 25 characters, RF and two digits, and passes the
// ISO 7064 mod 97 check) on references, near misses and ordinary texts.
func TestRFReference(t *testing.T) {
	t.Parallel()
	def := func(s string) []string {
		c := strings.ToUpper(strings.ReplaceAll(s, " ", ""))
		if len(c) < 5 || len(c) > 25 || !strings.HasPrefix(c, "RF") || !isDigit(c[2]) || !isDigit(c[3]) || !mod97(c[4:]+c[:4]) {
			return nil
		}
		return []string{c}
	}
	for _, s := range []string{
		"RF18539007547034", "RF18 5390 0754 7034", " rf18 5390 0754 7034 ", "RF18539007547035", "RF71", "RF712",
		"RF18 5390 0754 7034 1234 5678 90", "RFX8539007547034", "RF1X539007547034", "R F18539007547034",
		"Rechnung 4711", "", " ", "rf", "FR18539007547034", "RF18539007547034RF18539",
	} {
		if got, want := rfReference(s), def(s); !cmp.Equal(got, want) {
			t.Errorf("rfReference(%q) = %q, want %q", s, got, want)
		}
	}
	if rfReference("RF18 5390 0754 7034") == nil {
		t.Error("the ISO 11649 example is not found")
	}
}
