package rpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/serve"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
	"github.com/o2c-platform/o2c/services/ledger/internal/report"
)

// ReportStore reads the ReportService's reports from the read models and
// keeps the issued ones. Its errors wrap postgres.ErrInvalidQuery,
// postgres.ErrInvalidPageToken or report.ErrUnknownReport, a context
// error, or are storage failures.
type ReportStore interface {
	// Settle brings the read model up to date and returns the database's
	// clock, the recorded-time cut of a report asked without one.
	Settle(ctx context.Context) (time.Time, error)
	ReportOpenItems(ctx context.Context, q postgres.ReportQuery) ([]*ledgerv1.OpenItemRow, string, error)
	ReportBalances(ctx context.Context, q postgres.ReportQuery, debtors bool) ([]postgres.BalanceRow, string, error)
	ReportBalanceTotals(ctx context.Context, q postgres.ReportQuery, debtors bool) ([]postgres.BalanceRow, error)
	ReportDSO(ctx context.Context, q postgres.ReportQuery, keyDates []time.Time, dims []report.Dimension) ([]postgres.DSORow, error)
	InsertIssuedReport(ctx context.Context, rec *ledgerv1.IssuedReport, file []byte, names map[string]string) error
	IssuedReportNames(ctx context.Context, tenant, id string, debtors []string) (map[string]string, error)
	IssuedReport(ctx context.Context, tenant, id string) (*ledgerv1.IssuedReport, []byte, error)
	ListIssuedReports(ctx context.Context, tenant string, kind ledgerv1.ReportKind, page postgres.Page) ([]*ledgerv1.IssuedReport, string, error)
}

// ReportService implements ledgerv1grpc.ReportServiceServer: it resolves
// each report's time axes (as_of today, known_at the database's clock after
// the read model caught up), streams the rows the store reads page by page,
// and issues, keeps and reproduces report files. The open-item and debtor
// balance lists name the debtors when Names is set (nil: the name columns
// stay empty).
//
// The host's error interceptor sees unary RPCs only, so the streaming
// RPCs map their errors to status codes themselves, through Classify (the
// ledger's one fault chain), and log the unknown and transient ones once,
// as the interceptor would.
type ReportService struct {
	ledgerv1grpc.UnimplementedReportServiceServer
	Store    ReportStore
	Tenants  Tenants
	Names    DebtorNames
	Classify fault.Classifier
	Log      *slog.Logger
}

// status turns a streaming RPC's error into a status error (serve.Status)
// and logs it once when it is unknown, internal or transient.
func (s *ReportService) status(method string, err error) error {
	if err == nil || s.Classify == nil {
		return err
	}
	if _, ok := grpcstatus.FromError(err); !ok && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && s.Log != nil {
		switch c := s.Classify(err); c {
		case fault.Unknown, fault.Internal:
			s.Log.Error("rpc failed", "method", method, "error", err)
		case fault.Transient:
			s.Log.Warn("rpc failed for now", "method", method, "error", err)
		}
	}
	return serve.Status(s.Classify, err)
}

// reportPageSize is the rows per response when the request asks none.
const reportPageSize = 500

func rpageOf(size int32, token string) postgres.Page {
	if size == 0 {
		size = reportPageSize
	}
	return postgres.Page{Size: int(size), Token: token}
}

