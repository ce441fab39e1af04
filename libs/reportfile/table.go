// Package reportfile writes o2c's reports in the formats people open: CSV
// (UTF-8 with byte order mark, semicolons and decimal comma for German
// Excel, or plain RFC 4180), XLSX, PDF, and charts (aging as stacked bars,
// DSO over time) as SVG and drawn into the PDF.
//
// Every writer takes a Table, whose rows come from a function that yields
// them one at a time, so a writer never needs the whole report: CSV and
// XLSX stream (excelize's stream writer spills to a temporary file beyond
// its buffer); PDF keeps the document's pages in memory until it is
// written, as fpdf does.
//
// Amounts are int64 minor units with a currency: CSV and PDF write them
// with the currency's decimals, XLSX as numbers that are exactly the
// amount (excelize takes a float64, handed over only when it writes back
// as exactly the amount's decimal). The same table written twice as CSV, and
// the same chart as SVG, gives the same bytes; a PDF carries its issue
// time and gives the same bytes for the same one; an XLSX container
// differs from run to run (excelize's part order), its figures do not.
//
// The package reads no clock (the issue time is a parameter) and no
// network; the only files it touches are excelize's temporary files for a
// large sheet.
package reportfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/money"
)

// ErrRowWidth means a row has more or fewer cells than the table has
// columns.
var ErrRowWidth = errors.New("row width differs from the columns")

// ErrCurrency means a money cell without a currency (neither the cell nor
// its column names one) or with a currency that is not ISO 4217.
var ErrCurrency = errors.New("money cell without a known currency")

// ErrDialect means a CSV dialect name other than german and plain.
var ErrDialect = errors.New("unknown CSV dialect")

// ErrChart means a chart that cannot be drawn: no series or categories, a
// value row of the wrong length, or points out of order.
var ErrChart = errors.New("invalid chart")

// Errors classifies the package's errors: each is a malformed table,
// chart or option the caller must correct.
var Errors = fault.Table{
	{Err: ErrRowWidth, Class: fault.Invalid},
	{Err: ErrCurrency, Class: fault.Invalid},
	{Err: ErrDialect, Class: fault.Invalid},
	{Err: ErrChart, Class: fault.Invalid},
	{Err: ErrTooLarge, Class: fault.Invalid},
}

// Kind is what a column holds and so how its cells are written.
type Kind int

const (
	// KindText is text, written as it is.
	KindText Kind = iota
	// KindMoney is an amount in minor units of the cell's or the column's
	// currency, written with the currency's decimals.
	KindMoney
	// KindInt is a whole number (a count, days overdue, a dunning level).
	KindInt
	// KindDate is a calendar date; only its year, month and day are used.
	KindDate
	// KindPercent is a percentage in basis points, hundredths of a
	// percent: 1234 is 12.34 %.
	KindPercent
	// KindDecimal is a fixed-point figure of Column.Decimals decimal
	// places, e.g. DSO days in hundredths of a day with Decimals 2.
	KindDecimal
)

var kindNames = [...]string{
	KindText: "text", KindMoney: "money", KindInt: "int", KindDate: "date",
	KindPercent: "percent", KindDecimal: "decimal",
}

// String returns the kind's name, e.g. "money".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Column is a table's column.
type Column struct {
	// Name is the header of the column.
	Name string
	Kind Kind
	// Currency is the ISO 4217 code of a money column whose cells do not
	// name their own.
	Currency string
	// Decimals is the number of decimal places of a KindDecimal column.
	Decimals int
}

// Cell is one value of a row. Which field counts follows from its
// column's Kind: Text for text, Num for money (minor units), int, percent
// (basis points) and decimal, Date for dates. A Null cell is written as
// nothing in every format, whatever its kind.
type Cell struct {
	Text string
	Num  int64
	Date time.Time
	// Currency overrides the column's currency for a money cell.
	Currency string
	Null     bool
}

// Text returns a text cell.
func Text(s string) Cell { return Cell{Text: s} }

// Money returns a money cell of minor units in currency; an empty
// currency takes the column's.
func Money(minor int64, currency string) Cell { return Cell{Num: minor, Currency: currency} }

