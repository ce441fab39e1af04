package rpc

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
)

// cellKind says how a report cell is written.
type cellKind int

const (
	kindText cellKind = iota
	// kindMoney is minor units of the cell's currency.
	kindMoney
	kindInt
	kindDate
	// kindHundredths is a figure in hundredths (days, percent).
	kindHundredths
)

// column is a report table's column.
type column struct {
	name string
	kind cellKind
}

// cell is one value of a row; an empty cell is written as nothing.
type cell struct {
	text     string
	num      int64
	currency string
	date     time.Time
	empty    bool
}

// table is a report as the file writers take it: its title, parameters,
// columns and a function that yields its rows one at a time, so no writer
// needs the whole report at once.
type table struct {
	title   string
	params  [][2]string
	columns []column
	rows    func(yield func([]cell) error) error
}

// formatCell writes a cell as text: amounts with the currency's decimals
// and the given decimal separator, dates as ISO 8601.
func formatCell(k cellKind, c cell, comma bool) string {
	if c.empty {
		return ""
	}
	var s string
	switch k {
	case kindMoney:
		exp, _ := money.ExponentOrTwo(c.currency)
		s = money.FormatMinor(c.num, exp)
	case kindHundredths:
		s = money.FormatMinor(c.num, 2)
	case kindInt:
		return strconv.FormatInt(c.num, 10)
	case kindDate:
		return c.date.Format(time.DateOnly)
	default:
		return c.text
	}
	if comma {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// csvDialect is how a CSV file is written.
type csvDialect struct {
	bom   bool
	comma rune
	// decimalComma writes amounts with a decimal comma.
	decimalComma bool
}

var (
	// germanCSV is for German Excel: UTF-8 with byte order mark, semicolons,
	// decimal comma.
	germanCSV = csvDialect{bom: true, comma: ';', decimalComma: true}
	// plainCSV is RFC 4180: commas, decimal point, no byte order mark.
	plainCSV = csvDialect{comma: ','}
)

// writeCSV writes t's header row and rows (not its title and parameters)
// to buf and returns the number of rows. The same table gives the same
// bytes. Every row is also written to each of tee's dialect writers.
func writeCSV(buf *bytes.Buffer, t table, d csvDialect) (int64, error) {
	if d.bom {
		buf.WriteString("\uFEFF")
	}
	w := csv.NewWriter(buf)
	w.Comma = d.comma
	w.UseCRLF = true
	head := make([]string, len(t.columns))
	for i, c := range t.columns {
		head[i] = c.name
	}
	if err := w.Write(head); err != nil {
		return 0, err
	}
	var n int64
	rec := make([]string, len(t.columns))
	err := t.rows(func(cells []cell) error {
		if len(cells) != len(t.columns) {
			return fmt.Errorf("report row of %d cells for %d columns", len(cells), len(t.columns))
		}
		for i, c := range t.columns {
			rec[i] = formatCell(c.kind, cells[i], d.decimalComma)
		}
		n++
		return w.Write(rec)
	})
	if err != nil {
		return 0, err
	}
	w.Flush()
	return n, w.Error()
}

// hashing returns t with rows that also go to a plain CSV rendering hashed
// with its parameters (the figures hash: whatever the format a report is
// issued in, two renderings with the same hash show the same figures), and
// the function that returns that hash once the rows have been read.
func hashing(t table) (table, func() ([]byte, error)) {
	h := sha256.New()
	for _, p := range t.params {
		fmt.Fprintf(h, "%s=%s\n", p[0], p[1])
	}
	w := csv.NewWriter(h)
	w.UseCRLF = true
	head := make([]string, len(t.columns))
	for i, c := range t.columns {
		head[i] = c.name
	}
	werr := w.Write(head)
	inner := t.rows
	t.rows = func(yield func([]cell) error) error {
		rec := make([]string, len(t.columns))
		return inner(func(cells []cell) error {
			if len(cells) != len(t.columns) {
				return fmt.Errorf("report row of %d cells for %d columns", len(cells), len(t.columns))
			}
			for i, c := range t.columns {
				rec[i] = formatCell(c.kind, cells[i], false)
			}
			if err := w.Write(rec); err != nil {
				return err
			}
			return yield(cells)
		})
	}
	return t, func() ([]byte, error) {
		w.Flush()
		if werr != nil {
			return nil, werr
		}
		if err := w.Error(); err != nil {
			return nil, err
		}
		return h.Sum(nil), nil
	}
}
