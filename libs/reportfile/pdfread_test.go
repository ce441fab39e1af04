package reportfile_test

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// parsedPDF is what the tests read back from a PDF: its pages' text
// (each string shown with Tj, decoded from Windows-1252) and content
// streams, and the number of pages the page tree declares.
type parsedPDF struct {
	Pages    [][]string
	Contents []string
	Count    int
	Info     string
}

var (
	objRe    = regexp.MustCompile(`(?s)(\d+) 0 obj\n(.*?)endobj\n`)
	streamRe = regexp.MustCompile(`(?s)^(<<.*?>>)\nstream\n(.*)\nendstream\n$`)
	tjRe     = regexp.MustCompile(`\(((?:\\.|[^\\)])*)\) ?Tj`)
	countRe  = regexp.MustCompile(`/Type /Pages\s*/Kids \[[^\]]*\]\s*/Count (\d+)`)
)

// readPDF checks a PDF's structure (header, trailer, a cross-reference
// table whose every offset starts its object) and reads its pages' text.
// It knows the subset of PDF that fpdf writes with core fonts, which is
// all these tests need.
func readPDF(tb testing.TB, b []byte) parsedPDF {
	tb.Helper()
	s := string(b)
	if !strings.HasPrefix(s, "%PDF-1.") || !strings.HasSuffix(s, "%%EOF\n") {
		tb.Fatalf("not a PDF: starts %q, ends %q", s[:min(len(s), 8)], s[max(0, len(s)-8):])
	}
	i := strings.LastIndex(s, "startxref\n")
	if i < 0 {
		tb.Fatal("no startxref")
	}
	xref, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(s[i+len("startxref\n"):], "%%EOF\n")))
	if err != nil || !strings.HasPrefix(s[xref:], "xref\n") {
		tb.Fatalf("startxref %q does not point at the cross-reference table", s[i:])
	}
	lines := strings.Split(s[xref:], "\n")
	var first, n int
	if _, err := fmtSscan(lines[1], &first, &n); err != nil {
		tb.Fatalf("xref subsection %q: %v", lines[1], err)
	}
	for k := 1; k < n; k++ {
		f := strings.Fields(lines[2+k])
		if len(f) != 3 || f[2] != "n" {
			tb.Fatalf("xref entry %d: %q", k, lines[2+k])
		}
		off, _ := strconv.Atoi(f[0])
		if want := strconv.Itoa(first+k) + " 0 obj"; !strings.HasPrefix(s[off:], want) {
			tb.Errorf("xref entry %d points at %q, want %q", k, s[off:min(len(s), off+12)], want)
		}
	}

	var p parsedPDF
	for _, m := range objRe.FindAllStringSubmatch(s, -1) {
		body := m[2]
		if c := countRe.FindStringSubmatch(body); c != nil {
			p.Count, _ = strconv.Atoi(c[1])
		}
		if strings.Contains(body, "/CreationDate") {
			p.Info = body
		}
		sm := streamRe.FindStringSubmatch(body)
		if sm == nil {
			continue
		}
		data := []byte(sm[2])
		if strings.Contains(sm[1], "/FlateDecode") {
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				tb.Fatalf("object %s: %v", m[1], err)
			}
			if data, err = io.ReadAll(r); err != nil {
				tb.Fatalf("object %s: %v", m[1], err)
			}
		}
		content := string(data)
		var texts []string
		for _, t := range tjRe.FindAllStringSubmatch(content, -1) {
			texts = append(texts, decodePDFString(tb, t[1]))
		}
		p.Contents = append(p.Contents, content)
		p.Pages = append(p.Pages, texts)
	}
	if p.Count != len(p.Pages) {
		tb.Errorf("page tree counts %d pages, %d content streams found", p.Count, len(p.Pages))
	}
	return p
}

// decodePDFString undoes a literal string's escapes and decodes
// Windows-1252.
func decodePDFString(tb testing.TB, s string) string {
	tb.Helper()
	var raw []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			raw = append(raw, s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			raw = append(raw, '\n')
		case 'r':
			raw = append(raw, '\r')
		case 't':
			raw = append(raw, '\t')
		default:
			raw = append(raw, s[i])
		}
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}

func fmtSscan(line string, a, b *int) (int, error) {
	f := strings.Fields(line)
	if len(f) != 2 {
		return 0, io.ErrUnexpectedEOF
	}
	var err error
	if *a, err = strconv.Atoi(f[0]); err != nil {
		return 0, err
	}
	if *b, err = strconv.Atoi(f[1]); err != nil {
		return 1, err
	}
	return 2, nil
}