// Int returns a whole-number cell.
func Int(n int64) Cell { return Cell{Num: n} }

// Date returns a date cell of t's calendar date in t's location.
func Date(t time.Time) Cell { return Cell{Date: t} }

// Percent returns a percentage cell of bp basis points (1234 is 12.34 %).
func Percent(bp int64) Cell { return Cell{Num: bp} }

// Decimal returns a fixed-point cell of n units of the column's smallest
// decimal place (n 1234 in a column of 2 decimals is 12.34).
func Decimal(n int64) Cell { return Cell{Num: n} }

// Null returns an empty cell: a figure not known or not applicable, such
// as the dunning level before the dunning service feeds it.
func Null() Cell { return Cell{Null: true} }

// Table is a report as the writers take it. Rows calls yield with each row
// in order and stops at the first error yield returns, returning it; it
// may be called once only when the report is read from a stream, so every
// writer calls it exactly once.
type Table struct {
	// Title names the report, e.g. "Offene-Posten-Liste".
	Title string
	// Params are the report's parameters as name and value (as of, known
	// at, issued, buckets), shown above the table in XLSX and PDF and not
	// written to CSV, which holds the header and rows only.
	Params  [][2]string
	Columns []Column
	Rows    func(yield func([]Cell) error) error
}

// RowsOf returns a Rows function that yields rows from memory, for small
// tables and tests.
func RowsOf(rows [][]Cell) func(yield func([]Cell) error) error {
	return func(yield func([]Cell) error) error {
		for _, r := range rows {
			if err := yield(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// checkRow returns ErrRowWidth for the 1-based row n when it does not
// have one cell per column.
func (t Table) checkRow(n int64, cells []Cell) error {
	if len(cells) != len(t.Columns) {
		return fmt.Errorf("report %q row %d: %d cells for %d columns: %w", t.Title, n, len(cells), len(t.Columns), ErrRowWidth)
	}
	return nil
}

// currencyOf returns the currency of a money cell in column c and its
// exponent.
func currencyOf(c Column, v Cell) (string, int, error) {
	cur := v.Currency
	if cur == "" {
		cur = c.Currency
	}
	exp, ok := money.Exponent(cur)
	if !ok {
		return "", 0, fmt.Errorf("column %q: currency %q: %w", c.Name, cur, ErrCurrency)
	}
	return cur, exp, nil
}

// decimalsOf returns how many decimal places the fixed-point value of a
// cell of c has, and whether c is fixed-point at all.
func decimalsOf(c Column, v Cell) (int, bool, error) {
	switch c.Kind {
	case KindMoney:
		_, exp, err := currencyOf(c, v)
		return exp, true, err
	case KindPercent:
		return 2, true, nil
	case KindDecimal:
		return max(c.Decimals, 0), true, nil
	}
	return 0, false, nil
}

// Format returns v, a cell of column c, as WriteCSV writes it in dialect
// d before quoting: for a figures hash that is the same whatever format a
// report is issued in, or for a writer of another format.
func (c Column) Format(v Cell, d Dialect) (string, error) {
	s, err := format(c, v, d != Plain)
	if err != nil {
		return "", err
	}
	if d != Plain && c.Kind == KindText && formulaLike(s) {
		s = "'" + s
	}
	return s, nil
}

// format writes a cell of column c as text: numbers with a decimal point
// or, with comma, a decimal comma and no thousands separator, dates as ISO
// 8601 (YYYY-MM-DD), which German Excel reads as dates too. Percentages
// are written as the number of percent (12.34), without a sign.
func format(c Column, v Cell, comma bool) (string, error) {
	if v.Null {
		return "", nil
	}
	switch c.Kind {
	case KindInt:
		return strconv.FormatInt(v.Num, 10), nil
	case KindDate:
		return v.Date.Format(time.DateOnly), nil
	case KindText:
		return v.Text, nil
	}
	dec, _, err := decimalsOf(c, v)
	if err != nil {
		return "", err
	}
	s := money.FormatMinor(v.Num, dec)
	if comma {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s, nil
}
