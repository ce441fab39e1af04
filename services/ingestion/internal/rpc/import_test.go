package rpc

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/testing/protocmp"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
)

// importStream is an Import stream on the server's side: it hands out in
// order, then io.EOF, and records what the handler sends. While block is
// open, a Send of progress waits for it to close, as Send does for a
// client that does not read. received is closed once progress of the
// receiving phase was sent.
type importStream struct {
	grpc.ServerStream
	ctx      context.Context
	in       []*ingestionv1.ImportRequest
	block    chan struct{}
	received chan struct{}

	mu   sync.Mutex
	sent []*ingestionv1.ImportResponse
}

func (s *importStream) Context() context.Context { return s.ctx }

func (s *importStream) Recv() (*ingestionv1.ImportRequest, error) {
	if len(s.in) == 0 {
		return nil, io.EOF
	}
	m := s.in[0]
	s.in = s.in[1:]
	return m, nil
}

func (s *importStream) Send(m *ingestionv1.ImportResponse) error {
	if s.block != nil && m.GetProgress() != nil {
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.GetProgress().GetPhase() == ingestionv1.ImportPhase_IMPORT_PHASE_RECEIVING && s.sent == nil {
		close(s.received)
	}
	s.sent = append(s.sent, m)
	return nil
}

// newImportStream is the stream of a file sent by an operator of acme in
// chunks.
func newImportStream(chunks ...string) *importStream {
	p := identity.Principal{Actor: "user:anna", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Operator}}
	in := []*ingestionv1.ImportRequest{{Tenant: "acme", Part: &ingestionv1.ImportRequest_Header{
		Header: &ingestionv1.ImportHeader{FileName: "s.xml"}}}}
	for _, c := range chunks {
		in = append(in, &ingestionv1.ImportRequest{Tenant: "acme", Part: &ingestionv1.ImportRequest_Chunk{
			Chunk: &ingestionv1.ImportChunk{Data: []byte(c)}}})
	}
	return &importStream{ctx: identity.NewContext(context.Background(), p), in: in, received: make(chan struct{})}
}

// reportingImporter reports reports in order, once wait is closed when it
// is set, then answers an import of two new transactions and one
// duplicate; done is closed when it has.
type reportingImporter struct {
	reports []intake.Progress
	wait    <-chan struct{}
	done    chan struct{}
}

func (r *reportingImporter) Import(_ context.Context, req intake.Request) (intake.Record, error) {
	if r.wait != nil {
		<-r.wait
	}
	for _, p := range r.reports {
		req.Progress(p)
	}
	if r.done != nil {
		close(r.done)
	}
	return intake.Record{ID: "imp-1", SHA256: req.SHA256, Format: "camt.053.001.02", Status: intake.Imported,
		Counts: intake.Counts{New: 2, Duplicate: 1, Statements: 1}}, nil
}

type anyTenant struct{}

func (anyTenant) Check(string) error { return nil }

func newImportService(imp Importer) *ImportService {
	return &ImportService{Importer: imp, Tenants: anyTenant{}, ProgressInterval: time.Nanosecond,
		Classify: func(error) fault.Class { return fault.Unknown }}
}

var importReports = []intake.Progress{
	{Phase: intake.Checking},
	{Phase: intake.Checking, Entries: 3},
	{Phase: intake.Emitting, TotalEntries: 3},
	{Phase: intake.Emitting, Entries: 3, TotalEntries: 3, New: 2, Duplicate: 1},
}

