package datev

import (
	"errors"
	"fmt"
)

// ErrNotBookingBatch is returned by Reader.Next when the file is a valid
// EXTF file of another format category (master data, payment terms, …);
// its records can still be read with Reader.NextRecord.
var ErrNotBookingBatch = errors.New("not a booking batch (format category 21)")

// ErrNotMasterData is returned by Reader.NextDebtor when the file is a
// valid EXTF file of another format category than 16 (Debitoren/Kreditoren).
var ErrNotMasterData = errors.New("not a Debitoren/Kreditoren file (format category 16)")

// ParseError is a reader error: the file cannot be read as DATEV EXTF at
// Line. Column names the column (from line 2) or header field involved, when
// there is one.
type ParseError struct {
	// Line is the 1-based physical line of the file.
	Line int
	// Column is the column name or header field name; empty when the whole
	// line is wrong.
	Column string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error (an I/O error), if any.
	Err error
}

func (e *ParseError) Error() string {
	s := fmt.Sprintf("line %d", e.Line)
	if e.Column != "" {
		s += fmt.Sprintf(", column %q", e.Column)
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

// FieldError is a writer error: the value of Field in booking Record (1-based,
// in the order of Writer.Write calls; 0 for the header) breaks the DATEV rule
// named in Reason. Nothing of that booking has been written.
type FieldError struct {
	// Record is the 1-based booking number, 0 for the header line.
	Record int
	// Field is the DATEV field name, e.g. "Belegfeld 1".
	Field string
	// Value is the offending value as given.
	Value string
	// Reason says which rule the value breaks.
	Reason string
}

func (e *FieldError) Error() string {
	where := "header"
	if e.Record > 0 {
		where = fmt.Sprintf("booking %d", e.Record)
	}
	return fmt.Sprintf("%s, field %q: value %q: %s", where, e.Field, e.Value, e.Reason)
}
