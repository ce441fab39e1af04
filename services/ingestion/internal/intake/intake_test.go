package intake_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement/settlementgen"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
)

// TestImportEveryFixtureFormat imports one file of every format the
// parsers read (camt.052/053/054 in several versions, MT940, MT942,
// Amazon settlement flat file V1, V2 and XML) into an empty store and
// checks what was emitted.
func TestImportEveryFixtureFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		format string
		counts intake.Counts
		books  int // transactions emitted with books set
	}{
		{"camt052.001.02_DE_VR-Bank_DK-codes.xml", "camt.052.001.02", intake.Counts{New: 2, Statements: 1}, 2},
		{"camt052.001.02_FI_FFFS-sample.xml", "camt.052.001.02", intake.Counts{New: 2, Statements: 2}, 1}, // one PDNG
		{"camt052.001.04_CH_PostFinance_intraday.xml", "camt.052.001.04", intake.Counts{New: 2, Statements: 1}, 2},
		{"camt053.001.02_BE_monthly_268-entries.xml", "camt.053.001.02", intake.Counts{New: 268, Statements: 1}, 268},
		{"camt053.001.02_DE_VR-Bank_DK-codes.xml", "camt.053.001.02", intake.Counts{New: 5, Statements: 1}, 5},
		{"camt053.001.02_FI_FFFS-sample_RF-refs.xml", "camt.053.001.02", intake.Counts{New: 13, Statements: 1}, 13},
		{"camt053.001.04_CH_PostFinance_reversals-returns-ESR.xml", "camt.053.001.04", intake.Counts{New: 32, Statements: 1}, 32},
		{"camt053.001.08_LT_two-statements_Bal-without-CdtDbtInd.xml", "camt.053.001.08", intake.Counts{New: 14, Statements: 2}, 14},
		{"camt053.001.10_Wise_USD_datetime.xml", "camt.053.001.10", intake.Counts{New: 1, Statements: 1}, 1},
		{"camt054.001.02_FI_FFFS-sample_RF-refs_returns.xml", "camt.054.001.02", intake.Counts{New: 13, Statements: 1}, 0},
		{"camt054.001.04_CH_PostFinance_direct-debit-returns.xml", "camt.054.001.04", intake.Counts{New: 5, Statements: 1}, 0},
		{"camt054.001.04_CH_reversal-pending-mismatch.xml", "camt.054.001.04", intake.Counts{New: 3, Statements: 1}, 0},
		{"camt054.001.08_CH_QRR-references_batch.xml", "camt.054.001.08", intake.Counts{New: 2, Statements: 1}, 0},
		{"mt940_DE_Kontist.txt", "mt940", intake.Counts{New: 6, Statements: 1}, 6},
		{"mt940_DE_SEPA-structured_returns.sta", "mt940", intake.Counts{New: 11, Statements: 2}, 11},
		// Eight statements, all ":20:STARTUMS :28C:0": told apart by date.
		{"mt940_DE_Volksbank_multi-statement_crlf.txt", "mt940", intake.Counts{New: 12, Statements: 8}, 12},
		{"mt940_NL_bunq_structured-86.txt", "mt940", intake.Counts{New: 111, Statements: 1}, 111},
		{"mt940_PL_mBank_SOH-ETX.sta", "mt940", intake.Counts{New: 3, Statements: 1}, 3},
		{"mt942_DE_intraday.txt", "mt942", intake.Counts{New: 2, Statements: 1}, 2},
		{"v1_mixed.txt", "amazon-settlement-flat-v1", intake.Counts{New: 1, Settlements: 1}, 0},
		{"v2_mixed_de.txt", "amazon-settlement-flat-v2", intake.Counts{New: 1, Settlements: 1}, 0},
		{"v2_two_settlements.txt", "amazon-settlement-flat-v2", intake.Counts{New: 2, Settlements: 2}, 0},
		{"xml_mixed.xml", "amazon-settlement-xml", intake.Counts{New: 1, Settlements: 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			rec := f.importFile(t, filepath.Join("testdata", tt.file))
			if rec.Status != intake.Imported || rec.Format != tt.format || rec.Error != "" {
				t.Fatalf("status %s, format %q, error %q; want imported as %s", rec.Status, rec.Format, rec.Error, tt.format)
			}
			if diff := cmp.Diff(tt.counts, rec.Counts); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			txs, books := f.transactions(0), 0
			for _, tx := range txs {
				if tx.GetBooks() {
					books++
				}
			}
			if tt.counts.Statements > 0 && (len(txs) != tt.counts.New || books != tt.books) {
				t.Errorf("%d transaction events, %d booking; want %d, %d", len(txs), books, tt.counts.New, tt.books)
			}
			if got := len(f.statements(0)); got != tt.counts.Statements {
				t.Errorf("%d statement events, want %d", got, tt.counts.Statements)
			}
			var settlements, lines int
			for _, p := range f.payloads(0) {
				switch m := p.(type) {
				case *ingestionv1.SettlementReportReceived:
					settlements++
					lines += int(m.GetLineCount())
				case *ingestionv1.SettlementLinesReceived:
					lines -= len(m.GetLines())
				}
			}
			if settlements != tt.counts.Settlements || lines != 0 {
				t.Errorf("%d settlement reports, lines announced minus lines sent %d; want %d, 0", settlements, lines, tt.counts.Settlements)
			}
		})
	}
}

