package mt940

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/o2c-platform/o2c/libs/formats/mt940/mt940gen"
)

// checkOnlyView is what a Reader with Options.CheckOnly must report the
// same as one without: every item with its statement and entry, minus what
// CheckOnly leaves out, then the error and the format.
type checkOnlyView struct {
	Kinds      []Kind
	Statements []Statement
	Entries    []Entry
	Err        string
	Format     string
}

func readView(tb testing.TB, data []byte, opt Options) checkOnlyView {
	tb.Helper()
	rd := NewReader(bytes.NewReader(data), opt)
	var v checkOnlyView
	for {
		it, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			v.Err = err.Error()
			break
		}
		v.Kinds = append(v.Kinds, it.Kind)
		v.Statements = append(v.Statements, it.Statement)
		if it.Entry != nil {
			e := *it.Entry
			e.Info, e.Details, e.Charges, e.fingerprint = "", Details{}, 0, ""
			v.Entries = append(v.Entries, e)
		}
	}
	v.Format = rd.Format()
	return v
}

// checkOnlyInputs are the fixtures, the hand-made quirk files, the files
// TestErrors reads, and a generated file.
func checkOnlyInputs(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "mt940_*"))
	if err != nil {
		tb.Fatal(err)
	}
	var inputs [][]byte
	for _, name := range files {
		if strings.Contains(name, ".expected.") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	for _, s := range append(quirkSeeds(),
		"hello\nworld\n", ":20:A\n:25:B\n:60F:C200101EUR1,\n:61:200101X1,NTRF\n",
		":20:A\n:25:B\n:60F:C201301EUR1,\n", ":20:A\n:25:B\n:61:200101C1,NTRF\n", "",
		":20:A\n:25:B\n:60F:C200101EUR1,\n:61:200101C1,NTRF\n:86:"+strings.Repeat("x", 65)+"\n"+strings.Repeat("y", maxField)+"\n",
	) {
		inputs = append(inputs, []byte(s))
	}
	var gen bytes.Buffer
	if _, err := mt940gen.Write(&gen, 256<<10); err != nil {
		tb.Fatal(err)
	}
	return append(inputs, gen.Bytes())
}

// TestCheckOnly reads every input with and without Options.CheckOnly: the
// items, the error and the format must be the same, and CheckOnly must
// leave the :86: details and fingerprints out.
func TestCheckOnly(t *testing.T) {
	t.Parallel()
	for _, data := range checkOnlyInputs(t) {
		for _, enc := range []string{"", "cp852"} {
			want := readView(t, data, Options{Encoding: enc})
			got := readView(t, data, Options{Encoding: enc, CheckOnly: true})
			if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Statement{}, Entry{})); diff != "" {
				t.Errorf("%.60q (encoding %q): CheckOnly differs (-full +check only):\n%s", data, enc, diff)
			}
		}
	}
	rd := NewReader(bytes.NewReader(checkOnlyInputs(t)[0]), Options{CheckOnly: true})
	for {
		it, err := rd.Next()
		if err != nil {
			break
		}
		if it.Entry != nil && (it.Entry.Fingerprint() != "" || it.Entry.Info != "" || !cmp.Equal(it.Entry.Details, Details{})) {
			t.Fatalf("CheckOnly entry at line %d carries details: %+v", it.Entry.Line, it.Entry)
		}
	}
}

// FuzzCheckOnly requires a Reader with Options.CheckOnly to find the same
// items, errors and format as one without, on any input.
func FuzzCheckOnly(f *testing.F) {
	for _, data := range checkOnlyInputs(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := readView(t, data, Options{})
		got := readView(t, data, Options{CheckOnly: true})
		if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Statement{}, Entry{})); diff != "" {
			t.Errorf("CheckOnly differs (-full +check only):\n%s", diff)
		}
	})
}
