package reportfile

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// Dialect is how a CSV file is written.
type Dialect int

const (
	// German is for German Excel, which opens it with a double click: UTF-8
	// with a byte order mark (without it Excel reads the file as
	// Windows-1252), semicolons between fields, a decimal comma. A text
	// cell that Excel would take for a formula (beginning with =, +, -, @,
	// tab or carriage return) is written with a leading apostrophe, so a
	// debtor's name cannot run as a formula on the accountant's machine.
	German Dialect = iota
	// Plain is RFC 4180: commas, a decimal point, no byte order mark, text
	// exactly as given; for programs rather than people.
	Plain
)

// ParseDialect returns the dialect named by name as the CLI's
// --csv-dialect takes it: "german" (also the empty name, the default) or
// "plain"; any other name is ErrDialect.
func ParseDialect(name string) (Dialect, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "german":
		return German, nil
	case "plain":
		return Plain, nil
	}
	return 0, fmt.Errorf("csv dialect %q (want german or plain): %w", name, ErrDialect)
}

// String returns the dialect's name as ParseDialect reads it.
func (d Dialect) String() string {
	if d == Plain {
		return "plain"
	}
	return "german"
}

// WriteCSV writes t's header row and rows to w in dialect d, lines ended
// by CRLF, and returns the number of rows written (without the header).
// The title and parameters are not written: a CSV file is its records. The
// same table gives the same bytes. On an error the output is incomplete;
// what was written before it may or may not have reached w.
func WriteCSV(w io.Writer, t Table, d Dialect) (int64, error) {
	if d != Plain {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return 0, fmt.Errorf("write CSV of %q: %w", t.Title, err)
		}
	}
	cw := csv.NewWriter(w)
	if d != Plain {
		cw.Comma = ';'
	}
	cw.UseCRLF = true
	rec := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		rec[i] = c.Name
	}
	if err := cw.Write(rec); err != nil {
		return 0, fmt.Errorf("write CSV of %q: %w", t.Title, err)
	}
	var n int64
	err := t.Rows(func(cells []Cell) error {
		n++
		if err := t.checkRow(n, cells); err != nil {
			return err
		}
		for i, c := range t.Columns {
			s, err := c.Format(cells[i], d)
			if err != nil {
				return fmt.Errorf("row %d: %w", n, err)
			}
			rec[i] = s
		}
		return cw.Write(rec)
	})
	if err != nil {
		return 0, fmt.Errorf("write CSV of %q: %w", t.Title, err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return 0, fmt.Errorf("write CSV of %q: %w", t.Title, err)
	}
	return n, nil
}

// formulaLike reports whether Excel would read s as a formula.
func formulaLike(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}