func TestSameFileTwiceEmitsNothingTheSecondTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.importFile(t, "testdata/camt053.001.02_DE_VR-Bank_DK-codes.xml")
	n := len(f.store.Events())
	second := f.importFile(t, "testdata/camt053.001.02_DE_VR-Bank_DK-codes.xml")
	if first.Status != intake.Imported || second.Status != intake.DuplicateFile {
		t.Fatalf("statuses %s, %s; want imported, duplicate_file", first.Status, second.Status)
	}
	if got := len(f.store.Events()); got != n {
		t.Errorf("the second import emitted %d events", got-n)
	}
	if second.SHA256 != first.SHA256 || !strings.Contains(second.Error, "imported as") {
		t.Errorf("second record %+v does not name the first import", second)
	}
}

// TestFinalStatementDeduplicatesByPosition: a final statement sent again
// in another encoding books nothing; a statement with the same id and
// sequence but another date (banks write ":20:STARTUMS :28C:0" every
// day) books its own entries.
func TestFinalStatementDeduplicatesByPosition(t *testing.T) {
	t.Parallel()
	day1 := camt("053", "STARTUMS", "0", "2026-03-02", 1000,
		entry{amount: 500, bankRef: "B1", endToEnd: "INV-1", name: "Anna Muster", iban: "DE75512108001245126199"},
		entry{amount: -200, bankRef: "B2", remittance: "LOHN MAERZ"})
	reencoded := bytes.ReplaceAll(day1, []byte("\n"), []byte("\r\n  "))
	day2 := camt("053", "STARTUMS", "0", "2026-03-03", 1300,
		entry{amount: 700, bankRef: "B3", endToEnd: "INV-2"})

	f := newFixture(t)
	first := f.importData(t, "day1.xml", day1)
	n := len(f.store.Events())
	again := f.importData(t, "day1-again.xml", reencoded)
	if again.Status != intake.Imported || again.Counts.New != 0 || again.Counts.Duplicate != 2 {
		t.Errorf("re-encoded resend: %s %+v; want imported with 0 new, 2 duplicate", again.Status, again.Counts)
	}
	if txs := f.transactions(n); len(txs) != 0 {
		t.Errorf("the resend emitted %d transactions", len(txs))
	}
	// The resend's statement lists the transactions booked the first time.
	firstIDs := f.statements(0)[0].GetTransactionIds()
	if st := f.statements(n); len(st) != 1 || !cmp.Equal(st[0].GetTransactionIds(), firstIDs) || len(firstIDs) != 2 {
		t.Errorf("resend statement %v, want one listing %v", st, firstIDs)
	}
	// A resend whose text the bank changed has other fingerprints; its
	// positions still find the bookings.
	m := len(f.store.Events())
	changed := f.importData(t, "day1-changed.xml", bytes.ReplaceAll(day1, []byte("LOHN MAERZ"), []byte("LOHN MÄRZ")))
	if changed.Counts.New != 0 || changed.Counts.Duplicate != 2 || len(f.transactions(m)) != 0 {
		t.Errorf("resend with changed text: %+v; want 0 new, 2 duplicate", changed.Counts)
	}
	other := f.importData(t, "day2.xml", day2)
	if first.Counts.New != 2 || other.Counts.New != 1 || other.Counts.Duplicate != 0 {
		t.Errorf("first %+v, next day %+v; want 2 new, then 1 new", first.Counts, other.Counts)
	}
}

