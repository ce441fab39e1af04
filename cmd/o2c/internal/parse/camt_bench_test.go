package parse

import (
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

	"github.com/o2c-platform/o2c/libs/formats/camt/camtgen"
)

// camtBenchFile is a generated camt.053 statement shared by the process's
// benchmark rounds; it lives in the system temp directory and is removed
// by the last benchmark that uses it.
type camtBenchFile struct {
	once    sync.Once
	path    string
	size    int64
	entries int
	err     error
}

func (f *camtBenchFile) get(b *testing.B, size int64) {
	b.Helper()
	f.once.Do(func() {
		dir, err := os.MkdirTemp("", "camtjson")
		if err != nil {
			f.err = err
			return
		}
		f.path = filepath.Join(dir, fmt.Sprintf("camt053-%dMB.xml", size>>20))
		out, err := os.Create(f.path)
		if err != nil {
			f.err = err
			return
		}
		f.entries, f.err = camtgen.Write(out, size)
		if err := out.Close(); f.err == nil {
			f.err = err
		}
		if st, err := os.Stat(f.path); err == nil {
			f.size = st.Size()
		}
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
}

// BenchmarkCamtJSON measures `o2c parse` on a camt.053 file: both passes
// (validation and JSON output to io.Discard), so MB/s counts the file once
// while it is read twice. peak-heap-MB is the largest live heap seen.
func BenchmarkCamtJSON(b *testing.B) {
	for _, size := range []int64{10 << 20, 100 << 20} {
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			var f camtBenchFile
			f.get(b, size)
			defer os.RemoveAll(filepath.Dir(f.path))
			b.SetBytes(f.size)
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
			b.ResetTimer()
			for b.Loop() {
				if code := Run([]string{f.path}, Options{Format: "camt"}, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.StopTimer()
			cpu := cpuSeconds() - cpu0
			close(done)
			peak := <-peakc
			b.ReportMetric(float64(f.entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(f.size)*float64(b.N)/(1<<20)/cpu, "MB/cpu-s")
		})
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
