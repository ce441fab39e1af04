package parse

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSettlementParseV2 runs `o2c parse` (both passes, hashing and JSON
// output) over a generated flat file V2 report.
func BenchmarkSettlementParseV2(b *testing.B) {
	const groups = 10000 // three amount rows each
	var buf bytes.Buffer
	buf.WriteString(v2Header)
	fmt.Fprintf(&buf, "19482314502\t14.03.2023 07:49:55 UTC\t28.03.2023 07:49:55 UTC\t30.03.2023 07:49:55 UTC\t%d,00\tEUR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n", groups*24)
	for i := 0; i < groups; i++ {
		for _, a := range [][2]string{{"Principal", "29,99"}, {"Commission", "-4.50"}, {"FBAPerUnitFulfillmentFee", "-1,49"}} {
			fmt.Fprintf(&buf, "19482314502\t\t\t\t\t\tOrder\t305-%07d-0000001\t\t\tD%08d\tAmazon.de\tItemPrice\t%s\t%s\tAFN\t15.03.2023\t15.03.2023 10:00:00 UTC\t%014d\t\t\tSKU-%d\t1\t\n", i, i, a[0], a[1], i, i%500)
		}
	}
	path := filepath.Join(b.TempDir(), "large.txt")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if code := Run([]string{path}, Options{}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit code %d", code)
		}
	}
	b.ReportMetric(float64(groups*3*b.N)/b.Elapsed().Seconds(), "lines/s")
}
