package reportfile

import (
	"fmt"
	"io"

	"github.com/o2c-platform/o2c/libs/money"
)

// Statement is a debtor's account statement (Kontoauszug) as a letter:
// the sender, the debtor's address in the window of a DIN 5008 envelope,
// the parameters, the opening balance, the lines with their running
// balance, the closing balance and a closing note.
type Statement struct {
	// Title heads the letter, e.g. "Kontoauszug".
	Title string
	// Sender is the creditor's name and address, one line each, shown top
	// right and, as the return line, above the window.
	Sender []string
	// Recipient is the debtor's name and address, one line each (at most
	// six are shown, as the window holds).
	Recipient []string
	// Params are the statement's parameters: debtor number, period, as
	// of, known at, issued.
	Params [][2]string
	// Opening and Closing are the balances per currency before and after
	// the period, debit positive.
	Opening, Closing []money.Amount
	// Lines are the statement's lines in order: date, document number,
	// text, debit, credit, running balance, as the caller's columns say.
	Lines Table
	// Note is printed after the closing balance (payment terms, the bank
	// account to pay into); empty prints nothing.
	Note string
}

// WriteStatementPDF writes s to w as a PDF letter on A4 portrait and
// returns the number of lines written. Lines that do not fit continue on
// further pages under a repeated header row.
func WriteStatementPDF(w io.Writer, s Statement, o PDFOptions) (int64, error) {
	d := newPDF(s.Title, false, o)
	f := d.f
	pw, _ := f.GetPageSize()

	f.SetFont("Helvetica", "", 9)
	for i, l := range s.Sender {
		f.SetXY(pw-pdfMargin-70, pdfMargin+float64(i)*4.5)
		f.CellFormat(70, 4.5, d.fit(l, 70), "", 0, "R", false, 0, "")
	}
	// DIN 5008 form B: the window is 20 mm from the left and 45 mm from
	// the top, 85 × 45 mm, with the return line at its top.
	f.SetFont("Helvetica", "", 6)
	f.SetXY(20, 45)
	if len(s.Sender) > 0 {
		ret := s.Sender[0]
		for _, l := range s.Sender[1:] {
			ret += " · " + l
		}
		f.CellFormat(85, 4, d.fit(ret, 85), "B", 0, "L", false, 0, "")
	}
	f.SetFont("Helvetica", "", 10)
	for i, l := range s.Recipient[:min(len(s.Recipient), 6)] {
		f.SetXY(20, 51+float64(i)*5)
		f.CellFormat(85, 5, d.fit(l, 85), "", 0, "L", false, 0, "")
	}
	f.SetXY(pdfMargin, 100)
	d.heading(s.Title, s.Params)

	opening, closing := "Opening balance", "Closing balance"
	if d.german {
		opening, closing = "Anfangssaldo", "Endsaldo"
	}
	if err := d.balances(opening, s.Opening); err != nil {
		return 0, fmt.Errorf("write statement PDF of %q: %w", s.Title, err)
	}
	d.f.Ln(2)
	n, err := d.table(s.Lines)
	if err != nil {
		return 0, fmt.Errorf("write statement PDF of %q: %w", s.Title, err)
	}
	f.Ln(2)
	if err := d.balances(closing, s.Closing); err != nil {
		return 0, fmt.Errorf("write statement PDF of %q: %w", s.Title, err)
	}
	if s.Note != "" {
		f.Ln(4)
		f.SetFont("Helvetica", "", 9)
		width, _ := d.usable()
		f.MultiCell(width, 4.5, d.text(s.Note), "", "L", false)
	}
	if err := d.output(w); err != nil {
		return 0, fmt.Errorf("write statement PDF of %q: %w", s.Title, err)
	}
	return n, nil
}

// balances writes a bold line per currency: label and amount.
func (d *pdfDoc) balances(label string, amounts []money.Amount) error {
	f := d.f
	w, bottom := d.usable()
	f.SetFont("Helvetica", "B", 9)
	for _, a := range amounts {
		if f.GetY()+pdfRowH > bottom {
			f.AddPage()
		}
		s, err := d.formatCell(Column{Kind: KindMoney}, Money(a.Minor, a.Currency))
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		f.CellFormat(w-50, pdfRowH, d.text(label), "", 0, "L", false, 0, "")
		f.CellFormat(50, pdfRowH, d.text(s), "", 1, "R", false, 0, "")
	}
	f.SetFont("Helvetica", "", pdfFontSize)
	return nil
}
