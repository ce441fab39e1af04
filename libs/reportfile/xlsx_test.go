package reportfile_test

import (
	"bytes"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/o2c-platform/o2c/libs/reportfile"
)

// excelSerial returns Excel's serial day number of a date (days since
// 1899-12-30), computed without excelize.
func excelSerial(y int, m time.Month, d int) string {
	days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour)
	return strconv.Itoa(int(days))
}

func TestWriteXLSX(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	n, err := reportfile.WriteXLSX(&buf, openItems(t), reportfile.XLSXOptions{Issued: time.Date(2026, 4, 5, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("rows written = %d, want 3", n)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("open the written XLSX: %v", err)
	}
	t.Cleanup(func() { f.Close() })

	if diff := cmp.Diff([]string{"Offene-Posten-Liste", "Parameter"}, f.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	raw, err := f.GetRows("Offene-Posten-Liste", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	wantRaw := [][]string{
		{"Debitor", "Fällig", "Tage überfällig", "Offen", "Anteil", "DSO", "Mahnstufe"},
		{"Müller; Söhne \"GmbH\"", excelSerial(2026, 2, 28), "31", "1234.56", "0.1234", "45.67"},
		{"=HYPERLINK(\"x\")", excelSerial(2026, 3, 31), "0", "-0.05", "-0.005", "0", "2"},
		{"Zürich AG", excelSerial(2026, 4, 15), "-15", "1000", "1", "-0.01"},
	}
	if diff := cmp.Diff(wantRaw, raw); diff != "" {
		t.Errorf("cell values (-want +got):\n%s", diff)
	}

	type cellFormat struct {
		Cell   string
		Type   excelize.CellType
		NumFmt int
		Custom string
	}
	var got []cellFormat
	for _, ref := range []string{"A2", "B2", "C2", "D2", "E2", "F2", "D4", "A3"} {
		typ, err := f.GetCellType("Offene-Posten-Liste", ref)
		if err != nil {
			t.Fatal(err)
		}
		id, err := f.GetCellStyle("Offene-Posten-Liste", ref)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		cf := cellFormat{Cell: ref, Type: typ, NumFmt: st.NumFmt}
		if st.CustomNumFmt != nil {
			cf.Custom = *st.CustomNumFmt
		}
		got = append(got, cf)
	}
	want := []cellFormat{
		{Cell: "A2", Type: excelize.CellTypeInlineString},
		{Cell: "B2", Type: excelize.CellTypeUnset, NumFmt: 14},
		{Cell: "C2", Type: excelize.CellTypeUnset},
		{Cell: "D2", Type: excelize.CellTypeUnset, Custom: `#,##0.00 "EUR"`},
		{Cell: "E2", Type: excelize.CellTypeUnset, NumFmt: 10},
		{Cell: "F2", Type: excelize.CellTypeUnset, Custom: "#,##0.00"},
		{Cell: "D4", Type: excelize.CellTypeUnset, Custom: `#,##0 "JPY"`},
		{Cell: "A3", Type: excelize.CellTypeInlineString},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cell types and formats (-want +got):\n%s", diff)
	}

	for i, wantWidth := range []float64{28, 12, 17, 18, 10, 12, 11} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		w, err := f.GetColWidth("Offene-Posten-Liste", col)
		if err != nil {
			t.Fatal(err)
		}
		if w != wantWidth {
			t.Errorf("column %s width = %v, want %v", col, w, wantWidth)
		}
	}
	panes, err := f.GetPanes("Offene-Posten-Liste")
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, want the header row frozen", panes)
	}

	params, err := f.GetRows("Parameter")
	if err != nil {
		t.Fatal(err)
	}
	wantParams := [][]string{
		{"Offene-Posten-Liste"},
		{"Stichtag", "2026-03-31"},
		{"Kenntnisstand", "2026-04-05T10:00:00Z"},
	}
	if diff := cmp.Diff(wantParams, params); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Created != "2026-04-05T10:00:00Z" || props.Title != "Offene-Posten-Liste" || props.Creator != "o2c" {
		t.Errorf("document properties %+v, want the issue time, the title and o2c", props)
	}
}

func TestWriteXLSXRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		col  reportfile.Column
		cell reportfile.Cell
		want error
	}{
		{"no currency", reportfile.Column{Name: "A", Kind: reportfile.KindMoney}, reportfile.Money(1, ""), reportfile.ErrCurrency},
		{"no exact number", reportfile.Column{Name: "A", Kind: reportfile.KindDecimal, Decimals: 2}, reportfile.Decimal(1<<62 + 1), reportfile.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tab := reportfile.Table{Title: "T", Columns: []reportfile.Column{tt.col}, Rows: reportfile.RowsOf([][]reportfile.Cell{{tt.cell}})}
			if _, err := reportfile.WriteXLSX(&bytes.Buffer{}, tab, reportfile.XLSXOptions{}); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
