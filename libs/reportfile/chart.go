package reportfile

import (
	"fmt"
	"strings"

	"github.com/o2c-platform/o2c/libs/money"
)

// Chart is a chart the package can draw: as SVG (WriteSVG) and into a PDF
// (PDFOptions.Charts). Both draw the same layout, so the PDF shows what
// the SVG shows, as vector graphics.
type Chart interface {
	layout() (drawing, error)
}

// Series is one named row of a chart's figures, one value per category
// or label, in minor units of the chart's Decimals (cents with 2).
type Series struct {
	Name   string
	Values []int64
}

// BarChart is a stacked bar chart: one bar per category, one segment per
// series, positive values stacked upwards from zero and negative ones
// downwards. The aging chart is one: a bar per bucket (not due, 1–30, …),
// a segment per dunning level.
type BarChart struct {
	Title      string
	Categories []string
	Series     []Series
	// Decimals is the number of decimal places of the values (the
	// currency's exponent for amounts).
	Decimals int
	// Unit is shown above the value axis, e.g. "EUR".
	Unit string
	// DecimalComma writes axis figures the German way (1.234,56) instead
	// of 1,234.56.
	DecimalComma bool
}

// LineChart is a chart of lines over ordered labels, such as months: DSO,
// best possible DSO and average days delinquent over time, one series
// each.
type LineChart struct {
	Title  string
	Labels []string
	Series []Series
	// Decimals is the number of decimal places of the values (2 for days
	// in hundredths).
	Decimals int
	// Unit is shown above the value axis, e.g. "Tage".
	Unit         string
	DecimalComma bool
}

// palette is the Okabe–Ito palette, told apart by colour-blind readers
// too; series take its colours in order and wrap around.
var palette = []rgb{
	{0x00, 0x72, 0xB2}, {0xE6, 0x9F, 0x00}, {0x00, 0x9E, 0x73}, {0xD5, 0x5E, 0x00},
	{0xCC, 0x79, 0xA7}, {0x56, 0xB4, 0xE9}, {0xF0, 0xE4, 0x42}, {0x00, 0x00, 0x00},
}

type rgb struct{ r, g, b uint8 }

func (c rgb) hex() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

var (
	black = rgb{0x22, 0x22, 0x22}
	grey  = rgb{0xcc, 0xcc, 0xcc}
	white = rgb{0xff, 0xff, 0xff}
)

// op is what a drawing item draws.
type op int

const (
	opRect op = iota
	opLine
	opPolyline
	opCircle
	opText
)

// anchor is where a text's x lies: its start, middle or end.
type anchor int

const (
	anchorStart anchor = iota
	anchorMiddle
	anchorEnd
)

type point struct{ x, y float64 }

// item is one shape of a drawing, in the drawing's units (SVG user units,
// y downwards). A rect is filled with fill; a line runs from (x, y) to
// (x+w, y+h); a circle has centre (x, y) and radius w; a text's baseline
// starts, centres or ends at (x, y).
type item struct {
	op     op
	x, y   float64
	w, h   float64
	pts    []point
	fill   rgb
	stroke rgb
	// width is the stroke width of lines and polylines.
	width  float64
	text   string
	size   float64
	bold   bool
	anchor anchor
	// tip is a tooltip (an SVG title) for a bar segment or point.
	tip string
}

// drawing is a laid-out chart.
type drawing struct {
	title string
	w, h  float64
	items []item
}

// Layout of every chart, in drawing units.
const (
	chartW      = 720.0
	chartH      = 400.0
	plotLeft    = 90.0
	plotRight   = chartW - 190.0
	plotTop     = 60.0
	plotBottom  = chartH - 50.0
	legendLeft  = plotRight + 20.0
	fontSize    = 11.0
	titleSize   = 16.0
	maxAxisTick = 6
)

// axis maps values (minor units) to y coordinates between plotBottom and
// plotTop over nice ticks.
type axis struct {
	lo, hi, step int64
}

