package dropdir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/formats/camt/camtgen"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/ingestion/internal/dropdir"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake/intaketest"
)

// fakeImporter answers every import with answer (or err) and records what
// it was asked and the content it read.
type fakeImporter struct {
	mu     sync.Mutex
	asked  []intake.Request
	read   []string
	answer func(req intake.Request) (intake.Record, error)
}

func (f *fakeImporter) Import(_ context.Context, req intake.Request) (intake.Record, error) {
	r, err := req.Open()
	if err != nil {
		return intake.Record{}, err
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return intake.Record{}, err
	}
	f.mu.Lock()
	f.asked = append(f.asked, req)
	f.read = append(f.read, string(data))
	f.mu.Unlock()
	return f.answer(req)
}

func (f *fakeImporter) files() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.asked {
		out = append(out, r.Tenant+"/"+r.FileName)
	}
	return out
}

var importedAt = time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)

// imported answers every file as imported with 3 new transactions.
func imported(req intake.Request) (intake.Record, error) {
	return intake.Record{ID: "imp-1", Tenant: req.Tenant, FileName: req.FileName, SHA256: "abc", Format: "camt.053.001.02",
		Size: req.Size, Status: intake.Imported, Counts: intake.Counts{New: 3, Statements: 1}, ImportedAt: importedAt, Actor: req.Actor}, nil
}

// newWatcher returns a watcher of a new drop folder for tenants acme and
// beta, prepared.
func newWatcher(tb testing.TB, imp dropdir.Importer) *dropdir.Watcher {
	tb.Helper()
	w := &dropdir.Watcher{Dir: tb.TempDir(), Tenants: []string{"acme", "beta"}, Importer: imp}
	if err := w.Prepare(); err != nil {
		tb.Fatal(err)
	}
	return w
}

func write(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func appendTo(tb testing.TB, path, content string) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		tb.Fatal(err)
	}
}

func poll(tb testing.TB, w *dropdir.Watcher) []dropdir.Outcome {
	tb.Helper()
	out, err := w.Poll(context.Background())
	if err != nil {
		tb.Fatalf("poll: %v", err)
	}
	return out
}