// TestIntradayAndFinalCountFingerprints checks the fingerprint rule in
// both directions and with identical bookings.
func TestIntradayAndFinalCountFingerprints(t *testing.T) {
	t.Parallel()
	a := entry{amount: 4200, endToEnd: "E2E-A", remittance: "RE-1", name: "Max Kunde", iban: "DE75512108001245126199"}
	b := entry{amount: 990, endToEnd: "E2E-B", remittance: "RE-2"}
	tests := []struct {
		name  string
		files [][]byte
		want  []intake.Counts // per file
	}{
		{"052 then 053: the same booking once", [][]byte{
			camt("052", "R1", "1", "2026-03-02", 0, a),
			camt("053", "S1", "1", "2026-03-02", 0, a, b),
		}, []intake.Counts{{New: 1, Statements: 1}, {New: 1, Duplicate: 1, Statements: 1}}},
		{"053 then 052: the same booking once", [][]byte{
			camt("053", "S1", "1", "2026-03-02", 0, a, b),
			camt("052", "R1", "1", "2026-03-02", 0, a),
		}, []intake.Counts{{New: 2, Statements: 1}, {Duplicate: 1, Statements: 1}}},
		{"one in the 052, two identical in the 053: one new", [][]byte{
			camt("052", "R1", "1", "2026-03-02", 0, a),
			camt("053", "S1", "1", "2026-03-02", 0, a, a),
		}, []intake.Counts{{New: 1, Statements: 1}, {New: 1, Duplicate: 1, Statements: 1}}},
		{"two identical in one 053: both", [][]byte{
			camt("053", "S1", "1", "2026-03-02", 0, a, a),
		}, []intake.Counts{{New: 2, Statements: 1}}},
		{"a pending intraday entry does not hide its booking", [][]byte{
			camt("052", "R1", "1", "2026-03-02", 0, entry{amount: 4200, endToEnd: "E2E-A", status: "PDNG"}),
			camt("053", "S1", "1", "2026-03-02", 0, entry{amount: 4200, endToEnd: "E2E-A"}),
		}, []intake.Counts{{New: 1, Statements: 1}, {New: 1, Statements: 1}}},
		{"mt942 then mt940: the same booking once", [][]byte{
			mt94x("942", "2603020"),
			mt94x("940", "2603020"),
		}, []intake.Counts{{New: 2, Statements: 1}, {Duplicate: 2, Statements: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var got []intake.Counts
			for i, data := range tt.files {
				rec := f.importData(t, "file"+string(rune('1'+i)), data)
				if rec.Status != intake.Imported {
					t.Fatalf("file %d: %s %s", i+1, rec.Status, rec.Error)
				}
				got = append(got, rec.Counts)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			// Every booking is booked once: transaction ids are unique, and
			// the last statement lists only ids that were emitted booking.
			booked := make(map[string]bool)
			for _, tx := range f.transactions(0) {
				if booked[tx.GetTransactionId()] {
					t.Errorf("transaction %s emitted twice", tx.GetTransactionId())
				}
				if tx.GetBooks() {
					booked[tx.GetTransactionId()] = true
				}
			}
			sts := f.statements(0)
			for _, id := range sts[len(sts)-1].GetTransactionIds() {
				if !booked[id] {
					t.Errorf("the last statement lists %s, which was not emitted booking", id)
				}
			}
		})
	}
}

// mt94x writes an MT940 (kind "940") or MT942 ("942") of the same two
// bookings on testAccount, dated yymmdd.
func mt94x(kind, yymmdd string) []byte {
	d := yymmdd[:6]
	head := ":20:STMT" + d + "\r\n:25:" + testAccount + "\r\n:28C:1/1\r\n"
	if kind == "942" {
		head = ":20:INTRA" + d + "\r\n:25:" + testAccount + "\r\n:28C:1/1\r\n:34F:EURD0,\r\n:13D:" + d + "1200+0100\r\n"
	} else {
		head += ":60F:C" + d + "EUR100,00\r\n"
	}
	body := ":61:" + d + d[2:] + "CR50,00NTRFNONREF//B-1\r\n:86:166?00GUTSCHRIFT?20EREF+INV-7?21SVWZ+Rechnung 7?32Anna Muster\r\n" +
		":61:" + d + d[2:] + "DR20,00NDDTNONREF//B-2\r\n:86:105?00LASTSCHRIFT?20SVWZ+Strom?32Stadtwerke\r\n"
	tail := "-\r\n"
	if kind == "940" {
		tail = ":62F:C" + d + "EUR130,00\r\n-\r\n"
	}
	return []byte(head + body + tail)
}

// TestNotificationAndStatement: the camt.053 entry books; the camt.054's
// transactions never do and are linked to it, whichever came first.
func TestNotificationAndStatement(t *testing.T) {
	t.Parallel()
	batch := entry{amount: 3000, bankRef: "BATCH-77", txs: []entry{
		{amount: 1000, endToEnd: "INV-1", name: "Anna", iban: "DE75512108001245126199"},
		{amount: 2000, endToEnd: "INV-2", name: "Bert"},
	}}
	byAmount := entry{amount: 555, ntryRef: "NREF-9"}
	statement := camt("053", "S1", "1", "2026-03-02", 0, entry{amount: 3000, bankRef: "BATCH-77"}, byAmount)
	notification := camt("054", "N1", "1", "2026-03-02", 0, batch, byAmount)

	t.Run("053 first", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.importData(t, "053.xml", statement)
		booked := f.transactions(0)
		n := len(f.store.Events())
		rec := f.importData(t, "054.xml", notification)
		if rec.Counts.New != 3 {
			t.Errorf("054 counts %+v, want 3 new", rec.Counts)
		}
		want := []string{booked[0].GetTransactionId(), booked[0].GetTransactionId(), booked[1].GetTransactionId()}
		var got []string
		for _, tx := range f.transactions(n) {
			if tx.GetBooks() {
				t.Errorf("notification transaction %s books", tx.GetTransactionId())
			}
			got = append(got, tx.GetDetailOf())
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("detail_of (-want +got):\n%s", diff)
		}
	})
	t.Run("054 first", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.importData(t, "054.xml", notification)
		notices := f.transactions(0)
		for _, tx := range notices {
			if tx.GetBooks() || tx.GetDetailOf() != "" {
				t.Errorf("notification transaction %v books or is linked before its statement", tx)
			}
		}
		n := len(f.store.Events())
		rec := f.importData(t, "053.xml", statement)
		if rec.Counts.New != 2 {
			t.Errorf("053 counts %+v, want 2 new", rec.Counts)
		}
		var booked []*ingestionv1.BankTransactionReceived
		links := make(map[string]string)
		for _, p := range f.payloads(n) {
			switch m := p.(type) {
			case *ingestionv1.BankTransactionReceived:
				if !m.GetBooks() {
					t.Errorf("statement transaction %s does not book", m.GetTransactionId())
				}
				booked = append(booked, m)
			case *ingestionv1.BankNotificationLinked:
				links[m.GetTransactionId()] = m.GetDetailOf()
			}
		}
		want := map[string]string{
			notices[0].GetTransactionId(): booked[0].GetTransactionId(),
			notices[1].GetTransactionId(): booked[0].GetTransactionId(),
			notices[2].GetTransactionId(): booked[1].GetTransactionId(),
		}
		if diff := cmp.Diff(want, links); diff != "" {
			t.Errorf("links (-want +got):\n%s", diff)
		}
		// The same notification again links nothing twice.
		m := len(f.store.Events())
		f.importData(t, "054-again.xml", append(bytes.Clone(notification), ' '))
		if got := f.payloads(m); len(got) != 1 {
			t.Errorf("the notification again emitted %v, want its statement event only", got)
		}
	})
}

