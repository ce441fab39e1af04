package credit

import (
	"bytes"
	"fmt"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/reportfile"
)

// reasonsDE are the German words of the reasons on the document.
var reasonsDE = map[string]string{"RETURN": "Retoure", "GOODWILL": "Kulanz", "PRICE_CORRECTION": "Preiskorrektur"}

// Document renders the issued credit note s as a German PDF letter from
// sender (the merchant's name and address lines) to recipient (the
// debtor's). Its bytes depend only on s and the lines: the PDF's date is
// the issue's, so asking again gives the same file. ErrNotIssued when s
// has no number.
func Document(s State, sender, recipient []string) (name string, pdf []byte, err error) {
	if s.Numbered == nil {
		return "", nil, fmt.Errorf("%w: request %s is %s", ErrNotIssued, s.Requested.GetRequestId(), StateName(s.Status()))
	}
	r, n := s.Requested, s.Numbered
	cur := r.GetCurrency()
	d := n.GetIssueDate()
	issued := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	reason := ReasonName(r.GetReason())
	if de, ok := reasonsDE[reason]; ok {
		reason = de
	}
	var rows [][]reportfile.Cell
	for _, v := range r.GetVat() {
		rows = append(rows, []reportfile.Cell{
			reportfile.Percent(int64(v.GetRateBp())), reportfile.Money(v.GetNet().GetMinorUnits(), cur),
			reportfile.Money(v.GetVat().GetMinorUnits(), cur), reportfile.Money(v.GetNet().GetMinorUnits()+v.GetVat().GetMinorUnits(), cur),
		})
	}
	doc := reportfile.CreditNote{
		Title:     "Gutschrift " + n.GetCreditNoteNumber(),
		Sender:    sender,
		Recipient: recipient,
		Params: [][2]string{
			{"Gutschrift-Nr.", n.GetCreditNoteNumber()}, {"Datum", issued.Format("02.01.2006")},
			{"Zur Rechnung", r.GetInvoiceNumber()}, {"Kundennummer", r.GetDebtorId()}, {"Grund", reason},
		},
		Lines: reportfile.Table{Title: "Gutschrift " + n.GetCreditNoteNumber(), Columns: []reportfile.Column{
			{Name: "USt-Satz", Kind: reportfile.KindPercent}, {Name: "Netto", Kind: reportfile.KindMoney, Currency: cur},
			{Name: "USt", Kind: reportfile.KindMoney, Currency: cur}, {Name: "Brutto", Kind: reportfile.KindMoney, Currency: cur},
		}, Rows: reportfile.RowsOf(rows)},
		Total: money.Amount{Minor: r.GetGross().GetMinorUnits(), Currency: cur},
		Note:  r.GetNote() + "\n\nDer Betrag wird mit Ihren offenen Posten verrechnet; ein Guthaben erstatten wir auf Wunsch.",
	}
	var buf bytes.Buffer
	if err := reportfile.WriteCreditNotePDF(&buf, doc, reportfile.PDFOptions{Issued: issued}); err != nil {
		return "", nil, fmt.Errorf("credit note %s: %w", n.GetCreditNoteNumber(), err)
	}
	return n.GetCreditNoteNumber() + ".pdf", buf.Bytes(), nil
}
