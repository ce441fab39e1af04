package rpc

import (
	"context"
	"strings"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/reportfile"
)

// maxCharts is the most charts a PDF report carries; the table holds
// every figure anyway.
const maxCharts = 6

// chartsOf returns the charts a PDF of the report r (resolved) shows: the
// aging as stacked bars per bucket, one chart per currency with a segment
// per group; the DSO as lines over the months (DSO, best possible DSO,
// average days delinquent), one chart per currency and group. Other
// reports have none. It computes the report once more at the same cut,
// so the charts show the table's figures.
func (s *ReportService) chartsOf(ctx context.Context, r *ledgerv1.IssueReportRequest) ([]reportfile.Chart, error) {
	label := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			return "open"
		}
		return strings.Join(out, " / ")
	}
	var charts []reportfile.Chart
	switch x := r.GetReport().(type) {
	case *ledgerv1.IssueReportRequest_Aging:
		by := map[string]*reportfile.BarChart{}
		var order []string
		var titles []string
		err := s.aging(ctx, x.Aging, func(resp *ledgerv1.AgingResponse) error {
			if h := resp.GetHeader(); h != nil {
				titles = h.GetBucketTitles()
			}
			for _, row := range resp.GetRows() {
				cur := row.GetCurrency()
				c := by[cur]
				if c == nil {
					exp, _ := money.ExponentOrTwo(cur)
					c = &reportfile.BarChart{Title: "Aging " + cur, Unit: cur, Decimals: exp, Categories: titles}
					by[cur] = c
					order = append(order, cur)
				}
				sr := reportfile.Series{Name: label(row.GetChannel(), row.GetCustomerGroup(), row.GetDunningLevel())}
				for _, b := range row.GetBuckets() {
					sr.Values = append(sr.Values, b.GetMinorUnits())
				}
				c.Series = append(c.Series, sr)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, cur := range order {
			if len(charts) < maxCharts {
				charts = append(charts, *by[cur])
			}
		}
	case *ledgerv1.IssueReportRequest_Dso:
		by := map[string]*reportfile.LineChart{}
		var order []string
		err := s.dso(ctx, x.Dso, func(resp *ledgerv1.DSOResponse) error {
			for _, row := range resp.GetRows() {
				key := label(row.GetCurrency(), row.GetChannel(), row.GetCustomerGroup())
				c := by[key]
				if c == nil {
					c = &reportfile.LineChart{Title: "DSO " + key, Unit: "days", Decimals: 2, Series: []reportfile.Series{
						{Name: "DSO"}, {Name: "Best possible DSO"}, {Name: "Average days delinquent"},
					}}
					by[key] = c
					order = append(order, key)
				}
				d := row.GetKeyDate()
				c.Labels = append(c.Labels, rdate(d).Format("2006-01"))
				c.Series[0].Values = append(c.Series[0].Values, row.GetDsoHundredths())
				c.Series[1].Values = append(c.Series[1].Values, row.GetBestPossibleDsoHundredths())
				c.Series[2].Values = append(c.Series[2].Values, row.GetAverageDaysDelinquentHundredths())
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, key := range order {
			if len(charts) < maxCharts {
				charts = append(charts, *by[key])
			}
		}
	}
	return charts, nil
}
