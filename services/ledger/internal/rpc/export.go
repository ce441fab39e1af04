package rpc

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/serve"
	"github.com/o2c-platform/o2c/services/ledger/internal/datev"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// exportChunk is the most file bytes one ExportDATEVResponse carries.
const exportChunk = 256 << 10

// ExportStore reads what the DATEV export needs. Its errors are storage
// failures, a context error, or a yield error returned as is.
type ExportStore interface {
	PeriodState(ctx context.Context, tenant string, year int, month time.Month) (closed bool, closedAt time.Time, err error)
	ExportEntries(ctx context.Context, tenant string, from, to, knownAt time.Time, yield func(datev.Entry) error) error
}

// ExportService implements ledgerv1grpc.ExportServiceServer: the DATEV
// export of package datev, read from the journal.
type ExportService struct {
	ledgerv1grpc.UnimplementedExportServiceServer
	Store   ExportStore
	Tenants Tenants
	// Config returns a tenant's DATEV configuration (datev.ConfigOf on its
	// reports section and its ledger chart); its errors wrap
	// datev.ErrNotConfigured or datev.ErrInvalidSettings.
	Config func(tenant string) (datev.Config, error)
	// Now is the clock of an open period's default cut; nil means
	// time.Now.
	Now func() time.Time
	// Profiles looks up the debtors' master data for the master data file;
	// nil names each debtor by its id.
	Profiles DebtorProfiles
	// MasterData keeps the master data a closed period's export wrote, so
	// that exporting it again gives the same bytes; nil keeps none.
	MasterData MasterDataStore
	// Classify sorts the RPC's errors into status codes: a streaming RPC
	// maps its own, since the server's error interceptor sees unary calls
	// only. Nil returns errors as they are (tests of the handler).
	Classify fault.Classifier
	// Log receives, once, the errors that are no caller's fault.
	Log *slog.Logger
}

// ExportDATEV implements the RPC: it streams the Buchungsstapel, then the
// debtor master data of the debtors it names, each in chunks of at most
// 256 KiB. A closed period is read as recorded when it was closed, and
// its master data is the one recorded at its first export (see
// masterData), so that it gives the same bytes each time.
func (s *ExportService) ExportDATEV(req *ledgerv1.ExportDATEVRequest, stream grpc.ServerStreamingServer[ledgerv1.ExportDATEVResponse]) error {
	err := s.exportDATEV(req, stream)
	if err == nil || s.Classify == nil {
		return err
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if c := s.Classify(err); (c == fault.Unknown || c == fault.Internal || c == fault.Transient) && s.Log != nil {
		s.Log.Error("DATEV export failed", "tenant", req.GetTenant(), "year", req.GetYear(), "month", req.GetMonth(), "error", err)
	}
	return serve.Status(s.Classify, err)
}

func (s *ExportService) exportDATEV(req *ledgerv1.ExportDATEVRequest, stream grpc.ServerStreamingServer[ledgerv1.ExportDATEVResponse]) error {
	ctx := stream.Context()
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return err
	}
	p := datev.Period{Year: int(req.GetYear()), Month: time.Month(req.GetMonth())}
	if err := p.Check(); err != nil {
		return err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	knownAt := now()
	if req.GetKnownAt() != nil {
		if err := req.GetKnownAt().CheckValid(); err != nil {
			return fmt.Errorf("%w: known_at: %w", postgres.ErrInvalidQuery, err)
		}
		k := req.GetKnownAt().AsTime()
		if k.After(knownAt) {
			return fmt.Errorf("%w: known_at %s lies in the future", postgres.ErrInvalidQuery, k.Format(time.RFC3339Nano))
		}
		knownAt = k
	}
	cfg, err := s.Config(req.GetTenant())
	if err != nil {
		return err
	}
	closed, closedAt, err := s.Store.PeriodState(ctx, req.GetTenant(), p.Year, p.Month)
	if err != nil {
		return err
	}
	if closed {
		knownAt = closedAt
	}
	b := datev.Batch{Period: p, Closed: closed, CreatedAt: knownAt}
	header := &ledgerv1.ExportDATEVResponse{PeriodClosed: closed, KnownAt: timestamppb.New(knownAt)}

	w := &chunkWriter{stream: stream, name: datev.BookingsFileName(p), first: header}
	sum, err := datev.WriteBookings(w, cfg, b, func(yield func(datev.Entry) error) error {
		return s.Store.ExportEntries(ctx, req.GetTenant(), p.First(), p.Last(), knownAt, yield)
	})
	if err != nil {
		return err
	}
	if err := w.close(); err != nil {
		return err
	}
	debtors, err := s.masterData(ctx, req.GetTenant(), p, closed, knownAt, sum.Debtors)
	if err != nil {
		return err
	}
	w = &chunkWriter{stream: stream, name: datev.DebtorsFileName(p), first: header}
	if err := datev.WriteDebtors(w, cfg, b, debtors); err != nil {
		return err
	}
	return w.close()
}

// chunkWriter sends what is written to it as ExportDATEVResponse chunks of
// one file, the first carrying the export's period state and cut.
type chunkWriter struct {
	stream grpc.ServerStreamingServer[ledgerv1.ExportDATEVResponse]
	name   string
	first  *ledgerv1.ExportDATEVResponse
	buf    []byte
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		take := min(exportChunk-len(w.buf), len(p))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == exportChunk {
			if err := w.send(false); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) close() error { return w.send(true) }

func (w *chunkWriter) send(last bool) error {
	msg := &ledgerv1.ExportDATEVResponse{FileName: w.name, Data: w.buf, EndOfFile: last,
		PeriodClosed: w.first.GetPeriodClosed(), KnownAt: w.first.GetKnownAt()}
	if err := w.stream.Send(msg); err != nil {
		return fmt.Errorf("send %s: %w", w.name, err)
	}
	w.buf = make([]byte, 0, exportChunk)
	return nil
}
