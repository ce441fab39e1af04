package notice

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestRenderEachLanguage renders the same letter in German and English and
// finds, in the subject, the text, the HTML and the PDF, the title, the
// item numbers and the amounts written the language's way.
func TestRenderEachLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang  string
		title string
		want  []string // in every rendering
	}{
		{"de", "1. Mahnung", []string{
			"RE-2025-008550", "RE-2025-009001", "1.234,56 €", "49,90 €", "8,12 €", "2,50 €", "1.295,08 €",
			"3. Februar 2026", "14.12.2025", "37 Tage", "6,27 %", "act/365", "DE89 3704 0044 0532 0130 00",
			"KD 10042 RE-2025-008550 RE-2025-009001", "Jürgen Weiß",
		}},
		{"en", "First overdue notice", []string{
			"RE-2025-008550", "RE-2025-009001", "EUR 1,234.56", "EUR 49.90", "EUR 8.12", "EUR 2.50", "EUR 1,295.08",
			"3 February 2026", "14 Dec 2025", "37 days", "6.27%", "actual/365", "DE89 3704 0044 0532 0130 00",
			"KD 10042 RE-2025-008550 RE-2025-009001", "Jürgen Weiß",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			t.Parallel()
			r := render(t, sampleLetter(t, tt.lang))
			if !strings.HasPrefix(r.Subject, tt.title+" MA-2026-000042") {
				t.Errorf("subject %q does not start with %q", r.Subject, tt.title)
			}
			checkPDF(t, r.PDF)
			pdf := pdfText(t, r.PDF)
			for name, body := range map[string]string{"text": r.Text, "html": r.HTML, "pdf": pdf} {
				for _, w := range append(tt.want, tt.title) {
					if !strings.Contains(body, w) {
						t.Errorf("%s lacks %q", name, w)
					}
				}
			}
		})
	}
}

// TestRenderTemplates renders every template in both languages: each has
// its own title, the final notice names the hand-over to a collection
// agency, and the friendly reminder says in how many days an item falls
// due instead of how late it is.
func TestRenderTemplates(t *testing.T) {
	t.Parallel()
	want := map[string]map[string]string{
		"de": {"friendly": "fällig in 5 Tagen", "reminder": "Zahlungserinnerung", "dunning-1": "1. Mahnung", "dunning-2": "2. Mahnung", "final": "Inkassounternehmen"},
		"en": {"friendly": "due in 5 days", "reminder": "Payment reminder", "dunning-1": "First overdue notice", "dunning-2": "Second overdue notice", "final": "collection agency"},
	}
	for lang, byTemplate := range want {
		subjects := map[string]bool{}
		for tmpl, w := range byTemplate {
			l := sampleLetter(t, lang)
			l.Template = tmpl
			if tmpl == "friendly" {
				l.Lines[0].DaysOverdue, l.Lines[1].DaysOverdue = -5, -1
			}
			r := render(t, l)
			if subjects[r.Subject] {
				t.Errorf("%s/%s: subject %q used by another template", lang, tmpl, r.Subject)
			}
			subjects[r.Subject] = true
			if !strings.Contains(r.Text, w) || !strings.Contains(pdfText(t, r.PDF), w) {
				t.Errorf("%s/%s: text or PDF lacks %q", lang, tmpl, w)
			}
		}
	}
}

// TestRenderIsDeterministic renders a letter twice and gets the same
// bytes, which the outbox's idempotence relies on.
func TestRenderIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := render(t, sampleLetter(t, "de")), render(t, sampleLetter(t, "de"))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two renderings differ (-first +second):\n%s", diff)
	}
}

// TestPDFPagesGrowWithItems renders 3 and 200 items: the PDF stays well
// formed, has more pages for more items, shows every item number and the
// table's heading again on each page.
func TestPDFPagesGrowWithItems(t *testing.T) {
	t.Parallel()
	few := render(t, manyItems(t, sampleLetter(t, "de"), 3))
	many := render(t, manyItems(t, sampleLetter(t, "de"), 200))
	pf, pm := checkPDF(t, few.PDF), checkPDF(t, many.PDF)
	if pf != 1 || pm <= pf+2 {
		t.Errorf("3 items on %d pages, 200 on %d; want 1 and at least 4", pf, pm)
	}
	text := pdfText(t, many.PDF)
	for _, doc := range []string{"RE-2025-000001", "RE-2025-000100", "RE-2025-000200"} {
		if !strings.Contains(text, doc+"\n") {
			t.Errorf("PDF lacks item %s", doc)
		}
	}
	item := regexp.MustCompile(`(?m)^RE-2025-\d{6}$`)
	pages := pdfPages(t, many.PDF)
	for i, page := range pages {
		first := item.FindStringIndex(page)
		if first == nil {
			continue
		}
		if h := strings.Index(page, "Rechnung\nvom\nfällig am\n"); h < 0 || h > first[0] {
			t.Errorf("page %d lists items without the table's heading first", i+1)
		}
	}
	if len(pages) != pm {
		t.Errorf("%d content streams, %d pages", len(pages), pm)
	}
	if last := "Seite " + strconv.Itoa(pm) + " von " + strconv.Itoa(pm); !strings.Contains(text, last) {
		t.Errorf("PDF lacks %q", last)
	}
	if !strings.Contains(text, "Fortsetzung") {
		t.Errorf("following pages lack the continuation heading")
	}
}

