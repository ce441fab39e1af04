package reportfile

import (
	"fmt"
	"io"

	"github.com/o2c-platform/o2c/libs/money"
)

// CreditNote is a credit note (Gutschrift) as a letter: the sender, the
// debtor's address in the window of a DIN 5008 envelope, the parameters
// (number, invoice credited, issue date, reason), the amounts per VAT rate
// and the total credited.
type CreditNote struct {
	// Title heads the letter, e.g. "Gutschrift GS-000001".
	Title string
	// Sender is the creditor's name and address, one line each.
	Sender []string
	// Recipient is the debtor's name and address, one line each (at most
	// six are shown).
	Recipient []string
	// Params are the credit note's parameters, label and value.
	Params [][2]string
	// Lines are the amounts credited per VAT rate.
	Lines Table
	// Total is the gross amount credited.
	Total money.Amount
	// Note is printed after the total; empty prints nothing.
	Note string
}

// WriteCreditNotePDF writes c to w as a PDF letter on A4 portrait. With the
// same o.Issued the same credit note gives the same bytes.
func WriteCreditNotePDF(w io.Writer, c CreditNote, o PDFOptions) error {
	d := newPDF(c.Title, false, o)
	f := d.f
	pw, _ := f.GetPageSize()
	f.SetFont("Helvetica", "", 9)
	for i, l := range c.Sender {
		f.SetXY(pw-pdfMargin-70, pdfMargin+float64(i)*4.5)
		f.CellFormat(70, 4.5, d.fit(l, 70), "", 0, "R", false, 0, "")
	}
	// DIN 5008 form B, as WriteStatementPDF.
	f.SetFont("Helvetica", "", 6)
	f.SetXY(20, 45)
	if len(c.Sender) > 0 {
		ret := c.Sender[0]
		for _, l := range c.Sender[1:] {
			ret += " · " + l
		}
		f.CellFormat(85, 4, d.fit(ret, 85), "B", 0, "L", false, 0, "")
	}
	f.SetFont("Helvetica", "", 10)
	for i, l := range c.Recipient[:min(len(c.Recipient), 6)] {
		f.SetXY(20, 51+float64(i)*5)
		f.CellFormat(85, 5, d.fit(l, 85), "", 0, "L", false, 0, "")
	}
	f.SetXY(pdfMargin, 100)
	d.heading(c.Title, c.Params)
	if _, err := d.table(c.Lines); err != nil {
		return fmt.Errorf("write credit note PDF %q: %w", c.Title, err)
	}
	f.Ln(2)
	total := "Total credited"
	if d.german {
		total = "Gutschriftsbetrag"
	}
	if err := d.balances(total, []money.Amount{c.Total}); err != nil {
		return fmt.Errorf("write credit note PDF %q: %w", c.Title, err)
	}
	if c.Note != "" {
		f.Ln(4)
		f.SetFont("Helvetica", "", 9)
		width, _ := d.usable()
		f.MultiCell(width, 4.5, d.text(c.Note), "", "L", false)
	}
	if err := d.output(w); err != nil {
		return fmt.Errorf("write credit note PDF %q: %w", c.Title, err)
	}
	return nil
}