// TestImportStreamsProgressThenTheOutcome: progress comes while the file
// is received, checked and emitted, phase after phase with bytes that only
// grow; the last progress is what the import reported last, and the last
// message is the outcome, the only one without progress.
func TestImportStreamsProgressThenTheOutcome(t *testing.T) {
	t.Parallel()
	stream := newImportStream("<Document>", "…", "</Document>\n")
	// The import starts reporting once the bytes received were sent, so
	// that they are not replaced by what it reports before they are.
	s := newImportService(&reportingImporter{reports: importReports, wait: stream.received})
	if err := s.Import(stream); err != nil {
		t.Fatal(err)
	}
	sent := stream.sent
	if len(sent) < 2 {
		t.Fatalf("sent %v; want progress, then the outcome", sent)
	}
	outcome := sent[len(sent)-1]
	wantOutcome := &ingestionv1.ImportResponse{ImportId: "imp-1", Format: "camt.053.001.02",
		Status: ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED, Counts: &ingestionv1.ImportCounts{New: 2, Duplicate: 1, Statements: 1}}
	if diff := cmp.Diff(wantOutcome, outcome, protocmp.Transform(), protocmp.IgnoreFields(&ingestionv1.ImportResponse{}, "file_sha256")); diff != "" {
		t.Errorf("last message (-want +got):\n%s", diff)
	}
	var phase ingestionv1.ImportPhase
	var bytes int64
	for i, m := range sent[:len(sent)-1] {
		p := m.GetProgress()
		if p == nil || m.GetImportId() != "" || m.GetStatus() != ingestionv1.ImportStatus_IMPORT_STATUS_UNSPECIFIED {
			t.Fatalf("message %d of %d is not progress alone: %v", i+1, len(sent), m)
		}
		if p.GetPhase() < phase || p.GetBytesReceived() < bytes {
			t.Errorf("message %d: %v after phase %s, %d bytes", i+1, p, phase, bytes)
		}
		phase, bytes = p.GetPhase(), p.GetBytesReceived()
	}
	last := sent[len(sent)-2].GetProgress()
	wantLast := &ingestionv1.ImportProgress{Phase: ingestionv1.ImportPhase_IMPORT_PHASE_EMITTING, BytesReceived: int64(len("<Document>…</Document>\n")),
		EntriesRead: 3, EntriesTotal: 3, Emitted: 2, Duplicate: 1}
	if diff := cmp.Diff(wantLast, last, protocmp.Transform()); diff != "" {
		t.Errorf("last progress (-want +got):\n%s", diff)
	}
	if first := sent[0].GetProgress(); first.GetPhase() != ingestionv1.ImportPhase_IMPORT_PHASE_RECEIVING {
		t.Errorf("first progress %v; want the bytes received", first)
	}
}

// TestImportDoesNotWaitForAClientThatDoesNotRead: while a client reads
// nothing (Send of progress blocks), the import still runs to its end;
// the outcome follows once the client reads.
func TestImportDoesNotWaitForAClientThatDoesNotRead(t *testing.T) {
	t.Parallel()
	imp := &reportingImporter{reports: importReports, done: make(chan struct{})}
	s := newImportService(imp)
	stream := newImportStream("<Document/>\n")
	stream.block = make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- s.Import(stream) }()
	<-imp.done // the import ran to its end while no progress could be sent
	close(stream.block)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if n := len(stream.sent); n < 2 || stream.sent[n-1].GetStatus() != ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED {
		t.Errorf("sent %v; want progress, then the outcome", stream.sent)
	}
}

// TestImportFailureEndsTheStreamWithItsStatus: an import that fails
// sends no outcome; the error ends the stream.
func TestImportFailureEndsTheStreamWithItsStatus(t *testing.T) {
	t.Parallel()
	down := errors.New("database down")
	s := newImportService(importerFunc(func(context.Context, intake.Request) (intake.Record, error) { return intake.Record{}, down }))
	stream := newImportStream("x")
	if err := s.Import(stream); err == nil {
		t.Fatal("the import failed, Import did not")
	}
	for _, m := range stream.sent {
		if m.GetProgress() == nil {
			t.Errorf("an outcome was sent after the import failed: %v", m)
		}
	}
}

type importerFunc func(context.Context, intake.Request) (intake.Record, error)

func (f importerFunc) Import(ctx context.Context, req intake.Request) (intake.Record, error) {
	return f(ctx, req)
}
