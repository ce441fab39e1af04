package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/upload"
)

// received is one file as the fake ImportService received it.
type received struct {
	header  *ingestionv1.ImportHeader
	tenants []string // of every message
	data    []byte
	chunks  []int
}

// fakeImports is an ImportService that answers a file starting with
// "BROKEN" as rejected, a file whose SHA-256 it saw before as a duplicate
// and any other as imported with one new transaction per line; it refuses
// every call with err when set and keeps what it received. It sends the
// bytes received as progress after every chunk and progress after the
// file (when set) before the outcome.
type fakeImports struct {
	ingestionv1grpc.UnimplementedImportServiceServer
	err      error
	progress []*ingestionv1.ImportProgress

	mu       sync.Mutex
	files    []received
	seen     map[string]bool
	listed   []*ingestionv1.ListImportsRequest
	listWith []*ingestionv1.ImportRecord
	more     bool
}

func (f *fakeImports) Import(stream grpc.BidiStreamingServer[ingestionv1.ImportRequest, ingestionv1.ImportResponse]) error {
	if f.err != nil {
		return f.err
	}
	var r received
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if req.GetTenant() == "" {
			return status.Error(codes.PermissionDenied, "a message without a tenant")
		}
		r.tenants = append(r.tenants, req.GetTenant())
		switch p := req.GetPart().(type) {
		case *ingestionv1.ImportRequest_Header:
			if r.header != nil {
				return status.Error(codes.InvalidArgument, "a second header")
			}
			r.header = p.Header
		case *ingestionv1.ImportRequest_Chunk:
			if r.header == nil {
				return status.Error(codes.InvalidArgument, "a chunk before the header")
			}
			r.data = append(r.data, p.Chunk.GetData()...)
			r.chunks = append(r.chunks, len(p.Chunk.GetData()))
			if err := stream.Send(&ingestionv1.ImportResponse{Progress: &ingestionv1.ImportProgress{
				Phase: ingestionv1.ImportPhase_IMPORT_PHASE_RECEIVING, BytesReceived: int64(len(r.data))}}); err != nil {
				return err
			}
		}
	}
	for _, p := range f.progress {
		if err := stream.Send(&ingestionv1.ImportResponse{Progress: p}); err != nil {
			return err
		}
	}
	sum := sha256.Sum256(r.data)
	sha := hex.EncodeToString(sum[:])
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files = append(f.files, r)
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	resp := &ingestionv1.ImportResponse{ImportId: "imp-" + sha[:8], FileSha256: sha, Format: "camt.053.001.02", Counts: &ingestionv1.ImportCounts{Statements: 1}}
	lines := int32(strings.Count(string(r.data), "\n"))
	switch {
	case strings.HasPrefix(string(r.data), "BROKEN"):
		resp.Status, resp.Counts.Rejected = ingestionv1.ImportStatus_IMPORT_STATUS_REJECTED, lines
		resp.Error = "line 3, Document/BkToCstmrStmt/Stmt/Ntry[1]/Amt: \"1,00\" is not an amount"
	case f.seen[sha]:
		resp.Status = ingestionv1.ImportStatus_IMPORT_STATUS_DUPLICATE_FILE
		resp.Error = "the same file was imported before; nothing was emitted again"
	default:
		f.seen[sha] = true
		resp.Status, resp.Counts.New = ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED, lines
		if lines > 2 {
			resp.Warnings = []string{"statement 1: opening + entries != closing"}
		}
	}
	return stream.Send(resp)
}

func (f *fakeImports) ListImports(_ context.Context, req *ingestionv1.ListImportsRequest) (*ingestionv1.ListImportsResponse, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listed = append(f.listed, req)
	resp := &ingestionv1.ListImportsResponse{Imports: f.listWith}
	if f.more {
		resp.NextPageToken = "next"
	}
	return resp, nil
}

