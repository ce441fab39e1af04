package parse

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// onePassFiles writes every test input of every format into a temporary
// directory, each also cut after half its bytes (most of them fail then,
// some at their very end) and as UTF-16, and returns the paths.
func onePassFiles(tb testing.TB) []string {
	tb.Helper()
	var inputs [][]byte
	for _, files := range jsonInputs(tb) {
		inputs = append(inputs, files...)
	}
	root := filepath.Join("..", "..", "..", "..")
	for _, g := range []string{
		filepath.Join(root, "libs", "formats", "datev", "testdata", "*.csv"),
		filepath.Join(root, "libs", "formats", "amazon", "finances", "testdata", "*.json"),
	} {
		names, err := filepath.Glob(g)
		if err != nil {
			tb.Fatal(err)
		}
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				tb.Fatal(err)
			}
			inputs = append(inputs, b)
		}
	}
	inputs = append(inputs, []byte("neither a statement nor a report\n"), nil)
	dir := tb.TempDir()
	var paths []string
	write := func(b []byte) {
		p := filepath.Join(dir, fmt.Sprintf("%04d", len(paths)))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, b := range inputs {
		write(b)
		write(b[:len(b)/2])
		if len(b) < 64<<10 {
			write(utf16File(string(b), false))
		}
	}
	write([]byte(strings.Repeat("x", 10)))
	paths = append(paths, filepath.Join(dir, "missing"))
	return paths
}

// runOutput is everything a run printed.
type runOutput struct {
	Code           int
	Stdout, Stderr string
}

func runWith(files []string, opt Options, sp *spool) runOutput {
	var stdout, stderr bytes.Buffer
	code := run(files, opt, &stdout, &stderr, sp)
	return runOutput{Code: code, Stdout: stdout.String(), Stderr: stderr.String()}
}

// TestOnePassMatchesTwoPasses runs every test input, in one run, through
// the one-pass reading with its JSON spooled (in memory; almost all of it
// in the temporary file; with a temporary directory that does not exist and
// with a file that fails every write, so that it falls back) and through the
// two passes: standard output, standard error and exit status must be the
// same, and no temporary file is left.
func TestOnePassMatchesTwoPasses(t *testing.T) {
	t.Parallel()
	files := onePassFiles(t)
	for _, opt := range []Options{
		{Format: "auto"},
		{Format: "mt940"},
		{Format: "camt"},
		{Format: "amazon-settlement"},
		{Format: "auto", Output: "table"},
	} {
		want := runWith(files, opt, nil)
		if want.Code != 1 {
			t.Fatalf("%+v: exit %d, want 1 (some inputs fail)", opt, want.Code)
		}
		if opt == (Options{Format: "auto"}) {
			for _, s := range []string{`"statements":[{`, `"settlements":[{`, `"bookings":[{`, `"error":`} {
				if !strings.Contains(want.Stdout, s) {
					t.Fatalf("no file's line has %s", s)
				}
			}
		}
		for _, tt := range []struct {
			name   string
			memory int
			dir    string
		}{
			{"memory", spoolMemory, ""},
			{"file", 64, ""},
			{"broken", 64, "missing"},
			{"unwritable", 64, ""},
		} {
			dir := t.TempDir()
			sp := newSpool(filepath.Join(dir, tt.dir), tt.memory)
			if tt.name == "unwritable" {
				// A spool whose file fails every write, as on a full disk.
				ro, err := os.Open(files[0])
				if err != nil {
					t.Fatal(err)
				}
				sp.file = ro
			}
			got := runWith(files, opt, sp)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%+v, spool %s: one pass differs from two (-two +one):\n%.3000s", opt, tt.name, diff)
			}
			if (tt.name == "broken" || tt.name == "unwritable") && sp.err == nil {
				t.Errorf("%+v: spool %s worked", opt, tt.name)
			}
			if left, err := os.ReadDir(dir); err != nil || len(left) > 0 {
				t.Errorf("%+v, spool %s: left behind %v (%v)", opt, tt.name, left, err)
			}
		}
	}
}

// TestOnePassFailsWithoutPrinting checks that a file that fails after a
// great deal of JSON has been spooled gets only its error line, and that
// the file after it is printed in full from the reused spool.
func TestOnePassFailsWithoutPrinting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.sta")
	if err := os.WriteFile(whole, []byte(handlerSample), 0o600); err != nil {
		t.Fatal(err)
	}
	// Many good statements, then one that breaks off in its last line.
	broken := filepath.Join(dir, "broken.sta")
	body := strings.Repeat(handlerSample, 50)
	if err := os.WriteFile(broken, []byte(body+":20:X\r\n:25:Y\r\n:60F:"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := []string{whole, broken, whole}
	want := runWith(files, Options{Format: "auto"}, nil)
	got := runWith(files, Options{Format: "auto"}, newSpool(dir, 64))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("one pass differs from two (-two +one):\n%s", diff)
	}
	lines := strings.Split(strings.TrimSuffix(got.Stdout, "\n"), "\n")
	if len(lines) != 3 || got.Code != 1 {
		t.Fatalf("exit %d, %d lines, want 1 and 3:\n%.2000s", got.Code, len(lines), got.Stdout)
	}
	if !strings.Contains(lines[1], `"error":`) || strings.Contains(lines[1], `"statements"`) {
		t.Errorf("broken file's line is not an error line alone: %.300s", lines[1])
	}
	if lines[0] != lines[2] || !strings.Contains(lines[0], `"statements":[{`) {
		t.Errorf("the good file printed differently around the broken one:\n%s\n%s", lines[0], lines[2])
	}
}