// TestHTMLEscapesHostileInput gives the debtor's name, an invoice number
// and a fee label markup; the HTML shows them as text, never as markup.
func TestHTMLEscapesHostileInput(t *testing.T) {
	t.Parallel()
	l := sampleLetter(t, "en")
	l.Debtor.Name = `<script>alert("x")</script> & "Co" <img src=x onerror=alert(1)>`
	l.Lines[1].Document = `RE-1"><b>bold</b>`
	l.Fees[0].Label = `<a href="javascript:alert(1)">fee</a>`
	r := render(t, l)
	for _, bad := range []string{"<script>", "<img", "<b>bold", `<a href="javascript`} {
		if strings.Contains(r.HTML, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	for _, good := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Co&#34;", "RE-1&#34;&gt;&lt;b&gt;bold&lt;/b&gt;"} {
		if !strings.Contains(r.HTML, good) {
			t.Errorf("HTML lacks the escaped %q", good)
		}
	}
	if !strings.Contains(r.Text, `Dear <script>alert("x")</script>`) {
		t.Errorf("text body does not show the name as it is")
	}
}

// TestPDFEscapesStrings gives the debtor a name with parentheses and a
// backslash, which end or escape a PDF string: they are escaped, the PDF
// stays well formed and shows the name as it is.
func TestPDFEscapesStrings(t *testing.T) {
	t.Parallel()
	l := sampleLetter(t, "de")
	l.Debtor.Name = `Kunde (Test) \ GmbH) Tj ET`
	r := render(t, l)
	checkPDF(t, r.PDF)
	if !bytes.Contains(r.PDF, []byte(`(Kunde \(Test\) \\ GmbH\) Tj ET) Tj`)) {
		t.Errorf("PDF does not escape the name")
	}
	if !strings.Contains(pdfText(t, r.PDF), "Kunde (Test) \\ GmbH) Tj ET\n") {
		t.Errorf("PDF text lacks the name")
	}
}

// TestWinAnsi maps characters to WinAnsiEncoding: umlauts, ß, € and § to
// their bytes, and characters the encoding lacks to their base letter
// (Latin letters with diacritics), a space, a hyphen or '?'.
func TestWinAnsi(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       rune
		want     byte
		replaced bool
	}{
		{'a', 'a', false}, {'ä', 0xE4, false}, {'ö', 0xF6, false}, {'ü', 0xFC, false},
		{'Ä', 0xC4, false}, {'Ö', 0xD6, false}, {'Ü', 0xDC, false}, {'ß', 0xDF, false},
		{'€', 0x80, false}, {'§', 0xA7, false}, {'–', 0x96, false}, {'„', 0x84, false},
		{'“', 0x93, false}, {'Š', 0x8A, false}, {'ž', 0x9E, false}, {'é', 0xE9, false},
		{'Ł', 'L', true}, {'ł', 'l', true}, {'ő', 'o', true}, {'č', 'c', true},
		{'ř', 'r', true}, {'ș', 's', true}, {'ğ', 'g', true}, {'ı', 'i', true},
		{'\t', ' ', true}, {'\n', ' ', true}, {'\u2009', ' ', true}, {'\u2212', '-', true},
		{'日', '?', true}, {'Ж', '?', true}, {'😀', '?', true}, {'\u0085', ' ', true},
	}
	for _, tt := range tests {
		b, replaced := winAnsiByte(tt.in)
		if b != tt.want || replaced != tt.replaced {
			t.Errorf("winAnsiByte(%q) = %#x, %v; want %#x, %v", tt.in, b, replaced, tt.want, tt.replaced)
		}
	}
	if got, want := winAnsi("Grüße, Łódź: 5 €"), []byte("Gr\xfc\xdfe, L\xf3dz: 5 \x80"); !bytes.Equal(got, want) {
		t.Errorf("winAnsi = %q, want %q", got, want)
	}
}

