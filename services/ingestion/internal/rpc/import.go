package rpc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/serve"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
)

// DefaultMaxImportSize is the largest file Import takes when
// ImportService.MaxSize is zero (512 MiB).
const DefaultMaxImportSize = 512 << 20

// MaxCounterpartyIDs is the most ids one GetCounterparties call may ask
// for.
const MaxCounterpartyIDs = 1000

// Importer imports one file (intake.Importer).
type Importer interface {
	Import(ctx context.Context, req intake.Request) (intake.Record, error)
}

// TenantChecker says whether a tenant is configured (*tenants.File):
// an error wrapping tenants.ErrUnknownTenant when not.
type TenantChecker interface {
	Check(tenant string) error
}

// DefaultProgressInterval is how often at most Import sends progress when
// ImportService.ProgressInterval is zero.
const DefaultProgressInterval = 250 * time.Millisecond

// ImportService serves ingestionv1grpc.ImportService: bank files and
// settlement reports streamed in, spooled to a temporary file, then
// imported by the same code as the drop folder, with progress streamed
// back while that runs.
type ImportService struct {
	ingestionv1grpc.UnimplementedImportServiceServer
	Importer Importer
	// Store lists imports and resolves counterparties.
	Store   intake.Store
	Tenants TenantChecker
	// Classify is the service's fault chain. Streaming calls pass no error
	// interceptor, so Import maps its errors itself (serve.Status).
	Classify fault.Classifier
	// Log records, once, an Import that failed for a reason that is not
	// the caller's.
	Log *slog.Logger
	// MaxSize is the largest file taken, in bytes (0: DefaultMaxImportSize).
	MaxSize int64
	// TempDir is where uploads are spooled ("": os.TempDir()).
	TempDir string
	// ProgressInterval is how often at most Import sends progress (0:
	// DefaultProgressInterval).
	ProgressInterval time.Duration
}

func (s *ImportService) maxSize() int64 {
	if s.MaxSize > 0 {
		return s.MaxSize
	}
	return DefaultMaxImportSize
}

// Import receives a header and the file's chunks, spools them to a
// temporary file while hashing them, and imports the file, sending
// progress while it receives, checks and emits and the outcome last. A
// rejected or duplicate file is an answer, not an error.
func (s *ImportService) Import(stream ingestionv1grpc.ImportService_ImportServer) error {
	err := s.importStream(stream)
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if c := s.Classify(err); (c == fault.Unknown || c == fault.Internal || c == fault.Transient) && s.Log != nil {
		s.Log.Error("import failed", "error", err)
	}
	return serve.Status(s.Classify, err)
}

func (s *ImportService) importStream(stream ingestionv1grpc.ImportService_ImportServer) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return status.Error(codes.InvalidArgument, "no header: send an ImportRequest with header first")
	}
	if err != nil {
		return err
	}
	hdr := first.GetHeader()
	if hdr == nil {
		return status.Error(codes.InvalidArgument, "the first message must carry the header (tenant, file_name), not a chunk")
	}
	tenant := first.GetTenant()
	if hdr.GetTenant() != "" && hdr.GetTenant() != tenant {
		return status.Errorf(codes.InvalidArgument, "header.tenant %q differs from tenant %q", hdr.GetTenant(), tenant)
	}
	if err := s.Tenants.Check(tenant); err != nil {
		return err
	}
	if hdr.GetFileName() == "" {
		return status.Error(codes.InvalidArgument, "header.file_name: empty; name the file")
	}
	if i := strings.IndexFunc(hdr.GetFileName(), unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(hdr.GetFileName()[i:])
		return status.Errorf(codes.InvalidArgument, "header.file_name: control character %U at byte %d; name the file without it", r, i)
	}
	limit := s.maxSize()
	if hdr.GetSize() > limit {
		return tooLarge(hdr.GetFileName(), hdr.GetSize(), limit)
	}
	p, err := identity.Require(ctx)
	if err != nil {
		return err
	}

	prog := startProgress(stream, s.progressInterval())
	defer prog.stop()
	tmp, err := os.CreateTemp(s.TempDir, "o2c-import-*")
	if err != nil {
		return fmt.Errorf("spool %s: %w", hdr.GetFileName(), err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	var size int64
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if msg.GetTenant() != tenant {
			return status.Errorf(codes.InvalidArgument, "tenant %q on a chunk of tenant %q's file", msg.GetTenant(), tenant)
		}
		c := msg.GetChunk()
		if c == nil {
			return status.Error(codes.InvalidArgument, "a second header: send one header, then chunks")
		}
		size += int64(len(c.GetData()))
		if size > limit {
			return tooLarge(hdr.GetFileName(), size, limit)
		}
		h.Write(c.GetData())
		if _, err := tmp.Write(c.GetData()); err != nil {
			return fmt.Errorf("spool %s: %w", hdr.GetFileName(), err)
		}
		prog.report(&ingestionv1.ImportProgress{Phase: ingestionv1.ImportPhase_IMPORT_PHASE_RECEIVING, BytesReceived: size})
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("spool %s: %w", hdr.GetFileName(), err)
	}
	rec, err := s.Importer.Import(ctx, intake.Request{
		Tenant: tenant, FileName: hdr.GetFileName(), Format: hdr.GetFormat(), Actor: p.RecordedActor(),
		SHA256: hex.EncodeToString(h.Sum(nil)), Size: size,
		Open:     func() (io.ReadCloser, error) { return os.Open(tmp.Name()) },
		Progress: func(p intake.Progress) { prog.report(importProgress(p, size)) },
	})
	if err != nil {
		return err
	}
	if err := prog.stop(); err != nil {
		return err
	}
	return stream.Send(&ingestionv1.ImportResponse{
		ImportId: rec.ID, FileSha256: rec.SHA256, Format: rec.Format, Status: importStatus(rec.Status),
		Counts: counts(rec.Counts), Error: rec.Error, Warnings: rec.Warnings,
	})
}

