package settlement

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement/settlementgen"
)

// largeV2 generates a flat file V2 report with rows amount rows, mixing
// decimal commas and dots and the German date forms.
func largeV2(rows int) []byte {
	var b bytes.Buffer
	b.WriteString("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id\n")
	// Each group of three rows sums to 24.00.
	fmt.Fprintf(&b, "19482314502\t14.03.2023 07:49:55 UTC\t28.03.2023 07:49:55 UTC\t30.03.2023 07:49:55 UTC\t%d,00\tEUR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n", rows/3*24)
	for i := 0; i < rows/3; i++ {
		order := fmt.Sprintf("305-%07d-%07d", i, i*7%10000000)
		fmt.Fprintf(&b, "19482314502\t\t\t\t\t\tOrder\t%s\t\t\tD%08d\tAmazon.de\tItemPrice\tPrincipal\t29,99\tAFN\t15.03.2023\t15.03.2023 10:00:00 UTC\t%014d\t\t\tSKU-%d\t1\t\n", order, i, i, i%500)
		fmt.Fprintf(&b, "19482314502\t\t\t\t\t\tOrder\t%s\t\t\tD%08d\tAmazon.de\tItemFees\tCommission\t-4.50\tAFN\t03/15/23\t2023-03-15 10:00:00 UTC\t%014d\t\t\tSKU-%d\t\t\n", order, i, i, i%500)
		fmt.Fprintf(&b, "19482314502\t\t\t\t\t\tOrder\t%s\t\t\tD%08d\tAmazon.de\tItemFees\tFBAPerUnitFulfillmentFee\t-1,49\tAFN\t15.03.2023\t15.03.2023 10:00:00 UTC\t%014d\t\t\tSKU-%d\t\t\n", order, i, i, i%500)
	}
	return b.Bytes()
}

// readReport reads every settlement and line of r and returns the number
// of lines, failing when a settlement does not add up.
func readReport(tb testing.TB, r io.Reader) int {
	tb.Helper()
	rd, err := NewReader(r)
	if err != nil {
		tb.Fatal(err)
	}
	lines := 0
	for {
		s, err := rd.NextSettlement()
		if errors.Is(err, io.EOF) {
			return lines
		}
		if err != nil {
			tb.Fatal(err)
		}
		for {
			if _, err := rd.NextLine(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				tb.Fatal(err)
			}
			lines++
		}
		if !s.SumOK() {
			tb.Fatalf("generated report does not add up: %d vs %d", s.Sum, s.Total)
		}
	}
}

func BenchmarkParseV2(b *testing.B) {
	data := largeV2(30000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	lines := 0
	for b.Loop() {
		lines += readReport(b, bytes.NewReader(data))
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkReader measures the library path on generated flat files
// (settlementgen) read from disk. peak-heap-MB is the largest heap seen
// while parsing, garbage not yet collected included; it must not grow with
// the file size.
func BenchmarkReader(b *testing.B) {
	for _, v := range []struct {
		name  string
		write func(io.Writer, int64) (int, error)
	}{{"V1", settlementgen.WriteV1}, {"V2", settlementgen.WriteV2}} {
		for _, size := range []int64{10 << 20, 100 << 20} {
			b.Run(fmt.Sprintf("%s/%dMB", v.name, size>>20), func(b *testing.B) {
				if size > 10<<20 && testing.Short() {
					b.Skip("100 MB file skipped in -short mode")
				}
				path := filepath.Join(b.TempDir(), "settlement.txt")
				f, err := os.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				lines, err := v.write(f, size)
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
					if n := readReport(b, f); n != lines {
						b.Fatalf("read %d lines, wrote %d", n, lines)
					}
					f.Close()
				}
				cpu := cpuSeconds() - cpu0
				b.ReportMetric(stop(), "peak-heap-MB")
				b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
				b.ReportMetric(float64(st.Size())*float64(b.N)/(1<<20)/cpu, "MB/cpu-s")
			})
		}
	}
}

// peakHeap samples the heap every millisecond until stop is called and
// returns the highest value in MB.
func peakHeap() (stop func() float64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done, result := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				result <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 { close(done); return float64(<-result) / (1 << 20) }
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