// TestPDFPrintsUmlautsAndEuro finds the WinAnsi bytes of the merchant's
// and debtor's umlauts, ß, € and § in the PDF's content, and a name
// outside WinAnsi printed with its replacements.
func TestPDFPrintsUmlautsAndEuro(t *testing.T) {
	t.Parallel()
	l := sampleLetter(t, "de")
	l.Debtor.Name = "Łukasz Dvořák 日本"
	r := render(t, l)
	for _, want := range []string{"(M\xfcller & S\xf6hne GmbH)", "1.234,56 \x80", "(Berechnung der Verzugszinsen \\(\xa7 288 BGB\\))", "Gr\xfc\xdfen", "(Guten Tag Lukasz Dvor\xe1k ??,)"} {
		if !bytes.Contains(r.PDF, []byte(want)) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	if !strings.Contains(r.Text, "Łukasz Dvořák 日本") || !strings.Contains(r.HTML, "Łukasz Dvořák 日本") {
		t.Errorf("the e-mail bodies do not keep the name as it is")
	}
	if !bytes.Contains(r.PDF, []byte("/BaseFont /Helvetica /Encoding /WinAnsiEncoding")) ||
		!bytes.Contains(r.PDF, []byte("/BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding")) {
		t.Errorf("fonts are not Helvetica in WinAnsiEncoding")
	}
}

// TestInterestIsExplained finds each interest period with its days, rate,
// principal and amount, and the day count, in every rendering.
func TestInterestIsExplained(t *testing.T) {
	t.Parallel()
	r := render(t, sampleLetter(t, "de"))
	for _, want := range []string{
		"RE-2025-008550: 17 Tage vom 15.12.2025 bis 31.12.2025 zu 6,27 % p. a. auf 1.234,56 € = 3,61 €",
		"RE-2025-008550: 20 Tage vom 01.01.2026 bis 20.01.2026 zu 6,67 % p. a. auf 1.234,56 € = 4,51 €",
		"Zinsmethode: act/365 (tatsächliche Tage, Jahr zu 365 Tagen)",
	} {
		if !strings.Contains(strings.Join(strings.Fields(r.Text), " "), want) {
			t.Errorf("text lacks %q", want)
		}
		if !strings.Contains(r.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
		if !strings.Contains(strings.Join(strings.Fields(pdfText(t, r.PDF)), " "), want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	// Without interest there is neither an interest column nor an
	// explanation.
	l := sampleLetter(t, "de")
	l.Interest, l.Lines[0].Interest, l.Total = nil, 0, l.Total-812
	r = render(t, l)
	if strings.Contains(r.Text, "  Zinsen\n") || strings.Contains(r.Text, "Zinsmethode") || strings.Contains(r.Text, "Verzugszinsen:") {
		t.Errorf("letter without interest mentions it:\n%s", r.Text)
	}
}

// TestRenderRejectsInvalidLetters changes one field of a valid letter at a
// time and gets ErrInvalidLetter naming it.
func TestRenderRejectsInvalidLetters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Letter)
		field  string
	}{
		{"unknown language", func(l *Letter) { l.Language = "fr" }, "language"},
		{"unknown template", func(l *Letter) { l.Template = "dunning-9" }, "template"},
		{"no number", func(l *Letter) { l.Number = " " }, "number"},
		{"no date", func(l *Letter) { l.Date = time.Time{} }, "date"},
		{"pay by before the date", func(l *Letter) { l.PayBy = l.Date.AddDate(0, 0, -1) }, "pay_by"},
		{"no debtor", func(l *Letter) { l.Debtor.Name = "" }, "debtor.name"},
		{"no merchant", func(l *Letter) { l.Merchant.Name = "" }, "merchant.name"},
		{"no lines", func(l *Letter) { l.Lines = nil }, "lines"},
		{"unknown currency", func(l *Letter) { l.Currency = "EURO" }, "currency"},
		{"unknown day count", func(l *Letter) { l.DayCount = "act/act" }, "day_count"},
		{"total off by a cent", func(l *Letter) { l.Total++ }, "total"},
		{"negative open", func(l *Letter) { l.Lines[1].Open = -1 }, "lines[1]"},
		{"interest disagrees", func(l *Letter) { l.Lines[0].Interest = 800 }, "interest"},
		{"negative fee", func(l *Letter) { l.Fees[0].Amount = -250 }, "fees[0].amount"},
		{"no document", func(l *Letter) { l.Lines[0].Document = "" }, "lines[0].document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := sampleLetter(t, "de")
			tt.change(&l)
			_, err := Render(l)
			if !errors.Is(err, ErrInvalidLetter) {
				t.Fatalf("Render = %v, want ErrInvalidLetter", err)
			}
			if !strings.Contains(err.Error(), ": "+tt.field+":") {
				t.Errorf("error %q does not name %s", err, tt.field)
			}
		})
	}
	// A language tag counts by its first part.
	l := sampleLetter(t, "de")
	l.Language = "de-DE"
	if _, err := Render(l); err != nil {
		t.Errorf("Render(de-DE) = %v", err)
	}
}

// TestGermanTextGolden compares the German text body of the sample letter
// with testdata/dunning-1.de.txt; -update rewrites it.
func TestGermanTextGolden(t *testing.T) {
	t.Parallel()
	got := render(t, sampleLetter(t, "de")).Text
	path := filepath.Join("testdata", "dunning-1.de.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGermanTextGolden -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("German text body differs from %s (-want +got):\n%s", path, diff)
	}
}