func TestSettlementsDeduplicateBySettlementID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.importFile(t, "testdata/v2_two_settlements.txt")
	n := len(f.store.Events())
	// The same settlements in another file (one more blank line) are
	// duplicates; a report with another settlement id is new.
	again := f.importData(t, "again.txt", append(readFile(t, "testdata/v2_two_settlements.txt"), '\n'))
	other := f.importFile(t, "testdata/v2_mixed_de.txt")
	want := []intake.Counts{{New: 2, Settlements: 2}, {Duplicate: 2, Settlements: 2}, {New: 1, Settlements: 1}}
	if diff := cmp.Diff(want, []intake.Counts{first.Counts, again.Counts, other.Counts}); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	var headers int
	for _, p := range f.payloads(n) {
		if _, ok := p.(*ingestionv1.SettlementReportReceived); ok {
			headers++
		}
	}
	if headers != 1 {
		t.Errorf("%d settlement reports emitted after the first file, want 1 (the other settlement id)", headers)
	}
}

func TestRejectedFileEmitsNothing(t *testing.T) {
	t.Parallel()
	good := camt("053", "S1", "1", "2026-03-02", 0, entry{amount: 100, endToEnd: "X"})
	tests := []struct {
		name    string
		data    []byte
		wantErr []string // substrings of Record.Error
	}{
		{"truncated camt", good[:len(good)-40], []string{"file cannot be read as camt", "/Document/BkToCstmrStmt"}},
		{"bad settlement date", readFile(t, "testdata/err_v2_bad_date.txt"), []string{"line 3", "31.11.2023"}},
		{"unknown account", bytes.ReplaceAll(good, []byte(testAccount), []byte("DE02100500000054540402")),
			[]string{"not configured", "DE02100500000054540402", `"S1"`}},
		{"other currency", bytes.ReplaceAll(bytes.ReplaceAll(good, []byte(`Ccy="EUR"`), []byte(`Ccy="USD"`)), []byte("<Ccy>EUR"), []byte("<Ccy>USD")),
			[]string{"differs", "in USD", "configured in EUR"}},
		{"DATEV export", []byte("\"EXTF\";700;21;\"Buchungsstapel\"\r\n"), []string{"not imported", "datev"}},
		{"unknown content", []byte("hello"), []string{"none of camt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			rec := f.importData(t, "bad", tt.data)
			if rec.Status != intake.Rejected {
				t.Fatalf("status %s, want rejected", rec.Status)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(rec.Error, w) {
					t.Errorf("error %q does not say %q", rec.Error, w)
				}
			}
			if n := len(f.store.Events()); n != 0 {
				t.Errorf("%d events emitted", n)
			}
			// A rejected file does not make the corrected one a duplicate.
			if again := f.importData(t, "fixed", good); again.Status != intake.Imported || again.Counts.New != 1 {
				t.Errorf("the good file after the rejected one: %s %+v", again.Status, again.Counts)
			}
		})
	}
}

