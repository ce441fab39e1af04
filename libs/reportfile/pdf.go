package reportfile

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"github.com/o2c-platform/o2c/libs/money"
)

// PDFOptions are what a PDF needs beyond its table.
type PDFOptions struct {
	// Issued is the document's creation and modification date; zero
	// writes 1970-01-01 rather than reading the clock. With the same
	// Issued the same table gives the same bytes.
	Issued time.Time
	// Charts are drawn after the title and parameters, before the table,
	// each the width of a portrait page's text.
	Charts []Chart
	// Dialect says how figures and labels are written: German (the
	// default: 1.234,56, 31.03.2026, "Seite 1 von 2") or Plain (1,234.56,
	// 2026-03-31, "Page 1 of 2").
	Dialect Dialect
}

// Page layout in millimetres (A4).
const (
	pdfMargin    = 15.0
	pdfRowH      = 5.0
	pdfFontSize  = 8.0
	pdfChartMaxW = 180.0
)

// pdfDoc is a PDF being written with fpdf's core font Helvetica, whose
// text is Windows-1252: a character outside it is written as its base
// letter when it has one (ś as s) and as "?" otherwise.
type pdfDoc struct {
	f       *fpdf.Fpdf
	tr      func(string) string
	german  bool
	columns []Column
	widths  []float64
}

