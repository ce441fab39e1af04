package notice

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// sampleLetter returns a valid dunning-1 letter in lang with two items,
// interest split at a base-rate change and a fee.
func sampleLetter(tb testing.TB, lang string) Letter {
	tb.Helper()
	return Letter{
		Language: lang,
		Merchant: Party{
			Name: "Müller & Söhne GmbH", Address: []string{"Hauptstraße 5", "10115 Berlin"},
			IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX", Bank: "Commerzbank",
			CreditorID: "DE98ZZZ09999999999", VATID: "DE123456789", Email: "forderungen@mueller-soehne.example",
		},
		Debtor: Party{Name: "Jürgen Weiß", Address: []string{"Gartenweg 12", "80331 München"}},
		Number: "MA-2026-000042", Date: day(2026, 1, 20), PayBy: day(2026, 2, 3),
		Level: 2, Template: "dunning-1",
		Lines: []Line{
			{Document: "RE-2025-008550", DocumentDate: day(2025, 11, 14), DueDate: day(2025, 12, 14), DaysOverdue: 37, Open: 123456, Interest: 812, Level: 2},
			{Document: "RE-2025-009001", DocumentDate: day(2025, 12, 1), DueDate: day(2025, 12, 31), DaysOverdue: 20, Open: 4990, Level: 1},
		},
		Fees: []FeeLine{{Label: "", Amount: 250}},
		Interest: []InterestLine{
			{Document: "RE-2025-008550", From: day(2025, 12, 15), To: day(2025, 12, 31), Days: 17, RateBP: 627, Principal: 123456, Amount: 361},
			{Document: "RE-2025-008550", From: day(2026, 1, 1), To: day(2026, 1, 20), Days: 20, RateBP: 667, Principal: 123456, Amount: 451},
		},
		DayCount:         "act/365",
		Currency:         "EUR",
		Total:            123456 + 4990 + 812 + 250,
		PaymentReference: Reference("10042", []string{"RE-2025-008550", "RE-2025-009001"}),
	}
}

// manyItems returns letter l with n items instead of its own, and no
// interest.
func manyItems(tb testing.TB, l Letter, n int) Letter {
	tb.Helper()
	l.Lines, l.Interest, l.Total = nil, nil, 0
	for i := range n {
		open := int64(1000 + i)
		l.Lines = append(l.Lines, Line{
			Document: fmt.Sprintf("RE-2025-%06d", i+1), DocumentDate: day(2025, 10, 1), DueDate: day(2025, 11, 1),
			DaysOverdue: 80, Open: open, Level: 1,
		})
		l.Total += open
	}
	for _, f := range l.Fees {
		l.Total += f.Amount
	}
	return l
}

func render(tb testing.TB, l Letter) Rendered {
	tb.Helper()
	r, err := Render(l)
	if err != nil {
		tb.Fatalf("Render: %v", err)
	}
	return r
}

var tjRE = regexp.MustCompile(`\(((?:[^()\\]|\\.)*)\) Tj`)

// pdfText returns the strings a PDF shows (its Tj operators), decoded from
// WinAnsiEncoding, one a line.
func pdfText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	back := map[byte]rune{}
	for r, b := range winAnsiHigh {
		back[b] = r
	}
	var out strings.Builder
	for _, m := range tjRE.FindAllSubmatch(pdf, -1) {
		s := m[1]
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c == '\\' {
				i++
				c = s[i]
			}
			if r, ok := back[c]; ok {
				out.WriteRune(r)
			} else {
				out.WriteRune(rune(c))
			}
		}
		out.WriteByte('\n')
	}
	return out.String()
}

// pdfPages returns the text of each page of a PDF written by writePDF
// (whose content streams come in page order).
func pdfPages(tb testing.TB, pdf []byte) []string {
	tb.Helper()
	var out []string
	for _, m := range regexp.MustCompile(`(?s)stream\n(.*?)\nendstream`).FindAllSubmatch(pdf, -1) {
		out = append(out, pdfText(tb, m[1]))
	}
	return out
}

// checkPDF checks a PDF's structure: header, trailer, that every offset of
// its cross-reference table points at the object it names, that startxref
// points at the table, and that every stream's Length is its length. It
// returns the number of pages.
func checkPDF(tb testing.TB, pdf []byte) int {
	tb.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) {
		tb.Fatalf("PDF starts with %q", pdf[:min(len(pdf), 16)])
	}
	if !bytes.HasSuffix(bytes.TrimRight(pdf, "\r\n"), []byte("%%EOF")) {
		tb.Fatalf("PDF ends with %q", pdf[max(0, len(pdf)-16):])
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n?$`).FindSubmatch(pdf)
	if m == nil {
		tb.Fatal("no startxref")
	}
	start, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[start:], []byte("xref\n")) {
		tb.Fatalf("startxref %d points at %q", start, pdf[start:min(len(pdf), start+10)])
	}
	head := regexp.MustCompile(`^xref\n0 (\d+)\n`).FindSubmatch(pdf[start:])
	if head == nil {
		tb.Fatal("no xref subsection")
	}
	n, _ := strconv.Atoi(string(head[1]))
	entries := pdf[start+len(head[0]):]
	if !bytes.HasPrefix(entries, []byte("0000000000 65535 f \n")) {
		tb.Fatalf("xref entry 0 is %q", entries[:20])
	}
	for i := 1; i < n; i++ {
		e := entries[i*20 : i*20+20]
		if !regexp.MustCompile(`^\d{10} 00000 n \n$`).Match(e) {
			tb.Fatalf("xref entry %d is %q", i, e)
		}
		off, _ := strconv.Atoi(string(e[:10]))
		want := fmt.Sprintf("%d 0 obj\n", i)
		if !bytes.HasPrefix(pdf[off:], []byte(want)) {
			tb.Errorf("xref entry %d: offset %d points at %q, want %q", i, off, pdf[off:min(len(pdf), off+12)], want)
		}
	}
	if !bytes.Contains(pdf, []byte(fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R", n))) {
		tb.Errorf("trailer does not give /Size %d", n)
	}
	if got := bytes.Count(pdf, []byte(" obj\n")); got != n-1 {
		tb.Errorf("%d objects, xref lists %d", got, n-1)
	}
	for _, sm := range regexp.MustCompile(`<< /Length (\d+) >>\nstream\n`).FindAllSubmatchIndex(pdf, -1) {
		length, _ := strconv.Atoi(string(pdf[sm[2]:sm[3]]))
		if !bytes.HasPrefix(pdf[sm[1]+length:], []byte("\nendstream")) {
			tb.Errorf("stream at %d: Length %d does not end at endstream", sm[0], length)
		}
	}
	pages := bytes.Count(pdf, []byte("/Type /Page "))
	cm := regexp.MustCompile(`/Type /Pages /Kids \[[^\]]*\] /Count (\d+)`).FindSubmatch(pdf)
	if cm == nil {
		tb.Fatal("no page tree")
	}
	if c, _ := strconv.Atoi(string(cm[1])); c != pages {
		tb.Errorf("/Count %d, %d page objects", c, pages)
	}
	return pages
}
