package opening

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReadRefusesHostileFiles: an opening balances file of 4 GiB without
// a line break (sparse: it takes no disk), as a wrong argument would give,
// and a JSON Lines row of 2 MiB are refused naming the line, after reading
// no more than a line's bound.
func TestReadRefusesHostileFiles(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "huge.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(4 << 30); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Read(f, "acme", booking)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "line 1 longer than 1048576 bytes") {
		t.Errorf("a 4 GiB file without line breaks: %v, want line 1 refused as too long", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("reading it allocated %d bytes, want it bounded by a line's limit", grew)
	}
	row := `{"debtor_id":"D-1","document_number":"RE-1","document_date":"2025-12-01","due_date":"2025-12-31","currency":"EUR","amount":"1.00"}`
	_, err = Read(strings.NewReader(row+"\n"+`{"x":"`+strings.Repeat("x", 2<<20)+`"}`+"\n"), "acme", booking)
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "longer than 1048576 bytes") {
		t.Errorf("a JSON Lines row of 2 MiB: %v, want it refused as too long", err)
	}
}