func newPDF(title string, landscape bool, o PDFOptions) *pdfDoc {
	orientation := "P"
	if landscape {
		orientation = "L"
	}
	f := fpdf.New(orientation, "mm", "A4", "")
	issued := o.Issued
	if issued.IsZero() {
		issued = time.Unix(0, 0)
	}
	f.SetCreationDate(issued.UTC())
	f.SetModificationDate(issued.UTC())
	f.SetCatalogSort(true)
	f.SetTitle(title, true)
	f.SetCreator("o2c", true)
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(false, pdfMargin)
	f.AliasNbPages("{nb}")
	d := &pdfDoc{f: f, tr: f.UnicodeTranslatorFromDescriptor(""), german: o.Dialect != Plain}
	f.SetFooterFunc(func() {
		f.SetY(-pdfMargin + 3)
		f.SetFont("Helvetica", "", 7)
		f.SetTextColor(0x55, 0x55, 0x55)
		w, _ := f.GetPageSize()
		f.CellFormat(w-2*pdfMargin, 4, d.text(title), "", 0, "L", false, 0, "")
		f.SetX(pdfMargin)
		label := "Page %d of {nb}"
		if d.german {
			label = "Seite %d von {nb}"
		}
		f.CellFormat(w-2*pdfMargin, 4, fmt.Sprintf(label, f.PageNo()), "", 0, "R", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	return d
}

// text returns s in the core font's encoding.
func (d *pdfDoc) text(s string) string {
	if !needsFallback(s) {
		return d.tr(s)
	}
	var b strings.Builder
	for _, r := range s {
		if _, ok := charmap.Windows1252.EncodeRune(r); ok {
			b.WriteRune(r)
			continue
		}
		base := []rune(norm.NFD.String(string(r)))
		if _, ok := charmap.Windows1252.EncodeRune(base[0]); ok && len(base) > 1 {
			b.WriteRune(base[0])
		} else {
			b.WriteByte('?')
		}
	}
	return d.tr(b.String())
}

func needsFallback(s string) bool {
	for _, r := range s {
		if r >= 0x80 {
			if _, ok := charmap.Windows1252.EncodeRune(r); !ok {
				return true
			}
		}
	}
	return false
}

// usable returns the width between the margins and the lowest y a row
// may end at.
func (d *pdfDoc) usable() (w, bottom float64) {
	pw, ph := d.f.GetPageSize()
	return pw - 2*pdfMargin, ph - pdfMargin - 5
}

// heading writes the title and the parameters as a two-column list.
func (d *pdfDoc) heading(title string, params [][2]string) {
	f := d.f
	f.SetFont("Helvetica", "B", 14)
	w, _ := d.usable()
	f.MultiCell(w, 7, d.text(title), "", "L", false)
	f.Ln(2)
	f.SetFont("Helvetica", "", 9)
	for _, p := range params {
		f.SetFont("Helvetica", "B", 9)
		f.CellFormat(40, 4.5, d.text(p[0]), "", 0, "L", false, 0, "")
		f.SetFont("Helvetica", "", 9)
		f.MultiCell(w-40, 4.5, d.text(p[1]), "", "L", false)
	}
	f.Ln(4)
}

// chart draws c across the text width, on a new page when it does not
// fit below what is there.
func (d *pdfDoc) chart(c Chart) error {
	dr, err := c.layout()
	if err != nil {
		return err
	}
	w, bottom := d.usable()
	w = min(w, pdfChartMaxW)
	h := w * dr.h / dr.w
	if d.f.GetY()+h > bottom {
		d.f.AddPage()
	}
	x0, y0 := pdfMargin, d.f.GetY()
	drawPDF(d, dr, x0, y0, w/dr.w)
	d.f.SetXY(pdfMargin, y0+h+4)
	return nil
}

// drawPDF draws a laid-out chart with its top left corner at (x0, y0),
// scale millimetres per drawing unit.
func drawPDF(d *pdfDoc, dr drawing, x0, y0, scale float64) {
	f := d.f
	X := func(x float64) float64 { return x0 + x*scale }
	Y := func(y float64) float64 { return y0 + y*scale }
	pt := scale * 72 / 25.4
	for _, it := range dr.items {
		switch it.op {
		case opRect:
			f.SetFillColor(int(it.fill.r), int(it.fill.g), int(it.fill.b))
			f.Rect(X(it.x), Y(it.y), it.w*scale, it.h*scale, "F")
		case opLine:
			f.SetDrawColor(int(it.stroke.r), int(it.stroke.g), int(it.stroke.b))
			f.SetLineWidth(it.width * scale)
			f.Line(X(it.x), Y(it.y), X(it.x+it.w), Y(it.y+it.h))
		case opPolyline:
			f.SetDrawColor(int(it.stroke.r), int(it.stroke.g), int(it.stroke.b))
			f.SetLineWidth(it.width * scale)
			f.SetLineJoinStyle("round")
			for i := 1; i < len(it.pts); i++ {
				f.Line(X(it.pts[i-1].x), Y(it.pts[i-1].y), X(it.pts[i].x), Y(it.pts[i].y))
			}
		case opCircle:
			f.SetFillColor(int(it.fill.r), int(it.fill.g), int(it.fill.b))
			f.Circle(X(it.x), Y(it.y), it.w*scale, "F")
		case opText:
			style := ""
			if it.bold {
				style = "B"
			}
			f.SetFont("Helvetica", style, it.size*pt)
			f.SetTextColor(int(it.fill.r), int(it.fill.g), int(it.fill.b))
			s := d.text(it.text)
			x := X(it.x)
			switch it.anchor {
			case anchorMiddle:
				x -= f.GetStringWidth(s) / 2
			case anchorEnd:
				x -= f.GetStringWidth(s)
			}
			f.Text(x, Y(it.y), s)
		}
	}
	f.SetTextColor(0, 0, 0)
	f.SetDrawColor(0, 0, 0)
	f.SetLineWidth(0.2)
}

// kindWeight is the share of the table's width a column of a kind gets.
var kindWeight = map[Kind]float64{KindText: 3, KindMoney: 1.6, KindInt: 0.8, KindDate: 1.2, KindPercent: 1, KindDecimal: 1}

// startTable lays out the columns across the text width and writes the
// header row.
func (d *pdfDoc) startTable(cols []Column) {
	w, _ := d.usable()
	var sum float64
	for _, c := range cols {
		sum += kindWeight[c.Kind]
	}
	d.columns, d.widths = cols, make([]float64, len(cols))
	for i, c := range cols {
		d.widths[i] = w * kindWeight[c.Kind] / sum
	}
	d.tableHeader()
}

func (d *pdfDoc) tableHeader() {
	f := d.f
	f.SetFont("Helvetica", "B", pdfFontSize)
	f.SetFillColor(0xe8, 0xe8, 0xe8)
	for i, c := range d.columns {
		f.CellFormat(d.widths[i], pdfRowH+1, d.fit(c.Name, d.widths[i]), "B", 0, align(c.Kind), true, 0, "")
	}
	f.Ln(-1)
	f.SetFont("Helvetica", "", pdfFontSize)
}

// row writes one row, first starting a new page with the header row when
// it does not fit.
func (d *pdfDoc) row(cells []Cell) error {
	f := d.f
	if _, bottom := d.usable(); f.GetY()+pdfRowH > bottom {
		f.AddPage()
		d.tableHeader()
	}
	for i, c := range d.columns {
		s, err := d.formatCell(c, cells[i])
		if err != nil {
			return err
		}
		f.CellFormat(d.widths[i], pdfRowH, d.fit(s, d.widths[i]), "", 0, align(c.Kind), false, 0, "")
	}
	f.Ln(-1)
	return nil
}

func align(k Kind) string {
	if k == KindText {
		return "L"
	}
	return "R"
}

// fit returns s in the font's encoding, cut with an ellipsis so that it
// fits into a cell of width w.
func (d *pdfDoc) fit(s string, w float64) string {
	t := d.text(s)
	room := w - 2*d.f.GetCellMargin()
	if d.f.GetStringWidth(t) <= room {
		return t
	}
	ell := d.tr("…")
	for len(t) > 0 && d.f.GetStringWidth(t+ell) > room {
		t = t[:len(t)-1]
	}
	return t + ell
}

// formatCell writes a cell for people: thousands grouped, amounts in
// another currency than their column's with its code, percentages with
// a percent sign, dates as the dialect writes them.
func (d *pdfDoc) formatCell(c Column, v Cell) (string, error) {
	if v.Null {
		return "", nil
	}
	switch c.Kind {
	case KindText:
		return v.Text, nil
	case KindInt:
		return groupThousands(fmt.Sprint(v.Num), d.german), nil
	case KindDate:
		if d.german {
			return v.Date.Format("02.01.2006"), nil
		}
		return v.Date.Format(time.DateOnly), nil
	}
	dec, _, err := decimalsOf(c, v)
	if err != nil {
		return "", err
	}
	s := groupThousands(money.FormatMinor(v.Num, dec), d.german)
	switch {
	case c.Kind == KindPercent:
		s += " %"
	case c.Kind == KindMoney && (v.Currency != "" && v.Currency != c.Currency || c.Currency == ""):
		cur, _, _ := currencyOf(c, v)
		s += " " + cur
	}
	return s, nil
}

// table writes the table's header and rows and returns their number.
func (d *pdfDoc) table(t Table) (int64, error) {
	d.startTable(t.Columns)
	var n int64
	err := t.Rows(func(cells []Cell) error {
		n++
		if err := t.checkRow(n, cells); err != nil {
			return err
		}
		if err := d.row(cells); err != nil {
			return fmt.Errorf("row %d: %w", n, err)
		}
		return nil
	})
	return n, err
}

func (d *pdfDoc) output(w io.Writer) error {
	if err := d.f.Error(); err != nil {
		return err
	}
	return d.f.Output(w)
}

// WritePDF writes t to w as a PDF report on A4 (landscape beyond six
// columns) and returns the number of rows: the title, the parameters (as
// of, known at, issued, as the caller lists them), o's charts, then the
// table with its header row repeated on every page, and on every page the
// title and "page n of N" at the foot. Figures are right-aligned and
// written for people (1.234,56); text too wide for its column is cut with
// an ellipsis. The whole document is held in memory until it is written.
func WritePDF(w io.Writer, t Table, o PDFOptions) (int64, error) {
	d := newPDF(t.Title, len(t.Columns) > 6, o)
	d.heading(t.Title, t.Params)
	for _, c := range o.Charts {
		if err := d.chart(c); err != nil {
			return 0, fmt.Errorf("write PDF of %q: %w", t.Title, err)
		}
	}
	n, err := d.table(t)
	if err != nil {
		return 0, fmt.Errorf("write PDF of %q: %w", t.Title, err)
	}
	if err := d.output(w); err != nil {
		return 0, fmt.Errorf("write PDF of %q: %w", t.Title, err)
	}
	return n, nil
}
