package datev

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	extf "github.com/o2c-platform/o2c/libs/formats/datev"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// testConfig returns the configuration of an SKR03 tenant with the given
// datev settings (JSON inside the reports section).
func testConfig(tb testing.TB, datev string) Config {
	tb.Helper()
	c, err := ConfigOf([]byte(`{"datev":`+datev+`}`), "tenants.t1.reports", books.Chart{Banks: map[string]string{"DE02120300000000202051": "1210"}})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

const baseSettings = `{"consultant": 29098, "client": 55003}`

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// SKR03 accounts of the tests.
const (
	debtor     = "10000"
	debtor2    = "10001"
	revenue19  = "8400"
	revenue7   = "8300"
	vat19      = "1776"
	vat7       = "1771"
	bank       = "1200"
	bank2      = "1210"
	transit    = "1360"
	fees       = "4970"
	badDebt19  = "2406"
	commission = "4950"
	inputVAT   = "1576"
	taxFree    = "8200"
	charges    = "2700"
	unknownRcv = "1591"
)

func eur(account, debtorID string, minor int64, key string) Line {
	return Line{Account: account, DebtorID: debtorID, Currency: "EUR", Minor: minor, TaxKey: key}
}

func TestConvert(t *testing.T) {
	t.Parallel()
	booking := func(amount int64, dc, account, contra, key, doc string) extf.Booking {
		return extf.Booking{Amount: amount, DebitCredit: dc, Account: account, ContraAccount: contra, TaxKey: key,
			DocumentDate: "1510", DocumentField1: doc, Text: doc}
	}
	tests := []struct {
		name     string
		settings string
		lines    []Line
		doc      string
		want     []extf.Booking
		debtors  []Debtor
	}{{
		name: "invoice at 19 % and 7 %: one gross line per rate, no key on automatic accounts, no VAT lines",
		lines: []Line{
			eur(debtor, "c1", 17400, ""),
			eur(revenue19, "", -10000, "3"), eur(vat19, "", -1900, ""),
			eur(revenue7, "", -5000, "2"), eur(vat7, "", -350, ""),
			eur(taxFree, "", -150, ""),
		},
		doc:     "RE-2026-1",
		want:    []extf.Booking{booking(11900, "S", debtor, revenue19, "", "RE-2026-1"), booking(5350, "S", debtor, revenue7, "", "RE-2026-1"), booking(150, "S", debtor, taxFree, "", "RE-2026-1")},
		debtors: []Debtor{{Account: debtor, DebtorID: "c1"}},
	}, {
		name:     "revenue account that is not automatic: the key is written",
		settings: `{"consultant": 29098, "client": 55003, "automatic_accounts": {"8300": 7}}`,
		lines:    []Line{eur(debtor, "c1", 11900, ""), eur(revenue19, "", -10000, "3"), eur(vat19, "", -1900, "")},
		doc:      "RE-2026-2",
		want:     []extf.Booking{booking(11900, "S", debtor, revenue19, "3", "RE-2026-2")},
		debtors:  []Debtor{{Account: debtor, DebtorID: "c1"}},
	}, {
		name:    "payment with a fee: the bank becomes the transit account, the fee a line of its own",
		lines:   []Line{eur(bank, "", 9500, ""), eur(fees, "", 500, ""), eur(debtor, "c1", -10000, "")},
		doc:     "PAY-1",
		want:    []extf.Booking{booking(9500, "H", debtor, transit, "", "PAY-1"), booking(500, "H", debtor, fees, "", "PAY-1")},
		debtors: []Debtor{{Account: debtor, DebtorID: "c1"}},
	}, {
		name:  "transfer between two bank accounts of the tenant nets out on the transit account",
		lines: []Line{eur(bank, "", 5000, ""), eur(bank2, "", -5000, "")},
		doc:   "TR-1",
	}, {
		name:    "write-off at 19 %: gross on the automatic bad-debt account",
		lines:   []Line{eur(badDebt19, "", 10000, "3"), eur(vat19, "", 1900, ""), eur(debtor, "c1", -11900, "")},
		doc:     "WO-1",
		want:    []extf.Booking{booking(11900, "H", debtor, badDebt19, "", "WO-1")},
		debtors: []Debtor{{Account: debtor, DebtorID: "c1"}},
	}, {
		name:  "agency commission with input VAT: one gross line with key 9",
		lines: []Line{eur(commission, "", 2000, ""), eur(inputVAT, "", 380, ""), eur(unknownRcv, "", -2380, "")},
		doc:   "AG-1",
		want:  []extf.Booking{booking(2380, "H", unknownRcv, commission, "9", "AG-1")},
	}, {
		name: "VAT rounded per item: DATEV's net is the ledger's, the cent goes to the VAT account",
		// Three items of 0.33 net at 19 % round to 0.06 VAT each: 0.99 net,
		// 0.18 VAT, 1.17 gross; DATEV computes 1.17 × 19 / 119 = 0.19.
		lines:   []Line{eur(debtor, "c1", 117, ""), eur(revenue19, "", -99, "3"), eur(vat19, "", -18, "")},
		doc:     "RE-2026-3",
		want:    []extf.Booking{booking(118, "S", debtor, revenue19, "", "RE-2026-3"), booking(1, "H", debtor, vat19, "", "RE-2026-3")},
		debtors: []Debtor{{Account: debtor, DebtorID: "c1"}},
	}, {
		name: "legs in another order: each VAT leg folds into the net leg of its rate",
		lines: []Line{
			eur(vat7, "", -350, ""), eur(revenue19, "", -10000, "3"), eur(revenue7, "", -5000, "2"),
			eur(debtor, "c1", 17250, ""), eur(vat19, "", -1900, ""),
		},
		doc:     "MAN-1",
		want:    []extf.Booking{booking(11900, "S", debtor, revenue19, "", "MAN-1"), booking(5350, "S", debtor, revenue7, "", "MAN-1")},
		debtors: []Debtor{{Account: debtor, DebtorID: "c1"}},
	}, {
		name:    "an automatic account without VAT in the ledger: key 40 lifts DATEV's automatic VAT",
		lines:   []Line{eur(debtor, "c1", 10000, ""), eur(revenue19, "", -10000, "")},
		doc:     "MAN-2",
		want:    []extf.Booking{booking(10000, "S", debtor, revenue19, "40", "MAN-2")},
		debtors: []Debtor{{Account: debtor, DebtorID: "c1"}},
	}, {
		name:  "a VAT leg with no net leg to fold into is booked on the VAT account as it is",
		lines: []Line{eur(unknownRcv, "", 1900, ""), eur(vat19, "", -1900, "")},
		doc:   "MAN-3",
		want:  []extf.Booking{booking(1900, "S", unknownRcv, vat19, "", "MAN-3")},
	}, {
		name:    "debtor merge: one personal account against the other",
		lines:   []Line{eur(debtor2, "c2", 5000, ""), eur(debtor, "c1", -5000, "")},
		doc:     "MERGE-1",
		want:    []extf.Booking{booking(5000, "S", debtor2, debtor, "", "MERGE-1")},
		debtors: []Debtor{{Account: debtor2, DebtorID: "c2"}, {Account: debtor, DebtorID: "c1"}},
	}, {
		name:    "a document number DATEV cannot take stays out of Belegfeld 1",
		lines:   []Line{eur(bank, "", 100, ""), eur(debtor, "c1", -100, "")},
		doc:     "PAY 1.2",
		want:    []extf.Booking{{Amount: 100, DebitCredit: "H", Account: debtor, ContraAccount: transit, DocumentDate: "1510", Text: "Beleg PAY 1.2"}},
		debtors: []Debtor{{Account: debtor, DebtorID: "c1"}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			settings := tc.settings
			if settings == "" {
				settings = baseSettings
			}
			c := testConfig(t, settings)
			got, debtors, skipped, err := c.Convert(Entry{ID: "e1", Date: day(2026, 10, 15), Document: tc.doc, Lines: tc.lines})
			if err != nil || skipped {
				t.Fatalf("Convert = %v, skipped %v", err, skipped)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.debtors, debtors); diff != "" {
				t.Errorf("debtors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConvertSkipsForeignCurrency(t *testing.T) {
	t.Parallel()
	c := testConfig(t, baseSettings)
	lines, _, skipped, err := c.Convert(Entry{Date: day(2026, 10, 1), Document: "US-1", Lines: []Line{
		{Account: debtor, DebtorID: "c1", Currency: "USD", Minor: 100}, {Account: revenue19, Currency: "USD", Minor: -100, TaxKey: "3"},
	}})
	if err != nil || !skipped || lines != nil {
		t.Errorf("Convert = %v, %v, %v; want skipped", lines, skipped, err)
	}
}

func TestRateOf(t *testing.T) {
	t.Parallel()
	c := testConfig(t, baseSettings)
	tests := []struct {
		account, key string
		date         time.Time
		want         int32
		ok           bool
	}{
		{revenue19, "", day(2026, 1, 1), 1900, true},
		{revenue19, "", day(2020, 8, 1), 1600, true},
		{revenue7, "", day(2020, 12, 31), 500, true},
		{revenue7, "", day(2021, 1, 1), 700, true},
		{taxFree, "3", day(2026, 1, 1), 1900, true},
		{taxFree, "2", day(2026, 1, 1), 700, true},
		{taxFree, "5", day(2026, 1, 1), 1600, true},
		{taxFree, "5", day(2020, 9, 1), 1900, true},
		{taxFree, "", day(2026, 1, 1), 0, false},
		{charges, "40", day(2026, 1, 1), 0, false},
	}
	for _, tc := range tests {
		got, ok := c.RateOf(tc.account, tc.key, tc.date)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RateOf(%s, %q, %s) = %d, %v; want %d, %v", tc.account, tc.key, tc.date.Format(time.DateOnly), got, ok, tc.want, tc.ok)
		}
	}
}

func TestVATOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		gross int64
		rate  int32
		want  int64
	}{
		{11900, 1900, 1900}, {117, 1900, 19}, {107, 700, 7}, {-11900, 1900, -1900},
		// 0.5 cent rounds up: 1.25 × 19 / 119 = 0.19957...; 2.62 × 19 / 119 = 0.41831...
		{125, 1900, 20}, {262, 1900, 42},
		// Exactly half a cent: 0.59 × 19 / 119 is not, but 595 × 19 / 119 = 95 exactly.
		{595, 1900, 95},
	} {
		if got := VATOf(tc.gross, tc.rate); got != tc.want {
			t.Errorf("VATOf(%d, %d) = %d, want %d", tc.gross, tc.rate, got, tc.want)
		}
	}
}

// genEntries returns n entries of October 2026 as the ledger books them:
// invoices with items at 19 %, 7 % and tax free whose VAT is rounded per
// item (so DATEV's per-line VAT differs now and then), credit notes,
// payments to the bank with and without fees, write-offs and agency
// commissions with input VAT.
func genEntries(r *rand.Rand, n int) []Entry {
	var out []Entry
	for i := range n {
		doc := fmt.Sprintf("D-%05d", i)
		date := day(2026, 10, 1+r.IntN(31))
		debtorID := fmt.Sprintf("c%d", r.IntN(20))
		acc := fmt.Sprintf("%d", 10000+r.IntN(20))
		var lines []Line
		switch k := r.IntN(10); {
		case k < 5, k == 5: // invoice (5) or credit note (6)
			sign := int64(1)
			if k == 5 {
				sign = -1
			}
			var total int64
			for _, rate := range []struct {
				rev, vat, key string
				bp            int64
			}{{revenue19, vat19, "3", 1900}, {revenue7, vat7, "2", 700}, {taxFree, "", "", 0}} {
				if r.IntN(2) == 0 {
					continue
				}
				var net, vat int64
				for range 1 + r.IntN(5) {
					item := int64(1 + r.IntN(20000))
					net += item
					vat += (item*rate.bp + 5000) / 10000
				}
				lines = append(lines, eur(rate.rev, "", -sign*net, rate.key))
				if rate.vat != "" {
					lines = append(lines, eur(rate.vat, "", -sign*vat, ""))
				}
				total += net + vat
			}
			if total == 0 {
				continue
			}
			lines = append([]Line{eur(acc, debtorID, sign*total, "")}, lines...)
		case k < 8: // payment, sometimes with a fee
			amount := int64(100 + r.IntN(50000))
			fee := int64(0)
			if k == 7 {
				fee = int64(1 + r.IntN(99))
			}
			lines = []Line{eur(bank, "", amount-fee, "")}
			if fee > 0 {
				lines = append(lines, eur(fees, "", fee, ""))
			}
			lines = append(lines, eur(acc, debtorID, -amount, ""))
		case k == 8: // write-off at 19 %
			net := int64(1 + r.IntN(30000))
			vat := (net*1900 + 5000) / 10000
			lines = []Line{eur(badDebt19, "", net, "3"), eur(vat19, "", vat, ""), eur(acc, debtorID, -net-vat, "")}
		default: // agency commission with input VAT, paid out of a receipt
			net := int64(1 + r.IntN(5000))
			vat := (net*1900 + 5000) / 10000
			lines = []Line{eur(commission, "", net, ""), eur(inputVAT, "", vat, ""), eur(unknownRcv, "", -net-vat, "")}
		}
		out = append(out, Entry{ID: fmt.Sprintf("e%d", i), Date: date, Document: doc, Lines: lines})
	}
	return out
}

// writeAll writes entries as the Buchungsstapel of October 2026.
func writeAll(tb testing.TB, c Config, b Batch, entries []Entry) ([]byte, Summary) {
	tb.Helper()
	var buf bytes.Buffer
	sum, err := WriteBookings(&buf, c, b, func(yield func(Entry) error) error {
		for _, e := range entries {
			if err := yield(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), sum
}

// readAll reads a Buchungsstapel back.
func readAll(tb testing.TB, file []byte) (extf.Header, []extf.Booking) {
	tb.Helper()
	r, err := extf.NewReader(bytes.NewReader(file))
	if err != nil {
		tb.Fatal(err)
	}
	var out []extf.Booking
	for {
		b, err := r.Next()
		if err == io.EOF {
			if w := r.Warnings(); len(w) > 0 {
				tb.Errorf("reading the export warns: %q", w)
			}
			return r.Header(), out
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
}

// TestExportMatchesLedgerTheWayDATEVBooksIt writes random months, reads
// each file back, books every line the way DATEV does (the anchor gets the
// gross, the counter account the gross less the VAT DATEV computes per
// line from the automatic account or the BU key, the VAT account that VAT)
// and checks two things against the ledger's own legs: the VAT per rate
// and period is exactly the ledger's, and every account ends with the
// ledger's balance (the bank's on the transit account).
func TestExportMatchesLedgerTheWayDATEVBooksIt(t *testing.T) {
	t.Parallel()
	c := testConfig(t, baseSettings)
	// Where DATEV books the VAT it computes: by rate for output VAT, by key
	// for input VAT.
	outputVAT := map[int32]string{1900: vat19, 700: vat7}
	inputVATOf := map[string]string{"9": inputVAT}
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		entries := genEntries(r, 300)
		if seed%2 == 1 {
			// Manual entries may list their legs in any order.
			for _, e := range entries {
				r.Shuffle(len(e.Lines), func(i, j int) { e.Lines[i], e.Lines[j] = e.Lines[j], e.Lines[i] })
			}
		}
		file, sum := writeAll(t, c, Batch{Period: Period{2026, time.October}, Closed: true, CreatedAt: day(2026, 11, 3)}, entries)
		_, lines := readAll(t, file)
		if len(lines) != sum.Bookings {
			t.Fatalf("seed %d: read %d lines, wrote %d", seed, len(lines), sum.Bookings)
		}

		ledger := map[string]int64{}
		ledgerVAT := map[string]int64{}
		for _, e := range entries {
			for _, l := range e.Lines {
				acc := l.Account
				if acc == bank || acc == bank2 {
					acc = transit
				}
				ledger[acc] += l.Minor
				if acc == vat19 || acc == vat7 || acc == inputVAT {
					ledgerVAT[acc] += l.Minor
				}
			}
		}
		datev := map[string]int64{}
		datevVAT := map[string]int64{}
		for _, b := range lines {
			amount := b.Amount
			if b.DebitCredit == "H" {
				amount = -amount
			}
			// amount is the anchor's (Konto's) side; the counter gets -amount.
			datev[b.Account] += amount
			counter := -amount
			date, err := time.Parse("0201 2006", b.DocumentDate+" 2026")
			if err != nil {
				t.Fatal(err)
			}
			rate, ok := c.RateOf(b.ContraAccount, b.TaxKey, date)
			if ok {
				vat := VATOf(counter, rate)
				vatAcc := outputVAT[rate]
				if a, in := inputVATOf[b.TaxKey]; in {
					vatAcc = a
				}
				datev[vatAcc] += vat
				datevVAT[vatAcc] += vat
				counter -= vat
			} else if b.ContraAccount == vat19 || b.ContraAccount == vat7 || b.ContraAccount == inputVAT {
				datevVAT[b.ContraAccount] += counter
			}
			datev[b.ContraAccount] += counter
		}
		for acc, v := range ledger {
			if v == 0 {
				delete(ledger, acc)
			}
		}
		for acc, v := range datev {
			if v == 0 {
				delete(datev, acc)
			}
		}
		if diff := cmp.Diff(ledgerVAT, datevVAT); diff != "" {
			t.Fatalf("seed %d: VAT per account (-ledger +DATEV):\n%s", seed, diff)
		}
		if diff := cmp.Diff(ledger, datev); diff != "" {
			t.Fatalf("seed %d: balances (-ledger +DATEV):\n%s", seed, diff)
		}
	}
}

func TestClosedPeriodExportsTheSameBytes(t *testing.T) {
	t.Parallel()
	c := testConfig(t, baseSettings)
	entries := genEntries(rand.New(rand.NewPCG(1, 2)), 50)
	closed := Batch{Period: Period{2026, time.October}, Closed: true, CreatedAt: time.Date(2026, 11, 3, 9, 30, 0, 123e6, time.UTC)}
	first, sum := writeAll(t, c, closed, entries)
	second, _ := writeAll(t, c, closed, entries)
	if !bytes.Equal(first, second) {
		t.Error("a closed period exported twice gives different bytes")
	}
	h, _ := readAll(t, first)
	want := extf.Header{Marker: "EXTF", Version: 700, Category: 21, FormatName: "Buchungsstapel", FormatVersion: 13,
		CreatedAt: "20261103093000123", Origin: "OC", ExportedBy: "o2c", Consultant: 29098, Client: 55003,
		FiscalYearStart: "20260101", AccountLength: 4, PeriodFrom: "20261001", PeriodTo: "20261031",
		Description: "o2c 2026-10", BookingType: 1, Currency: "EUR", ChartOfAccounts: "03"}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}

	open := closed
	open.Closed = false
	file, _ := writeAll(t, c, open, entries)
	if h, _ := readAll(t, file); h.Description != "o2c 2026-10 vorläufig" {
		t.Errorf("an open period's Bezeichnung is %q, want it marked vorläufig", h.Description)
	}

	// The master data names every debtor the bookings name, once.
	var buf bytes.Buffer
	if err := WriteDebtors(&buf, c, closed, sum.Debtors); err != nil {
		t.Fatal(err)
	}
	r, err := extf.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var got []Debtor
	for {
		d, err := r.NextDebtor()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != d.CustomerNumber || d.AddresseeType != "0" {
			t.Errorf("record %+v: want the debtor id as name and customer number", d)
		}
		got = append(got, Debtor{Account: d.Account, DebtorID: d.Name})
	}
	if len(got) == 0 || len(got) != len(sum.Debtors) {
		t.Fatalf("%d master data records, want %d", len(got), len(sum.Debtors))
	}
	if diff := cmp.Diff(sum.Debtors, got); diff != "" {
		t.Errorf("master data (-want +got):\n%s", diff)
	}
	if r.Header().Category != 16 || r.Header().Consultant != 29098 || r.Header().Client != 55003 {
		t.Errorf("master data header %+v", r.Header())
	}
}

func TestWriteBookingsRefuses(t *testing.T) {
	t.Parallel()
	c := testConfig(t, baseSettings)
	oct := Batch{Period: Period{2026, time.October}, Closed: true, CreatedAt: day(2026, 11, 1)}
	tests := []struct {
		name  string
		batch Batch
		entry Entry
		want  error
	}{
		{"entry outside the period", oct, Entry{ID: "e", Date: day(2026, 11, 1), Document: "X", Lines: []Line{eur(bank, "", 1, ""), eur(debtor, "c", -1, "")}}, ErrInvalidPeriod},
		{"account longer than DATEV allows", oct, Entry{ID: "e", Date: day(2026, 10, 1), Document: "X", Lines: []Line{eur(bank, "", 1, ""), eur("123456789", "", -1, "")}}, ErrNotExportable},
		{"month 13", Batch{Period: Period{2026, 13}, CreatedAt: day(2026, 11, 1)}, Entry{}, ErrInvalidPeriod},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := WriteBookings(io.Discard, c, tc.batch, func(yield func(Entry) error) error { return yield(tc.entry) })
			if !errors.Is(err, tc.want) {
				t.Errorf("WriteBookings = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFiscalYear(t *testing.T) {
	t.Parallel()
	c := testConfig(t, `{"consultant": 29098, "client": 55003, "fiscal_year_start": "07-01"}`)
	for _, tc := range []struct {
		period Period
		want   string
	}{{Period{2026, time.October}, "20260701"}, {Period{2026, time.March}, "20250701"}, {Period{2026, time.July}, "20260701"}} {
		file, _ := writeAll(t, c, Batch{Period: tc.period, Closed: true, CreatedAt: day(2026, 11, 1)}, nil)
		if h, _ := readAll(t, file); h.FiscalYearStart != tc.want {
			t.Errorf("%s: WJ-Beginn %s, want %s", tc.period, h.FiscalYearStart, tc.want)
		}
	}
	c = testConfig(t, `{"consultant": 29098, "client": 55003, "fiscal_year_start": "07-15"}`)
	_, err := WriteBookings(io.Discard, c, Batch{Period: Period{2026, time.July}, CreatedAt: day(2026, 11, 1)}, func(func(Entry) error) error { return nil })
	if !errors.Is(err, ErrInvalidPeriod) {
		t.Errorf("a month across the fiscal year's start: %v, want ErrInvalidPeriod", err)
	}
}

func TestConfigOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		raw     string
		want    error
		inError string
	}{
		{"no reports section", ``, ErrNotConfigured, ""},
		{"no datev part", `{"aging": {}}`, ErrNotConfigured, ""},
		{"consultant", `{"datev": {"consultant": 1000, "client": 1}}`, ErrInvalidSettings, "reports.datev.consultant"},
		{"client", `{"datev": {"consultant": 1001, "client": 0}}`, ErrInvalidSettings, "reports.datev.client"},
		{"unknown field", `{"datev": {"consultant": 1001, "client": 1, "beraternummer": 1}}`, ErrInvalidSettings, "beraternummer"},
		{"fiscal year start", `{"datev": {"consultant": 1001, "client": 1, "fiscal_year_start": "2026-01-01"}}`, ErrInvalidSettings, "fiscal_year_start"},
		{"transit is a bank", `{"datev": {"consultant": 1001, "client": 1, "transit_account": "1200"}}`, ErrInvalidSettings, "transit_account"},
		{"transit length", `{"datev": {"consultant": 1001, "client": 1, "transit_account": "13600"}}`, ErrInvalidSettings, "transit_account"},
		{"account length differs from the ledger's", `{"datev": {"consultant": 1001, "client": 1, "account_length": 5}}`, ErrInvalidSettings, "account_length"},
		{"automatic rate", `{"datev": {"consultant": 1001, "client": 1, "automatic_accounts": {"8400": 16}}}`, ErrInvalidSettings, "automatic_accounts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ConfigOf([]byte(tc.raw), "reports", books.Chart{})
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.inError) {
				t.Errorf("ConfigOf = %v, want %v naming %q", err, tc.want, tc.inError)
			}
		})
	}

	skr04, err := ConfigOf([]byte(`{"datev": {"consultant": 1001, "client": 1}}`), "reports", books.Chart{Standard: books.SKR04})
	if err != nil {
		t.Fatal(err)
	}
	if skr04.Transit != "1460" || skr04.Chart != "04" || skr04.Automatic["4400"] != 1900 || !skr04.Banks["1800"] || !skr04.OutputVAT["3806"] {
		t.Errorf("SKR04 defaults: transit %s, chart %s, automatic %v, banks %v, output VAT %v", skr04.Transit, skr04.Chart, skr04.Automatic, skr04.Banks, skr04.OutputVAT)
	}
}
