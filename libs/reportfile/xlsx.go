package reportfile

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/o2c-platform/o2c/libs/money"
)

// ErrTooLarge means a table with more rows than an XLSX sheet holds
// (1,048,576 including the header row); such a report is issued as CSV.
var ErrTooLarge = errors.New("table larger than an XLSX sheet")

// xlsxParamsSheet names the sheet holding the report's title and
// parameters.
const xlsxParamsSheet = "Parameter"

// XLSXOptions are what an XLSX file needs beyond its table.
type XLSXOptions struct {
	// Issued is recorded as the workbook's creation and modification time;
	// zero leaves excelize's fixed template time (2006-09-16). The clock
	// is never read, but excelize orders some parts of the container
	// differently from run to run: only the figures repeat.
	Issued time.Time
}

// WriteXLSX writes t to w as an XLSX workbook and returns the number of
// rows written. Its first sheet, named after the title, holds the header
// row (bold, frozen) and the rows; the second, "Parameter", the title and
// the parameters. Numbers are numbers: amounts in major units with the
// currency's decimals and its code in the number format, percentages as
// fractions shown as percent, fixed-point figures with their decimals.
// Dates are dates (Excel serial days shown in the reader's short date
// format). Column widths follow the kinds and headers.
//
// An amount is handed to excelize as a float64 only when its shortest
// decimal form is exactly the amount (always so below 10^15 minor units,
// checked for every cell); any other is an error, so no figure in the
// file differs from the ledger's.
func WriteXLSX(w io.Writer, t Table, o XLSXOptions) (n int64, err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			n, err = 0, fmt.Errorf("write XLSX of %q: %w", t.Title, cerr)
		}
	}()
	n, err = fillXLSX(f, t, o)
	if err != nil {
		return 0, fmt.Errorf("write XLSX of %q: %w", t.Title, err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return 0, fmt.Errorf("write XLSX of %q: %w", t.Title, err)
	}
	return n, nil
}

func fillXLSX(f *excelize.File, t Table, o XLSXOptions) (int64, error) {
	sheet := sheetName(t.Title)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return 0, err
	}
	props := &excelize.DocProperties{Title: t.Title, Creator: "o2c", LastModifiedBy: "o2c"}
	if !o.Issued.IsZero() {
		props.Created = o.Issued.UTC().Format(time.RFC3339)
		props.Modified = props.Created
	}
	if err := f.SetDocProps(props); err != nil {
		return 0, err
	}
	st, err := newXLSXStyles(f)
	if err != nil {
		return 0, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return 0, err
	}
	for i, c := range t.Columns {
		if err := sw.SetColWidth(i+1, i+1, columnWidth(c)); err != nil {
			return 0, err
		}
	}
	if len(t.Columns) > 0 {
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return 0, err
		}
	}
	head := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = excelize.Cell{StyleID: st.bold, Value: c.Name}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return 0, err
	}
	var n int64
	vals := make([]any, len(t.Columns))
	err = t.Rows(func(cells []Cell) error {
		n++
		if err := t.checkRow(n, cells); err != nil {
			return err
		}
		if n >= excelize.TotalRows {
			return fmt.Errorf("row %d: %w", n, ErrTooLarge)
		}
		for i, c := range t.Columns {
			v, err := st.value(c, cells[i])
			if err != nil {
				return fmt.Errorf("row %d: %w", n, err)
			}
			vals[i] = v
		}
		ref, err := excelize.CoordinatesToCellName(1, int(n)+1)
		if err != nil {
			return err
		}
		return sw.SetRow(ref, vals)
	})
	if err != nil {
		return 0, err
	}
	if err := sw.Flush(); err != nil {
		return 0, err
	}
	if err := writeParamsSheet(f, t, st); err != nil {
		return 0, err
	}
	return n, nil
}