// TestCrashMidFileBooksEachTransactionOnce: an import that fails on its
// second commit (batches of 3), before storing anything of it or after
// its events but before its rows, is retried: every transaction is
// emitted once, and the retry counts honestly what it emitted (new) and
// what the failed import had (duplicate: by its keys, or because its
// event was stored already), in the record and the statement's event.
func TestCrashMidFileBooksEachTransactionOnce(t *testing.T) {
	t.Parallel()
	var entries []entry
	for i := range 10 {
		entries = append(entries, entry{amount: int64(100 + i), endToEnd: "E" + string(rune('A'+i))})
	}
	data := camt("053", "S1", "1", "2026-03-02", 0, entries...)
	for _, after := range []bool{false, true} {
		// The first batch is stored whole; the second too when the
		// failure comes after its events.
		emitted := 3
		if after {
			emitted = 6
		}
		f := newFixture(t)
		commits := 0
		fail := func(*intake.Batch) error {
			commits++
			if commits == 2 {
				return errors.New("connection lost")
			}
			return nil
		}
		if after {
			f.store.FailAfterEvents = fail
		} else {
			f.store.FailCommit = fail
		}
		_, err := f.imp.Import(context.Background(), intake.Request{
			Tenant: "t1", FileName: "s.xml", Actor: "user:test",
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		})
		if err == nil {
			t.Fatalf("after events %v: the import did not fail", after)
		}
		rec := f.importData(t, "s.xml", data)
		if rec.Status != intake.Imported {
			t.Fatalf("retry: %s %s", rec.Status, rec.Error)
		}
		if want := (intake.Counts{New: 10 - emitted, Duplicate: emitted, Statements: 1}); rec.Counts != want || len(rec.Warnings) != 0 {
			t.Errorf("after events %v: retry counted %+v (warnings %q); want %+v", after, rec.Counts, rec.Warnings, want)
		}
		seen := make(map[string]int)
		for _, tx := range f.transactions(0) {
			seen[tx.GetTransactionId()]++
		}
		sts := f.statements(0)
		if len(seen) != 10 || len(sts) != 1 || len(sts[0].GetTransactionIds()) != 10 {
			t.Fatalf("after events %v: %d distinct transactions, statements %v; want 10 and one statement of 10", after, len(seen), sts)
		}
		if got := sts[0]; got.GetNewCount() != int32(10-emitted) || got.GetDuplicateCount() != int32(emitted) {
			t.Errorf("after events %v: the statement counts %d new, %d duplicate; want %d, %d",
				after, got.GetNewCount(), got.GetDuplicateCount(), 10-emitted, emitted)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("transaction %s emitted %d times", id, n)
			}
		}
	}
}

