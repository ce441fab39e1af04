package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/formats/detect"
)

// datevTestdata is the DATEV library's copy of the public samples.
const datevTestdata = "../../../../libs/formats/datev/testdata"

// datevRun runs o2c parse over files and decodes the JSON lines.
func datevRun(tb testing.TB, opt Options, files ...string) (int, []map[string]any) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(files, opt, &stdout, &stderr)
	var out []map[string]any
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			tb.Fatalf("line is not JSON: %v\n%s", err, sc.Text())
		}
		out = append(out, m)
	}
	if len(out) != len(files) {
		tb.Fatalf("%d JSON lines for %d files; stderr: %s", len(out), len(files), stderr.String())
	}
	return code, out
}

// datevTempFile writes data to a temporary file and returns its path.
func datevTempFile(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestDATEVParseSample(t *testing.T) {
	t.Parallel()
	code, out := datevRun(t, Options{Format: "auto"}, filepath.Join(datevTestdata, "EXTF_Buchungsstapel_v700-fv12_DATEV-sample.csv"))
	if code != 0 {
		t.Fatalf("exit %d: %v", code, out[0]["error"])
	}
	got := out[0]
	if got["format"] != "datev-extf" {
		t.Errorf("format = %v", got["format"])
	}
	d := got["datev"].(map[string]any)
	bookings := d["bookings"].([]any)
	header := map[string]any{}
	for _, k := range []string{"header_version", "format_category", "format_version", "consultant", "client", "fiscal_year_start", "account_length", "period_from", "period_to", "currency", "records"} {
		header[k] = d[k]
	}
	wantHeader := map[string]any{
		"header_version": 700.0, "format_category": 21.0, "format_version": 12.0, "consultant": 29098.0, "client": 55003.0,
		"fiscal_year_start": "2021-01-01", "account_length": 4.0, "period_from": "2021-01-01", "period_to": "2021-08-31",
		"currency": "EUR", "records": 54.0,
	}
	if diff := cmp.Diff(wantHeader, header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(bookings) != 54 {
		t.Fatalf("bookings = %d, want 54", len(bookings))
	}
	// The GBP booking with Kurs and Basis-Umsatz, and the Skonto payment.
	gbp := bookings[36].(map[string]any)
	wantGBP := map[string]any{
		"line": 39.0, "amount_minor": 10280.0, "currency": "GBP", "debit_credit": "H", "account": "1225",
		"contra_account": "71000", "tax_key": "", "document_date": "0603", "document_field_1": "659832",
		"document_field_2": "", "text": "Duncen Test Ltd.", "exchange_rate": "0.830000", "base_amount_minor": 12386.0,
		"base_currency": "EUR", "discount_minor": nil, "cost_center_1": "", "cost_center_2": "",
		"service_date": nil, "due_date": nil, "sepa_mandate_reference": "", "general_reversal": false,
	}
	if diff := cmp.Diff(wantGBP, gbp); diff != "" {
		t.Errorf("GBP booking (-want +got):\n%s", diff)
	}
	skonto := bookings[31].(map[string]any)
	if skonto["discount_minor"] != 238.0 || skonto["amount_minor"] != 11662.0 || skonto["document_field_1"] != "AR-456/13" {
		t.Errorf("Skonto booking = %v", skonto)
	}
	withService := 0
	for _, b := range bookings {
		if s, ok := b.(map[string]any)["service_date"].(string); ok {
			withService++
			if s != "2018-05-10" && s != "2018-05-12" {
				t.Errorf("service_date = %q", s)
			}
		}
	}
	if withService == 0 {
		t.Error("no booking carries the sample's Leistungsdatum")
	}
	wantWarnings := []any{`line 4, column "Buchungstext": unescaped double quote inside the text, read literally`}
	if diff := cmp.Diff(wantWarnings, got["warnings"]); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestDATEVParseOtherCategories(t *testing.T) {
	t.Parallel()
	files := []string{
		filepath.Join(datevTestdata, "EXTF_DebKred_Stamm_v700-fv5_DATEV-sample.csv"),
		filepath.Join(datevTestdata, "EXTF_Kontenbeschriftungen_v700-fv2_DATEV-sample.csv"),
		filepath.Join(datevTestdata, "EXTF_Zahlungsbedingungen_v700-fv2_DATEV-sample.csv"),
	}
	code, out := datevRun(t, Options{Format: "auto"}, files...)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for i, want := range []struct {
		category, records float64
		warning           string
	}{
		{16, 4, "category 16 (Debitoren/Kreditoren) is not a booking batch"},
		{20, 176, "category 20 (Kontenbeschriftungen) is not a booking batch"},
		{46, 5, "category 46 (Zahlungsbedingungen) is not a booking batch"},
	} {
		d := out[i]["datev"].(map[string]any)
		if d["format_category"] != want.category || d["records"] != want.records {
			t.Errorf("%s: category %v records %v", files[i], d["format_category"], d["records"])
		}
		if b, ok := d["bookings"].([]any); !ok || len(b) != 0 {
			t.Errorf("%s: bookings = %v, want []", files[i], d["bookings"])
		}
		if d["period_from"] != nil || d["consultant"] != 29098.0 {
			t.Errorf("%s: period_from %v consultant %v", files[i], d["period_from"], d["consultant"])
		}
		if diff := cmp.Diff([]any{want.warning}, out[i]["warnings"]); diff != "" {
			t.Errorf("%s warnings (-want +got):\n%s", files[i], diff)
		}
	}
}

func TestDATEVParseCurrencyExponents(t *testing.T) {
	t.Parallel()
	data := strings.Join([]string{
		`"EXTF";700;21;"Buchungsstapel";13;20240130140440439;;"RE";"";"";29098;55003;20240101;4;20240101;20240831;"";"";1;0;0;"EUR";;"";;;"03";;;"";""`,
		`Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;WKZ Basis-Umsatz;Konto;Gegenkonto (ohne BU-Schlüssel);BU-Schlüssel;Belegdatum;Belegfeld 1;Skonto;Buchungstext;Leistungsdatum`,
		`1000,00;"H";"JPY";150,00;6,67;"EUR";8120;10000;"";0101;"J-1";;"";31022024`,
		`1000,50;"H";"JPY";;;"";8120;10000;"";0101;"J-2";;"";`,
		`1,234;"S";"BHD";;;"";8120;10000;"";0101;"B-1";;"";`,
	}, "\r\n") + "\r\n"
	// 1,234 has three decimals, which the DATEV format never allows: an error.
	code, out := datevRun(t, Options{Format: "auto"}, datevTempFile(t, "x.csv", []byte(data)))
	if code != 1 || out[0]["error"] != `line 5, column "Umsatz (ohne Soll/Haben-Kz)": "1,234" has more than two decimals` {
		t.Errorf("exit %d, error %v", code, out[0]["error"])
	}
	if _, ok := out[0]["datev"]; ok || out[0]["format"] != "datev-extf" {
		t.Errorf("a failed file printed more than the error: %v", out[0])
	}

	data = strings.Replace(data, `1,234;"S";"BHD"`, `1,23;"S";"BHD"`, 1)
	code, out = datevRun(t, Options{Format: "datev"}, datevTempFile(t, "y.csv", []byte(data)))
	if code != 0 {
		t.Fatalf("exit %d: %v", code, out[0]["error"])
	}
	bookings := out[0]["datev"].(map[string]any)["bookings"].([]any)
	var got []map[string]any
	for _, b := range bookings {
		m := b.(map[string]any)
		got = append(got, map[string]any{"amount_minor": m["amount_minor"], "amount_exact": m["amount_exact"], "currency": m["currency"], "service_date": m["service_date"]})
	}
	want := []map[string]any{
		{"amount_minor": 1000.0, "amount_exact": nil, "currency": "JPY", "service_date": nil},
		{"amount_minor": 1000.0, "amount_exact": "1000.50", "currency": "JPY", "service_date": nil}, // half-even
		{"amount_minor": 1230.0, "amount_exact": nil, "currency": "BHD", "service_date": nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("amounts (-want +got):\n%s", diff)
	}
	wantWarnings := []any{
		`line 3: Leistungsdatum "31022024" is not a date TTMMJJJJ; printed as null`,
		"line 4: amount 1000.50 has more decimals than JPY allows; rounded half-even to 1000",
	}
	if diff := cmp.Diff(wantWarnings, out[0]["warnings"]); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestDATEVDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		head string
		want bool
	}{
		{`"EXTF";700;21`, true},
		{`EXTF;700;21`, true},
		{`"DTVF";700;21`, true},
		{"\xef\xbb\xbf\"EXTF\";700", true},
		{"\"EXTF\"\r\n", true},
		{`"EXTFX";700`, false},
		{`Umsatz;Konto`, false},
		{`:20:EXTF`, false},
		{``, false},
	} {
		if got := detect.IsDATEV([]byte(tc.head)); got != tc.want {
			t.Errorf("IsDATEV(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}

func TestDATEVMinor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hundredths int64
		currency   string
		minor      int64
		exact      string
	}{
		{595000, "EUR", 595000, ""},
		{595000, "", 595000, ""},
		{150, "JPY", 2, "1.50"},
		{250, "JPY", 2, "2.50"},
		{251, "JPY", 3, "2.51"},
		{49, "KRW", 0, "0.49"},
		{123, "KWD", 1230, ""},
	} {
		minor, exact, rounded := datevMinor(tc.hundredths, tc.currency)
		if minor != tc.minor || exact != tc.exact || rounded != (tc.exact != "") {
			t.Errorf("datevMinor(%d, %s) = %d, %q, %v; want %d, %q", tc.hundredths, tc.currency, minor, exact, rounded, tc.minor, tc.exact)
		}
	}
}