// writeParamsSheet writes the title and the parameters, one per row.
func writeParamsSheet(f *excelize.File, t Table, st *xlsxStyles) error {
	if _, err := f.NewSheet(xlsxParamsSheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(xlsxParamsSheet)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 24); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, 2, 40); err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: st.bold, Value: t.Title}}); err != nil {
		return err
	}
	for i, p := range t.Params {
		if err := sw.SetRow("A"+strconv.Itoa(i+2), []any{p[0], p[1]}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// xlsxStyles are the workbook's cell styles, made once per number format.
type xlsxStyles struct {
	f       *excelize.File
	bold    int
	date    int
	percent int
	byFmt   map[string]int
}

func newXLSXStyles(f *excelize.File) (*xlsxStyles, error) {
	s := &xlsxStyles{f: f, byFmt: map[string]int{}}
	var err error
	if s.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, err
	}
	// Built-in format 14 is the short date, shown in the reader's locale
	// (31.03.2026 in German Excel).
	if s.date, err = f.NewStyle(&excelize.Style{NumFmt: 14}); err != nil {
		return nil, err
	}
	if s.percent, err = f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil {
		return nil, err
	}
	return s, nil
}

// custom returns the style of the custom number format code.
func (s *xlsxStyles) custom(code string) (int, error) {
	if id, ok := s.byFmt[code]; ok {
		return id, nil
	}
	id, err := s.f.NewStyle(&excelize.Style{CustomNumFmt: &code})
	if err != nil {
		return 0, err
	}
	s.byFmt[code] = id
	return id, nil
}

// value returns the stream writer's value of a cell of column c.
func (s *xlsxStyles) value(c Column, v Cell) (any, error) {
	if v.Null {
		return nil, nil
	}
	switch c.Kind {
	case KindText:
		return v.Text, nil
	case KindInt:
		return v.Num, nil
	case KindDate:
		y, m, d := v.Date.Date()
		return excelize.Cell{StyleID: s.date, Value: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}, nil
	case KindPercent:
		x, err := exactFloat(v.Num, 4)
		return excelize.Cell{StyleID: s.percent, Value: x}, err
	}
	dec, _, err := decimalsOf(c, v)
	if err != nil {
		return nil, err
	}
	code := "#,##0"
	if dec > 0 {
		code += "." + strings.Repeat("0", dec)
	}
	if c.Kind == KindMoney {
		cur, _, _ := currencyOf(c, v)
		code += ` "` + cur + `"`
	}
	style, err := s.custom(code)
	if err != nil {
		return nil, err
	}
	x, err := exactFloat(v.Num, dec)
	return excelize.Cell{StyleID: style, Value: x}, err
}

// exactFloat returns n/10^dec as a float64 whose shortest decimal form,
// the one excelize writes, is exactly n with dec decimals, or ErrTooLarge
// when there is none.
func exactFloat(n int64, dec int) (float64, error) {
	want := money.FormatMinor(n, dec)
	x, err := strconv.ParseFloat(want, 64)
	if err == nil && sameDecimal(strconv.FormatFloat(x, 'f', -1, 64), want) {
		return x, nil
	}
	return 0, fmt.Errorf("figure %s has no exact XLSX number: %w", want, ErrTooLarge)
}

// sameDecimal reports whether the decimal strings a and b (as FormatFloat
// and FormatMinor write them) are the same number.
func sameDecimal(a, b string) bool {
	trim := func(s string) string {
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		if s == "-0" {
			s = "0"
		}
		return s
	}
	return trim(a) == trim(b)
}

// columnWidth returns a column's width in characters: wide enough for its
// header and for the figures its kind holds.
func columnWidth(c Column) float64 {
	base := map[Kind]int{KindText: 28, KindMoney: 18, KindInt: 10, KindDate: 12, KindPercent: 10, KindDecimal: 12}[c.Kind]
	return float64(max(base, len([]rune(c.Name))+2))
}

// sheetName returns a valid sheet name for a title: at most 31
// characters, none of []:*?/\, not empty.
func sheetName(title string) string {
	s := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, strings.TrimSpace(title))
	s = strings.Trim(s, "'")
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	if s == "" || s == xlsxParamsSheet {
		return "Report"
	}
	return s
}