func (s *ImportService) progressInterval() time.Duration {
	if s.ProgressInterval > 0 {
		return s.ProgressInterval
	}
	return DefaultProgressInterval
}

// importProgress is p of a file of size bytes, received completely.
func importProgress(p intake.Progress, size int64) *ingestionv1.ImportProgress {
	phase := ingestionv1.ImportPhase_IMPORT_PHASE_CHECKING
	if p.Phase == intake.Emitting {
		phase = ingestionv1.ImportPhase_IMPORT_PHASE_EMITTING
	}
	return &ingestionv1.ImportProgress{
		Phase: phase, BytesReceived: size, EntriesRead: int32(p.Entries), EntriesTotal: int32(p.TotalEntries),
		Emitted: int32(p.New), Duplicate: int32(p.Duplicate),
	}
}

// progressSender sends an Import's progress from a goroutine of its own,
// so that neither receiving nor importing waits for a client that does not
// read yet: report keeps only the latest progress, and the goroutine sends
// it at most once every interval. It is the only sender on the stream
// until stop returns.
type progressSender struct {
	stream   ingestionv1grpc.ImportService_ImportServer
	interval time.Duration

	mu      sync.Mutex
	latest  *ingestionv1.ImportProgress // not sent yet; nil when none
	wake    chan struct{}               // one token: latest is set
	done    chan struct{}               // closed by stop
	stopped chan struct{}               // closed when the goroutine ended
	err     error                       // of the last Send
	once    sync.Once
}

func startProgress(stream ingestionv1grpc.ImportService_ImportServer, interval time.Duration) *progressSender {
	p := &progressSender{stream: stream, interval: interval, wake: make(chan struct{}, 1),
		done: make(chan struct{}), stopped: make(chan struct{})}
	go p.run()
	return p
}

// report makes pr the progress to send next.
func (p *progressSender) report(pr *ingestionv1.ImportProgress) {
	p.mu.Lock()
	p.latest = pr
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *progressSender) run() {
	defer close(p.stopped)
	var last time.Time
	for {
		select {
		case <-p.wake:
		case <-p.done:
			p.send() // what was reported last, before the outcome
			return
		}
		if wait := p.interval - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-p.done:
				t.Stop()
				p.send()
				return
			}
		}
		if !p.send() {
			return
		}
		last = time.Now()
	}
}

// send sends the latest progress, if any, and reports whether the stream
// still takes messages.
func (p *progressSender) send() bool {
	p.mu.Lock()
	pr := p.latest
	p.latest = nil
	p.mu.Unlock()
	if pr == nil {
		return true
	}
	if err := p.stream.Send(&ingestionv1.ImportResponse{Progress: pr}); err != nil {
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		return false
	}
	return true
}

