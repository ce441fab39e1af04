package offline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestRunRefusesHostileFiles gives o2c match's reader a payments file of
// 4 GiB without a line break (sparse: it takes no disk), as a wrong
// argument would: it is refused naming the file and line 1 after reading
// no more than a line's bound, so the heap does not grow by gigabytes; a
// line with a NUL in a JSON string and one nested 100,000 deep are refused
// naming their line.
func TestRunRefusesHostileFiles(t *testing.T) {
	t.Parallel()
	good := `{"id":"I1","debtor":"D1","kind":"invoice","amount_minor":100,"open_minor":100,"currency":"EUR"}`
	f := files(t, map[string]string{"items.jsonl": good, "history.jsonl": "", "debtors.jsonl": ""})
	huge := filepath.Join(t.TempDir(), "payments.jsonl")
	h, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Truncate(4 << 30); err != nil {
		t.Fatal(err)
	}
	h.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = Run(context.Background(), Options{Items: f["items.jsonl"], Payments: huge, History: f["history.jsonl"], Debtors: f["debtors.jsonl"]}, &bytes.Buffer{})
	runtime.ReadMemStats(&after)
	var ie *InputError
	if !errors.As(err, &ie) || ie.File != huge || ie.Line != 1 || !strings.Contains(err.Error(), "line longer than") {
		t.Errorf("a 4 GiB file without line breaks: %v, want an *InputError naming %s line 1", err, huge)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
		t.Errorf("reading it allocated %d bytes, want it bounded by a line's limit", grew)
	}
	for _, tc := range []struct{ name, body, says string }{
		{"binary bytes after a line with a NUL in a string", `{"id":"P1\u0000","amount_minor":100,"currency":"EUR"}` + "\n" + "\x00\x00\x00\n", "line 2"},
		{"nested 100,000 deep", strings.Repeat("[", 100000) + "\n", "line 1"},
	} {
		p := filepath.Join(t.TempDir(), "payments.jsonl")
		if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Run(context.Background(), Options{Items: f["items.jsonl"], Payments: p, History: f["history.jsonl"], Debtors: f["debtors.jsonl"]}, &bytes.Buffer{})
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an *InputError saying %q", tc.name, err, tc.says)
		}
	}
}