// listing returns the regular files under dir, relative to it.
func listing(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func readReport(tb testing.TB, path string) dropdir.Report {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var r dropdir.Report
	if err := json.Unmarshal(data, &r); err != nil {
		tb.Fatalf("report %s: %v\n%s", path, err, data)
	}
	return r
}

// TestPrepareCreatesEveryTenantsFolders: each tenant gets its folder with
// done/ and failed/; a drop folder that does not exist stops the start.
func TestPrepareCreatesEveryTenantsFolders(t *testing.T) {
	t.Parallel()
	w := newWatcher(t, &fakeImporter{answer: imported})
	for _, d := range []string{"acme/done", "acme/failed", "beta/done", "beta/failed"} {
		if fi, err := os.Stat(filepath.Join(w.Dir, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v, want a directory", d, err)
		}
	}
	missing := &dropdir.Watcher{Dir: filepath.Join(t.TempDir(), "nope"), Tenants: []string{"acme"}}
	if err := missing.Prepare(); !errors.Is(err, dropdir.ErrNoFolder) {
		t.Errorf("a drop folder that does not exist: %v, want ErrNoFolder", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	write(t, file, "x")
	if err := (&dropdir.Watcher{Dir: file}).Prepare(); !errors.Is(err, dropdir.ErrNoFolder) {
		t.Errorf("a drop folder that is a file: %v, want ErrNoFolder", err)
	}
}

// TestAFileIsTakenWhenStableAcrossTwoPolls: a file is imported for the
// tenant whose folder it is in, as the drop folder, only once its size and
// time did not change between two polls; then it is moved to done/ with
// its report.
func TestAFileIsTakenWhenStableAcrossTwoPolls(t *testing.T) {
	t.Parallel()
	imp := &fakeImporter{answer: imported}
	w := newWatcher(t, imp)
	p := filepath.Join(w.Dir, "acme", "STMT-1.xml")
	write(t, p, "<Document>")

	if out := poll(t, w); len(out) != 0 {
		t.Fatalf("first sight: %v, want nothing taken", out)
	}
	appendTo(t, p, "<more/>") // still being written
	if out := poll(t, w); len(out) != 0 {
		t.Fatalf("grown since the last poll: %v, want nothing taken", out)
	}
	out := poll(t, w)
	if len(out) != 1 || out[0].Err != nil {
		t.Fatalf("stable: %+v, want one file taken", out)
	}
	want := dropdir.Outcome{
		Tenant: "acme", Path: p, Record: out[0].Record,
		MovedTo: filepath.Join(w.Dir, "acme", "done", "STMT-1.xml"),
		Report:  filepath.Join(w.Dir, "acme", "done", "STMT-1.xml.report.json"),
	}
	if diff := cmp.Diff(want, out[0]); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	if got := imp.asked[0]; got.Tenant != "acme" || got.FileName != "STMT-1.xml" || got.Actor != dropdir.Actor || got.Size != int64(len("<Document><more/>")) {
		t.Errorf("asked to import %+v; want tenant acme, file STMT-1.xml, actor %q and the size", got, dropdir.Actor)
	}
	if imp.read[0] != "<Document><more/>" {
		t.Errorf("the importer read %q, want the whole file", imp.read[0])
	}
	if diff := cmp.Diff([]string{"acme/done/STMT-1.xml", "acme/done/STMT-1.xml.report.json"}, listing(t, w.Dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	wantReport := dropdir.Report{File: "STMT-1.xml", Tenant: "acme", ImportID: "imp-1", SHA256: "abc", Format: "camt.053.001.02",
		Size: 17, Status: "IMPORTED", Counts: dropdir.Counts{New: 3, Statements: 1}, ImportedAt: importedAt, Actor: dropdir.Actor}
	if diff := cmp.Diff(wantReport, readReport(t, want.Report)); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if out := poll(t, w); len(out) != 0 {
		t.Errorf("after the move: %v, want nothing", out)
	}
}

// TestARenamedUploadIsTakenAtOnce: a file uploaded under a temporary name
// is never taken as such, and is taken at the first poll after the
// uploader renamed it, without waiting for a second poll.
func TestARenamedUploadIsTakenAtOnce(t *testing.T) {
	t.Parallel()
	for _, temp := range []string{"MT940.sta.part", "MT940.sta.tmp", ".MT940.sta", "MT940.sta.filepart"} {
		t.Run(temp, func(t *testing.T) {
			t.Parallel()
			imp := &fakeImporter{answer: imported}
			w := newWatcher(t, imp)
			tmp := filepath.Join(w.Dir, "beta", temp)
			write(t, tmp, ":20:STMT")
			poll(t, w)
			if out := poll(t, w); len(out) != 0 {
				t.Fatalf("a stable file under a temporary name: %v, want it left", out)
			}
			if err := os.Rename(tmp, filepath.Join(w.Dir, "beta", "MT940.sta")); err != nil {
				t.Fatal(err)
			}
			out := poll(t, w)
			if len(out) != 1 || out[0].MovedTo != filepath.Join(w.Dir, "beta", "done", "MT940.sta") {
				t.Fatalf("the poll after the rename: %+v, want MT940.sta taken", out)
			}
			if diff := cmp.Diff([]string{"beta/MT940.sta"}, imp.files()); diff != "" {
				t.Errorf("imported (-want +got):\n%s", diff)
			}
		})
	}
}

// TestARejectedFileGoesToFailed: a file the import rejects is moved to
// failed/ with a report that says why and where.
func TestARejectedFileGoesToFailed(t *testing.T) {
	t.Parallel()
	imp := &fakeImporter{answer: func(req intake.Request) (intake.Record, error) {
		return intake.Record{ID: "imp-2", Tenant: req.Tenant, FileName: req.FileName, SHA256: "def", Format: "camt.053.001.02", Size: req.Size,
			Status: intake.Rejected, Counts: intake.Counts{Rejected: 2, Statements: 1},
			Error: "line 12, Document/BkToCstmrStmt/Stmt/Ntry[2]/Amt: \"12,50\" is not an amount", ImportedAt: importedAt, Actor: req.Actor}, nil
	}}
	w := newWatcher(t, imp)
	write(t, filepath.Join(w.Dir, "acme", "broken.xml"), "<Document>")
	poll(t, w)
	out := poll(t, w)
	if len(out) != 1 || out[0].MovedTo != filepath.Join(w.Dir, "acme", "failed", "broken.xml") {
		t.Fatalf("%+v, want broken.xml moved to failed/", out)
	}
	rep := readReport(t, out[0].Report)
	if rep.Status != "REJECTED" || rep.Error != "line 12, Document/BkToCstmrStmt/Stmt/Ntry[2]/Amt: \"12,50\" is not an amount" || rep.Counts.Rejected != 2 {
		t.Errorf("report %+v; want REJECTED with the parser's error and 2 rejected", rep)
	}
}

// TestAFailedImportLeavesTheFileForTheNextPoll: when the import fails
// (storage down), the file stays where it was, and the next poll takes it.
func TestAFailedImportLeavesTheFileForTheNextPoll(t *testing.T) {
	t.Parallel()
	down := true
	imp := &fakeImporter{answer: func(req intake.Request) (intake.Record, error) {
		if down {
			return intake.Record{}, errors.New("store: connection refused")
		}
		return imported(req)
	}}
	w := newWatcher(t, imp)
	p := filepath.Join(w.Dir, "acme", "a.xml")
	write(t, p, "<Document/>")
	poll(t, w)
	out := poll(t, w)
	if len(out) != 1 || out[0].Err == nil || out[0].MovedTo != "" || out[0].Report != "" {
		t.Fatalf("%+v, want the import's error and the file left", out)
	}
	if diff := cmp.Diff([]string{"acme/a.xml"}, listing(t, w.Dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	down = false
	out = poll(t, w)
	if len(out) != 1 || out[0].Err != nil || out[0].MovedTo == "" {
		t.Fatalf("next poll: %+v, want the file taken", out)
	}
	if got := len(imp.asked); got != 2 {
		t.Errorf("%d imports, want 2 (the failed one and the retry)", got)
	}
}

// TestTheSameNameTwiceKeepsBoth: a bank that sends STATEMENT.xml every day
// finds each day's in done/, the later ones numbered.
func TestTheSameNameTwiceKeepsBoth(t *testing.T) {
	t.Parallel()
	w := newWatcher(t, &fakeImporter{answer: imported})
	p := filepath.Join(w.Dir, "acme", "STATEMENT.xml")
	for day := range 3 {
		write(t, p, "day "+string(rune('1'+day)))
		poll(t, w)
		if out := poll(t, w); len(out) != 1 || out[0].Err != nil {
			t.Fatalf("day %d: %+v", day+1, out)
		}
	}
	want := []string{"acme/done/STATEMENT.2.xml", "acme/done/STATEMENT.2.xml.report.json", "acme/done/STATEMENT.3.xml",
		"acme/done/STATEMENT.3.xml.report.json", "acme/done/STATEMENT.xml", "acme/done/STATEMENT.xml.report.json"}
	if diff := cmp.Diff(want, listing(t, w.Dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if data, _ := os.ReadFile(filepath.Join(w.Dir, "acme", "done", "STATEMENT.3.xml")); string(data) != "day 3" {
		t.Errorf("STATEMENT.3.xml holds %q, want the third day's", data)
	}
}

// TestFilesOutsideATenantsFolderAreLeftAlone: nothing says whose a file
// directly in the drop folder, or in a folder of no tenant, is.
func TestFilesOutsideATenantsFolderAreLeftAlone(t *testing.T) {
	t.Parallel()
	imp := &fakeImporter{answer: imported}
	w := newWatcher(t, imp)
	write(t, filepath.Join(w.Dir, "loose.xml"), "<Document/>")
	if err := os.Mkdir(filepath.Join(w.Dir, "gamma"), 0o750); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(w.Dir, "gamma", "g.xml"), "<Document/>")
	write(t, filepath.Join(w.Dir, "acme", "done", "old.xml"), "<Document/>")
	for range 3 {
		if out := poll(t, w); len(out) != 0 {
			t.Fatalf("%+v, want nothing taken", out)
		}
	}
	if len(imp.asked) != 0 {
		t.Errorf("imported %v, want nothing", imp.files())
	}
}

// crashAfterImport imports with the real importer, then fails as if the
// process had died before the file was moved.
type crashAfterImport struct {
	imp     *intake.Importer
	crashes int
}

func (c *crashAfterImport) Import(ctx context.Context, req intake.Request) (intake.Record, error) {
	rec, err := c.imp.Import(ctx, req)
	if err == nil && c.crashes > 0 {
		c.crashes--
		return intake.Record{}, errors.New("killed after the import")
	}
	return rec, err
}

// tenantMap is an intake.Tenants over tenants built in the test.
type tenantMap map[string]tenants.Tenant

func (m tenantMap) Tenant(id string) (tenants.Tenant, bool) {
	t, ok := m[id]
	return t, ok
}

// TestACrashBetweenImportAndMoveBooksNothingTwice imports a camt.053
// through the real importer, "crashes" before the move, and polls again:
// the second import answers DUPLICATE_FILE, emits nothing, and the file
// moves to done/ with that answer.
func TestACrashBetweenImportAndMoveBooksNothingTwice(t *testing.T) {
	t.Parallel()
	var stmt bytes.Buffer
	if _, err := camtgen.Write(&stmt, 8<<10); err != nil {
		t.Fatal(err)
	}
	store := intaketest.NewMemStore()
	acme := tenants.Tenant{ID: "acme", Bank: tenants.Bank{Accounts: []tenants.BankAccount{
		{IBAN: "DE02120300000000202051", Currency: "EUR", Account: "1200"}}}}
	imp := &crashAfterImport{imp: &intake.Importer{Store: store, Tenants: tenantMap{"acme": acme}}, crashes: 1}
	w := newWatcher(t, imp)
	write(t, filepath.Join(w.Dir, "acme", "camt053.xml"), stmt.String())

	poll(t, w)
	out := poll(t, w)
	if len(out) != 1 || out[0].Err == nil || out[0].MovedTo != "" {
		t.Fatalf("%+v, want the crash and the file left", out)
	}
	events := len(store.Events())
	if events == 0 {
		t.Fatal("the first import emitted nothing")
	}
	out = poll(t, w)
	if len(out) != 1 || out[0].Err != nil || out[0].MovedTo != filepath.Join(w.Dir, "acme", "done", "camt053.xml") {
		t.Fatalf("after the restart: %+v, want the file moved to done/", out)
	}
	if got := len(store.Events()); got != events {
		t.Errorf("%d events after the second import, want the first's %d", got, events)
	}
	rep := readReport(t, out[0].Report)
	if rep.Status != "DUPLICATE_FILE" || rep.Counts.New != 0 || rep.Actor != dropdir.Actor || rep.Tenant != "acme" {
		t.Errorf("report %+v; want DUPLICATE_FILE with nothing new, by the drop folder", rep)
	}
	recs, err := store.Imports(context.Background(), "acme", 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []intake.Status
	for _, r := range recs {
		statuses = append(statuses, r.Status)
		if r.Actor != dropdir.Actor {
			t.Errorf("import %s recorded as %q, want %q", r.ID, r.Actor, dropdir.Actor)
		}
	}
	if diff := cmp.Diff([]intake.Status{intake.DuplicateFile, intake.Imported}, statuses); diff != "" {
		t.Errorf("import records, newest first (-want +got):\n%s", diff)
	}
}

// TestRunStopsWithItsContext: Run polls until its context ends and then
// returns nil, having taken a delivered file meanwhile.
func TestRunStopsWithItsContext(t *testing.T) {
	t.Parallel()
	imp := &fakeImporter{answer: imported}
	w := &dropdir.Watcher{Dir: t.TempDir(), Tenants: []string{"acme"}, Importer: imp, Interval: time.Millisecond}
	if err := os.MkdirAll(filepath.Join(w.Dir, "acme"), 0o750); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(w.Dir, "acme", "a.xml"), "<Document/>")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(time.Minute) // a bound on a broken watcher, not a timing goal
	for !exists(filepath.Join(w.Dir, "acme", "done", "a.xml")) {
		if time.Now().After(deadline) {
			t.Fatal("a.xml was never moved to done/")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
