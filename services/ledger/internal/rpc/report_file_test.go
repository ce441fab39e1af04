package rpc

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sampleTable() table {
	return table{
		title:   "Open items",
		params:  [][2]string{{"tenant", "acme"}, {"as of", "2026-03-31"}},
		columns: []column{{"Debtor", kindText}, {"Due date", kindDate}, {"Days", kindInt}, {"Open", kindMoney}, {"DSO", kindHundredths}},
		rows: func(yield func([]cell) error) error {
			for _, r := range [][]cell{
				{{text: "K-1; \"Müller\""}, {date: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)}, {num: 16}, {num: -123456, currency: "EUR"}, {num: 1234}},
				{{text: "K-2"}, {date: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}, {num: -1}, {num: 5, currency: "JPY"}, {empty: true}},
			} {
				if err := yield(r); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func TestWriteCSVDialects(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		d    csvDialect
		want string
	}{
		{"German Excel", germanCSV, "\uFEFFDebtor;Due date;Days;Open;DSO\r\n\"K-1; \"\"Müller\"\"\";2026-03-15;16;-1234,56;12,34\r\nK-2;2026-04-01;-1;5;\r\n"},
		{"plain", plainCSV, "Debtor,Due date,Days,Open,DSO\r\n\"K-1; \"\"Müller\"\"\",2026-03-15,16,-1234.56,12.34\r\nK-2,2026-04-01,-1,5,\r\n"},
	} {
		var buf bytes.Buffer
		n, err := writeCSV(&buf, sampleTable(), tt.d)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, buf.String()); diff != "" || n != 2 {
			t.Errorf("%s: %d rows (-want +got):\n%s", tt.name, n, diff)
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\uFEFF"))))
		r.Comma = tt.d.comma
		recs, err := r.ReadAll()
		if err != nil || len(recs) != 3 || recs[1][0] != "K-1; \"Müller\"" {
			t.Errorf("%s: read back %q, %v", tt.name, recs, err)
		}
	}
}

// TestFiguresHashIgnoresTheDialect checks that the figures hash is the
// same whatever the file is written as, and changes with a figure or a
// parameter.
func TestFiguresHashIgnoresTheDialect(t *testing.T) {
	t.Parallel()
	hashOf := func(tb table, d csvDialect) []byte {
		t.Helper()
		tb, sum := hashing(tb)
		var buf bytes.Buffer
		if _, err := writeCSV(&buf, tb, d); err != nil {
			t.Fatal(err)
		}
		h, err := sum()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	german, plain := hashOf(sampleTable(), germanCSV), hashOf(sampleTable(), plainCSV)
	if !bytes.Equal(german, plain) {
		t.Error("the figures hash depends on the CSV dialect")
	}
	other := sampleTable()
	other.params = [][2]string{{"tenant", "acme"}, {"as of", "2026-04-30"}}
	if bytes.Equal(hashOf(other, plainCSV), plain) {
		t.Error("the figures hash ignores the parameters")
	}
	changed := sampleTable()
	inner := changed.rows
	changed.rows = func(yield func([]cell) error) error {
		return inner(func(c []cell) error {
			c = append([]cell(nil), c...)
			c[3].num++
			return yield(c)
		})
	}
	if bytes.Equal(hashOf(changed, plainCSV), plain) {
		t.Error("the figures hash ignores an amount")
	}
}
