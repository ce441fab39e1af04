package reportfile_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/reportfile"
)

func TestWriteCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		dialect reportfile.Dialect
		want    string
		records [][]string
	}{
		{
			name:    "german",
			dialect: reportfile.German,
			want: "\uFEFFDebitor;Fällig;Tage überfällig;Offen;Anteil;DSO;Mahnstufe\r\n" +
				"\"Müller; Söhne \"\"GmbH\"\"\";2026-02-28;31;1234,56;12,34;45,67;\r\n" +
				"\"'=HYPERLINK(\"\"x\"\")\";2026-03-31;0;-0,05;-0,50;0,00;2\r\n" +
				"Zürich AG;2026-04-15;-15;1000;100,00;-0,01;\r\n",
			records: [][]string{
				{"\uFEFFDebitor", "Fällig", "Tage überfällig", "Offen", "Anteil", "DSO", "Mahnstufe"},
				{"Müller; Söhne \"GmbH\"", "2026-02-28", "31", "1234,56", "12,34", "45,67", ""},
				{"'=HYPERLINK(\"x\")", "2026-03-31", "0", "-0,05", "-0,50", "0,00", "2"},
				{"Zürich AG", "2026-04-15", "-15", "1000", "100,00", "-0,01", ""},
			},
		},
		{
			name:    "plain",
			dialect: reportfile.Plain,
			want: "Debitor,Fällig,Tage überfällig,Offen,Anteil,DSO,Mahnstufe\r\n" +
				"\"Müller; Söhne \"\"GmbH\"\"\",2026-02-28,31,1234.56,12.34,45.67,\r\n" +
				"\"=HYPERLINK(\"\"x\"\")\",2026-03-31,0,-0.05,-0.50,0.00,2\r\n" +
				"Zürich AG,2026-04-15,-15,1000,100.00,-0.01,\r\n",
			records: [][]string{
				{"Debitor", "Fällig", "Tage überfällig", "Offen", "Anteil", "DSO", "Mahnstufe"},
				{"Müller; Söhne \"GmbH\"", "2026-02-28", "31", "1234.56", "12.34", "45.67", ""},
				{"=HYPERLINK(\"x\")", "2026-03-31", "0", "-0.05", "-0.50", "0.00", "2"},
				{"Zürich AG", "2026-04-15", "-15", "1000", "100.00", "-0.01", ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var first, second bytes.Buffer
			n, err := reportfile.WriteCSV(&first, openItems(t), tt.dialect)
			if err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Errorf("rows written = %d, want 3", n)
			}
			if _, err := reportfile.WriteCSV(&second, openItems(t), tt.dialect); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Errorf("the same table wrote different bytes:\n%q\n%q", first.Bytes(), second.Bytes())
			}
			if diff := cmp.Diff(tt.want, first.String()); diff != "" {
				t.Errorf("CSV (-want +got):\n%s", diff)
			}
			r := csv.NewReader(bytes.NewReader(first.Bytes()))
			if tt.dialect == reportfile.German {
				r.Comma = ';'
			}
			got, err := r.ReadAll()
			if err != nil {
				t.Fatalf("read back: %v", err)
			}
			if diff := cmp.Diff(tt.records, got); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteCSVRefuses(t *testing.T) {
	t.Parallel()
	money := []reportfile.Column{{Name: "Betrag", Kind: reportfile.KindMoney}}
	tests := []struct {
		name    string
		columns []reportfile.Column
		rows    [][]reportfile.Cell
		want    error
	}{
		{"row too short", money, [][]reportfile.Cell{{}}, reportfile.ErrRowWidth},
		{"row too long", money, [][]reportfile.Cell{{reportfile.Money(1, "EUR"), reportfile.Text("x")}}, reportfile.ErrRowWidth},
		{"no currency", money, [][]reportfile.Cell{{reportfile.Money(1, "")}}, reportfile.ErrCurrency},
		{"unknown currency", money, [][]reportfile.Cell{{reportfile.Money(1, "EURO")}}, reportfile.ErrCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tab := reportfile.Table{Title: "T", Columns: tt.columns, Rows: reportfile.RowsOf(tt.rows)}
			_, err := reportfile.WriteCSV(&bytes.Buffer{}, tab, reportfile.German)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWriteCSVPassesOnTheRowsError(t *testing.T) {
	t.Parallel()
	boom := errors.New("read model gone")
	tab := reportfile.Table{
		Title:   "T",
		Columns: []reportfile.Column{{Name: "A", Kind: reportfile.KindText}},
		Rows: func(yield func([]reportfile.Cell) error) error {
			if err := yield([]reportfile.Cell{reportfile.Text("a")}); err != nil {
				return err
			}
			return boom
		},
	}
	if _, err := reportfile.WriteCSV(&bytes.Buffer{}, tab, reportfile.Plain); !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
}

func TestParseDialect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		want    reportfile.Dialect
		wantErr error
	}{
		{"", reportfile.German, nil},
		{"german", reportfile.German, nil},
		{" Plain ", reportfile.Plain, nil},
		{"excel", 0, reportfile.ErrDialect},
	}
	for _, tt := range tests {
		got, err := reportfile.ParseDialect(tt.name)
		if !errors.Is(err, tt.wantErr) || (err == nil && got != tt.want) {
			t.Errorf("ParseDialect(%q) = %v, %v; want %v, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if err == nil && strings.TrimSpace(tt.name) != "" && !strings.EqualFold(got.String(), strings.TrimSpace(tt.name)) {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.name)
		}
	}
}
