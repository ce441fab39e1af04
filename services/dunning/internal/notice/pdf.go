package notice

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// A4 in points, and the margins of the text: 25 mm on the left, 20 mm on
// the right (DIN 5008), the footer below bottom.
const (
	pageWidth  = 595.28
	pageHeight = 841.89
	left       = 70.87
	right      = 538.58
	bottom     = 78.0
	contTop    = pageHeight - 72 // where the text starts on a following page
)

// Font sizes and line heights.
const (
	bodySize    = 10.0
	bodyLeading = 13.0
	tableSize   = 8.5
	rowHeight   = 11.5
	smallSize   = 7.0
)

// layout lays text out on pages top to bottom and breaks pages when the
// next line does not fit.
type layout struct {
	pages   []*bytes.Buffer
	cur     int     // the page drawn on
	y       float64 // the baseline of the next line
	onBreak func()  // draws what continues on a new page (a table's heading)
	cont    string  // the heading of a following page
}

// page returns the content stream of the current page.
func (l *layout) page() *bytes.Buffer { return l.pages[l.cur] }

func (l *layout) newPage() {
	l.pages = append(l.pages, &bytes.Buffer{})
	l.cur = len(l.pages) - 1
	l.y = contTop
	if len(l.pages) > 1 {
		l.text(regular, smallSize, left, pageHeight-50, l.cont)
		if l.onBreak != nil {
			l.onBreak()
		}
	}
}

// need starts a new page unless h points fit above the bottom margin.
func (l *layout) need(h float64) {
	if l.y-h < bottom {
		l.newPage()
	}
}

// text sets s in f at size with its baseline starting at x, y.
func (l *layout) text(f font, size, x, y float64, s string) {
	if s == "" {
		return
	}
	fmt.Fprintf(l.page(), "BT /F%d %s Tf %s %s Td %s Tj ET\n", int(f)+1, num(size), num(x), num(y), pdfString(s))
}

// textRight sets s so that it ends at x.
func (l *layout) textRight(f font, size, x, y float64, s string) {
	l.text(f, size, x-f.width(s, size), y, s)
}

// rule draws a thin horizontal line.
func (l *layout) rule(x1, x2, y float64) {
	fmt.Fprintf(l.page(), "0.5 w %s %s m %s %s l S\n", num(x1), num(y), num(x2), num(y))
}

// para sets s wrapped to the text width, line by line, breaking pages
// between lines.
func (l *layout) para(f font, size, leading, indent float64, s string) {
	for _, ln := range wrapWidth(s, f, size, right-left-indent) {
		l.need(leading)
		l.y -= leading
		l.text(f, size, left+indent, l.y, ln)
	}
}

// gap adds vertical space, never at the top of a page.
func (l *layout) gap(h float64) {
	if l.y < contTop {
		l.y -= h
	}
}

