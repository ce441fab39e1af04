package reportfile_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/reportfile"
)

// agingChart is an aging chart: buckets by dunning level, in cents, with
// a credit balance (negative) in one bucket and a name that needs
// escaping.
func agingChart() reportfile.BarChart {
	return reportfile.BarChart{
		Title:      "Altersstruktur der Forderungen <31.03.2026> & Mahnstufen",
		Categories: []string{"nicht fällig", "1–30", "31–60", "61–90", "> 90"},
		Series: []reportfile.Series{
			{Name: "ohne Mahnung", Values: []int64{1250000, 480000, 120000, 0, -15000}},
			{Name: "Mahnstufe 1", Values: []int64{0, 230000, 90000, 40000, 0}},
			{Name: "Mahnstufe 2 \"Letzte\"", Values: []int64{0, 0, 60000, 70000, 25000}},
			{Name: "Mahnstufe 3", Values: []int64{0, 0, 0, 30000, 110000}},
		},
		Decimals:     2,
		Unit:         "EUR",
		DecimalComma: true,
	}
}

func dsoChart() reportfile.LineChart {
	return reportfile.LineChart{
		Title:  "DSO je Monat",
		Labels: []string{"2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"},
		Series: []reportfile.Series{
			{Name: "DSO (Count-back)", Values: []int64{4210, 3875, 4550, 4025, 3790, 3610}},
			{Name: "Best Possible DSO", Values: []int64{3020, 2950, 3110, 3005, 2890, 2870}},
			{Name: "Ø Tage überfällig", Values: []int64{1190, 925, 1440, 1020, 900, 740}},
		},
		Decimals: 2,
		Unit:     "Tage",
	}
}

// svgElem is an element of a parsed SVG with the attributes the tests
// look at and its character data.
type svgElem struct {
	Name  string
	Attrs map[string]string
	Text  string
}

