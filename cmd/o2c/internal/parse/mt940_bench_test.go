package parse

import (
	"testing"

	"github.com/o2c-platform/o2c/libs/formats/mt940/mt940gen"
)

// BenchmarkMT940Run measures `o2c parse` on MT940 statements written by
// mt940gen, detected by content.
func BenchmarkMT940Run(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			path, n, entries := generate(b, "generated.sta", size, mt940gen.Write)
			benchRun(b, path, n, entries, "entries", Options{Format: "auto"})
		})
	}
}