// TestCrashMidSettlementCountsItOnce: a settlement report whose events an
// interrupted import stored completely, without the row that records it,
// counts as a duplicate when imported again; one whose import stopped
// half-way counts as new, since its last lines are emitted now.
func TestCrashMidSettlementCountsItOnce(t *testing.T) {
	t.Parallel()
	// Some 12,000 lines: 25 events, committed 20 and 5.
	var buf bytes.Buffer
	lines, err := settlementgen.WriteV2(&buf, 1<<20+600<<10)
	if err != nil {
		t.Fatal(err)
	}
	if events := 1 + (lines+intake.LinesPerEvent-1)/intake.LinesPerEvent; events <= 20 {
		t.Fatalf("%d lines make %d events, want more than one commit's 20", lines, events)
	}
	data := buf.Bytes()
	// The last commit of the report fails: after its events, so that
	// every event is stored, or before, so that the first 20 are.
	lastCommit := func(b *intake.Batch) error {
		if b.Settlement != nil {
			return errors.New("connection lost")
		}
		return nil
	}
	for _, tt := range []struct {
		name        string
		afterEvents bool
		want        intake.Counts
	}{
		{"after every event", true, intake.Counts{Duplicate: 1, Settlements: 1}},
		{"half-way", false, intake.Counts{New: 1, Settlements: 1}},
	} {
		f := newFixture(t)
		if tt.afterEvents {
			f.store.FailAfterEvents = lastCommit
		} else {
			f.store.FailCommit = lastCommit
		}
		_, err := f.imp.Import(context.Background(), intake.Request{
			Tenant: "t1", FileName: "s.txt", Actor: "user:test",
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		})
		if err == nil {
			t.Fatalf("%s: the import did not fail", tt.name)
		}
		f.store.FailAfterEvents, f.store.FailCommit = nil, nil
		n := len(f.store.Events())
		rec := f.importData(t, "s.txt", data)
		if rec.Status != intake.Imported || rec.Counts != tt.want {
			t.Errorf("%s: retry %s %+v; want imported, %+v", tt.name, rec.Status, rec.Counts, tt.want)
		}
		if tt.want.New == 0 && len(f.store.Events()) != n {
			t.Errorf("%s: the retry emitted %d events again", tt.name, len(f.store.Events())-n)
		}
		if tt.want.New == 1 && len(f.store.Events()) <= n {
			t.Errorf("%s: the retry did not emit the rest of the report", tt.name)
		}
	}
}

// TestImportReportsProgress: an import reports while it checks and while
// it emits, counting entries (a batch entry of two transactions is one),
// every ProgressEvery entries and at the start and end of each phase, with
// counts that only grow and end as the record's.
func TestImportReportsProgress(t *testing.T) {
	t.Parallel()
	const n = 2*intake.ProgressEvery + 500
	var entries []entry
	for i := range n {
		e := entry{amount: int64(100 + i), endToEnd: fmt.Sprintf("E-%d", i)}
		if i%5 == 0 {
			e.txs = []entry{{amount: 40, endToEnd: fmt.Sprintf("E-%d-1", i)}, {amount: int64(60 + i), endToEnd: fmt.Sprintf("E-%d-2", i)}}
		}
		entries = append(entries, e)
	}
	data := camt("053", "S1", "1", "2026-03-02", 0, entries...)
	f := newFixture(t)
	f.imp.BatchSize = 1000
	var got []intake.Progress
	rec, err := f.imp.Import(context.Background(), intake.Request{
		Tenant: "t1", FileName: "s.xml", Actor: "user:test",
		Open:     func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		Progress: func(p intake.Progress) { got = append(got, p) },
	})
	if err != nil || rec.Status != intake.Imported {
		t.Fatalf("import: %s %s %v", rec.Status, rec.Error, err)
	}
	transactions := n + n/5
	if rec.Counts.New != transactions {
		t.Fatalf("%d new, want %d transactions", rec.Counts.New, transactions)
	}
	var checking, emitting []intake.Progress
	for _, p := range got {
		switch p.Phase {
		case intake.Checking:
			if len(emitting) > 0 {
				t.Fatalf("checking reported after emitting: %+v", got)
			}
			checking = append(checking, p)
		case intake.Emitting:
			emitting = append(emitting, p)
		}
	}
	wantChecking := []intake.Progress{
		{Phase: intake.Checking}, {Phase: intake.Checking, Entries: 1000}, {Phase: intake.Checking, Entries: 2000}, {Phase: intake.Checking, Entries: n},
	}
	if diff := cmp.Diff(wantChecking, checking); diff != "" {
		t.Errorf("checking (-want +got):\n%s", diff)
	}
	if len(emitting) == 0 {
		t.Fatal("nothing reported while emitting")
	}
	if first := emitting[0]; first != (intake.Progress{Phase: intake.Emitting, TotalEntries: n}) {
		t.Errorf("first report while emitting %+v", first)
	}
	if last := emitting[len(emitting)-1]; last != (intake.Progress{Phase: intake.Emitting, Entries: n, TotalEntries: n, New: transactions}) {
		t.Errorf("last report %+v; want every entry read and %d new", last, transactions)
	}
	var at1000, at2000 bool
	for i, p := range emitting {
		at1000, at2000 = at1000 || p.Entries == 1000, at2000 || p.Entries == 2000
		if i > 0 && (p.Entries < emitting[i-1].Entries || p.New < emitting[i-1].New) {
			t.Errorf("report %d went back: %+v after %+v", i, p, emitting[i-1])
		}
	}
	if !at1000 || !at2000 {
		t.Errorf("no report at 1000 or 2000 entries while emitting: %+v", emitting)
	}
}

