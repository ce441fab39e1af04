package mt940

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/libs/formats/mt940/mt940gen"
)

// writeGenerated writes an MT940 file of about size bytes with mt940gen
// and returns its path and the number of entries.
func writeGenerated(tb testing.TB, size int64) (string, int) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "generated.sta")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	entries, err := mt940gen.Write(f, size)
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, entries
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
		return float64(peak) / (1 << 20)
	}
}

// cpuSeconds is the user+system CPU time the process has used. On a
// machine shared with other work, MB/cpu-s shows the parser's own cost
// where wall-clock MB/s shows mostly the contention.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkReader measures the library path: every item of a generated
// file (mt940gen) read from disk. peak-heap-MB is the largest heap seen
// while parsing, garbage not yet collected included; it must not grow with
// the file size.
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
			b.ReportAllocs()
			runtime.GC()
			stop := peakHeap()
			cpu0 := cpuSeconds()
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
					switch it.Kind {
					case KindEntry:
						n++
					case KindStatementEnd:
						if it.Statement.BalanceCheck != CheckOK {
							b.Fatalf("statement %s: balance check %s", it.Statement.Reference, it.Statement.BalanceCheck)
						}
					}
				}
				f.Close()
				if n != entries {
					b.Fatalf("read %d entries, wrote %d", n, entries)
				}
			}
			cpu := cpuSeconds() - cpu0
			b.ReportMetric(stop(), "peak-heap-MB")
			b.ReportMetric(float64(entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			b.ReportMetric(float64(st.Size())*float64(b.N)/(1<<20)/cpu, "MB/cpu-s")
		})
	}
}