// parseSVG reads an SVG with encoding/xml and returns its root's name and
// every element in document order.
func parseSVG(tb testing.TB, b []byte) []svgElem {
	tb.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var out []svgElem
	var stack []int
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("parse SVG: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := svgElem{Name: tok.Name.Local, Attrs: map[string]string{}}
			if tok.Name.Space != "http://www.w3.org/2000/svg" {
				tb.Errorf("element %s in namespace %q", tok.Name.Local, tok.Name.Space)
			}
			for _, a := range tok.Attr {
				e.Attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			stack = append(stack, len(out)-1)
		case xml.CharData:
			if len(stack) > 0 {
				out[stack[len(stack)-1]].Text += string(tok)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 || len(out) == 0 || out[0].Name != "svg" {
		tb.Fatalf("not one svg document: %d open elements, %d elements", len(stack), len(out))
	}
	return out
}

func texts(elems []svgElem, name string) []string {
	var out []string
	for _, e := range elems {
		if e.Name == name {
			out = append(out, e.Text)
		}
	}
	return out
}

func TestWriteSVGAgingChart(t *testing.T) {
	t.Parallel()
	var first, second bytes.Buffer
	if err := reportfile.WriteSVG(&first, agingChart()); err != nil {
		t.Fatal(err)
	}
	if err := reportfile.WriteSVG(&second, agingChart()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("the same chart wrote different SVG")
	}
	if dir := os.Getenv("REPORTFILE_SAMPLES"); dir != "" {
		if err := os.WriteFile(dir+"/aging.svg", first.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	elems := parseSVG(t, first.Bytes())
	if got := elems[0].Attrs["viewBox"]; got != "0 0 720 400" {
		t.Errorf("viewBox = %q", got)
	}

	// Every non-zero value is one bar segment with its tooltip; segments
	// of one bar stack without gaps and the heights are proportional to
	// the values.
	var segs []svgElem
	for i, e := range elems {
		if e.Name == "rect" && i+1 < len(elems) && elems[i+1].Name == "title" {
			e.Text = elems[i+1].Text
			segs = append(segs, e)
		}
	}
	wantTips := []string{
		"nicht fällig, ohne Mahnung: 12.500,00",
		"1–30, ohne Mahnung: 4.800,00",
		"1–30, Mahnstufe 1: 2.300,00",
		"31–60, ohne Mahnung: 1.200,00",
		"31–60, Mahnstufe 1: 900,00",
		"31–60, Mahnstufe 2 \"Letzte\": 600,00",
		"61–90, Mahnstufe 1: 400,00",
		"61–90, Mahnstufe 2 \"Letzte\": 700,00",
		"61–90, Mahnstufe 3: 300,00",
		"> 90, ohne Mahnung: -150,00",
		"> 90, Mahnstufe 2 \"Letzte\": 250,00",
		"> 90, Mahnstufe 3: 1.100,00",
	}
	var gotTips []string
	for _, s := range segs {
		gotTips = append(gotTips, s.Text)
	}
	if diff := cmp.Diff(wantTips, gotTips); diff != "" {
		t.Fatalf("bar segments (-want +got):\n%s", diff)
	}
	h := func(e svgElem) float64 { return attrFloat(t, e, "height") }
	y := func(e svgElem) float64 { return attrFloat(t, e, "y") }
	perCent := h(segs[0]) / 1250000
	for i, v := range []int64{1250000, 480000, 230000, 120000, 90000, 60000, 40000, 70000, 30000, 15000, 25000, 110000} {
		if got, want := h(segs[i]), float64(v)*perCent; got < want-0.02 || got > want+0.02 {
			t.Errorf("segment %d (%s) height %v, want %v", i, wantTips[i], got, want)
		}
	}
	if got, want := y(segs[1]), y(segs[2])+h(segs[2]); got < want-0.02 || got > want+0.02 {
		t.Errorf("second segment of 1–30 starts at %v, want on top of the first at %v", y(segs[2]), y(segs[1])-h(segs[2]))
	}
	if y(segs[9]) < y(segs[10])+h(segs[10])-0.02 {
		t.Errorf("the negative segment is not below zero: y %v, positive segment ends at %v", y(segs[9]), y(segs[10])+h(segs[10]))
	}

	gotTexts := texts(elems, "text")
	for _, want := range []string{
		"Altersstruktur der Forderungen <31.03.2026> & Mahnstufen", "EUR", "0", "10.000",
		"nicht fällig", "> 90", "Mahnstufe 2 \"Letzte\"",
	} {
		if !contains(gotTexts, want) {
			t.Errorf("no text %q in %q", want, gotTexts)
		}
	}
	if !bytes.Contains(first.Bytes(), []byte("&lt;31.03.2026&gt; &amp; Mahnstufen")) {
		t.Error("the title is not escaped")
	}
}

func TestWriteSVGLineChart(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := reportfile.WriteSVG(&buf, dsoChart()); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("REPORTFILE_SAMPLES"); dir != "" {
		if err := os.WriteFile(dir+"/dso.svg", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	elems := parseSVG(t, buf.Bytes())
	var lines []svgElem
	for _, e := range elems {
		if e.Name == "polyline" {
			lines = append(lines, e)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d polylines, want one per series", len(lines))
	}
	// Higher values are drawn higher up (smaller y), in proportion.
	ys := func(e svgElem) []float64 {
		var out []float64
		for _, p := range strings.Fields(e.Attrs["points"]) {
			_, y, _ := strings.Cut(p, ",")
			out = append(out, parseFloat(t, y))
		}
		return out
	}
	dso := ys(lines[0])
	if len(dso) != 6 {
		t.Fatalf("DSO line has %d points, want 6", len(dso))
	}
	values := dsoChart().Series[0].Values
	scale := (dso[1] - dso[0]) / float64(values[0]-values[1])
	for j := 2; j < len(values); j++ {
		if got, want := dso[j]-dso[0], float64(values[0]-values[j])*scale; got < want-0.02 || got > want+0.02 {
			t.Errorf("point %d at %v from the first, want %v", j, got, want)
		}
	}
	tips := texts(elems, "title")
	for _, want := range []string{"DSO je Monat", "2026-03, DSO (Count-back): 45.50", "2026-06, Ø Tage überfällig: 7.40"} {
		if !contains(tips, want) {
			t.Errorf("no title %q in %q", want, tips)
		}
	}
}

func TestWriteSVGRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		chart reportfile.Chart
	}{
		{"no categories", reportfile.BarChart{Series: []reportfile.Series{{Name: "a"}}}},
		{"no series", reportfile.LineChart{Labels: []string{"x"}}},
		{"short series", reportfile.BarChart{Categories: []string{"a", "b"}, Series: []reportfile.Series{{Name: "s", Values: []int64{1}}}}},
		{"sum overflows", reportfile.BarChart{Categories: []string{"a"}, Series: []reportfile.Series{{Name: "s", Values: []int64{1 << 62}}, {Name: "t", Values: []int64{1 << 62}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := reportfile.WriteSVG(&buf, tt.chart); !errors.Is(err, reportfile.ErrChart) {
				t.Errorf("err = %v, want ErrChart", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes of a refused chart", buf.Len())
			}
		})
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}
