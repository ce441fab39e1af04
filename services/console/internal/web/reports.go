package web

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"time"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/reportfile"
)

// reportsData is what the reports page shows.
type reportsData struct {
	// AsOf is the key date (yyyy-mm-dd): the last month-end by default.
	AsOf        string
	AgingTitles []string
	AgingRows   []*ledgerv1.AgingRow
	AgingTotals []*ledgerv1.AgingRow
	AgingChart  template.HTML
	DSO         []*ledgerv1.DSORow
	DSOChart    template.HTML
	Issued      []*ledgerv1.IssuedReport
	IssuedPager Pager
	Unavailable map[string]string
}

// reportsPage shows the month-end reports of a key date: the aging by
// channel with its chart, the DSO of the twelve months before with its
// chart, and the reports issued for the retention period (ledger
// ReportService).
func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.reports == nil {
		return nil, notConfigured("the ledger")
	}
	now := s.opt.Now().In(consoleZone)
	asOf := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	if v := r.URL.Query().Get("as_of"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, fmt.Errorf("%w: key date %q is not a date", errBadForm, v)
		}
		asOf = t
	}
	d := &reportsData{AsOf: asOf.Format(time.DateOnly), Unavailable: map[string]string{}}
	day := dateOf(asOf)
	if err := s.aging(rc, d, day); err != nil {
		d.Unavailable["aging"] = sectionError(err)
	}
	if err := s.dso(rc, d, asOf); err != nil {
		d.Unavailable["dso"] = sectionError(err)
	}
	resp, err := s.reports.ListIssuedReports(rc.Ctx, &ledgerv1.ListIssuedReportsRequest{Tenant: rc.Tenant, PageSize: pageSize, PageToken: r.URL.Query().Get("ip")})
	if err != nil {
		d.Unavailable["issued"] = sectionError(err)
	} else {
		d.Issued = resp.GetReports()
		d.IssuedPager = tokenPager(r, "ip", "ipp", resp.GetNextPageToken())
	}
	return &View{Template: "reports.html", Data: d}, nil
}

// dateOf is t's calendar date.
func dateOf(t time.Time) *commonv1.Date {
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// aging reads the aging by channel and draws it: a bar per bucket, a
// segment per channel, in the currency of the first total.
func (s *Server) aging(rc *Request, d *reportsData, day *commonv1.Date) error {
	stream, err := s.reports.Aging(rc.Ctx, &ledgerv1.AgingRequest{Tenant: rc.Tenant, AsOf: day,
		GroupBy: []ledgerv1.ReportDimension{ledgerv1.ReportDimension_REPORT_DIMENSION_CHANNEL}})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if h := resp.GetHeader(); h != nil {
			d.AgingTitles = h.GetBucketTitles()
		}
		d.AgingRows = append(d.AgingRows, resp.GetRows()...)
		d.AgingTotals = append(d.AgingTotals, resp.GetTotals()...)
	}
	if len(d.AgingTotals) == 0 {
		return nil
	}
	cur := d.AgingTotals[0].GetCurrency()
	exp, _ := money.ExponentOrTwo(cur)
	c := reportfile.BarChart{Title: s.catalog.T(rc.Locale, "reports.aging-chart", formatDate(rc.Locale, day)), Categories: d.AgingTitles,
		Decimals: exp, Unit: cur, DecimalComma: rc.Locale == "de"}
	for _, row := range d.AgingRows {
		if row.GetCurrency() != cur {
			continue
		}
		ser := reportfile.Series{Name: row.GetChannel()}
		for _, b := range row.GetBuckets() {
			ser.Values = append(ser.Values, b.GetMinorUnits())
		}
		c.Series = append(c.Series, ser)
	}
	d.AgingChart = drawChart(c)
	return nil
}

// dso reads the DSO of the twelve month-ends up to asOf and draws it as
// lines (count-back DSO and DSO, in days).
func (s *Server) dso(rc *Request, d *reportsData, asOf time.Time) error {
	from := time.Date(asOf.Year(), asOf.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -11, 0)
	stream, err := s.reports.DSO(rc.Ctx, &ledgerv1.DSORequest{Tenant: rc.Tenant, From: dateOf(from), AsOf: dateOf(asOf)})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		d.DSO = append(d.DSO, resp.GetRows()...)
	}
	if len(d.DSO) == 0 {
		return nil
	}
	c := reportfile.LineChart{Title: s.catalog.T(rc.Locale, "reports.dso-chart"), Decimals: 2, Unit: s.catalog.T(rc.Locale, "reports.days"),
		DecimalComma: rc.Locale == "de"}
	back := reportfile.Series{Name: s.catalog.T(rc.Locale, "reports.count-back")}
	plain := reportfile.Series{Name: "DSO"}
	cur := d.DSO[0].GetCurrency()
	for _, row := range d.DSO {
		if row.GetCurrency() != cur || row.GetChannel() != "" || row.GetCustomerGroup() != "" {
			continue
		}
		c.Labels = append(c.Labels, formatDate(rc.Locale, row.GetKeyDate()))
		back.Values = append(back.Values, row.GetCountBackDsoHundredths())
		plain.Values = append(plain.Values, row.GetDsoHundredths())
	}
	c.Series = []reportfile.Series{back, plain}
	d.DSOChart = drawChart(c)
	return nil
}

// issuedReport serves an issued report's file as the ledger kept it.
func (s *Server) issuedReport(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.reports == nil {
		return nil, notConfigured("the ledger")
	}
	stream, err := s.reports.GetIssuedReport(rc.Ctx, &ledgerv1.GetIssuedReportRequest{Tenant: rc.Tenant, Id: r.PathValue("id")})
	if err != nil {
		return nil, err
	}
	var name string
	var data []byte
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if rep := resp.GetReport(); rep != nil {
			name = rep.GetFileName()
		}
		data = append(data, resp.GetData()...)
	}
	w.Header().Set("Content-Type", http.DetectContentType(data))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
	return nil, nil
}
