package rpc

import (
	"crypto/sha256"
	"encoding/csv"
	"fmt"

	"github.com/o2c-platform/o2c/libs/reportfile"
)

// hashing returns t with rows that are also written to the figures hash:
// SHA-256 over the parameters, the header and every row as plain CSV
// (reportfile.Column.Format with reportfile.Plain).
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
				v, err := c.Format(cells[i], reportfile.Plain)
				if err != nil {
					return err
				}
				rec[i] = v
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
