package pain

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/sepa"
)

// indent is enough spaces for the deepest element of both messages.
var indent = strings.Repeat("  ", 16)

// encoder writes indented XML to a buffered writer. Element content is
// written as it is: the callers pass only text that has been through
// text (the SEPA set has no character XML must escape) or has been checked
// as an identifier, IBAN or BIC. Write errors are sticky in the
// bufio.Writer and returned by flush.
type encoder struct {
	w     *bufio.Writer
	depth int
	num   []byte
}

func newEncoder(w io.Writer) *encoder {
	return &encoder{w: bufio.NewWriterSize(w, 64<<10), num: make([]byte, 0, 24)}
}

func (e *encoder) newline() {
	e.w.WriteByte('\n')
	e.w.WriteString(indent[:2*min(e.depth, len(indent)/2)])
}

func (e *encoder) open(name string) {
	e.newline()
	e.w.WriteByte('<')
	e.w.WriteString(name)
	e.w.WriteByte('>')
	e.depth++
}

func (e *encoder) close(name string) {
	e.depth--
	e.newline()
	e.w.WriteString("</")
	e.w.WriteString(name)
	e.w.WriteByte('>')
}

func (e *encoder) leaf(name, value string) {
	e.newline()
	e.w.WriteByte('<')
	e.w.WriteString(name)
	e.w.WriteByte('>')
	e.w.WriteString(value)
	e.w.WriteString("</")
	e.w.WriteString(name)
	e.w.WriteByte('>')
}

// leafNum is leaf for a value in e.num.
func (e *encoder) leafNum(name string) {
	e.newline()
	e.w.WriteByte('<')
	e.w.WriteString(name)
	e.w.WriteByte('>')
	e.w.Write(e.num)
	e.w.WriteString("</")
	e.w.WriteString(name)
	e.w.WriteByte('>')
}

// decimal writes cents as a decimal with two places.
func (e *encoder) decimal(name string, cents int64) {
	e.num = appendCents(e.num[:0], uint64(cents))
	e.leafNum(name)
}

// count writes a non-negative integer.
func (e *encoder) count(name string, n int64) {
	e.num = strconv.AppendInt(e.num[:0], n, 10)
	e.leafNum(name)
}

// euros writes an ActiveOrHistoricCurrencyAndAmount in EUR.
func (e *encoder) euros(name string, cents int64) {
	e.num = appendCents(e.num[:0], uint64(cents))
	e.newline()
	e.w.WriteByte('<')
	e.w.WriteString(name)
	e.w.WriteString(` Ccy="EUR">`)
	e.w.Write(e.num)
	e.w.WriteString("</")
	e.w.WriteString(name)
	e.w.WriteByte('>')
}

func (e *encoder) date(name string, t time.Time) {
	e.num = t.AppendFormat(e.num[:0], time.DateOnly)
	e.leafNum(name)
}

// instant writes t in UTC to the second, the form of ISODateTime every
// bank accepts.
func (e *encoder) instant(name string, t time.Time) {
	e.num = t.UTC().AppendFormat(e.num[:0], "2006-01-02T15:04:05Z")
	e.leafNum(name)
}

// account writes a CashAccount38 with an IBAN.
func (e *encoder) account(name, iban string) {
	e.open(name)
	e.open("Id")
	e.leaf("IBAN", iban)
	e.close("Id")
	e.close(name)
}

// agent writes a financial institution by its BIC or, for IBAN only, as
// NOTPROVIDED in Othr/Id, as the EPC guidelines ask.
func (e *encoder) agent(name, bic string) {
	e.open(name)
	e.open("FinInstnId")
	if bic != "" {
		e.leaf("BICFI", bic)
	} else {
		e.open("Othr")
		e.leaf("Id", "NOTPROVIDED")
		e.close("Othr")
	}
	e.close("FinInstnId")
	e.close(name)
}

// party writes a PartyIdentification135 with name and address.
func (e *encoder) party(name string, p Party) {
	e.open(name)
	e.leaf("Nm", text(p.Name, maxName))
	if hasAddress(p) {
		e.open("PstlAdr")
		if pc := text(p.PostCode, maxPostCode); pc != "" {
			e.leaf("PstCd", pc)
		}
		e.leaf("TwnNm", text(p.Town, maxTown))
		e.leaf("Ctry", p.Country)
		for _, l := range p.Address {
			if l = text(l, maxAddrLine); l != "" {
				e.leaf("AdrLine", l)
			}
		}
		e.close("PstlAdr")
	}
	e.close(name)
}

// schemeID writes a creditor identifier as CdtrSchmeId wants it:
// Id/PrvtId/Othr with the scheme name SEPA.
func (e *encoder) schemeID(name, id string) {
	e.open(name)
	e.open("Id")
	e.open("PrvtId")
	e.open("Othr")
	e.leaf("Id", id)
	e.open("SchmeNm")
	e.leaf("Prtry", "SEPA")
	e.close("SchmeNm")
	e.close("Othr")
	e.close("PrvtId")
	e.close("Id")
	e.close(name)
}

func (e *encoder) remittance(s string) {
	if s = text(s, maxRemittance); s != "" {
		e.open("RmtInf")
		e.leaf("Ustrd", s)
		e.close("RmtInf")
	}
}

func (e *encoder) flush() error {
	e.w.WriteByte('\n')
	return e.w.Flush()
}

// appendCents appends cents as a decimal with two places.
func appendCents(b []byte, cents uint64) []byte {
	b = strconv.AppendUint(b, cents/100, 10)
	r := cents % 100
	return append(b, '.', byte('0'+r/10), byte('0'+r%10))
}

// mustIBAN returns the electronic form of an IBAN the checks accepted.
func mustIBAN(s string) string {
	n, err := sepa.CheckIBAN(s)
	if err != nil {
		return s
	}
	return n
}
