package settlement

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSplitTabs compares splitTabs, which looks at eight bytes at a time,
// with strings.Split on rows with a tab, and bytes a word test could take
// for one (0x08, 0x89, 0x19), at every position.
func TestSplitTabs(t *testing.T) {
	t.Parallel()
	rows := []string{"", "\t", "\t\t", "a", "a\tb", "settlement-id\tsettlement-start-date\t\t\t1,00\tEUR\t\t\t"}
	for _, c := range []string{"\t", "\x08", "\x89", "\x19", "\t\t", "\x08\t", "\t\x08", "ü\t"} {
		for at := 0; at <= 17; at++ {
			rows = append(rows, strings.Repeat("x", at)+c+strings.Repeat("y", 17-at))
		}
	}
	for _, row := range rows {
		if diff := cmp.Diff(strings.Split(row, "\t"), splitTabs(nil, row)); diff != "" {
			t.Errorf("splitTabs(%q) (-strings.Split +splitTabs):\n%s", row, diff)
		}
	}
}