// times resolves a report's time axes: the recorded-time cut (known, the
// database's clock when unset; never in the future) and the effective
// date (asOf, the cut's day in UTC when unset). The read model is caught
// up first, so the report sees everything recorded by the cut.
func (s *ReportService) times(ctx context.Context, asOf *commonv1.Date, known *timestamppb.Timestamp) (time.Time, time.Time, error) {
	now, err := s.Store.Settle(ctx)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	k := now
	if known != nil {
		if err := known.CheckValid(); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("%w: known_at: %v", postgres.ErrInvalidQuery, err)
		}
		k = known.AsTime()
		if k.After(now) {
			return time.Time{}, time.Time{}, fmt.Errorf("%w: %s, the ledger's clock reads %s", report.ErrFutureKnownAt,
				k.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
		}
	}
	// Recorded times are microseconds in PostgreSQL; a cut with more
	// precision would read the same rows but not round-trip.
	k = k.Truncate(time.Microsecond)
	a := time.Date(now.UTC().Year(), now.UTC().Month(), now.UTC().Day(), 0, 0, 0, 0, time.UTC)
	if asOf != nil {
		if a, err = rdateOf("as_of", asOf); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	return a, k, nil
}

// rdateOf converts a calendar date, refusing one that is none.
func rdateOf(name string, d *commonv1.Date) (time.Time, error) {
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	if d.GetYear() < 1900 || d.GetYear() > 9999 || t.Year() != int(d.GetYear()) || t.Month() != time.Month(d.GetMonth()) || t.Day() != int(d.GetDay()) {
		return time.Time{}, fmt.Errorf("%w: %s %04d-%02d-%02d is not a calendar date from 1900 to 9999", postgres.ErrInvalidQuery,
			name, d.GetYear(), d.GetMonth(), d.GetDay())
	}
	return t, nil
}

func roptionalDate(name string, d *commonv1.Date) (time.Time, error) {
	if d == nil {
		return time.Time{}, nil
	}
	return rdateOf(name, d)
}

func rpbDate(t time.Time) *commonv1.Date {
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

func rheader(tenant string, kind ledgerv1.ReportKind, from, asOf, known time.Time) *ledgerv1.ReportHeader {
	h := &ledgerv1.ReportHeader{Tenant: tenant, Kind: kind, AsOf: rpbDate(asOf), KnownAt: timestamppb.New(known)}
	if !from.IsZero() {
		h.From = rpbDate(from)
	}
	return h
}

func rdimensions(ds []ledgerv1.ReportDimension) []report.Dimension {
	out := make([]report.Dimension, len(ds))
	for i, d := range ds {
		switch d {
		case ledgerv1.ReportDimension_REPORT_DIMENSION_CHANNEL:
			out[i] = report.ByChannel
		case ledgerv1.ReportDimension_REPORT_DIMENSION_CUSTOMER_GROUP:
			out[i] = report.ByCustomerGroup
		case ledgerv1.ReportDimension_REPORT_DIMENSION_DUNNING_LEVEL:
			out[i] = report.ByDunningLevel
		default:
			out[i] = report.Dimension(-1) // refused by report.CheckDimensions
		}
	}
	return out
}

func rmoney(minor int64, cur string) *commonv1.Money {
	return &commonv1.Money{MinorUnits: minor, Currency: cur}
}

// OpenItems implements the RPC.
func (s *ReportService) OpenItems(req *ledgerv1.OpenItemsRequest, stream ledgerv1grpc.ReportService_OpenItemsServer) error {
	return s.status("OpenItems", s.openItems(stream.Context(), req, s.liveNames(), stream.Send))
}

func (s *ReportService) openItems(ctx context.Context, req *ledgerv1.OpenItemsRequest, names namer, send func(*ledgerv1.OpenItemsResponse) error) error {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return err
	}
	asOf, known, err := s.times(ctx, req.GetAsOf(), req.GetKnownAt())
	if err != nil {
		return err
	}
	q := postgres.ReportQuery{Tenant: req.GetTenant(), DebtorID: req.GetDebtorId(), AsOf: asOf, KnownAt: known,
		Page: rpageOf(req.GetPageSize(), req.GetPageToken())}
	first := true
	for {
		rows, next, err := s.Store.ReportOpenItems(ctx, q)
		if err != nil {
			return err
		}
		err = nameRows(ctx, names, req.GetTenant(), rows, (*ledgerv1.OpenItemRow).GetDebtorId,
			func(r *ledgerv1.OpenItemRow, n string) { r.DebtorName = n })
		if err != nil {
			return err
		}
		resp := &ledgerv1.OpenItemsResponse{Rows: rows, ResumeToken: next}
		if first {
			resp.Header = rheader(req.GetTenant(), ledgerv1.ReportKind_REPORT_KIND_OPEN_ITEMS, time.Time{}, asOf, known)
			first = false
		}
		if err := send(resp); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		q.Page.Token = next
	}
}

// Aging implements the RPC.
func (s *ReportService) Aging(req *ledgerv1.AgingRequest, stream ledgerv1grpc.ReportService_AgingServer) error {
	return s.status("Aging", s.aging(stream.Context(), req, stream.Send))
}

func (s *ReportService) aging(ctx context.Context, req *ledgerv1.AgingRequest, send func(*ledgerv1.AgingResponse) error) error {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return err
	}
	limits := make([]int, len(req.GetBucketLimits()))
	for i, l := range req.GetBucketLimits() {
		limits[i] = int(l)
	}
	buckets, err := report.NewBuckets(limits)
	if err != nil {
		return err
	}
	asOf, known, err := s.times(ctx, req.GetAsOf(), req.GetKnownAt())
	if err != nil {
		return err
	}
	agg, err := report.NewAging(asOf, buckets, rdimensions(req.GetGroupBy()))
	if err != nil {
		return err
	}
	// The aging reads only the feed columns it groups by.
	skip := postgres.AllFeedColumns
	for _, d := range rdimensions(req.GetGroupBy()) {
		switch d {
		case report.ByDunningLevel:
			skip &^= postgres.FeedDunningLevel
		case report.ByCustomerGroup:
			skip &^= postgres.FeedCustomerGroup
		}
	}
	q := postgres.ReportQuery{Tenant: req.GetTenant(), AsOf: asOf, KnownAt: known, Page: postgres.Page{Size: postgres.MaxPageSize}, Skip: skip}
	for {
		rows, next, err := s.Store.ReportOpenItems(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range rows {
			agg.Add(report.Item{Currency: r.GetOpenAmount().GetCurrency(), Open: r.GetOpenAmount().GetMinorUnits(),
				DueDate: rdate(r.GetDueDate()), Channel: r.GetChannel(), CustomerGroup: r.GetCustomerGroup(), DunningLevel: r.GetDunningLevel()})
		}
		if next == "" {
			break
		}
		q.Page.Token = next
	}
	h := rheader(req.GetTenant(), ledgerv1.ReportKind_REPORT_KIND_AGING, time.Time{}, asOf, known)
	h.BucketTitles = buckets.Titles()
	resp := &ledgerv1.AgingResponse{Header: h}
	for _, r := range agg.Rows() {
		if len(resp.Rows) == reportPageSize {
			if err := send(resp); err != nil {
				return err
			}
			resp = &ledgerv1.AgingResponse{}
		}
		resp.Rows = append(resp.Rows, agingRow(r))
	}
	for _, r := range agg.Totals() {
		resp.Totals = append(resp.Totals, agingRow(r))
	}
	return send(resp)
}

func agingRow(r report.AgingRow) *ledgerv1.AgingRow {
	out := &ledgerv1.AgingRow{Channel: r.Group.Channel, CustomerGroup: r.Group.CustomerGroup, DunningLevel: r.Group.DunningLevel,
		Currency: r.Group.Currency, Total: rmoney(r.Total, r.Group.Currency), Items: r.Items}
	for _, b := range r.Buckets {
		out.Buckets = append(out.Buckets, rmoney(b, r.Group.Currency))
	}
	return out
}

func rdate(d *commonv1.Date) time.Time {
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
}

// TrialBalance implements the RPC.
func (s *ReportService) TrialBalance(req *ledgerv1.TrialBalanceRequest, stream ledgerv1grpc.ReportService_TrialBalanceServer) error {
	return s.status("TrialBalance", s.trialBalance(stream.Context(), req, stream.Send))
}

func (s *ReportService) trialBalance(ctx context.Context, req *ledgerv1.TrialBalanceRequest, send func(*ledgerv1.TrialBalanceResponse) error) error {
	trial := func(b postgres.BalanceRow) *ledgerv1.TrialBalanceRow {
		return &ledgerv1.TrialBalanceRow{Account: b.Account, Debtor: b.DebtorID != "", Opening: rmoney(b.Opening, b.Currency),
			Debit: rmoney(b.Debit, b.Currency), Credit: rmoney(b.Credit, b.Currency), Closing: rmoney(b.Closing, b.Currency)}
	}
	return s.balances(ctx, req.GetTenant(), req.GetFrom(), req.GetAsOf(), req.GetKnownAt(), req.GetPageSize(), req.GetPageToken(), false,
		func(h *ledgerv1.ReportHeader, rows, totals []postgres.BalanceRow, next string) error {
			resp := &ledgerv1.TrialBalanceResponse{Header: h, ResumeToken: next}
			for _, r := range rows {
				resp.Rows = append(resp.Rows, trial(r))
			}
			for _, r := range totals {
				resp.Totals = append(resp.Totals, trial(r))
			}
			return send(resp)
		})
}

// DebtorBalances implements the RPC.
func (s *ReportService) DebtorBalances(req *ledgerv1.DebtorBalancesRequest, stream ledgerv1grpc.ReportService_DebtorBalancesServer) error {
	return s.status("DebtorBalances", s.debtorBalances(stream.Context(), req, s.liveNames(), stream.Send))
}

func (s *ReportService) debtorBalances(ctx context.Context, req *ledgerv1.DebtorBalancesRequest, names namer, send func(*ledgerv1.DebtorBalancesResponse) error) error {
	debtor := func(b postgres.BalanceRow) *ledgerv1.DebtorBalanceRow {
		return &ledgerv1.DebtorBalanceRow{DebtorAccount: b.Account, DebtorId: b.DebtorID, Opening: rmoney(b.Opening, b.Currency),
			Debit: rmoney(b.Debit, b.Currency), Credit: rmoney(b.Credit, b.Currency), Closing: rmoney(b.Closing, b.Currency)}
	}
	return s.balances(ctx, req.GetTenant(), req.GetFrom(), req.GetAsOf(), req.GetKnownAt(), req.GetPageSize(), req.GetPageToken(), true,
		func(h *ledgerv1.ReportHeader, rows, totals []postgres.BalanceRow, next string) error {
			resp := &ledgerv1.DebtorBalancesResponse{Header: h, ResumeToken: next}
			for _, r := range rows {
				resp.Rows = append(resp.Rows, debtor(r))
			}
			err := nameRows(ctx, names, req.GetTenant(), resp.Rows, (*ledgerv1.DebtorBalanceRow).GetDebtorId,
				func(r *ledgerv1.DebtorBalanceRow, n string) { r.DebtorName = n })
			if err != nil {
				return err
			}
			for _, r := range totals {
				resp.Totals = append(resp.Totals, debtor(r))
			}
			return send(resp)
		})
}

// balances streams the trial balance or the debtor balance list: pages of
// rows, the header with the first, the totals with the last.
func (s *ReportService) balances(ctx context.Context, tenant string, from, asOf *commonv1.Date, known *timestamppb.Timestamp,
	size int32, token string, debtors bool, send func(h *ledgerv1.ReportHeader, rows, totals []postgres.BalanceRow, next string) error,
) error {
	if err := s.Tenants.Check(tenant); err != nil {
		return err
	}
	f, err := roptionalDate("from", from)
	if err != nil {
		return err
	}
	a, k, err := s.times(ctx, asOf, known)
	if err != nil {
		return err
	}
	kind := ledgerv1.ReportKind_REPORT_KIND_TRIAL_BALANCE
	if debtors {
		kind = ledgerv1.ReportKind_REPORT_KIND_DEBTOR_BALANCES
	}
	h := rheader(tenant, kind, f, a, k)
	q := postgres.ReportQuery{Tenant: tenant, From: f, AsOf: a, KnownAt: k, Page: rpageOf(size, token)}
	for {
		rows, next, err := s.Store.ReportBalances(ctx, q, debtors)
		if err != nil {
			return err
		}
		var totals []postgres.BalanceRow
		if next == "" {
			if totals, err = s.Store.ReportBalanceTotals(ctx, q, debtors); err != nil {
				return err
			}
		}
		if err := send(h, rows, totals, next); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		h, q.Page.Token = nil, next
	}
}

// DSO implements the RPC.
func (s *ReportService) DSO(req *ledgerv1.DSORequest, stream ledgerv1grpc.ReportService_DSOServer) error {
	return s.status("DSO", s.dso(stream.Context(), req, stream.Send))
}

func (s *ReportService) dso(ctx context.Context, req *ledgerv1.DSORequest, send func(*ledgerv1.DSOResponse) error) error {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return err
	}
	dims := rdimensions(req.GetGroupBy())
	if err := report.CheckDimensions(dims, false); err != nil {
		return err
	}
	from, err := roptionalDate("from", req.GetFrom())
	if err != nil {
		return err
	}
	asOf, known, err := s.times(ctx, req.GetAsOf(), req.GetKnownAt())
	if err != nil {
		return err
	}
	if from.IsZero() {
		from = time.Date(asOf.Year(), asOf.Month()-11, 1, 0, 0, 0, 0, time.UTC)
	}
	keys, err := report.KeyDates(from, asOf)
	if err != nil {
		return err
	}
	rows, err := s.Store.ReportDSO(ctx, postgres.ReportQuery{Tenant: req.GetTenant(), From: from, AsOf: asOf, KnownAt: known}, keys, dims)
	if err != nil {
		return err
	}
	resp := &ledgerv1.DSOResponse{Header: rheader(req.GetTenant(), ledgerv1.ReportKind_REPORT_KIND_DSO, from, asOf, known)}
	for _, r := range rows {
		if len(resp.Rows) == reportPageSize {
			if err := send(resp); err != nil {
				return err
			}
			resp = &ledgerv1.DSOResponse{}
		}
		cur := r.Group.Currency
		resp.Rows = append(resp.Rows, &ledgerv1.DSORow{
			KeyDate: rpbDate(r.Month.KeyDate), Channel: r.Group.Channel, CustomerGroup: r.Group.CustomerGroup, Currency: cur,
			Receivables: rmoney(r.Month.Receivables, cur), CurrentReceivables: rmoney(r.Month.Current, cur), Sales: rmoney(r.Month.Sales, cur),
			CountBackDsoHundredths: r.CountBack, DsoHundredths: r.DSO, BestPossibleDsoHundredths: r.BestPossible,
			AverageDaysDelinquentHundredths: r.AverageDaysDelinquent, HasSales: r.HasSales,
			Cleared: rmoney(r.Month.Cleared, cur), TimeToCashHundredths: r.TimeToCash, HasPayments: r.HasPayments,
			MatchRateBasisPoints: r.MatchRate, HasMatchRate: r.HasMatchRate,
		})
	}
	return send(resp)
}

// ListIssuedReports implements the RPC.
func (s *ReportService) ListIssuedReports(ctx context.Context, req *ledgerv1.ListIssuedReportsRequest) (*ledgerv1.ListIssuedReportsResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	recs, next, err := s.Store.ListIssuedReports(ctx, req.GetTenant(), req.GetKind(),
		postgres.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ListIssuedReportsResponse{Reports: recs, NextPageToken: next}, nil
}

// rclone copies a request message.
func rclone[M proto.Message](m M) M { return proto.Clone(m).(M) }
