package reportfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/reportfile"
)

var issued = time.Date(2026, 4, 5, 10, 0, 0, 0, time.UTC)

func TestWritePDF(t *testing.T) {
	t.Parallel()
	opts := reportfile.PDFOptions{Issued: issued, Charts: []reportfile.Chart{agingChart(), dsoChart()}}
	var first, second bytes.Buffer
	n, err := reportfile.WritePDF(&first, openItems(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("rows written = %d, want 3", n)
	}
	if _, err := reportfile.WritePDF(&second, openItems(t), opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("the same table and issue time wrote different PDFs")
	}
	if dir := os.Getenv("REPORTFILE_SAMPLES"); dir != "" {
		if err := os.WriteFile(dir+"/open-items.pdf", first.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := readPDF(t, first.Bytes())
	if !strings.Contains(p.Info, "/CreationDate (D:20260405100000)") {
		t.Errorf("info %q has not the issue time as its creation date", p.Info)
	}
	// Seven columns go landscape, where one chart fills a page's upper
	// half: the aging chart is on the first page, the DSO chart and the
	// table on the second.
	if p.Count != 2 {
		t.Fatalf("%d pages, want 2: %q", p.Count, p.Pages)
	}
	page1 := p.Pages[0]
	for _, want := range []string{
		"Offene-Posten-Liste", "Stichtag", "2026-03-31", "Kenntnisstand", "2026-04-05T10:00:00Z",
		"Altersstruktur der Forderungen <31.03.2026> & Mahnstufen", "Mahnstufe 2 \"Letzte\"", "1–30",
		"Seite 1 von 2",
	} {
		if !slices.Contains(page1, want) {
			t.Errorf("page 1 lacks %q: %q", want, page1)
		}
	}
	head := slices.Index(p.Pages[1], "Debitor")
	if head < 0 {
		t.Fatalf("page 2 has no table: %q", p.Pages[1])
	}
	chart := p.Pages[1][:head]
	for _, want := range []string{"DSO je Monat", "Tage", "2026-01", "2026-06", "DSO (Count-back)", "Ø Tage überfällig"} {
		if !slices.Contains(chart, want) {
			t.Errorf("page 2 lacks %q above the table: %q", want, chart)
		}
	}
	// The aging chart's first series is filled in the palette's blue.
	if !strings.Contains(p.Contents[0], "0.000 0.447 0.698 rg") {
		t.Error("page 1 draws nothing in the first series' colour")
	}
	want := []string{
		"Debitor", "Fällig", "Tage überfällig", "Offen", "Anteil", "DSO", "Mahnstufe",
		"Müller; Söhne \"GmbH\"", "28.02.2026", "31", "1.234,56", "12,34 %", "45,67",
		"=HYPERLINK(\"x\")", "31.03.2026", "0", "-0,05", "-0,50 %", "0,00", "2",
		"Zürich AG", "15.04.2026", "-15", "1.000 JPY", "100,00 %", "-0,01",
		"Offene-Posten-Liste", "Seite 2 von 2",
	}
	if diff := cmp.Diff(want, p.Pages[1][head:]); diff != "" {
		t.Errorf("page 2 (-want +got):\n%s", diff)
	}
}

func TestWritePDFPlain(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if _, err := reportfile.WritePDF(&buf, openItems(t), reportfile.PDFOptions{Issued: issued, Dialect: reportfile.Plain}); err != nil {
		t.Fatal(err)
	}
	p := readPDF(t, buf.Bytes())
	for _, want := range []string{"1,234.56", "2026-02-28", "12.34 %", "1,000 JPY", "Page 1 of 1"} {
		if !slices.Contains(p.Pages[0], want) {
			t.Errorf("lacks %q: %q", want, p.Pages[0])
		}
	}
}

// longList is a table of n rows in three columns, portrait.
func longList(n int) reportfile.Table {
	return reportfile.Table{
		Title:  "Debitorensaldenliste",
		Params: [][2]string{{"Zeitraum", "2026-03"}},
		Columns: []reportfile.Column{
			{Name: "Konto", Kind: reportfile.KindInt},
			{Name: "Name", Kind: reportfile.KindText},
			{Name: "Saldo", Kind: reportfile.KindMoney, Currency: "EUR"},
		},
		Rows: func(yield func([]reportfile.Cell) error) error {
			for i := range n {
				row := []reportfile.Cell{reportfile.Int(int64(10000 + i)), reportfile.Text(fmt.Sprintf("Kunde %d", i)), reportfile.Money(int64(i)*100+1, "")}
				if err := yield(row); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func TestWritePDFPages(t *testing.T) {
	t.Parallel()
	const rows = 150
	var buf bytes.Buffer
	n, err := reportfile.WritePDF(&buf, longList(rows), reportfile.PDFOptions{Issued: issued})
	if err != nil {
		t.Fatal(err)
	}
	if n != rows {
		t.Errorf("rows written = %d, want %d", n, rows)
	}
	p := readPDF(t, buf.Bytes())
	if p.Count < 3 {
		t.Fatalf("%d pages for %d rows, want at least 3", p.Count, rows)
	}
	var names []string
	for i, page := range p.Pages {
		if !slices.Contains(page, "Konto") || !slices.Contains(page, "Saldo") {
			t.Errorf("page %d has no header row: %q", i+1, page[:min(len(page), 8)])
		}
		if footer := fmt.Sprintf("Seite %d von %d", i+1, p.Count); page[len(page)-1] != footer {
			t.Errorf("page %d ends with %q, want %q", i+1, page[len(page)-1], footer)
		}
		for _, s := range page {
			if strings.HasPrefix(s, "Kunde ") {
				names = append(names, s)
			}
		}
	}
	var want []string
	for i := range rows {
		want = append(want, fmt.Sprintf("Kunde %d", i))
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("rows across the pages (-want +got):\n%s", diff)
	}
}

func TestWritePDFText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Sehr lange Firmenbezeichnung ", 10)
	tab := reportfile.Table{
		Title:   "Namen",
		Columns: []reportfile.Column{{Name: "Name", Kind: reportfile.KindText}, {Name: "Betrag", Kind: reportfile.KindMoney, Currency: "EUR"}},
		Rows: reportfile.RowsOf([][]reportfile.Cell{
			{reportfile.Text("Łódź Śląsk 李 (Ltd.)"), reportfile.Money(1, "")},
			{reportfile.Text(long), reportfile.Null()},
		}),
	}
	var buf bytes.Buffer
	if _, err := reportfile.WritePDF(&buf, tab, reportfile.PDFOptions{Issued: issued}); err != nil {
		t.Fatal(err)
	}
	page := readPDF(t, buf.Bytes()).Pages[0]
	if !slices.Contains(page, "?ódz Slask ? (Ltd.)") {
		t.Errorf("no Windows-1252 fallback of the name in %q", page)
	}
	var cut string
	for _, s := range page {
		if strings.HasPrefix(s, "Sehr lange") {
			cut = s
		}
	}
	if !strings.HasSuffix(cut, "…") || len(cut) >= len(long) {
		t.Errorf("long name written as %q, want it cut with an ellipsis", cut)
	}
}

func TestWritePDFRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		table reportfile.Table
		opts  reportfile.PDFOptions
		want  error
	}{
		{
			name:  "row width",
			table: reportfile.Table{Columns: []reportfile.Column{{Name: "A"}}, Rows: reportfile.RowsOf([][]reportfile.Cell{{}})},
			want:  reportfile.ErrRowWidth,
		},
		{
			name:  "currency",
			table: reportfile.Table{Columns: []reportfile.Column{{Name: "A", Kind: reportfile.KindMoney}}, Rows: reportfile.RowsOf([][]reportfile.Cell{{reportfile.Money(1, "")}})},
			want:  reportfile.ErrCurrency,
		},
		{
			name:  "chart",
			table: longList(1),
			opts:  reportfile.PDFOptions{Charts: []reportfile.Chart{reportfile.LineChart{Title: "leer"}}},
			want:  reportfile.ErrChart,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if _, err := reportfile.WritePDF(&buf, tt.table, tt.opts); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes of a refused report", buf.Len())
			}
		})
	}
}

func TestWriteStatementPDF(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	s := reportfile.Statement{
		Title:     "Kontoauszug",
		Sender:    []string{"Beispiel Handel GmbH", "Hafenstraße 1", "20457 Hamburg"},
		Recipient: []string{"Erika Mustermann", "Heidestraße 17", "51147 Köln"},
		Params:    [][2]string{{"Debitor", "10042"}, {"Zeitraum", "01.03.2026 – 31.03.2026"}},
		Opening:   []money.Amount{{Minor: 5000, Currency: "EUR"}},
		Closing:   []money.Amount{{Minor: 16900, Currency: "EUR"}},
		Lines: reportfile.Table{
			Title: "Kontoauszug",
			Columns: []reportfile.Column{
				{Name: "Datum", Kind: reportfile.KindDate},
				{Name: "Beleg", Kind: reportfile.KindText},
				{Name: "Soll", Kind: reportfile.KindMoney, Currency: "EUR"},
				{Name: "Haben", Kind: reportfile.KindMoney, Currency: "EUR"},
				{Name: "Saldo", Kind: reportfile.KindMoney, Currency: "EUR"},
			},
			Rows: reportfile.RowsOf([][]reportfile.Cell{
				{reportfile.Date(day(3)), reportfile.Text("RE-2026-0107"), reportfile.Money(11900, ""), reportfile.Null(), reportfile.Money(16900, "")},
				{reportfile.Date(day(20)), reportfile.Text("ZA-77"), reportfile.Null(), reportfile.Money(5000, ""), reportfile.Money(11900, "")},
				{reportfile.Date(day(28)), reportfile.Text("RE-2026-0188"), reportfile.Money(5000, ""), reportfile.Null(), reportfile.Money(16900, "")},
			}),
		},
		Note: "Bitte überweisen Sie den offenen Betrag auf DE02 1203 0000 0000 2020 51.",
	}
	var buf bytes.Buffer
	n, err := reportfile.WriteStatementPDF(&buf, s, reportfile.PDFOptions{Issued: issued})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("lines written = %d, want 3", n)
	}
	if dir := os.Getenv("REPORTFILE_SAMPLES"); dir != "" {
		if err := os.WriteFile(dir+"/statement.pdf", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := readPDF(t, buf.Bytes())
	want := []string{
		"Beispiel Handel GmbH", "Hafenstraße 1", "20457 Hamburg",
		"Beispiel Handel GmbH · Hafenstraße 1 · 20457 Hamburg",
		"Erika Mustermann", "Heidestraße 17", "51147 Köln",
		"Kontoauszug", "Debitor", "10042", "Zeitraum", "01.03.2026 – 31.03.2026",
		"Anfangssaldo", "50,00 EUR",
		"Datum", "Beleg", "Soll", "Haben", "Saldo",
		"03.03.2026", "RE-2026-0107", "119,00", "169,00",
		"20.03.2026", "ZA-77", "50,00", "119,00",
		"28.03.2026", "RE-2026-0188", "50,00", "169,00",
		"Endsaldo", "169,00 EUR",
		"Bitte überweisen Sie den offenen Betrag auf DE02 1203 0000 0000 2020 51.",
		"Kontoauszug", "Seite 1 von 1",
	}
	if diff := cmp.Diff(want, p.Pages[0]); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}

	s.Closing = []money.Amount{{Minor: 1, Currency: "XYZ"}}
	if _, err := reportfile.WriteStatementPDF(&bytes.Buffer{}, s, reportfile.PDFOptions{}); !errors.Is(err, reportfile.ErrCurrency) {
		t.Errorf("closing balance in an unknown currency: err = %v, want ErrCurrency", err)
	}
}
