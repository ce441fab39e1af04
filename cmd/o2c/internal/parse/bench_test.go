package parse

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"
)

// benchSizes are the generated file sizes every `o2c parse` benchmark
// runs: the peak heap must be the same for both.
var benchSizes = []int64{10 << 20, 100 << 20}

// generate writes a file of about size bytes with write into a temporary
// directory and returns its path, its size and the count write returned.
func generate(b *testing.B, name string, size int64, write func(io.Writer, int64) (int, error)) (string, int64, int) {
	b.Helper()
	if size > 10<<20 && testing.Short() {
		b.Skip("100 MB file skipped in -short mode")
	}
	path := filepath.Join(b.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	n, err := write(f, size)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, st.Size(), n
}

// benchRun measures `o2c parse` on one file, its JSON written to
// io.Discard (through the spool, in a temporary file for these sizes). It
// reports items/s for count items of the given unit per run,
// peak-heap-MB (the largest heap seen, garbage not yet collected included)
// and MB/cpu-s.
func benchRun(b *testing.B, path string, size int64, count int, unit string, opt Options) {
	b.Helper()
	b.SetBytes(size)
	b.ReportAllocs()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done, peakc := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				peakc <- peak
				return
			case <-tk.C:
			}
		}
	}()
	cpu0 := cpuSeconds()
	for b.Loop() {
		if code := Run([]string{path}, opt, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	cpu := cpuSeconds() - cpu0
	close(done)
	peak := <-peakc
	b.ReportMetric(float64(count)*float64(b.N)/b.Elapsed().Seconds(), unit+"/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(size)*float64(b.N)/(1<<20)/cpu, "MB/cpu-s")
}

// sizeName names a sub-benchmark after a file size: "10MB".
func sizeName(size int64) string { return fmt.Sprintf("%dMB", size>>20) }

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