// TestDeclaredFormat: --format mt942 reads an MT942 and rejects an MT940,
// mt940 reads both, and an unknown format is rejected.
func TestDeclaredFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format string
		data   []byte
		status intake.Status
		read   string   // Record.Format
		errs   []string // in Record.Error
	}{
		{"mt942", mt94x("942", "260302"), intake.Imported, "mt942", nil},
		{"mt942", mt94x("940", "260302"), intake.Rejected, "mt940", []string{"declared mt942", "the file is mt940"}},
		{"mt940", mt94x("942", "260302"), intake.Imported, "mt942", nil},
		{"mt940", mt94x("940", "260302"), intake.Imported, "mt940", nil},
		{"camt", camt("053", "S1", "1", "2026-03-02", 0, entry{amount: 100, endToEnd: "X"}), intake.Imported, "camt.053.001.02", nil},
		{"mt941", mt94x("940", "260302"), intake.Rejected, "", []string{`format "mt941" cannot be imported`, "mt942"}},
	}
	for _, tt := range tests {
		f := newFixture(t)
		rec, err := f.imp.Import(context.Background(), intake.Request{
			Tenant: "t1", FileName: "f", Format: tt.format, Actor: "user:test",
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tt.data)), nil },
		})
		if err != nil {
			t.Fatalf("--format %s: %v", tt.format, err)
		}
		if rec.Status != tt.status || rec.Format != tt.read {
			t.Errorf("--format %s: %s as %q (%s); want %s as %q", tt.format, rec.Status, rec.Format, rec.Error, tt.status, tt.read)
		}
		for _, w := range tt.errs {
			if !strings.Contains(rec.Error, w) {
				t.Errorf("--format %s: error %q does not say %q", tt.format, rec.Error, w)
			}
		}
		if emitted := len(f.store.Events()) > 0; emitted != (tt.status == intake.Imported) {
			t.Errorf("--format %s: events emitted %v", tt.format, emitted)
		}
	}
}

