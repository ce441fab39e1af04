package reportfile_test

import (
	"testing"
	"time"

	"github.com/o2c-platform/o2c/libs/fault/faulttest"
	"github.com/o2c-platform/o2c/libs/reportfile"
)

func TestErrorsClassifyEverySentinel(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", reportfile.Errors)
}

// openItems returns a small open-item list with every kind of column, a
// null cell, a cell in another currency than its column, text that needs
// quoting and text Excel would take for a formula.
func openItems(tb testing.TB) reportfile.Table {
	tb.Helper()
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			tb.Fatal(err)
		}
		return d
	}
	return reportfile.Table{
		Title: "Offene-Posten-Liste",
		Params: [][2]string{
			{"Stichtag", "2026-03-31"},
			{"Kenntnisstand", "2026-04-05T10:00:00Z"},
		},
		Columns: []reportfile.Column{
			{Name: "Debitor", Kind: reportfile.KindText},
			{Name: "Fällig", Kind: reportfile.KindDate},
			{Name: "Tage überfällig", Kind: reportfile.KindInt},
			{Name: "Offen", Kind: reportfile.KindMoney, Currency: "EUR"},
			{Name: "Anteil", Kind: reportfile.KindPercent},
			{Name: "DSO", Kind: reportfile.KindDecimal, Decimals: 2},
			{Name: "Mahnstufe", Kind: reportfile.KindInt},
		},
		Rows: reportfile.RowsOf([][]reportfile.Cell{
			{reportfile.Text("Müller; Söhne \"GmbH\""), reportfile.Date(day("2026-02-28")), reportfile.Int(31),
				reportfile.Money(123456, ""), reportfile.Percent(1234), reportfile.Decimal(4567), reportfile.Null()},
			{reportfile.Text("=HYPERLINK(\"x\")"), reportfile.Date(day("2026-03-31")), reportfile.Int(0),
				reportfile.Money(-5, "EUR"), reportfile.Percent(-50), reportfile.Decimal(0), reportfile.Int(2)},
			{reportfile.Text("Zürich AG"), reportfile.Date(day("2026-04-15")), reportfile.Int(-15),
				reportfile.Money(1000, "JPY"), reportfile.Percent(10000), reportfile.Decimal(-1), reportfile.Null()},
		}),
	}
}
