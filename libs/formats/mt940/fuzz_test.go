package mt940

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the Reader. It must not panic; an
// error must be a *SyntaxError naming a line, and every entry must carry a
// currency, a value date and a fingerprint, with its amount's sign matching
// its mark.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "mt940_*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if strings.Contains(name, ".expected.") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range quirkSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(strings.NewReader(string(data)), Options{})
		for {
			it, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || se.Line < 1 {
					t.Fatalf("error without a line: %v", err)
				}
				return
			}
			if it.Kind != KindEntry {
				continue
			}
			e := it.Entry
			if e.Currency == "" || e.ValueDate.IsZero() || e.BookingDate.IsZero() || len(e.Fingerprint()) != 32 {
				t.Fatalf("incomplete entry %+v", e)
			}
			credit := e.Mark == "C" || e.Mark == "RD"
			if (credit && e.Amount < 0) || (!credit && e.Amount > 0) {
				t.Fatalf("mark %s with amount %d", e.Mark, e.Amount)
			}
			if e.Charges < 0 {
				t.Fatalf("negative charges %d", e.Charges)
			}
		}
	})
}

// quirkSeeds are small hand-made files, one per quirk, shared by the tests
// and the fuzz corpus.
func quirkSeeds() []string {
	return []string{
		mt942Intraday,
		mt940Daily,
		":20:X\r:25:DE1\r:60F:C200101EUR1,00\r:61:2001010101RCR1,00NTRFNONREF\r:62F:C200101EUR0,00\r-",
		":20:X\n:25:NL69INGB0123456789EUR\n:60F:C201231EUR0,\n:61:2101021231D5,5NTRFREF//B1\n:86:/EREF/E1/NAME/A B/REMI/Inv\t1\u00ad2/\n",
		"\x01\n:20:A\n:25:X/JPY\n:61:200101C100,5N\n",
	}
}
