package parse

import (
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// TestRunRestoresGCTarget checks that Run gives the garbage collector its
// previous target back. It is not parallel: no other Run may change the
// target meanwhile.
func TestRunRestoresGCTarget(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set, so Run leaves the target alone")
	}
	prev := debug.SetGCPercent(123)
	defer debug.SetGCPercent(prev)
	path := filepath.Join(t.TempDir(), "statement.sta")
	if err := os.WriteFile(path, []byte(handlerSample), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := Run([]string{path}, Options{}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := debug.SetGCPercent(123); got != 123 {
		t.Errorf("GC target after Run = %d, want 123", got)
	}
}
