package reportfile_test

import (
	"io"
	"testing"

	"github.com/o2c-platform/o2c/libs/reportfile"
)

// BenchmarkWrite writes a 10,000-row table per iteration in each format.
// B/op is what was allocated, not what was held: most of PDF's is fpdf's
// new deflate writer per page.
func BenchmarkWrite(b *testing.B) {
	const rows = 10_000
	b.Run("csv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reportfile.WriteCSV(io.Discard, longList(rows), reportfile.German); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("xlsx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reportfile.WriteXLSX(io.Discard, longList(rows), reportfile.XLSXOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pdf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reportfile.WritePDF(io.Discard, longList(rows), reportfile.PDFOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
