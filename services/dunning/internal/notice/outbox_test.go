package notice

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func newOutbox(tb testing.TB) (*Outbox, string) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "outbox")
	o, err := NewOutbox(dir)
	if err != nil {
		tb.Fatalf("NewOutbox: %v", err)
	}
	return o, dir
}

// TestOutboxRoundTrip puts a rendered notice and gets it back, byte for
// byte, from the four files at the documented paths.
func TestOutboxRoundTrip(t *testing.T) {
	t.Parallel()
	o, dir := newOutbox(t)
	r := render(t, sampleLetter(t, "de"))
	paths, err := o.Put("acme", "D-10042", "MA-2026-000042", r)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	base := filepath.Join(dir, "acme", "D-10042", "MA-2026-000042")
	want := []string{base + ".pdf", base + ".txt", base + ".html", base + ".json"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	pdf, err := os.ReadFile(base + ".pdf")
	if err != nil || string(pdf) != string(r.PDF) {
		t.Errorf("PDF file differs from the rendered PDF (%v)", err)
	}
	got, err := o.Get("acme", "D-10042", "MA-2026-000042")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("Get (-put +got):\n%s", diff)
	}
	entries, err := os.ReadDir(filepath.Dir(base))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	numbers, err := o.List("acme", "D-10042")
	if err != nil || !cmp.Equal(numbers, []string{"MA-2026-000042"}) {
		t.Errorf("List = %v, %v", numbers, err)
	}
	if numbers, err := o.List("acme", "D-other"); err != nil || len(numbers) != 0 {
		t.Errorf("List of a debtor without notices = %v, %v", numbers, err)
	}
}

// TestOutboxPutIsIdempotent puts the same notice again, also from several
// goroutines at once: no error, the same paths, the files unchanged. A
// different notice under the same number is refused and leaves the first
// as it was.
func TestOutboxPutIsIdempotent(t *testing.T) {
	t.Parallel()
	o, _ := newOutbox(t)
	r := render(t, sampleLetter(t, "de"))
	first, err := o.Put("acme", "D-10042", "MA-2026-000042", r)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	info, err := os.Stat(first[3])
	if err != nil {
		t.Fatal(err)
	}
	same := render(t, sampleLetter(t, "de"))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			again, err := o.Put("acme", "D-10042", "MA-2026-000042", same)
			if err == nil && !cmp.Equal(again, first) {
				t.Errorf("second Put returned %v, first %v", again, first)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("repeated Put: %v", err)
		}
	}
	if after, err := os.Stat(first[3]); err != nil || !after.ModTime().Equal(info.ModTime()) {
		t.Errorf("repeated Put rewrote the manifest (%v)", err)
	}

	changed := sampleLetter(t, "de")
	changed.Fees[0].Amount, changed.Total = 500, changed.Total+250
	_, err = o.Put("acme", "D-10042", "MA-2026-000042", render(t, changed))
	if !errors.Is(err, ErrNoticeConflict) {
		t.Fatalf("Put of other content = %v, want ErrNoticeConflict", err)
	}
	got, err := o.Get("acme", "D-10042", "MA-2026-000042")
	if err != nil || !cmp.Equal(got, r) {
		t.Errorf("after a refused Put, Get = %v; want the first notice", err)
	}
	// The same number for another debtor or tenant is another notice.
	if _, err := o.Put("acme", "D-10043", "MA-2026-000042", render(t, changed)); err != nil {
		t.Errorf("Put for another debtor: %v", err)
	}
	if _, err := o.Put("other", "D-10042", "MA-2026-000042", render(t, changed)); err != nil {
		t.Errorf("Put for another tenant: %v", err)
	}
}

// TestOutboxRecoversFromAHalfPut leaves the files of a Put that failed
// before its manifest, and of one whose files were changed afterwards:
// the first is replaced by the next Put, the second is reported.
func TestOutboxRecoversFromAHalfPut(t *testing.T) {
	t.Parallel()
	o, dir := newOutbox(t)
	base := filepath.Join(dir, "acme", "D-1", "N-1")
	if err := os.MkdirAll(filepath.Dir(base), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+".pdf", []byte("half"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Get("acme", "D-1", "N-1"); !errors.Is(err, ErrNoticeNotFound) {
		t.Errorf("Get of a half-written notice = %v, want ErrNoticeNotFound", err)
	}
	r := render(t, sampleLetter(t, "en"))
	if _, err := o.Put("acme", "D-1", "N-1", r); err != nil {
		t.Fatalf("Put over a half-written notice: %v", err)
	}
	if got, err := o.Get("acme", "D-1", "N-1"); err != nil || !cmp.Equal(got, r) {
		t.Errorf("Get = %v", err)
	}
	if err := os.WriteFile(base+".txt", []byte("tampered"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Get("acme", "D-1", "N-1"); !errors.Is(err, ErrNoticeConflict) {
		t.Errorf("Get of a changed file = %v, want ErrNoticeConflict", err)
	}
	if _, err := o.Put("acme", "D-1", "N-1", r); !errors.Is(err, ErrNoticeConflict) {
		t.Errorf("Put over a changed file = %v, want ErrNoticeConflict", err)
	}
}

// TestOutboxRejectsInvalidKeys refuses keys that are not a file name of
// their own, before touching the file system, and answers NotFound for a
// notice never put.
func TestOutboxRejectsInvalidKeys(t *testing.T) {
	t.Parallel()
	o, dir := newOutbox(t)
	r := render(t, sampleLetter(t, "de"))
	for _, k := range [][3]string{
		{"", "d", "n"}, {"t", "", "n"}, {"t", "d", ""}, {"..", "d", "n"}, {"t", "../../etc", "n"},
		{"t", "d", "a/b"}, {"t", "d", `a\b`}, {"t", "d", ".hidden"}, {"t", "d", "n\x00"}, {"t", "d", "line\nbreak"},
		{"t", "d", strings.Repeat("n", 201)},
	} {
		if _, err := o.Put(k[0], k[1], k[2], r); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, err := o.Get(k[0], k[1], k[2]); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Errorf("outbox holds %d entries after invalid keys (%v)", len(entries), err)
	}
	if _, err := o.Put("t", "marketplace:amazon", "N-1", r); err != nil {
		t.Errorf("Put for a debtor id with a colon: %v", err)
	}
	if _, err := o.Get("t", "d", "never"); !errors.Is(err, ErrNoticeNotFound) {
		t.Errorf("Get of a notice never put = %v, want ErrNoticeNotFound", err)
	}
}

// BenchmarkOutboxPut puts one new notice per debtor (as a dunning run
// does) from 1, 8, 32 and 128 goroutines; each op is one notice, synced
// to disk. Puts of different notices must not wait for each other.
func BenchmarkOutboxPut(b *testing.B) {
	r := render(b, sampleLetter(b, "de"))
	for _, workers := range []int{1, 8, 32, 128} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			o, _ := newOutbox(b)
			var next atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			b.ResetTimer()
			for range workers {
				wg.Go(func() {
					for {
						n := next.Add(1)
						if n > int64(b.N) {
							return
						}
						if _, err := o.Put("bench", "D-"+strconv.FormatInt(n, 10), "MA-1", r); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
		})
	}
}
