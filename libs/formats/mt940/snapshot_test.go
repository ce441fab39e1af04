package mt940

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEntryStatementSnapshot checks the Statement that comes with each
// entry: the statement as it was when the entry was complete, before
// anything after the entry (a closing balance, the statement's end, the
// next statement) changed it. The Reader takes that snapshot late, when
// Next returns the entry, unless the statement changes first.
func TestEntryStatementSnapshot(t *testing.T) {
	t.Parallel()
	const head = ":20:REF\n:25:DE89370400440532013000\n:60F:C200101EUR100,00\n"
	inputs := map[string]string{
		// An entry without :86:, completed by the closing balance.
		"closing after :61:": head + ":61:200101C1,00NTRFNONREF\n:62F:C200101EUR101,00\n-\n",
		// An entry completed by the next statement's :20:.
		"next :20: after :86:": head + ":61:200101C1,00NTRFNONREF\n:86:166?00GUTSCHRIFT?20EREF+X\n" +
			":20:NEXT\n:25:DE89370400440532013000\n:60F:C200101EUR101,00\n:61:200101D1,00NTRFNONREF\n:86:text\n:62F:C200101EUR100,00\n",
		// An entry completed by the end of the input.
		"end after :86:": head + ":61:200101C1,00NTRFNONREF\n:86:free text\n",
		// An entry completed by the closing balance after its :86:.
		"closing after :86:": head + ":61:200101C1,00NTRFNONREF\n:86:free text\n:62F:C200101EUR101,00\n:64:C200101EUR101,00\n",
	}
	files, err := filepath.Glob(filepath.Join("testdata", "mt940_*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.Contains(name, ".expected.") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(name)] = string(b)
	}
	for name, data := range inputs {
		crafted := !strings.HasPrefix(name, "mt940_")
		rd := NewReader(strings.NewReader(data), Options{})
		var start Statement
		var sum int64
		count := 0
		for {
			it, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			switch it.Kind {
			case KindStatementStart:
				start, sum, count = it.Statement, 0, 0
			case KindEntry:
				count++
				sum += it.Entry.Amount
				st := it.Statement
				if st.Entries != count || st.Sum != sum || st.BalanceCheck != "" || st.Reference != start.Reference || st.Account != start.Account {
					t.Errorf("%s: entry %d (line %d): statement %q with %d entries, sum %d, check %q; want %q, %d, %d, \"\"",
						name, count, it.Entry.Line, st.Reference, st.Entries, st.Sum, st.BalanceCheck, start.Reference, count, sum)
				}
				if crafted && (st.Closing != nil || st.Available != nil) {
					t.Errorf("%s: entry %d has the balances that follow it", name, count)
				}
			}
		}
	}
}
