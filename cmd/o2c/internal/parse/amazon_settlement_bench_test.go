package parse

import (
	"io"
	"testing"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement/settlementgen"
)

// BenchmarkSettlementJSON measures `o2c parse` on flat file V1 and V2
// settlement reports written by settlementgen, detected by content.
func BenchmarkSettlementJSON(b *testing.B) {
	for _, v := range []struct {
		name  string
		write func(io.Writer, int64) (int, error)
	}{{"V1", settlementgen.WriteV1}, {"V2", settlementgen.WriteV2}} {
		for _, size := range benchSizes {
			b.Run(v.name+"/"+sizeName(size), func(b *testing.B) {
				path, n, lines := generate(b, "settlement.txt", size, v.write)
				benchRun(b, path, n, lines, "lines", Options{Format: "auto"})
			})
		}
	}
}
