package parse

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// writeMT940 writes a generated MT940 file of about size bytes (daily
// statements of 200 entries with German structured :86:) and returns its
// path and entry count.
func writeMT940(tb testing.TB, size int64) (string, int) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "generated.sta")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	var n int64
	printf := func(format string, args ...any) {
		k, _ := fmt.Fprintf(w, format, args...)
		n += int64(k)
	}
	entries := 0
	for stmt := 0; n < size; stmt++ {
		ymd := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, stmt%3000).Format("060102")
		printf(":20:STARTUMS%06d\r\n:25:DE89370400440532013000\r\n:28C:%05d/001\r\n:60F:C%sEUR1000,00\r\n", stmt, stmt%100000, ymd)
		for i := 0; i < 200; i++ {
			printf(":61:%s%sCR%d,%02dNTRFNONREF//%08d%04d\r\n", ymd, ymd[2:], 1+i, i%100, stmt, i)
			printf(":86:166?00SEPA-GUTSCHRIFT?109310?20EREF+E2E-%d-%d?21MREF+M%d CRED+DE98ZZZ0999999999\r\n", stmt, i, i)
			printf("9?22SVWZ+Rechnung %d Kunde?23nnummer %d?30COBADEFFXXX?31DE02120300000000202051\r\n", stmt*200+i, i)
			printf("?32Muster und So?33ehne GmbH\r\n")
			entries++
		}
		printf(":62F:C%sEUR1000,00\r\n-\r\n", ymd)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, entries
}

// BenchmarkMT940Run measures `o2c parse` on generated MT940 files: both
// passes (validate and stream JSON), stdout discarded.
func BenchmarkMT940Run(b *testing.B) {
	for _, size := range []int64{10 << 20, 100 << 20} {
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			if size > 10<<20 && testing.Short() {
				b.Skip("100 MB file skipped in -short mode")
			}
			path, entries := writeMT940(b, size)
			st, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(st.Size())
			runtime.GC()
			var peak uint64
			done, finished := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(finished)
				s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
				t := time.NewTicker(time.Millisecond)
				defer t.Stop()
				for {
					metrics.Read(s)
					peak = max(peak, s[0].Value.Uint64())
					select {
					case <-done:
						return
					case <-t.C:
					}
				}
			}()
			b.ResetTimer()
			for b.Loop() {
				if code := Run([]string{path}, Options{Format: "auto"}, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.StopTimer()
			close(done)
			<-finished
			b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
			b.ReportMetric(float64(entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
