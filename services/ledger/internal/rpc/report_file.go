package rpc

import (
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/reportfile"
)

// canonical writes a cell the one way the figures hash reads it: amounts
// and fixed-point figures with a decimal point and their decimals, dates
// as ISO 8601, a null cell as nothing. It does not depend on the format or
// the CSV dialect a report is issued in.
func canonical(c reportfile.Column, v reportfile.Cell) string {
	if v.Null {
		return ""
	}
	switch c.Kind {
	case reportfile.KindText:
		return v.Text
	case reportfile.KindInt:
		return strconv.FormatInt(v.Num, 10)
	case reportfile.KindDate:
		return v.Date.Format(time.DateOnly)
	case reportfile.KindMoney:
		cur := v.Currency
		if cur == "" {
			cur = c.Currency
		}
		exp, _ := money.ExponentOrTwo(cur)
		return money.FormatMinor(v.Num, exp) + " " + cur
	case reportfile.KindPercent:
		return money.FormatMinor(v.Num, 2)
	case reportfile.KindDecimal:
		return money.FormatMinor(v.Num, max(c.Decimals, 0))
	}
	return fmt.Sprint(v)
}

// hashing returns t with rows that are also written, canonically, to the
// figures hash: SHA-256 over the parameters, the header and every row.
// Whatever the format a report is issued in, two renderings with the same
// hash show the same figures. The second result returns the hash once the
// rows have been read.
func hashing(t reportfile.Table) (reportfile.Table, func() ([]byte, error)) {
	h := sha256.New()
	for _, p := range t.Params {
		fmt.Fprintf(h, "%s=%s\n", p[0], p[1])
	}
	w := csv.NewWriter(h)
	w.UseCRLF = true
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Name
	}
	werr := w.Write(head)
	inner := t.Rows
	t.Rows = func(yield func([]reportfile.Cell) error) error {
		rec := make([]string, len(t.Columns))
		return inner(func(cells []reportfile.Cell) error {
			if len(cells) != len(t.Columns) {
				return fmt.Errorf("report row of %d cells for %d columns: %w", len(cells), len(t.Columns), reportfile.ErrRowWidth)
			}
			for i, c := range t.Columns {
				rec[i] = canonical(c, cells[i])
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
