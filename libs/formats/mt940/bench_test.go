package mt940

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// writeGenerated writes an MT940 file of about size bytes: daily statements
// of 200 entries each with German structured :86: (GVC, ?00, ?20-?25 with
// SEPA keywords wrapped at 65 characters, ?30-?32), and returns its path
// and the number of entries.
func writeGenerated(tb testing.TB, size int64) (string, int) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "generated.sta")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	cw := &countingWriter{w: w}
	entries := 0
	balance := int64(100000000)
	for stmt := 0; cw.n < size; stmt++ {
		day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, stmt%3000)
		ymd := day.Format("060102")
		fmt.Fprintf(cw, ":20:STARTUMS%06d\r\n:25:DE89370400440532013000\r\n:28C:%05d/001\r\n:60F:C%sEUR%s\r\n", stmt, stmt%100000, ymd, decimalComma(balance))
		for i := 0; i < 200; i++ {
			amt := int64(100 + (stmt*200+i)%99900)
			mark := "CR"
			if i%3 == 0 {
				mark = "DR"
				balance -= amt
			} else {
				balance += amt
			}
			fmt.Fprintf(cw, ":61:%s%s%s%sNTRFNONREF//%08d%04d\r\n", ymd, day.Format("0102"), mark, decimalComma(amt), stmt, i)
			fmt.Fprintf(cw, ":86:166?00SEPA-GUTSCHRIFT?109310?20EREF+E2E-%d-%d?21MREF+M%d CRED+DE98ZZZ0999999999\r\n", stmt, i, i)
			fmt.Fprintf(cw, "9?22SVWZ+Rechnung %d vom %s Kunde?23nnummer %d?30COBADEFFXXX?31DE02120300000000202051\r\n", stmt*200+i, day.Format("02.01.2006"), i)
			fmt.Fprintf(cw, "?32Muster und So?33ehne GmbH\r\n")
			entries++
		}
		sign := "C"
		if balance < 0 {
			sign = "D"
		}
		abs := balance
		if abs < 0 {
			abs = -abs
		}
		fmt.Fprintf(cw, ":62F:%s%sEUR%s\r\n-\r\n", sign, ymd, decimalComma(abs))
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, entries
}

func decimalComma(minor int64) string { return fmt.Sprintf("%d,%02d", minor/100, minor%100) }

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// peakHeap samples the live heap every millisecond until stop is called
// and returns the highest value in MB.
func peakHeap() (stop func() float64) {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return float64(peak) / 1e6
	}
}

func BenchmarkReader(b *testing.B) {
	for _, size := range []int64{10 << 20, 100 << 20} {
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			if size > 10<<20 && testing.Short() {
				b.Skip("100 MB file skipped in -short mode")
			}
			path, entries := writeGenerated(b, size)
			st, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(st.Size())
			runtime.GC()
			stop := peakHeap()
			b.ResetTimer()
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				rd := NewReader(f, Options{})
				n := 0
				for {
					it, err := rd.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if it.Kind == KindEntry {
						n++
					}
				}
				f.Close()
				if n != entries {
					b.Fatalf("read %d entries, wrote %d", n, entries)
				}
			}
			b.StopTimer()
			b.ReportMetric(stop(), "peak-heap-MB")
			b.ReportMetric(float64(entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