// TestTransactionEvent checks one event field by field: classification,
// counterparty by id only, provenance.
func TestTransactionEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	data := camt("053", "S9", "00007", "2026-03-02", 0,
		entry{amount: -1500, bankRef: "B1", remittance: "LOHN MAERZ", name: "Erika Lohn", iban: "DE75 5121 0800 1245 1261 99"})
	rec := f.importData(t, "dir/s9.xml", data)
	txs := f.transactions(0)
	if len(txs) != 1 {
		t.Fatalf("%d transactions", len(txs))
	}
	cp := intake.CounterpartyID("t1", "DE75512108001245126199", "")
	want := &ingestionv1.BankTransactionReceived{
		Tenant: "t1", TransactionId: txs[0].GetTransactionId(), AccountIban: testAccount, Currency: "EUR",
		Amount:      &commonv1.Money{MinorUnits: -1500, Currency: "EUR"},
		BookingDate: &commonv1.Date{Year: 2026, Month: 3, Day: 2}, ValueDate: &commonv1.Date{Year: 2026, Month: 3, Day: 2},
		Status: "BOOK", BankReference: "B1", Remittance: "LOHN MAERZ", CounterpartyId: cp, BankTxCode: "PMNT/RCDT/ESCT",
		Classification: ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED,
		Rule:           "salaries", StatementKey: "final/" + testAccount + "/S9/00007/2026-03-02",
		Provenance: &ingestionv1.Provenance{
			FileSha256: rec.SHA256, FileName: "s9.xml", Format: "camt.053.001.02", StatementId: "S9",
			StatementSequence: "00007", EntryIndex: 1, TransactionIndex: 1, Fingerprint: txs[0].GetProvenance().GetFingerprint(),
		},
		Books: true,
	}
	if diff := cmp.Diff(want, txs[0], protocmp.Transform()); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	cps, err := f.store.Counterparties(context.Background(), "t1", []string{cp})
	if err != nil || len(cps) != 1 || cps[0].Name != "Erika Lohn" || cps[0].IBAN != "DE75512108001245126199" {
		t.Errorf("master data %+v, %v; want Erika Lohn with the IBAN", cps, err)
	}
	if bytes.Contains(mustMarshal(t, txs[0]), []byte("Erika")) {
		t.Error("the event carries the counterparty's name")
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	bank := newFixture(t).imp.Tenants.(tenantMap)["t1"].Bank
	R := ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT
	tests := []struct {
		name     string
		tx       intake.Transaction
		want     ingestionv1.BankTransactionClassification
		wantRule string
	}{
		{"credit", intake.Transaction{Amount: 100, Remittance: "LOHN"}, R, ""},
		{"zero", intake.Transaction{Amount: 0}, R, ""},
		{"returned direct debit", intake.Transaction{Amount: -100, ReturnReason: "MD06", Remittance: "LOHN"},
			ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RETURN, ""},
		{"reversed credit", intake.Transaction{Amount: -100, Reversal: true},
			ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RETURN, ""},
		{"reversed debit is money in", intake.Transaction{Amount: 100, Reversal: true}, R, ""},
		{"the agency's payout", intake.Transaction{Amount: 100, CounterpartyIBAN: "de89 3704 0044 0532 0130 00", Remittance: "LOHN"},
			ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_INCOMING_CLASSIFIED, "inkasso-payout"},
		{"the agency's reversed debit is a receipt", intake.Transaction{Amount: 100, Reversal: true, CounterpartyIBAN: "DE89370400440532013000"}, R, ""},
		{"a debit to the agency is no payout", intake.Transaction{Amount: -100, CounterpartyIBAN: "DE89370400440532013000"},
			ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_UNCLASSIFIED, ""},
		{"salary by remittance", intake.Transaction{Amount: -100, Remittance: "Lohn 03/2026"},
			ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED, "salaries"},
		{"rent by IBAN", intake.Transaction{Amount: -100, CounterpartyIBAN: "DE02 1203 0000 0000 2020 51"},
			ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED, "rent"},
		{"other debit", intake.Transaction{Amount: -100, Remittance: "Büromaterial"},
			ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_UNCLASSIFIED, ""},
	}
	for _, tt := range tests {
		got, rule := intake.Classify(bank, &tt.tx)
		if got != tt.want || rule != tt.wantRule {
			t.Errorf("%s: %s %q, want %s %q", tt.name, got, rule, tt.want, tt.wantRule)
		}
	}
}

func TestCounterpartyID(t *testing.T) {
	t.Parallel()
	a := intake.CounterpartyID("t1", "de75 5121 0800 1245 1261 99", "Anna")
	tests := []struct {
		name       string
		got, other string
		same       bool
	}{
		{"IBAN spelled differently", a, intake.CounterpartyID("t1", "DE75512108001245126199", "Anna M."), true},
		{"other tenant", a, intake.CounterpartyID("t2", "DE75512108001245126199", "Anna"), false},
		{"name case and spaces", intake.CounterpartyID("t1", "", "Anna  Muster"), intake.CounterpartyID("t1", "", "anna muster"), true},
		{"name is not an IBAN", intake.CounterpartyID("t1", "", "DE75512108001245126199"), a, false},
	}
	for _, tt := range tests {
		if (tt.got == tt.other) != tt.same || tt.got == "" {
			t.Errorf("%s: %q vs %q, want same %v", tt.name, tt.got, tt.other, tt.same)
		}
	}
	if id := intake.CounterpartyID("t1", "", " "); id != "" {
		t.Errorf("no IBAN and no name: %q, want empty", id)
	}
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func mustMarshal(tb testing.TB, m proto.Message) []byte {
	tb.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
