package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
	"github.com/o2c-platform/o2c/services/ledger/internal/report"
)

// reportItem is an open item as the command side would project it, with
// the time it was recorded.
type reportItem struct {
	debtor, doc, kind, marketplace string
	amount                         int64
	docDate, dueDate               string
	recorded                       string
}

// reportSettlement settles (or, negative, reopens) part of an item.
type reportSettlement struct {
	doc      string
	amount   int64
	date     string
	recorded string
	kind     string
}

func ts(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func ymd(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// writeItems writes the rows the projection would write for items and
// settlements and returns the items' ids by document number.
func writeItems(t testing.TB, db ledgerDB, items []reportItem, settlements []reportSettlement) map[string]uuid.UUID {
	t.Helper()
	ctx := context.Background()
	ids := map[string]uuid.UUID{}
	for _, it := range items {
		ids[it.doc] = uuid.New()
		kind := it.kind
		if kind == "" {
			kind = "invoice"
		}
		_, err := db.pool.Exec(ctx, `
			INSERT INTO open_items (tenant, id, debtor_id, debtor_account, kind, document_number, currency,
			    amount_minor, open_minor, document_date, due_date, entry_id, recorded_at, marketplace)
			VALUES ('acme', $1, $2, '10000', $3, $4, 'EUR', $5, $5, $6, $7, $8, $9, $10)`,
			ids[it.doc], it.debtor, kind, it.doc, it.amount, it.docDate, it.dueDate, uuid.New(), ts(t, it.recorded), it.marketplace)
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range settlements {
		kind := s.kind
		if kind == "" {
			kind = "payment"
		}
		_, err := db.pool.Exec(ctx, `
			INSERT INTO settlements (tenant, id, open_item_id, debtor_id, kind, currency, amount_minor, effective_date, recorded_at, event_position)
			VALUES ('acme', $1, $2, '', $3, 'EUR', $4, $5, $6, $7)`,
			uuid.New(), ids[s.doc], kind, s.amount, s.date, ts(t, s.recorded), i+1)
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// modelOpenItems is the open-item list computed from the items and
// settlements themselves: "debtor doc open days channel", by debtor, due
// date and document.
func modelOpenItems(t testing.TB, items []reportItem, settlements []reportSettlement, asOf, known time.Time) []string {
	t.Helper()
	type row struct {
		it   reportItem
		open int64
	}
	var rows []row
	for _, it := range items {
		if ymd(t, it.docDate).After(asOf) || (!known.IsZero() && ts(t, it.recorded).After(known)) {
			continue
		}
		open := it.amount
		for _, s := range settlements {
			if s.doc == it.doc && !ymd(t, s.date).After(asOf) && (known.IsZero() || !ts(t, s.recorded).After(known)) {
				open -= s.amount
			}
		}
		if open != 0 {
			rows = append(rows, row{it, open})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].it, rows[j].it
		if a.debtor != b.debtor {
			return a.debtor < b.debtor
		}
		if a.dueDate != b.dueDate {
			return a.dueDate < b.dueDate
		}
		return a.doc < b.doc
	})
	var out []string
	for _, r := range rows {
		days := int(asOf.Sub(ymd(t, r.it.dueDate)).Hours() / 24)
		ch := r.it.marketplace
		if ch == "" {
			ch = "shop"
		}
		out = append(out, fmt.Sprintf("%s %s %d %d %s", r.it.debtor, r.it.doc, r.open, days, ch))
	}
	return out
}

var reportItems = []reportItem{
	{debtor: "K-1", doc: "RE-1", amount: 10000, docDate: "2026-01-20", dueDate: "2026-02-03", recorded: "2026-01-20T10:00:00Z"},
	{debtor: "K-1", doc: "RE-2", amount: 5000, docDate: "2026-03-20", dueDate: "2026-04-03", recorded: "2026-03-20T10:00:00Z"},
	{debtor: "K-2", doc: "RE-3", amount: 2500, docDate: "2026-03-05", dueDate: "2026-03-19", recorded: "2026-03-05T10:00:00Z", marketplace: "amazon"},
	{debtor: "K-2", doc: "GS-1", kind: "credit_balance", amount: -800, docDate: "2026-03-06", dueDate: "2026-03-06", recorded: "2026-03-06T10:00:00Z"},
	{debtor: "K-3", doc: "RE-4", amount: 7000, docDate: "2025-11-02", dueDate: "2025-11-16", recorded: "2025-11-02T10:00:00Z"},
	{debtor: "K-3", doc: "RE-5", amount: 1200, docDate: "2026-03-30", dueDate: "2026-04-13", recorded: "2026-04-06T09:00:00Z"}, // dated March, learned in April
}

var reportSettlements = []reportSettlement{
	{doc: "RE-1", amount: 4000, date: "2026-03-10", recorded: "2026-03-10T12:00:00Z"},
	{doc: "RE-1", amount: 6000, date: "2026-04-05", recorded: "2026-04-05T12:00:00Z"},
	{doc: "RE-3", amount: 2500, date: "2026-03-25", recorded: "2026-03-25T12:00:00Z"},
	{doc: "RE-2", amount: 1000, date: "2026-03-30", recorded: "2026-04-10T12:00:00Z"}, // dated March, learned in April
	{doc: "GS-1", amount: -300, date: "2026-03-07", recorded: "2026-03-07T12:00:00Z", kind: "credit_balance"},
}

func TestReportOpenItemsOnBothTimeAxes(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	writeItems(t, db, reportItems, reportSettlements)
	for _, tt := range []struct {
		name  string
		asOf  string
		known string
	}{
		{"31 March as known now", "2026-03-31", ""},
		{"31 March as known on 5 April", "2026-03-31", "2026-04-05T00:00:00Z"},
		{"31 March as known on 8 April", "2026-03-31", "2026-04-08T00:00:00Z"},
		{"30 April", "2026-04-30", ""},
		{"before any document", "2025-10-31", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var known time.Time
			if tt.known != "" {
				known = ts(t, tt.known)
			}
			want := modelOpenItems(t, reportItems, reportSettlements, ymd(t, tt.asOf), known)
			for _, size := range []int{1, 2, 1000} {
				q := postgres.ReportQuery{Tenant: "acme", AsOf: ymd(t, tt.asOf), KnownAt: known, Page: postgres.Page{Size: size}}
				var got []string
				for pages := 0; ; pages++ {
					rows, next, err := db.store.ReportOpenItems(context.Background(), q)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range rows {
						got = append(got, fmt.Sprintf("%s %s %d %d %s", r.GetDebtorId(), r.GetDocumentNumber(),
							r.GetOpenAmount().GetMinorUnits(), r.GetDaysOverdue(), r.GetChannel()))
						if r.GetDunningLevel() != "" || r.GetCollectionStatus() != "" || r.GetCustomerGroup() != "" {
							t.Errorf("%s: columns the ledger does not know are filled: %v", r.GetDocumentNumber(), r)
						}
					}
					if next == "" {
						break
					}
					if pages > 20 {
						t.Fatal("paging does not end")
					}
					q.Page.Token = next
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("page size %d (-want +got):\n%s", size, diff)
				}
			}
		})
	}
	ctx := context.Background()
	if _, _, err := db.store.ReportOpenItems(ctx, postgres.ReportQuery{Tenant: "acme", AsOf: ymd(t, "2026-03-31"), Page: postgres.Page{Token: "bm9wZQ"}}); !errors.Is(err, postgres.ErrInvalidPageToken) {
		t.Errorf("bad token: %v, want ErrInvalidPageToken", err)
	}
	if _, _, err := db.store.ReportOpenItems(ctx, postgres.ReportQuery{Tenant: "ACME", AsOf: ymd(t, "2026-03-31")}); !errors.Is(err, postgres.ErrInvalidQuery) {
		t.Errorf("bad tenant: %v, want ErrInvalidQuery", err)
	}
}

func TestReportBalances(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	bookings := []postgres.Entry{
		booking("EB-1", day(1, 1), "1200", "9000", 100000, "EUR", ""),
		booking("RE-1", day(2, 10), "10000", "8400", 11900, "EUR", "K-1"),
		booking("RE-2", day(3, 5), "10001", "8400", 5000, "EUR", "K-2"),
		booking("ZA-1", day(3, 20), "1200", "10000", 11900, "EUR", "K-1"),
		booking("ZA-2", day(3, 25), "1200", "10001", 2000, "EUR", "K-2"),
		booking("RE-USD", day(3, 26), "10001", "8400", 4200, "USD", "K-2"),
		booking("RE-4", day(4, 2), "10001", "8400", 777, "EUR", "K-2"),
	}
	db.post(t, bookings...)
	known := db.dbNow(t)
	db.post(t, booking("RE-LATE", day(3, 28), "10002", "8400", 999, "EUR", "K-3"))
	db.catchUp(t)

	// The model sums the entries posted, not the read model.
	model := func(entries []postgres.Entry, debtors bool) (rows, totals []postgres.BalanceRow) {
		from, to := ymd(t, "2026-03-01"), ymd(t, "2026-03-31")
		by := map[[2]string]*postgres.BalanceRow{}
		tot := map[string]*postgres.BalanceRow{}
		for _, e := range entries {
			d := time.Date(int(e.EffectiveDate.GetYear()), time.Month(e.EffectiveDate.GetMonth()), int(e.EffectiveDate.GetDay()), 0, 0, 0, 0, time.UTC)
			if d.After(to) {
				continue
			}
			for _, l := range e.Legs {
				if debtors && l.GetDebtorId() == "" {
					continue
				}
				cur, a := l.GetAmount().GetCurrency(), l.GetAmount().GetMinorUnits()
				for _, r := range []*postgres.BalanceRow{
					func() *postgres.BalanceRow {
						k := [2]string{l.GetAccount(), cur}
						if by[k] == nil {
							by[k] = &postgres.BalanceRow{Account: l.GetAccount(), DebtorID: l.GetDebtorId(), Currency: cur}
						}
						return by[k]
					}(),
					func() *postgres.BalanceRow {
						if tot[cur] == nil {
							tot[cur] = &postgres.BalanceRow{Currency: cur}
						}
						return tot[cur]
					}(),
				} {
					switch {
					case d.Before(from):
						r.Opening += a
					case a > 0:
						r.Debit += a
					default:
						r.Credit -= a
					}
					r.Closing += a
				}
			}
		}
		for _, r := range by {
			rows = append(rows, *r)
		}
		for _, r := range tot {
			totals = append(totals, *r)
		}
		sort.Slice(rows, func(i, j int) bool {
			return rows[i].Account < rows[j].Account || rows[i].Account == rows[j].Account && rows[i].Currency < rows[j].Currency
		})
		sort.Slice(totals, func(i, j int) bool { return totals[i].Currency < totals[j].Currency })
		return rows, totals
	}
	for _, debtors := range []bool{false, true} {
		for _, k := range []struct {
			name    string
			known   time.Time
			entries []postgres.Entry
		}{
			{"as known before the late entry", known, bookings},
			{"as known now", time.Time{}, append(bookings, booking("RE-LATE", day(3, 28), "10002", "8400", 999, "EUR", "K-3"))},
		} {
			q := postgres.ReportQuery{Tenant: "acme", From: ymd(t, "2026-03-01"), AsOf: ymd(t, "2026-03-31"), KnownAt: k.known, Page: postgres.Page{Size: 2}}
			var got []postgres.BalanceRow
			for pages := 0; ; pages++ {
				rows, next, err := db.store.ReportBalances(ctx, q, debtors)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, rows...)
				if next == "" {
					break
				}
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				q.Page.Token = next
			}
			totals, err := db.store.ReportBalanceTotals(ctx, q, debtors)
			if err != nil {
				t.Fatal(err)
			}
			wantRows, wantTotals := model(k.entries, debtors)
			if diff := cmp.Diff(wantRows, got); diff != "" {
				t.Errorf("debtors %v, %s: rows (-want +got):\n%s", debtors, k.name, diff)
			}
			if diff := cmp.Diff(wantTotals, totals); diff != "" {
				t.Errorf("debtors %v, %s: totals (-want +got):\n%s", debtors, k.name, diff)
			}
		}
	}
}

func TestReportDSO(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	writeItems(t, db, reportItems, reportSettlements)
	keys, err := report.KeyDates(ymd(t, "2026-02-01"), ymd(t, "2026-03-31"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.store.ReportDSO(context.Background(), postgres.ReportQuery{Tenant: "acme", KnownAt: ts(t, "2026-04-05T00:00:00Z")},
		keys, []report.Dimension{report.ByChannel})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]report.Month{}
	for _, r := range rows {
		got[r.Month.KeyDate.Format(time.DateOnly)+" "+r.Group.Channel] = r.Month
	}
	// As known on 5 April: RE-5 and the 1000 on RE-2 are not known yet.
	feb, mar := ymd(t, "2026-02-28"), ymd(t, "2026-03-31")
	want := map[string]report.Month{
		// 28 Feb: RE-1 (10000, overdue since 3 Feb) and RE-4 (7000) open.
		"2026-02-28 shop": {KeyDate: feb, Receivables: 17000},
		// 31 Mar: RE-1 6000 and RE-4 7000 overdue, RE-2 5000 not due,
		// GS-1 -500 (due 6 March), RE-3 paid; sales RE-2 (shop), RE-3
		// (amazon); RE-1's 4000 cleared 49 days after its document date,
		// RE-3's 2500 20 days after.
		"2026-03-31 shop":   {KeyDate: mar, Receivables: 6000 + 5000 - 500 + 7000, Current: 5000, Sales: 5000, Cleared: 4000, ClearedDays: 4000 * 49},
		"2026-03-31 amazon": {KeyDate: mar, Sales: 2500, Cleared: 2500, ClearedDays: 2500 * 20},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DSO inputs (-want +got):\n%s", diff)
	}
	for _, r := range rows {
		if r.Group.Channel == "shop" && r.Month.KeyDate.Equal(mar) {
			// 17500 receivables on 5000 of sales over 31 days: 108.50 days.
			if r.DSO != 10850 || !r.HasSales {
				t.Errorf("DSO %d (has sales %v), want 10850", r.DSO, r.HasSales)
			}
			// 5000 current receivables: 31.00 days.
			if r.BestPossible != 3100 || r.AverageDaysDelinquent != 7750 {
				t.Errorf("best possible %d, delinquent %d; want 3100 and 7750", r.BestPossible, r.AverageDaysDelinquent)
			}
			// Count-back: March's 5000 (31 days), February without sales
			// (28 days), January's 10000 (31 days), then 2500 of the 7000
			// of November after December without sales (31 days):
			// 31 + 28 + 31 + 31 + 30 x 2500/7000 = 131.71 days.
			if r.CountBack != 3100+2800+3100+3100+1071 {
				t.Errorf("count-back DSO %d, want %d", r.CountBack, 3100+2800+3100+3100+1071)
			}
		}
	}
}

func TestIssuedReports(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	var recs []*ledgerv1.IssuedReport
	for i := range 3 {
		rec := &ledgerv1.IssuedReport{
			Id: uuid.NewString(), Tenant: "acme", Kind: ledgerv1.ReportKind_REPORT_KIND_AGING, Format: ledgerv1.ReportFormat_REPORT_FORMAT_CSV,
			Request: &ledgerv1.IssueReportRequest{Tenant: "acme", Format: ledgerv1.ReportFormat_REPORT_FORMAT_CSV,
				Report: &ledgerv1.IssueReportRequest_Aging{Aging: &ledgerv1.AgingRequest{Tenant: "acme", AsOf: day(3, 31),
					KnownAt: timestamppb.New(ts(t, "2026-04-05T00:00:00Z")), BucketLimits: []int32{30, 60, 90}}}},
			IssuedAt: timestamppb.New(ts(t, fmt.Sprintf("2026-04-0%dT10:00:00Z", i+5))), IssuedBy: "user:anna",
			FileName: "aging.csv", ContentHash: []byte{1, 2, byte(i)}, FileHash: []byte{3, 4}, FileSize: 5, Rows: 2,
		}
		if i == 1 {
			rec.Kind = ledgerv1.ReportKind_REPORT_KIND_OPEN_ITEMS
		}
		if err := db.store.InsertIssuedReport(ctx, rec, []byte("a;b\r\n"), nil); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	got, file, err := db.store.IssuedReport(ctx, "acme", recs[0].GetId())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recs[0], got, protocmp.Transform()); diff != "" || string(file) != "a;b\r\n" {
		t.Errorf("issued report (-want +got):\n%s\nfile %q", diff, file)
	}
	var ids []string
	page := postgres.Page{Size: 1}
	for pages := 0; ; pages++ {
		list, next, err := db.store.ListIssuedReports(ctx, "acme", ledgerv1.ReportKind_REPORT_KIND_UNSPECIFIED, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list {
			ids = append(ids, r.GetId())
		}
		if next == "" || pages > 10 {
			break
		}
		page.Token = next
	}
	if diff := cmp.Diff([]string{recs[2].GetId(), recs[1].GetId(), recs[0].GetId()}, ids); diff != "" {
		t.Errorf("newest first (-want +got):\n%s", diff)
	}
	list, _, err := db.store.ListIssuedReports(ctx, "acme", ledgerv1.ReportKind_REPORT_KIND_OPEN_ITEMS, postgres.Page{})
	if err != nil || len(list) != 1 || list[0].GetId() != recs[1].GetId() {
		t.Errorf("open-item lists: %v, %v; want %s", list, err, recs[1].GetId())
	}
	if _, _, err := db.store.IssuedReport(ctx, "acme", uuid.NewString()); !errors.Is(err, report.ErrUnknownReport) {
		t.Errorf("unknown id: %v, want ErrUnknownReport", err)
	}
	if _, _, err := db.store.IssuedReport(ctx, "beta", recs[0].GetId()); !errors.Is(err, report.ErrUnknownReport) {
		t.Errorf("another tenant's report: %v, want ErrUnknownReport", err)
	}
	// The service's role cannot change or remove an issued report.
	if _, err := db.pool.Exec(ctx, `UPDATE issued_reports SET file = 'x'`); err == nil {
		t.Error("the service's role updated an issued report")
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM issued_reports`); err == nil {
		t.Error("the service's role deleted issued reports")
	}
}
