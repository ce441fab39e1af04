package parse

import (
	"testing"

	"github.com/o2c-platform/o2c/libs/formats/camt/camtgen"
)

// BenchmarkCamtJSON measures `o2c parse` on a camt.053 statement written
// by camtgen.
func BenchmarkCamtJSON(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			path, n, entries := generate(b, "camt053.xml", size, camtgen.Write)
			benchRun(b, path, n, entries, "entries", Options{Format: "camt"})
		})
	}
}
