package rpc

import (
	"bytes"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/libs/reportfile"
)

func sampleTable(open int64, asOf string) reportfile.Table {
	return reportfile.Table{
		Title:  "Open items",
		Params: [][2]string{{"tenant", "acme"}, {"as of", asOf}},
		Columns: []reportfile.Column{{Name: "Debtor"}, {Name: "Due date", Kind: reportfile.KindDate}, {Name: "Days", Kind: reportfile.KindInt},
			{Name: "Open", Kind: reportfile.KindMoney}, {Name: "DSO", Kind: reportfile.KindDecimal, Decimals: 2}},
		Rows: reportfile.RowsOf([][]reportfile.Cell{
			{reportfile.Text("K-1"), reportfile.Date(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)), reportfile.Int(16),
				reportfile.Money(open, "EUR"), reportfile.Decimal(1234)},
			{reportfile.Text("K-2"), reportfile.Date(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)), reportfile.Int(-1),
				reportfile.Money(5, "JPY"), reportfile.Null()},
		}),
	}
}

// TestFiguresHashIgnoresTheDialect checks that the figures hash is the
// same whatever the file is written as, that the file is written as the
// rows pass through, and that the hash changes with a figure or a
// parameter.
func TestFiguresHashIgnoresTheDialect(t *testing.T) {
	t.Parallel()
	hashOf := func(tb reportfile.Table, d reportfile.Dialect) []byte {
		t.Helper()
		tb, sum := hashing(tb)
		var buf bytes.Buffer
		n, err := reportfile.WriteCSV(&buf, tb, d)
		if err != nil || n != 2 || !bytes.Contains(buf.Bytes(), []byte("K-2")) {
			t.Fatalf("%d rows, %v:\n%s", n, err, buf.Bytes())
		}
		h, err := sum()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	german, plain := hashOf(sampleTable(-123456, "2026-03-31"), reportfile.German), hashOf(sampleTable(-123456, "2026-03-31"), reportfile.Plain)
	if !bytes.Equal(german, plain) {
		t.Error("the figures hash depends on the CSV dialect")
	}
	if bytes.Equal(hashOf(sampleTable(-123456, "2026-04-30"), reportfile.Plain), plain) {
		t.Error("the figures hash ignores the parameters")
	}
	if bytes.Equal(hashOf(sampleTable(-123455, "2026-03-31"), reportfile.Plain), plain) {
		t.Error("the figures hash ignores an amount")
	}
}