// newAxis returns an axis covering lo..hi (and zero) with about five
// ticks at 1, 2 or 5 times a power of ten.
func newAxis(lo, hi int64) axis {
	lo, hi = min(lo, 0), max(hi, 0)
	if hi == lo {
		hi = lo + 1
	}
	rough := (hi - lo + maxAxisTick - 2) / (maxAxisTick - 1)
	step := int64(1)
	for {
		if step >= rough {
			break
		}
		if 2*step >= rough {
			step *= 2
			break
		}
		if 5*step >= rough {
			step *= 5
			break
		}
		step *= 10
	}
	a := axis{step: step}
	a.lo = floorDiv(lo, step) * step
	a.hi = -floorDiv(-hi, step) * step
	return a
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (a axis) y(v int64) float64 {
	return plotBottom - float64(v-a.lo)/float64(a.hi-a.lo)*(plotBottom-plotTop)
}

// frame returns the title, unit, grid lines and tick labels of a chart.
func (a axis) frame(title, unit string, decimals int, comma bool) []item {
	items := []item{
		{op: opRect, x: 0, y: 0, w: chartW, h: chartH, fill: white},
		{op: opText, x: 10, y: 28, text: title, size: titleSize, bold: true, fill: black},
		{op: opText, x: plotLeft - 8, y: plotTop - 14, text: unit, size: fontSize, fill: black, anchor: anchorEnd},
	}
	for v := a.lo; v <= a.hi; v += a.step {
		y := a.y(v)
		c, wd := grey, 0.5
		if v == 0 {
			c, wd = black, 1
		}
		items = append(items,
			item{op: opLine, x: plotLeft, y: y, w: plotRight - plotLeft, stroke: c, width: wd},
			item{op: opText, x: plotLeft - 8, y: y + 4, text: tickLabel(v, a.step, decimals, comma), size: fontSize, fill: black, anchor: anchorEnd})
	}
	return items
}

// legend returns a legend entry per series at the plot's right.
func legend(series []Series) []item {
	var items []item
	for i, s := range series {
		y := plotTop + float64(i)*20
		items = append(items,
			item{op: opRect, x: legendLeft, y: y - 10, w: 12, h: 12, fill: palette[i%len(palette)]},
			item{op: opText, x: legendLeft + 18, y: y, text: s.Name, size: fontSize, fill: black})
	}
	return items
}

// tickLabel writes v with decimals places, grouped in thousands, without
// the decimals when the step is whole units.
func tickLabel(v, step int64, decimals int, comma bool) string {
	unit := int64(1)
	for range decimals {
		unit *= 10
	}
	s := money.FormatMinor(v, decimals)
	if decimals > 0 && step%unit == 0 {
		s = s[:strings.IndexByte(s, '.')]
	}
	return groupThousands(s, comma)
}

// groupThousands puts separators into a decimal string as FormatMinor
// writes it.
func groupThousands(s string, comma bool) string {
	sep, dot := ",", "."
	if comma {
		sep, dot = ".", ","
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString(dot + frac)
	}
	return sign + b.String()
}

// check returns ErrChart unless there are labels and series, each with a
// value per label.
func check(title string, labels []string, series []Series) error {
	if len(labels) == 0 || len(series) == 0 {
		return fmt.Errorf("chart %q: %d categories, %d series: %w", title, len(labels), len(series), ErrChart)
	}
	for _, s := range series {
		if len(s.Values) != len(labels) {
			return fmt.Errorf("chart %q: series %q has %d values for %d categories: %w", title, s.Name, len(s.Values), len(labels), ErrChart)
		}
	}
	return nil
}

func (c BarChart) layout() (drawing, error) {
	if err := check(c.Title, c.Categories, c.Series); err != nil {
		return drawing{}, err
	}
	var lo, hi int64
	for j := range c.Categories {
		var pos, neg int64
		for _, s := range c.Series {
			var err error
			if v := s.Values[j]; v >= 0 {
				pos, err = money.Add(pos, v)
			} else {
				neg, err = money.Add(neg, v)
			}
			if err != nil {
				return drawing{}, fmt.Errorf("chart %q: category %q: %w", c.Title, c.Categories[j], ErrChart)
			}
		}
		lo, hi = min(lo, neg), max(hi, pos)
	}
	a := newAxis(lo, hi)
	d := drawing{title: c.Title, w: chartW, h: chartH, items: a.frame(c.Title, c.Unit, c.Decimals, c.DecimalComma)}
	slot := (plotRight - plotLeft) / float64(len(c.Categories))
	for j, cat := range c.Categories {
		x := plotLeft + float64(j)*slot + slot*0.2
		var pos, neg int64
		for i, s := range c.Series {
			v := s.Values[j]
			if v == 0 {
				continue
			}
			var y0, y1 float64
			if v > 0 {
				y0, y1 = a.y(pos+v), a.y(pos)
				pos += v
			} else {
				y0, y1 = a.y(neg), a.y(neg+v)
				neg += v
			}
			tip := fmt.Sprintf("%s, %s: %s", cat, s.Name, groupThousands(money.FormatMinor(v, c.Decimals), c.DecimalComma))
			d.items = append(d.items, item{op: opRect, x: x, y: y0, w: slot * 0.6, h: y1 - y0, fill: palette[i%len(palette)], tip: tip})
		}
		d.items = append(d.items, item{op: opText, x: x + slot*0.3, y: plotBottom + 18, text: cat, size: fontSize, fill: black, anchor: anchorMiddle})
	}
	d.items = append(d.items, legend(c.Series)...)
	return d, nil
}

func (c LineChart) layout() (drawing, error) {
	if err := check(c.Title, c.Labels, c.Series); err != nil {
		return drawing{}, err
	}
	var lo, hi int64
	for _, s := range c.Series {
		for _, v := range s.Values {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	a := newAxis(lo, hi)
	d := drawing{title: c.Title, w: chartW, h: chartH, items: a.frame(c.Title, c.Unit, c.Decimals, c.DecimalComma)}
	slot := (plotRight - plotLeft) / float64(len(c.Labels))
	x := func(j int) float64 { return plotLeft + (float64(j)+0.5)*slot }
	every := (len(c.Labels) + 11) / 12
	for j, l := range c.Labels {
		if j%every == 0 {
			d.items = append(d.items, item{op: opText, x: x(j), y: plotBottom + 18, text: l, size: fontSize, fill: black, anchor: anchorMiddle})
		}
	}
	for i, s := range c.Series {
		col := palette[i%len(palette)]
		pts := make([]point, len(s.Values))
		for j, v := range s.Values {
			pts[j] = point{x(j), a.y(v)}
		}
		d.items = append(d.items, item{op: opPolyline, pts: pts, stroke: col, width: 2})
		for j, v := range s.Values {
			tip := fmt.Sprintf("%s, %s: %s", c.Labels[j], s.Name, groupThousands(money.FormatMinor(v, c.Decimals), c.DecimalComma))
			d.items = append(d.items, item{op: opCircle, x: pts[j].x, y: pts[j].y, w: 3, fill: col, tip: tip})
		}
	}
	d.items = append(d.items, legend(c.Series)...)
	return d, nil
}
