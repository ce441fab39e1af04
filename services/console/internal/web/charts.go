package web

import (
	"bytes"
	"html/template"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/reportfile"
)

// drawChart renders c as inline SVG markup; a chart that cannot be drawn
// (no data) is empty. libs/reportfile escapes every text it writes, so the
// markup goes into the page as it is.
func drawChart(c reportfile.Chart) template.HTML {
	var buf bytes.Buffer
	if err := reportfile.WriteSVG(&buf, c); err != nil {
		return ""
	}
	return template.HTML(buf.String()) // #nosec G203: reportfile escapes every text.
}

// agingChart draws a debtor's aging as a bar per band, titled in lang.
func (s *Server) agingChart(lang, title string, buckets []AgingBucket) template.HTML {
	if len(buckets) == 0 {
		return ""
	}
	cur := buckets[0].Total.GetCurrency()
	exp, _ := money.ExponentOrTwo(cur)
	c := reportfile.BarChart{Title: title, Decimals: exp, Unit: cur, DecimalComma: lang == "de"}
	ser := reportfile.Series{Name: s.catalog.T(lang, "aging.open")}
	for _, b := range buckets {
		c.Categories = append(c.Categories, s.catalog.T(lang, b.Key))
		ser.Values = append(ser.Values, b.Total.GetMinorUnits())
	}
	c.Series = []reportfile.Series{ser}
	return drawChart(c)
}
