package camt_test

import (
	"bufio"
	"encoding/xml"
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

	"github.com/o2c-platform/o2c/libs/formats/camt"
	"github.com/o2c-platform/o2c/libs/formats/camt/camtgen"
)

// benchFile is a generated statement shared by all benchmarks of the
// process, so the 100 MB file is written once, not once per b.N round.
type benchFile struct {
	once    sync.Once
	path    string
	size    int64
	entries int
	err     error
}

// benchFiles is test-only state: the files live until the process ends.
var benchFiles = map[int64]*benchFile{10 << 20: {}, 100 << 20: {}}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range benchFiles {
		if f.path != "" {
			os.RemoveAll(filepath.Dir(f.path))
		}
	}
	os.Exit(code)
}

func generated(b *testing.B, size int64) *benchFile {
	b.Helper()
	f := benchFiles[size]
	f.once.Do(func() {
		dir, err := os.MkdirTemp("", "camtbench")
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
	return f
}

// peakHeap samples the live heap objects every millisecond until stop is
// called, and returns the peak in bytes.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak {
				peak = v
			}
			select {
			case <-done:
				result <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); return <-result }
}

// BenchmarkReader measures the library path: typed entries from a file.
// peak-heap-MB is the largest live heap seen while parsing (garbage not yet
// collected included); it must not grow with the file size.
func BenchmarkReader(b *testing.B) {
	for _, size := range []int64{10 << 20, 100 << 20} {
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			f := generated(b, size)
			b.SetBytes(f.size)
			b.ReportAllocs()
			stop := peakHeap()
			cpu0 := cpuSeconds()
			b.ResetTimer()
			for b.Loop() {
				in, err := os.Open(f.path)
				if err != nil {
					b.Fatal(err)
				}
				r := camt.NewReader(in)
				n := 0
				for {
					k, err := r.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if k == camt.KindEntry {
						n++
					}
					if k == camt.KindStatementEnd && r.Statement().BalanceCheck != camt.CheckOK {
						b.Fatalf("balance check %s", r.Statement().BalanceCheck)
					}
				}
				in.Close()
				if n != f.entries {
					b.Fatalf("read %d entries, wrote %d", n, f.entries)
				}
			}
			b.StopTimer()
			cpu := cpuSeconds() - cpu0
			peak := stop()
			b.ReportMetric(float64(f.entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(f.size)*float64(b.N)/(1<<20)/cpu, "MB/cpu-s")
		})
	}
}

// BenchmarkTokenizer measures the XML tokenizer alone: the ceiling for the
// Reader.
func BenchmarkTokenizer(b *testing.B) {
	f := generated(b, 10<<20)
	b.SetBytes(f.size)
	for b.Loop() {
		in, err := os.Open(f.path)
		if err != nil {
			b.Fatal(err)
		}
		tz := camt.NewTokenizer(in)
		for {
			if _, err := tz.Next(); err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				break
			}
		}
		in.Close()
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

// BenchmarkEncodingXML tokenizes the same file with encoding/xml, for
// comparison with BenchmarkTokenizer.
func BenchmarkEncodingXML(b *testing.B) {
	f := generated(b, 10<<20)
	b.SetBytes(f.size)
	for b.Loop() {
		in, err := os.Open(f.path)
		if err != nil {
			b.Fatal(err)
		}
		d := xml.NewDecoder(bufio.NewReaderSize(in, 256<<10))
		for {
			if _, err := d.Token(); err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				break
			}
		}
		in.Close()
	}
}
