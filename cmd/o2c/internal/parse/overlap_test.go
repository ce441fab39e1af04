package parse

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement/settlementgen"
	"github.com/o2c-platform/o2c/libs/formats/camt/camtgen"
	"github.com/o2c-platform/o2c/libs/formats/mt940/mt940gen"
)

// largeFiles writes generated files several times the size of the
// readAhead's and the writeBehind's buffers, so that both goroutines are
// busy and waiting for buffers while the parser runs: whole, cut in half,
// broken on their first line (the parser stops while the file is still
// being read), and MT940 broken in the middle.
func largeFiles(tb testing.TB) []string {
	tb.Helper()
	dir := tb.TempDir()
	var paths []string
	write := func(name string, b []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, g := range []struct {
		name  string
		write func(io.Writer, int64) (int, error)
	}{
		{"mt940", mt940gen.Write},
		{"camt", camtgen.Write},
		{"settlement", settlementgen.WriteV2},
	} {
		var b bytes.Buffer
		if _, err := g.write(&b, 3<<20); err != nil {
			tb.Fatal(err)
		}
		data := b.Bytes()
		write(g.name, data)
		write(g.name+"-half", data[:len(data)/2])
		// Detected by its head, broken right after it.
		write(g.name+"-broken", append(append([]byte{}, data[:4096]...), "\x00:20:\n<</>"+string(data[4096:])...))
	}
	var b bytes.Buffer
	if _, err := mt940gen.Write(&b, 3<<20); err != nil {
		tb.Fatal(err)
	}
	data := b.Bytes()
	mid := bytes.Index(data[len(data)/2:], []byte("\n:61:")) + len(data)/2 + 1
	write("mt940-broken-middle", append(append([]byte{}, data[:mid]...), ":61:XX\n"+string(data[mid:])...))
	return paths
}

// TestOnePassMatchesTwoPassesOnLargeFiles is TestOnePassMatchesTwoPasses
// for files that keep the goroutines of the one pass busy: the output
// must not change with the spool in memory or in a file, or with a spool
// that fails on its goroutine halfway through a file.
func TestOnePassMatchesTwoPassesOnLargeFiles(t *testing.T) {
	t.Parallel()
	files := largeFiles(t)
	want := runWith(files, Options{Format: "auto"}, nil)
	if want.Code != 1 || strings.Count(want.Stdout, "\n") != len(files) {
		t.Fatalf("two passes: exit %d, %d lines, want 1 and %d", want.Code, strings.Count(want.Stdout, "\n"), len(files))
	}
	for _, s := range []string{`"statements":[{`, `"settlements":[{`, `"error":`} {
		if !strings.Contains(want.Stdout, s) {
			t.Fatalf("no file's line has %s", s)
		}
	}
	for _, tt := range []struct {
		name   string
		memory int
	}{
		{"memory", 64 << 20},
		{"file", 64},
		{"fails", 5 << 20},
	} {
		sp := newSpool(t.TempDir(), tt.memory)
		if tt.name == "fails" {
			// The first 5 MB go to memory, then writes to the file fail.
			ro, err := os.Open(files[0])
			if err != nil {
				t.Fatal(err)
			}
			sp.file = ro
		}
		got := runWith(files, Options{Format: "auto"}, sp)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("spool %s: one pass differs from two (-two +one):\n%.3000s", tt.name, diff)
		}
		if (tt.name == "fails") != (sp.err != nil) {
			t.Errorf("spool %s: error %v", tt.name, sp.err)
		}
	}
}

// TestRunLeavesNoGoroutines checks that the goroutines of the one pass end
// with Run, whether files parse, fail early or late, or the spool fails.
// It is not parallel, so that no other test's goroutines are counted.
func TestRunLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	files := largeFiles(t)
	if code := Run(files, Options{Format: "auto"}, io.Discard, io.Discard); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	// A spool that fails makes the one pass give up on each file, where
	// the parser may have stopped long before the end of the file.
	for _, f := range files {
		sp := newSpool(t.TempDir(), 64)
		ro, err := os.Open(files[0])
		if err != nil {
			t.Fatal(err)
		}
		sp.file = ro
		runWith([]string{f}, Options{Format: "auto"}, sp)
		if sp.err == nil {
			t.Errorf("%s: the spool did not fail", filepath.Base(f))
		}
	}
}

// TestBufferedWrites checks the Writer's buffer, on its own and with a
// writeBehind: whatever the mix of appended, copied, large and string
// writes and flushes, the bytes arrive whole and in order.
func TestBufferedWrites(t *testing.T) {
	t.Parallel()
	for _, behind := range []bool{false, true} {
		var got bytes.Buffer
		w := NewWriter(&got)
		var wb *writeBehind
		if behind {
			w, wb = newWriterBehind(&got, 64)
		}
		var want bytes.Buffer
		for i := range 300 {
			s := strings.Repeat(string(rune('a'+i%26)), i%150)
			switch i % 4 {
			case 0:
				buf := w.buffer()
				buf = append(buf, s...)
				w.commit(buf)
			case 1:
				w.commit([]byte(s))
			case 2:
				w.WriteString(s)
			case 3:
				w.Value(s)
				s = `"` + s + `"`
			}
			want.WriteString(s)
			if i%97 == 0 {
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if wb != nil {
			wb.close()
		}
		if got.String() != want.String() {
			t.Errorf("behind %v: wrote %d bytes, want %d:\n%.300q\nwant\n%.300q", behind, got.Len(), want.Len(), got.String(), want.String())
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestWriteBehindError checks that a write that fails on the writeBehind's
// goroutine shows in Flush, and that reset forgets it.
func TestWriteBehindError(t *testing.T) {
	t.Parallel()
	w, wb := newWriterBehind(failingWriter{}, 64)
	defer wb.close()
	w.WriteString(strings.Repeat("x", 1000))
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Flush = %v, want disk full", err)
	}
	var b bytes.Buffer
	w.reset(&b)
	w.WriteString("ok")
	if err := w.Flush(); err != nil || b.String() != "ok" {
		t.Errorf("after reset: Flush = %v, wrote %q", err, b.String())
	}
}
