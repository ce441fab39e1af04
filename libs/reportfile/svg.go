package reportfile

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteSVG writes c to w as a standalone SVG image of 720 × 400 user
// units. Every text (title, labels, series names, tooltips) is escaped;
// the same chart gives the same bytes.
func WriteSVG(w io.Writer, c Chart) error {
	d, err := c.layout()
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="Helvetica, Arial, sans-serif">`+"\n",
		num(d.w), num(d.h), num(d.w), num(d.h))
	bw.WriteString("<title>" + escape(d.title) + "</title>\n")
	for _, it := range d.items {
		writeSVGItem(bw, it)
	}
	bw.WriteString("</svg>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write SVG of %q: %w", d.title, err)
	}
	return nil
}

func writeSVGItem(bw *bufio.Writer, it item) {
	var open string
	switch it.op {
	case opRect:
		open = fmt.Sprintf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"`, num(it.x), num(it.y), num(it.w), num(it.h), it.fill.hex())
	case opLine:
		open = fmt.Sprintf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"`, num(it.x), num(it.y), num(it.x+it.w), num(it.y+it.h), it.stroke.hex(), num(it.width))
	case opPolyline:
		pts := make([]string, len(it.pts))
		for i, p := range it.pts {
			pts[i] = num(p.x) + "," + num(p.y)
		}
		open = fmt.Sprintf(`<polyline points="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round"`, strings.Join(pts, " "), it.stroke.hex(), num(it.width))
	case opCircle:
		open = fmt.Sprintf(`<circle cx="%s" cy="%s" r="%s" fill="%s"`, num(it.x), num(it.y), num(it.w), it.fill.hex())
	case opText:
		anchor := [...]string{anchorStart: "start", anchorMiddle: "middle", anchorEnd: "end"}[it.anchor]
		weight := ""
		if it.bold {
			weight = ` font-weight="bold"`
		}
		fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="%s" text-anchor="%s" fill="%s"%s>%s</text>`+"\n",
			num(it.x), num(it.y), num(it.size), anchor, it.fill.hex(), weight, escape(it.text))
		return
	}
	if it.tip == "" {
		bw.WriteString(open + "/>\n")
		return
	}
	bw.WriteString(open + "><title>" + escape(it.tip) + "</title></" + svgTag[it.op] + ">\n")
}

var svgTag = map[op]string{opRect: "rect", opLine: "line", opPolyline: "polyline", opCircle: "circle"}

// num writes a coordinate with at most two decimals.
func num(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// escape returns s as XML character data, also valid inside attributes.
func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