// serveImports serves srv as the ImportService on a free port until the
// test ends and returns its address.
func serveImports(t testing.TB, srv ingestionv1grpc.ImportServiceServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	ingestionv1grpc.RegisterImportServiceServer(s, srv)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// TestImportStreamsEachFileInChunks sends a file larger than a chunk and
// checks what ingestion received: a header with the tenant, the base name,
// the size and the format override, then every byte in order in chunks of
// at most 1 MiB.
func TestImportStreamsEachFileInChunks(t *testing.T) {
	t.Parallel()
	f := &fakeImports{}
	addr := serveImports(t, f)
	big := strings.Repeat("<Ntry>…</Ntry>\n", 200_000) // about 3 MiB
	path := writeFile(t, "big.xml", big)

	code, stdout, stderr := runCLI(t, "import", path, "--tenant", "acme", "--format", "camt", "--ingestion", addr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if len(f.files) != 1 {
		t.Fatalf("received %d files, want 1", len(f.files))
	}
	got := f.files[0]
	want := &ingestionv1.ImportHeader{Tenant: "acme", FileName: "big.xml", Size: int64(len(big)), Format: "camt"}
	if got.header.GetTenant() != want.Tenant || got.header.GetFileName() != want.FileName || got.header.GetSize() != want.Size || got.header.GetFormat() != want.Format {
		t.Errorf("header %v, want %v", got.header, want)
	}
	for i, tn := range got.tenants {
		if tn != "acme" {
			t.Errorf("message %d names tenant %q, want every message to name acme", i, tn)
		}
	}
	if string(got.data) != big {
		t.Errorf("received %d bytes that differ from the file's %d", len(got.data), len(big))
	}
	if len(got.chunks) < 3 {
		t.Errorf("%d chunks, want the file in several", len(got.chunks))
	}
	for i, n := range got.chunks {
		if n > upload.ChunkSize {
			t.Errorf("chunk %d has %d bytes, more than %d", i, n, upload.ChunkSize)
		}
	}
	if stderr != "" {
		t.Errorf("stderr %q; want no progress when stderr is not a terminal", stderr)
	}
}

// TestImportPrintsOneLinePerFile imports three files, one broken, then
// the first again: one line per file with format, status and counts, the
// parser's error for the rejected file, a duplicate the second time, and
// exit status 1 when a file was rejected.
func TestImportPrintsOneLinePerFile(t *testing.T) {
	t.Parallel()
	addr := serveImports(t, &fakeImports{})
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.xml", "1\n2\n3\n")
	broken := write("broken.xml", "BROKEN\n\n")
	b := write("b.sta", "1\n")

	code, stdout, stderr := runCLI(t, "import", a, broken, b, "--tenant", "acme", "--ingestion", addr)
	want := a + `  camt.053.001.02  IMPORTED  3 new, 0 duplicate, 0 rejected
  warning: statement 1: opening + entries != closing
` + broken + `  camt.053.001.02  REJECTED  0 new, 0 duplicate, 2 rejected: line 3, Document/BkToCstmrStmt/Stmt/Ntry[1]/Amt: "1,00" is not an amount
` + b + `  camt.053.001.02  IMPORTED  1 new, 0 duplicate, 0 rejected
3 files: 2 imported, 0 duplicate, 1 rejected
`
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if code != 1 || stderr != "" {
		t.Errorf("exit %d, stderr %q; want 1 (a file was rejected) and nothing on stderr", code, stderr)
	}

	code, stdout, _ = runCLI(t, "import", a, "--tenant", "acme", "--ingestion", addr)
	if want := a + "  camt.053.001.02  DUPLICATE_FILE  0 new, 0 duplicate, 0 rejected: the same file was imported before; nothing was emitted again\n"; code != 0 || stdout != want {
		t.Errorf("importing again: exit %d\n%s\nwant 0 and\n%s", code, stdout, want)
	}
}

// TestImportJSONLines prints one JSON object per file with --output json,
// and nothing else on standard output with --progress.
func TestImportJSONLines(t *testing.T) {
	t.Parallel()
	addr := serveImports(t, &fakeImports{})
	a := writeFile(t, "a.xml", "1\n")
	broken := writeFile(t, "broken.xml", "BROKEN\n")
	code, stdout, stderr := runCLI(t, "import", a, broken, "--tenant", "acme", "--output", "json", "--progress", "--ingestion", addr)
	if code != 1 {
		t.Errorf("exit %d, want 1 (a file was rejected)\n%s", code, stderr)
	}
	var got []importLine
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var il importLine
		if err := json.Unmarshal([]byte(l), &il); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		il.ImportID, il.SHA256 = "", ""
		got = append(got, il)
	}
	want := []importLine{
		{File: a, Format: "camt.053.001.02", Status: "IMPORTED", Counts: importCount{New: 1, Statements: 1}},
		{File: broken, Format: "camt.053.001.02", Status: "REJECTED", Counts: importCount{Rejected: 1, Statements: 1},
			Error: "line 3, Document/BkToCstmrStmt/Stmt/Ntry[1]/Amt: \"1,00\" is not an amount"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON lines (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr, "a.xml: 0 MiB/0 MiB sent") {
		t.Errorf("stderr %q; want the progress there", stderr)
	}
}

// TestImportShowsProgress: with --progress and standard error not a
// terminal, progress comes as plain lines: the bytes sent, then a line for
// each phase ingestion reports (checking, emitting) with entries read and
// transactions booked; the result is on standard output as ever.
func TestImportShowsProgress(t *testing.T) {
	t.Parallel()
	addr := serveImports(t, &fakeImports{progress: []*ingestionv1.ImportProgress{
		{Phase: ingestionv1.ImportPhase_IMPORT_PHASE_CHECKING, BytesReceived: 3<<20 + 1, EntriesRead: 12_345},
		{Phase: ingestionv1.ImportPhase_IMPORT_PHASE_EMITTING, BytesReceived: 3<<20 + 1, EntriesRead: 12_345, EntriesTotal: 12_345, Emitted: 10_000},
	}})
	path := writeFile(t, "stmt.xml", strings.Repeat("x", 3<<20)+"\n")
	code, stdout, stderr := runCLI(t, "import", path, "--tenant", "acme", "--progress", "--ingestion", addr)
	if code != 0 || stdout != path+"  camt.053.001.02  IMPORTED  1 new, 0 duplicate, 0 rejected\n" {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	// Lines while sending (the first, the last chunk, one every plainEvery
	// between), then one per phase.
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) < 3 || strings.Contains(stderr, "\r") {
		t.Fatalf("stderr %q; want plain lines: sending, checking, emitting", stderr)
	}
	sending := lines[:len(lines)-2]
	for _, l := range sending {
		if !strings.HasPrefix(l, "stmt.xml: ") || !strings.Contains(l, " MiB/3 MiB sent, ") || !strings.HasSuffix(l, " MiB/s") {
			t.Errorf("line %q; want the bytes sent and the rate", l)
		}
	}
	if l := sending[len(sending)-1]; !strings.HasPrefix(l, "stmt.xml: 3 MiB/3 MiB sent, ") {
		t.Errorf("last line while sending %q; want every byte sent", l)
	}
	want := []string{"stmt.xml: 3 MiB/3 MiB sent, checking: 12,345 entries read", "stmt.xml: 3 MiB/3 MiB sent, 12,345 entries read, 10,000 booked"}
	if diff := cmp.Diff(want, lines[len(lines)-2:]); diff != "" {
		t.Errorf("lines of the phases (-want +got):\n%s", diff)
	}
}

// TestProgressLine draws the progress of a 100 MiB file on a terminal (one
// line redrawn in place, at most every progressEvery unless the phase
// changes, cleared at the end) and as plain lines (at most every
// plainEvery, and at each phase), on a clock the test moves.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	checking := &ingestionv1.ImportProgress{Phase: ingestionv1.ImportPhase_IMPORT_PHASE_CHECKING, EntriesRead: 40_000}
	emitting := &ingestionv1.ImportProgress{Phase: ingestionv1.ImportPhase_IMPORT_PHASE_EMITTING, EntriesRead: 12_345, EntriesTotal: 93_471, Emitted: 10_000}
	emitted := &ingestionv1.ImportProgress{Phase: ingestionv1.ImportPhase_IMPORT_PHASE_EMITTING, EntriesRead: 93_471, EntriesTotal: 93_471, Emitted: 116_000, Duplicate: 838}
	const part = 47_395_635 // 45.2 MiB
	tests := []struct {
		plain bool
		want  string
	}{
		{false, "\r\033[Ka.xml: 45.2 MiB/100 MiB sent, 22.6 MiB/s" +
			"\r\033[Ka.xml: 100 MiB/100 MiB sent, 25.0 MiB/s" +
			"\r\033[Ka.xml: 100 MiB/100 MiB sent, checking: 40,000 entries read" +
			"\r\033[Ka.xml: 100 MiB/100 MiB sent, 12,345 entries read, 10,000 booked" +
			"\r\033[Ka.xml: 100 MiB/100 MiB sent, 93,471 entries read, 116,000 booked, 838 received before" +
			"\r\033[K"},
		{true, "a.xml: 45.2 MiB/100 MiB sent, 22.6 MiB/s\n" +
			"a.xml: 100 MiB/100 MiB sent, 25.0 MiB/s\n" +
			"a.xml: 100 MiB/100 MiB sent, checking: 40,000 entries read\n" +
			"a.xml: 100 MiB/100 MiB sent, 12,345 entries read, 10,000 booked\n"},
	}
	for _, tt := range tests {
		var out strings.Builder
		at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		p := newProgress(&out, tt.plain, "a.xml", 100<<20, func() time.Time { return at })
		at = at.Add(2 * time.Second)
		p.sent(part)
		at = at.Add(progressEvery / 2)
		p.sent(1000) // too soon: not drawn
		at = at.Add(2*time.Second - progressEvery/2)
		p.sent(100<<20 - part - 1000) // the last chunk is always drawn
		p.server(checking)            // a new phase is drawn at once
		at = at.Add(time.Second)
		p.server(emitting)
		at = at.Add(time.Second) // a redraw on a terminal, too soon for a plain line
		p.server(emitted)
		p.clear()
		if diff := cmp.Diff(tt.want, out.String()); diff != "" {
			t.Errorf("plain %v (-want +got):\n%s", tt.plain, diff)
		}
	}
}

// TestGrouped writes counts with thousands separators.
func TestGrouped(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 12_345: "12,345", 1_234_567: "1,234,567", -4321: "-4,321"} {
		if got := grouped(n); got != want {
			t.Errorf("grouped(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestImportGoesOnAfterAFileItCannotRead: a file that is not there is
// reported and the others are imported; the exit status is 1.
func TestImportGoesOnAfterAFileItCannotRead(t *testing.T) {
	t.Parallel()
	f := &fakeImports{}
	addr := serveImports(t, f)
	missing := filepath.Join(t.TempDir(), "missing.xml")
	a := writeFile(t, "a.xml", "1\n")
	code, stdout, stderr := runCLI(t, "import", missing, a, "--tenant", "acme", "--ingestion", addr)
	if code != 1 || !strings.Contains(stderr, "o2c: open "+missing+": no such file or directory") {
		t.Errorf("exit %d, stderr %q; want 1 and the missing file named", code, stderr)
	}
	if !strings.Contains(stdout, a+"  camt.053.001.02  IMPORTED") || len(f.files) != 1 {
		t.Errorf("stdout %q, %d files received; want a.xml imported", stdout, len(f.files))
	}
}

// TestImportExplainsARefusal: a refusal by ingestion is said in the
// user's terms, with the file, and stops the command.
func TestImportExplainsARefusal(t *testing.T) {
	t.Parallel()
	addr := serveImports(t, &fakeImports{err: status.Error(codes.PermissionDenied, `finance:demo may not act for tenant "acme"`)})
	a := writeFile(t, "a.xml", "1\n")
	code, _, stderr := runCLI(t, "import", a, "--tenant", "acme", "--ingestion", addr)
	if want := "o2c: " + a + `: the ingestion service does not allow this: finance:demo may not act for tenant "acme"`; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
	code, _, stderr = runCLI(t, "import", a, "--ingestion", addr)
	if code != 1 || !strings.Contains(stderr, `required flag(s) "tenant" not set`) {
		t.Errorf("without --tenant: exit %d, stderr %q", code, stderr)
	}
}

// TestImportsListsTheImports prints the table of a tenant's imports with a
// rejected file's reason below its line, passes tenant and limit on, and
// prints JSON Lines with --output json.
func TestImportsListsTheImports(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)
	f := &fakeImports{more: true, listWith: []*ingestionv1.ImportRecord{
		{ImportId: "i-3", Tenant: "acme", FileName: "camt053_2026-12-06.xml", Sha256: "c3", Format: "camt.053.001.08", Size: 1200,
			Status: ingestionv1.ImportStatus_IMPORT_STATUS_DUPLICATE_FILE, Counts: &ingestionv1.ImportCounts{Statements: 1},
			ImportedAt: timestamppb.New(at.Add(2 * time.Hour)), Actor: "service:ingestion (drop folder)"},
		{ImportId: "i-2", Tenant: "acme", FileName: "broken.sta", Sha256: "b2", Format: "mt940", Size: 300,
			Status: ingestionv1.ImportStatus_IMPORT_STATUS_REJECTED, Counts: &ingestionv1.ImportCounts{Rejected: 4},
			Error: "line 7: :61: amount \"12,5X\" is not a number", ImportedAt: timestamppb.New(at.Add(time.Hour)), Actor: "finance:acme"},
		{ImportId: "i-1", Tenant: "acme", FileName: "camt053_2026-12-06.xml", Sha256: "c3", Format: "camt.053.001.08", Size: 1200,
			Status: ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED, Counts: &ingestionv1.ImportCounts{New: 12, Duplicate: 3, Statements: 1},
			ImportedAt: timestamppb.New(at), Actor: "finance:acme"},
	}}
	addr := serveImports(t, f)
	code, stdout, stderr := runCLI(t, "imports", "--tenant", "acme", "--limit", "3", "--ingestion", addr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := `WHEN                  FILE                    FORMAT           STATUS          NEW  DUPLICATE  REJECTED  ACTOR
2026-12-07T10:30:00Z  camt053_2026-12-06.xml  camt.053.001.08  DUPLICATE_FILE  0    0          0         service:ingestion (drop folder)
2026-12-07T09:30:00Z  broken.sta              mt940            REJECTED        0    0          4         finance:acme
  line 7: :61: amount "12,5X" is not a number
2026-12-07T08:30:00Z  camt053_2026-12-06.xml  camt.053.001.08  IMPORTED        12   3          0         finance:acme
3 imports; there are older ones (raise --limit, at most 500)
`
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("o2c imports (-want +got):\n%s", diff)
	}
	if len(f.listed) != 1 || f.listed[0].GetTenant() != "acme" || f.listed[0].GetLimit() != 3 {
		t.Errorf("asked %v, want tenant acme, limit 3", f.listed)
	}

	code, stdout, _ = runCLI(t, "imports", "--tenant", "acme", "-o", "json", "--ingestion", addr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 3 {
		t.Fatalf("json: exit %d, %d lines:\n%s", code, len(lines), stdout)
	}
	var rec importRecordLine
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil {
		t.Fatal(err)
	}
	wantRec := importRecordLine{ImportID: "i-2", Tenant: "acme", File: "broken.sta", SHA256: "b2", Format: "mt940", Size: 300, Status: "REJECTED",
		Counts: importCount{Rejected: 4}, Error: "line 7: :61: amount \"12,5X\" is not a number", ImportedAt: at.Add(time.Hour), Actor: "finance:acme"}
	if diff := cmp.Diff(wantRec, rec); diff != "" {
		t.Errorf("json line (-want +got):\n%s", diff)
	}

	empty := serveImports(t, &fakeImports{})
	if code, stdout, _ := runCLI(t, "imports", "--tenant", "beta", "--ingestion", empty); code != 0 || stdout != "0 imports\n" {
		t.Errorf("no imports: exit %d, %q", code, stdout)
	}
}