// stop sends what was reported last, ends the goroutine and returns the
// error that ended the stream, if any; after it the caller may send. It
// may be called more than once.
func (p *progressSender) stop() error {
	p.once.Do(func() { close(p.done) })
	<-p.stopped
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// tooLarge is the error for a file over the limit: RESOURCE_EXHAUSTED,
// naming the limit.
func tooLarge(name string, size, limit int64) error {
	return status.Error(codes.ResourceExhausted, fmt.Errorf("%s: %w: %d bytes or more, the import takes at most %d bytes (%d MiB); split the file or ask the operator to raise the limit",
		name, intake.ErrTooLarge, size, limit, limit>>20).Error())
}

func importStatus(s intake.Status) ingestionv1.ImportStatus {
	switch s {
	case intake.Imported:
		return ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED
	case intake.DuplicateFile:
		return ingestionv1.ImportStatus_IMPORT_STATUS_DUPLICATE_FILE
	case intake.Rejected:
		return ingestionv1.ImportStatus_IMPORT_STATUS_REJECTED
	}
	return ingestionv1.ImportStatus_IMPORT_STATUS_UNSPECIFIED
}

func counts(c intake.Counts) *ingestionv1.ImportCounts {
	return &ingestionv1.ImportCounts{
		New: int32(c.New), Duplicate: int32(c.Duplicate), Rejected: int32(c.Rejected),
		Statements: int32(c.Statements), Settlements: int32(c.Settlements),
	}
}

// ListImports lists the tenant's imports newest first, a page at a time.
func (s *ImportService) ListImports(ctx context.Context, req *ingestionv1.ListImportsRequest) (*ingestionv1.ListImportsResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	limit := int(req.GetLimit())
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	var before *intake.ImportCursor
	if tok := req.GetPageToken(); tok != "" {
		c, err := decodePageToken(tok)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "page_token: %v; pass next_page_token of the previous answer", err)
		}
		before = &c
	}
	recs, err := s.Store.Imports(ctx, req.GetTenant(), limit+1, before)
	if err != nil {
		return nil, err
	}
	resp := &ingestionv1.ListImportsResponse{}
	if len(recs) > limit {
		recs = recs[:limit]
		last := recs[limit-1]
		resp.NextPageToken = encodePageToken(intake.ImportCursor{At: last.ImportedAt, ID: last.ID})
	}
	for _, r := range recs {
		resp.Imports = append(resp.Imports, &ingestionv1.ImportRecord{
			ImportId: r.ID, Tenant: r.Tenant, FileName: r.FileName, Sha256: r.SHA256, Format: r.Format, Size: r.Size,
			Status: importStatus(r.Status), Counts: counts(r.Counts), Error: r.Error,
			ImportedAt: timestamppb.New(r.ImportedAt), Actor: r.Actor,
		})
	}
	return resp, nil
}

// encodePageToken writes a cursor as an opaque token.
func encodePageToken(c intake.ImportCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + " " + c.ID))
}

func decodePageToken(tok string) (intake.ImportCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return intake.ImportCursor{}, errors.New("not a page token")
	}
	at, id, ok := strings.Cut(string(b), " ")
	micros, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id == "" {
		return intake.ImportCursor{}, errors.New("not a page token")
	}
	return intake.ImportCursor{At: time.UnixMicro(micros).UTC(), ID: id}, nil
}

// GetCounterparties resolves counterparty ids to their master data.
func (s *ImportService) GetCounterparties(ctx context.Context, req *ingestionv1.GetCounterpartiesRequest) (*ingestionv1.GetCounterpartiesResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	if n := len(req.GetIds()); n > MaxCounterpartyIDs {
		return nil, status.Errorf(codes.InvalidArgument, "ids: %d given, at most %d", n, MaxCounterpartyIDs)
	}
	cps, err := s.Store.Counterparties(ctx, req.GetTenant(), req.GetIds())
	if err != nil {
		return nil, err
	}
	resp := &ingestionv1.GetCounterpartiesResponse{}
	for _, c := range cps {
		resp.Counterparties = append(resp.Counterparties, &ingestionv1.Counterparty{
			Id: c.ID, Name: c.Name, Iban: c.IBAN, Bic: c.BIC, FirstSeen: timestamppb.New(c.FirstSeen), Erased: c.Erased,
		})
	}
	return resp, nil
}
