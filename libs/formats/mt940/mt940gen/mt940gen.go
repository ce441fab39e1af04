// Package mt940gen writes synthetic but realistic MT940 statements of a
// chosen size, for benchmarks and load tests of the MT940 parser and of
// `o2c parse`.
package mt940gen

import (
	"bufio"
	"fmt"
	"io"
	"time"
)

// Write writes MT940 statements of at least size bytes to w: daily
// statements of 200 entries each, two credits to every debit, with German
// structured :86: (GVC, ?00, ?20-?23 with SEPA keywords wrapped at the
// line end, ?30-?33) and CRLF line ends. Every statement's opening and
// closing balances reconcile. It returns the number of entries written.
// The output depends only on size.
func Write(w io.Writer, size int64) (entries int, err error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	cw := &countingWriter{w: bw}
	balance := int64(100000000)
	for stmt := 0; cw.n < size; stmt++ {
		day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, stmt%3000)
		ymd := day.Format("060102")
		fmt.Fprintf(cw, ":20:STARTUMS%06d\r\n:25:DE89370400440532013000\r\n:28C:%05d/001\r\n:60F:%s%sEUR%s\r\n", stmt, stmt%100000, mark(balance), ymd, decimalComma(balance))
		for i := 0; i < 200; i++ {
			amt := int64(100 + (stmt*200+i)%99900)
			dc := "CR"
			if i%3 == 0 {
				dc = "DR"
				balance -= amt
			} else {
				balance += amt
			}
			fmt.Fprintf(cw, ":61:%s%s%s%sNTRFNONREF//%08d%04d\r\n", ymd, day.Format("0102"), dc, decimalComma(amt), stmt, i)
			fmt.Fprintf(cw, ":86:166?00SEPA-GUTSCHRIFT?109310?20EREF+E2E-%d-%d?21MREF+M%d CRED+DE98ZZZ0999999999\r\n", stmt, i, i)
			fmt.Fprintf(cw, "9?22SVWZ+Rechnung %d vom %s Kunde?23nnummer %d?30COBADEFFXXX?31DE02120300000000202051\r\n", stmt*200+i, day.Format("02.01.2006"), i)
			fmt.Fprintf(cw, "?32Muster und So?33ehne GmbH\r\n")
			entries++
		}
		fmt.Fprintf(cw, ":62F:%s%sEUR%s\r\n-\r\n", mark(balance), ymd, decimalComma(balance))
		if cw.err != nil {
			return entries, cw.err
		}
	}
	return entries, bw.Flush()
}

// mark is the balance's debit/credit mark.
func mark(balance int64) string {
	if balance < 0 {
		return "D"
	}
	return "C"
}

// decimalComma writes the magnitude of minor (cents) with a decimal comma.
func decimalComma(minor int64) string {
	if minor < 0 {
		minor = -minor
	}
	return fmt.Sprintf("%d,%02d", minor/100, minor%100)
}

// countingWriter counts the bytes written and keeps the first error.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