// wrapWidth breaks s into lines no wider than w at spaces; a word wider
// than w is cut.
func wrapWidth(s string, f font, size, w float64) []string {
	var out []string
	cur := ""
	for _, word := range strings.Fields(s) {
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if f.width(try, size) <= w {
			cur = try
			continue
		}
		if cur != "" {
			out = append(out, cur)
		}
		for f.width(word, size) > w {
			r := []rune(word)
			n := len(r)
			for n > 1 && f.width(string(r[:n]), size) > w {
				n--
			}
			out = append(out, string(r[:n]))
			word = string(r[n:])
		}
		cur = word
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// fit cuts s with an ellipsis so that it is no wider than w.
func fit(s string, f font, size, w float64) string {
	if f.width(s, size) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && f.width(string(r)+"…", size) > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// column is a table column: where it starts, how wide it is and whether
// its cells are right-aligned.
type column struct {
	x, w  float64
	right bool
}

// columns places the table's columns: fixed widths for dates, days,
// level and amounts, the rest for the invoice number.
func (v *view) columns() []column {
	widths := []float64{0, 58, 58, 78}
	if v.levelColumn {
		widths = append(widths, 30)
	}
	widths = append(widths, 74)
	if v.interestColumn {
		widths = append(widths, 74)
	}
	widths[0] = right - left
	for _, w := range widths[1:] {
		widths[0] -= w
	}
	cols := make([]column, len(widths))
	x := left
	for i, w := range widths {
		cols[i] = column{x: x, w: w, right: v.Right[i]}
		x += w
	}
	return cols
}

// pdf renders the letter as a PDF.
func (v *view) pdf() []byte {
	l := &layout{cont: v.Merchant + " – " + v.Title + " – " + v.Info[0].Label + " " + v.Info[0].Value + " (" + v.t.continued + ")"}
	l.newPage()

	// Letterhead, return address, recipient and the letter's facts.
	l.text(bold, 14, left, pageHeight-62, v.Merchant)
	l.text(regular, 8, left, pageHeight-75, fit(strings.Join(v.MerchantLines, " · "), regular, 8, right-left))
	y := pageHeight - 135
	l.text(regular, smallSize, left, y, fit(strings.Join(append([]string{v.Merchant}, v.MerchantLines...), " · "), regular, smallSize, 240))
	y -= 16
	for i, s := range append([]string{v.Debtor}, v.DebtorLines...) {
		l.text(regular, bodySize, left, y-float64(i)*12, fit(s, regular, bodySize, 240))
	}
	ry := y - float64(len(v.DebtorLines)+1)*12
	for i, p := range v.Info {
		l.text(regular, 9, 360, y-float64(i)*12, p.Label+":")
		l.text(regular, 9, 440, y-float64(i)*12, fit(p.Value, regular, 9, right-440))
	}
	l.y = min(pageHeight-250, ry-24)
	l.text(bold, 12, left, l.y, v.Title)
	l.y -= 10

	l.gap(10)
	l.para(regular, bodySize, bodyLeading, 0, v.Greeting)
	l.gap(6)
	l.para(regular, bodySize, bodyLeading, 0, v.Intro)
	l.gap(12)

	// The items, with the heading repeated on each page.
	cols := v.columns()
	// A cell too wide for its column is set smaller, down to 6 points,
	// before it is cut: an invoice number is better small than cut.
	cell := func(f font, y float64, i int, s string) {
		c := cols[i]
		size := tableSize
		if w := f.width(s, size); w > c.w-6 {
			size = max(6, size*(c.w-6)/w)
			s = fit(s, f, size, c.w-6)
		}
		if c.right {
			l.textRight(f, size, c.x+c.w, y, s)
		} else {
			l.text(f, size, c.x, y, s)
		}
	}
	heading := func() {
		l.y -= rowHeight
		for i, h := range v.Head {
			cell(bold, l.y, i, h)
		}
		l.rule(left, right, l.y-3)
		l.y -= 3
	}
	l.need(3 * rowHeight)
	heading()
	l.onBreak = heading
	for _, r := range v.Rows {
		l.need(rowHeight)
		l.y -= rowHeight
		for i, c := range r {
			cell(regular, l.y, i, c)
		}
	}
	l.onBreak = nil
	l.gap(8)

	// The sums and the total.
	l.need(float64(len(v.Sums)+2) * bodyLeading)
	sumLabel := right - 260.0
	for _, p := range v.Sums {
		l.y -= bodyLeading
		l.text(regular, 9, sumLabel, l.y, fit(p.Label, regular, 9, 170))
		l.textRight(regular, 9, right, l.y, p.Value)
	}
	l.rule(sumLabel, right, l.y-4)
	l.y -= bodyLeading + 2
	l.text(bold, bodySize, sumLabel, l.y, v.Total.Label)
	l.textRight(bold, bodySize, right, l.y, v.Total.Value)
	l.gap(10)

	if len(v.InterestLines) > 0 {
		l.need(3 * bodyLeading)
		l.gap(4)
		l.para(bold, 9, 12, 0, v.InterestTitle)
		for _, s := range v.InterestLines {
			l.para(regular, tableSize, rowHeight, 0, s)
		}
		l.para(regular, tableSize, rowHeight, 0, v.DayCount)
	}
	if v.NoVAT != "" {
		l.para(regular, tableSize, rowHeight, 0, v.NoVAT)
	}
	l.gap(10)

	// Payment, closing.
	l.need(float64(len(v.Payment)+2) * bodyLeading)
	l.para(regular, bodySize, bodyLeading, 0, v.PayTo)
	for _, p := range v.Payment {
		l.need(bodyLeading)
		l.y -= bodyLeading
		l.text(regular, bodySize, left+12, l.y, p.Label+":")
		l.text(bold, bodySize, left+130, l.y, fit(p.Value, bold, bodySize, right-left-130))
	}
	if v.ReferenceNote != "" {
		l.gap(4)
		l.para(regular, 9, 12, 0, v.ReferenceNote)
	}
	if v.Questions != "" {
		l.gap(6)
		l.para(regular, bodySize, bodyLeading, 0, v.Questions)
	}
	l.need(3 * bodyLeading)
	l.gap(12)
	l.para(regular, bodySize, bodyLeading, 0, v.Regards)
	l.para(regular, bodySize, bodyLeading, 0, v.Merchant)

	// The footer on every page, now that the number of pages is known.
	for i, p := range l.pages {
		l.cur = i
		p.WriteString("0.5 g 0.5 G\n")
		l.rule(left, right, 58)
		for j, f := range v.Footer {
			l.text(regular, smallSize, left, 48-float64(j)*9, fit(f, regular, smallSize, right-left-70))
		}
		l.textRight(regular, smallSize, right, 48, v.t.page+" "+strconv.Itoa(i+1)+" "+v.t.of+" "+strconv.Itoa(len(l.pages)))
		p.WriteString("0 g 0 G\n")
	}
	return writePDF(v.Subject, v.created, l.pages)
}

// writePDF writes a PDF 1.4 file of the given page contents: the catalog,
// the page tree, the two fonts, the document information, then a page and
// its content stream for each page, the cross-reference table with every
// object's byte offset, and the trailer.
func writePDF(title string, created time.Time, pages []*bytes.Buffer) []byte {
	var b bytes.Buffer
	// The second line's bytes above 127 tell tools that the file is binary.
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	const firstPage = 6
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = strconv.Itoa(firstPage+2*i) + " 0 R"
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 %s %s] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>",
		strings.Join(kids, " "), len(pages), num(pageWidth), num(pageHeight)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	obj(fmt.Sprintf("<< /Title %s /Producer (o2c dunning) /CreationDate (D:%s) >>", utf16String(title), created.UTC().Format("20060102150405Z")))
	for i, p := range pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>", firstPage+2*i+1))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", p.Len(), p.Bytes()))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// pdfString writes s as a PDF literal string in WinAnsiEncoding, with the
// parentheses and backslashes escaped.
func pdfString(s string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, c := range winAnsi(s) {
		switch c {
		case '(', ')', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte(')')
	return b.String()
}

// utf16String writes s as a PDF text string in UTF-16BE with its byte
// order mark, in hex: the encoding the document information dictionary
// takes for any text.
func utf16String(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteByte('>')
	return b.String()
}

// num writes a coordinate with at most two decimals.
func num(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-" {
		return "0"
	}
	return s
}
