package settlement

import (
	"bytes"
	"os"
	"path/filepath"
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

// TestTrailingCellsCut: a file whose rows lost their trailing empty cells
// (an editor trimming whitespace) reads like the original, also when it
// holds several settlements under one header: a row starting with a
// settlement id is a row of its own, never the rest of a broken one.
func TestTrailingCellsCut(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"v1_two_settlements.txt", "v2_two_settlements.txt"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			want := readAll(t, bytes.NewReader(data))
			if want.err != nil || len(want.settlements) < 2 {
				t.Fatalf("original: %d settlements, %v", len(want.settlements), want.err)
			}
			lines := strings.Split(string(data), "\n")
			for i, l := range lines {
				lines[i] = strings.TrimRight(l, "\t\r")
			}
			got := readAll(t, strings.NewReader(strings.Join(lines, "\n")))
			if got.err != nil {
				t.Fatalf("cut: %v", got.err)
			}
			if diff := cmp.Diff(want.settlements, got.settlements); diff != "" {
				t.Errorf("settlements (-original +cut):\n%s", diff)
			}
		})
	}
}
