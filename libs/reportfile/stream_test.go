package reportfile_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/o2c-platform/o2c/libs/reportfile"
)

// once returns t with a Rows that fails when called a second time, as a
// report read from a gRPC stream would.
func once(tb testing.TB, t reportfile.Table) reportfile.Table {
	tb.Helper()
	inner, called := t.Rows, false
	t.Rows = func(yield func([]reportfile.Cell) error) error {
		if called {
			return errors.New("rows read twice")
		}
		called = true
		return inner(yield)
	}
	return t
}

func TestWritersReadTheRowsOnce(t *testing.T) {
	t.Parallel()
	writers := []struct {
		name  string
		write func(io.Writer, reportfile.Table) (int64, error)
	}{
		{"csv", func(w io.Writer, t reportfile.Table) (int64, error) {
			return reportfile.WriteCSV(w, t, reportfile.German)
		}},
		{"xlsx", func(w io.Writer, t reportfile.Table) (int64, error) {
			return reportfile.WriteXLSX(w, t, reportfile.XLSXOptions{})
		}},
		{"pdf", func(w io.Writer, t reportfile.Table) (int64, error) {
			return reportfile.WritePDF(w, t, reportfile.PDFOptions{Charts: []reportfile.Chart{agingChart()}})
		}},
	}
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			n, err := w.write(&bytes.Buffer{}, once(t, longList(100)))
			if err != nil {
				t.Fatal(err)
			}
			if n != 100 {
				t.Errorf("rows written = %d, want 100", n)
			}
		})
	}
}

func TestColumnFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		col     reportfile.Column
		cell    reportfile.Cell
		dialect reportfile.Dialect
		want    string
	}{
		{reportfile.Column{Kind: reportfile.KindMoney, Currency: "EUR"}, reportfile.Money(-123456, ""), reportfile.German, "-1234,56"},
		{reportfile.Column{Kind: reportfile.KindMoney, Currency: "EUR"}, reportfile.Money(5, "KWD"), reportfile.Plain, "0.005"},
		{reportfile.Column{Kind: reportfile.KindDecimal, Decimals: 1}, reportfile.Decimal(-5), reportfile.German, "-0,5"},
		{reportfile.Column{Kind: reportfile.KindDecimal}, reportfile.Decimal(42), reportfile.Plain, "42"},
		{reportfile.Column{Kind: reportfile.KindText}, reportfile.Text("+49 40 123"), reportfile.German, "'+49 40 123"},
		{reportfile.Column{Kind: reportfile.KindText}, reportfile.Text("+49 40 123"), reportfile.Plain, "+49 40 123"},
		{reportfile.Column{Kind: reportfile.KindMoney}, reportfile.Null(), reportfile.German, ""},
	}
	for _, tt := range tests {
		got, err := tt.col.Format(tt.cell, tt.dialect)
		if err != nil || got != tt.want {
			t.Errorf("%v column, %+v in %v = %q, %v; want %q", tt.col.Kind, tt.cell, tt.dialect, got, err, tt.want)
		}
	}
}
