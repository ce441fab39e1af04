package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/formats/datev"
	"github.com/o2c-platform/o2c/libs/pgtest"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// TestMonthEndPack books the demo shop's invoices, writes the month-end
// pack and reads every file back: each issued report reproduces from the
// ledger exactly as issued, the open-item list has a row per item the
// ledger's query service lists, the aging's totals are what those items
// add up to and its chart is well-formed SVG with a bar segment per
// channel, and the DATEV files read back with the tenant's consultant and
// client numbers.
func TestMonthEndPack(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t, pgtest.Template{Name: "o2c_demo_empty"})
	sys, err := Start(ctx, Options{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	if _, err := Publish(ctx, sys, Options{}.Telemetry); err != nil {
		t.Fatal(err)
	}
	items, err := WaitForOpenItems(ctx, sys.Conn(ledger.Name), ExpectedOpenItems)
	if err != nil {
		t.Fatal(err)
	}
	var open int64
	for _, it := range items {
		open += it.GetOpenAmount().GetMinorUnits()
	}
	dir := t.TempDir()
	var out bytes.Buffer
	pack, err := MonthEndPack(ctx, &out, sys.Conn(ledger.Name), dir)
	if err != nil {
		t.Fatal(err)
	}
	PrintPack(&out, pack)
	if !strings.Contains(out.String(), dir) {
		t.Errorf("the pack's summary does not name its folder %s:\n%s", dir, out.String())
	}

	reports := ledgerv1grpc.NewReportServiceClient(sys.Conn(ledger.Name))
	kinds := map[ledgerv1.ReportKind]bool{}
	for _, f := range pack.Files {
		if f.Issued == nil {
			continue
		}
		kinds[f.Issued.GetKind()] = true
		checkReproduced(t, reports, f)
	}
	for _, k := range []ledgerv1.ReportKind{ledgerv1.ReportKind_REPORT_KIND_OPEN_ITEMS, ledgerv1.ReportKind_REPORT_KIND_AGING,
		ledgerv1.ReportKind_REPORT_KIND_TRIAL_BALANCE, ledgerv1.ReportKind_REPORT_KIND_DEBTOR_BALANCES} {
		if !kinds[k] {
			t.Errorf("the pack has no issued %v", k)
		}
	}

	// The open-item list: German Excel CSV, a row per open item.
	for _, f := range pack.Files {
		if f.Issued.GetKind() != ledgerv1.ReportKind_REPORT_KIND_OPEN_ITEMS {
			continue
		}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		body, ok := bytes.CutPrefix(data, []byte("\uFEFF"))
		if !ok {
			t.Errorf("%s has no byte order mark for Excel", f.Path)
		}
		r := csv.NewReader(bytes.NewReader(body))
		r.Comma = ';'
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if len(recs)-1 != len(items) {
			t.Errorf("%s has %d rows, the ledger lists %d open items", f.Path, len(recs)-1, len(items))
		}
		// The shop's debtors are named as ingestion knows them; the
		// marketplace's debtor has no master data.
		if len(recs) == 0 || len(recs[0]) < 2 || recs[0][1] != "Name" {
			t.Fatalf("%s: header %v, want Debtor then Name", f.Path, recs[:min(len(recs), 1)])
		}
		for _, rec := range recs[1:] {
			if strings.HasPrefix(rec[0], "K-") && rec[1] == "" {
				t.Errorf("%s: debtor %s has no name", f.Path, rec[0])
			}
		}
	}

	// The aging: totals are the open items' sum; the chart is SVG with a
	// series per channel.
	var total int64
	channels := map[string]bool{}
	for _, r := range pack.Aging {
		for _, tot := range r.GetTotals() {
			total += tot.GetTotal().GetMinorUnits()
		}
		for _, row := range r.GetRows() {
			channels[row.GetChannel()] = true
		}
	}
	if total != open {
		t.Errorf("aging total %d, the open items add up to %d", total, open)
	}
	if !channels["shop"] || !channels["amazon.de"] {
		t.Errorf("aging channels %v, want the shop and amazon.de", channels)
	}
	svg, err := os.ReadFile(filepath.Join(dir, AgingChartFile))
	if err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, svg)
	for _, w := range []string{"shop", "amazon", "not due"} {
		if !strings.Contains(texts, w) {
			t.Errorf("the aging chart's text lacks %q: %s", w, texts)
		}
	}

	// The DATEV files read back.
	categories := map[int]int{}
	for _, f := range pack.Files {
		if f.Issued != nil || filepath.Ext(f.Path) != ".csv" {
			continue
		}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := datev.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		h := r.Header()
		if h.Consultant != 29098 || h.Client != 55003 {
			t.Errorf("%s: consultant %d, client %d; the tenants file says 29098, 55003", f.Path, h.Consultant, h.Client)
		}
		n := 0
		for {
			if _, err := r.NextRecord(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s record %d: %v", f.Path, n+1, err)
			}
			n++
		}
		categories[h.Category] = n
	}
	if categories[21] == 0 || categories[16] == 0 {
		t.Errorf("DATEV records per format category %v, want bookings (21) and debtors (16)", categories)
	}
	if pack.PeriodClosed {
		t.Error("the demo's month is open, the export says closed")
	}
}

// checkReproduced asks the ledger to reproduce an issued report and checks
// the verdict and, for CSV, that the recomputed file is the file in the
// pack.
func checkReproduced(t *testing.T, c ledgerv1grpc.ReportServiceClient, f PackFile) {
	t.Helper()
	stream, err := c.ReproduceReport(context.Background(), &ledgerv1.ReproduceReportRequest{Tenant: Tenant, Id: f.Issued.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var data bytes.Buffer
	var verdict *ledgerv1.Reproduction
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reproduce %s: %v", f.Path, err)
		}
		data.Write(r.GetData())
		if r.GetReproduction() != nil {
			verdict = r.GetReproduction()
		}
	}
	if !verdict.GetIdentical() {
		t.Errorf("%s (%v) does not reproduce: %v", f.Path, f.Issued.GetKind(), verdict)
	}
	issued, err := os.ReadFile(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	if verdict.GetByteForByte() && !bytes.Equal(issued, data.Bytes()) {
		t.Errorf("%s: the reproduction's bytes differ from the pack's file", f.Path)
	}
}

// svgTexts parses an SVG document and returns its text content.
func svgTexts(t testing.TB, svg []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = x.Name.Local
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(x)); s != "" {
				texts = append(texts, s)
			}
		}
	}
	if root != "svg" {
		t.Fatalf("the chart's root element is %q, want svg", root)
	}
	return strings.Join(texts, " | ")
}
