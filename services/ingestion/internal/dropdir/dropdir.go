// Package dropdir is ingestion's drop folder: bank files and settlement
// reports that EBICS or SFTP clients deliver into a directory are imported
// through the same code path as the ImportService (intake.Importer), and
// each is then moved out of the way with a report beside it.
//
// # Layout
//
// The folder has one subfolder per tenant, named by the tenant id, so the
// tenant a file is for is where it was put, with one tenant or many:
//
//	DIR/<tenant>/FILE                          delivered here
//	DIR/<tenant>/done/FILE                     imported, or imported before (duplicate)
//	DIR/<tenant>/done/FILE.report.json         what the import found
//	DIR/<tenant>/failed/FILE                   rejected (unreadable, unknown account, …)
//	DIR/<tenant>/failed/FILE.report.json       why, and where in the file
//
// Watch creates the subfolder of every tenant of the tenants file with its
// done/ and failed/. Files directly in DIR, and subfolders that name no
// configured tenant, are left alone (and logged once).
//
// # When a file is taken
//
// The folder is polled (no file-system notifications). A file is imported
// once it has been delivered completely, which the watcher decides by
// either of the ways uploaders work:
//
//   - it was seen with a temporary name (FILE.part, .partial, .tmp, .temp,
//     .filepart, or a name starting with a dot) at one poll, and under its
//     final name, with the temporary one gone, at the next: the uploader
//     renamed it when it was done;
//   - or its size and modification time are the same at two consecutive
//     polls.
//
// Files with temporary names are never imported.
//
// # Exactly once
//
// A file is imported with the drop folder's actor (Actor), then its report
// is written and the file moved. A crash (or a failed move) after the
// import leaves the file where it was; the next poll imports it again, and
// since imports are idempotent by the file's SHA-256 (and each transaction
// by its key), that import answers duplicate and books nothing: the file
// is then moved to done/ with that answer in its report. An import that
// fails for another reason than the file (storage, shutdown) leaves the
// file in place to be tried again at the next poll.
package dropdir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
)

// Actor is who a drop-folder import is recorded as: ingestion itself.
const Actor = "service:ingestion (drop folder)"

// The subfolders of a tenant's folder that files are moved to.
const (
	DoneDir   = "done"
	FailedDir = "failed"
)

// ReportSuffix ends the name of a file's report, beside the moved file.
const ReportSuffix = ".report.json"

// DefaultInterval is the time between polls when Watcher.Interval is zero.
const DefaultInterval = 2 * time.Second

// tempSuffixes mark files an uploader is still writing.
var tempSuffixes = []string{".part", ".partial", ".tmp", ".temp", ".filepart"}

// Importer imports one file; *intake.Importer is one. The error is for
// what prevented an answer (storage, shutdown, a file that cannot be
// opened); a file that cannot be read is answered intake.Rejected.
type Importer interface {
	Import(ctx context.Context, req intake.Request) (intake.Record, error)
}

// Watcher watches a drop folder. Its zero value is not usable: Dir,
// Tenants and Importer are required.
type Watcher struct {
	// Dir is the drop folder; it must exist.
	Dir string
	// Tenants are the ids whose subfolders are watched.
	Tenants []string
	// Importer imports each delivered file.
	Importer Importer
	// Log receives what an operator must know: files that failed to
	// import or move, and what is left alone. Nil discards it.
	Log *slog.Logger
	// Interval is the time between polls (0: DefaultInterval).
	Interval time.Duration

	// seen is what the previous poll found, by path.
	seen map[string]sighting
	// temps are the final names of the files with temporary names the
	// previous poll found, by path.
	temps map[string]bool
	// ignored are the paths already logged as left alone.
	ignored map[string]bool
}

// sighting is a file as one poll found it.
type sighting struct {
	size  int64
	mtime time.Time
}

// same reports whether two sightings found the file unchanged.
func (s sighting) same(o sighting) bool { return s.size == o.size && s.mtime.Equal(o.mtime) }

// Outcome is what a poll did with one file.
type Outcome struct {
	// Tenant is the tenant whose folder the file was in.
	Tenant string
	// Path is where the file was delivered.
	Path string
	// Record is the import's answer; zero when Err is set.
	Record intake.Record
	// MovedTo is where the file is now; empty when it was left in place.
	MovedTo string
	// Report is the path of the report written beside it, if any.
	Report string
	// Err is why the file was left in place (the import or the move
	// failed); the next poll tries again.
	Err error
}

func (w *Watcher) log() *slog.Logger {
	if w.Log == nil {
		return slog.New(redact.NewHandler(slog.DiscardHandler))
	}
	return w.Log
}

func (w *Watcher) interval() time.Duration {
	if w.Interval > 0 {
		return w.Interval
	}
	return DefaultInterval
}

// Prepare checks that Dir is a directory and creates each tenant's folder
// with its done/ and failed/.
func (w *Watcher) Prepare() error {
	fi, err := os.Stat(w.Dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoFolder, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrNoFolder, w.Dir)
	}
	for _, t := range w.Tenants {
		for _, sub := range []string{DoneDir, FailedDir} {
			if err := os.MkdirAll(filepath.Join(w.Dir, t, sub), 0o750); err != nil {
				return fmt.Errorf("drop folder of tenant %s: %w", t, err)
			}
		}
	}
	return nil
}

// Run prepares the folder and polls it every Interval until ctx ends,
// when it returns nil. It returns an error only when the folder cannot be
// prepared; what goes wrong with a file is logged and tried again at the
// next poll.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.Prepare(); err != nil {
		return err
	}
	for {
		if _, err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			w.log().Warn("polling the drop folder failed; tried again at the next poll", "dir", w.Dir, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.interval()):
		}
	}
}

// Poll looks at every tenant's folder once, imports and moves each file
// that has been delivered completely (see the package comment) and
// returns what it did with each, in tenant and file name order. The error
// is for a folder that cannot be listed, or ctx ending.
func (w *Watcher) Poll(ctx context.Context) ([]Outcome, error) {
	if w.seen == nil {
		w.seen, w.temps, w.ignored = map[string]sighting{}, map[string]bool{}, map[string]bool{}
	}
	w.noteStrays()
	seen, temps := map[string]sighting{}, map[string]bool{}
	var ready []string
	var errs []error
	for _, t := range w.Tenants {
		dir := filepath.Join(w.Dir, t)
		ents, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("drop folder of tenant %s: %w", t, err))
			continue
		}
		for _, e := range ents {
			if !e.Type().IsRegular() {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if final, ok := finalName(e.Name()); ok {
				temps[filepath.Join(dir, final)] = true
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue // gone since the listing
			}
			now := sighting{size: fi.Size(), mtime: fi.ModTime()}
			seen[p] = now
			before, wasSeen := w.seen[p]
			renamed := w.temps[p] && !temps[p]
			if renamed || (wasSeen && before.same(now)) {
				ready = append(ready, p)
			}
		}
	}
	// A temporary name listed after its final name in the same folder
	// means the upload is still going on: not ready.
	ready = slices.DeleteFunc(ready, func(p string) bool { return temps[p] })
	w.seen, w.temps = seen, temps

	var out []Outcome
	for _, p := range ready {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		o := w.take(ctx, p)
		if o.Err != nil {
			w.log().Warn("a file in the drop folder was not imported; tried again at the next poll",
				"file", p, "tenant", o.Tenant, "err", o.Err)
		}
		if o.MovedTo != "" {
			delete(w.seen, p)
		}
		out = append(out, o)
	}
	return out, errors.Join(errs...)
}

// noteStrays logs, once each, files directly in Dir and subfolders that
// name no watched tenant: nothing says whose they are.
func (w *Watcher) noteStrays() {
	ents, err := os.ReadDir(w.Dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(w.Dir, e.Name())
		if w.ignored[p] || strings.HasPrefix(e.Name(), ".") || (e.IsDir() && slices.Contains(w.Tenants, e.Name())) {
			continue
		}
		w.ignored[p] = true
		what := "a file outside any tenant's folder"
		if e.IsDir() {
			what = "a folder that names no tenant of the tenants file"
		}
		w.log().Warn("left alone in the drop folder: "+what+"; put files into DIR/<tenant>/", "path", p)
	}
}

// finalName returns the name a file with a temporary name will have once
// its upload is done, and whether name is temporary at all.
func finalName(name string) (string, bool) {
	for _, s := range tempSuffixes {
		if base, ok := strings.CutSuffix(name, s); ok && base != "" {
			return strings.TrimPrefix(base, "."), true
		}
	}
	if strings.HasPrefix(name, ".") {
		return strings.TrimPrefix(name, "."), true
	}
	return "", false
}

// take imports the file at p, writes its report and moves it.
func (w *Watcher) take(ctx context.Context, p string) Outcome {
	tenant := filepath.Base(filepath.Dir(p))
	o := Outcome{Tenant: tenant, Path: p}
	fi, err := os.Stat(p)
	if err != nil {
		o.Err = fmt.Errorf("stat %s: %w", p, err)
		return o
	}
	rec, err := w.Importer.Import(ctx, intake.Request{
		Tenant: tenant, FileName: filepath.Base(p), Actor: Actor, Size: fi.Size(),
		Open: func() (io.ReadCloser, error) { return os.Open(p) },
	})
	if err != nil {
		o.Err = fmt.Errorf("import %s: %w", p, err)
		return o
	}
	o.Record = rec
	sub := DoneDir
	if rec.Status == intake.Rejected {
		sub = FailedDir
	}
	dest, err := freeName(filepath.Join(filepath.Dir(p), sub), filepath.Base(p))
	if err != nil {
		o.Err = err
		return o
	}
	report := dest + ReportSuffix
	if err := writeReport(report, ReportOf(rec)); err != nil {
		o.Err = err
		return o
	}
	o.Report = report
	if err := os.Rename(p, dest); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Another watcher of the same folder took it, and wrote
			// its own report.
			_ = os.Remove(report)
			o.Report = ""
			return o
		}
		o.Err = fmt.Errorf("move %s to %s: %w", p, dest, err)
		return o
	}
	o.MovedTo = dest
	return o
}

// freeName returns a path in dir for a file named name that neither it nor
// its report takes yet: name itself, else name with .2, .3, … before its
// extension (a bank sends STATEMENT.xml every day).
func freeName(dir, name string) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for n := 1; n < 100_000; n++ {
		cand := name
		if n > 1 {
			cand = stem + "." + strconv.Itoa(n) + ext
		}
		p := filepath.Join(dir, cand)
		if !exists(p) && !exists(p+ReportSuffix) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no free name for %s in %s", name, dir)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// Report is what FILE.report.json says about an imported file: the
// import's answer, in the shape `o2c import --output json` prints.
type Report struct {
	// File is the name the file was delivered under.
	File     string `json:"file"`
	Tenant   string `json:"tenant"`
	ImportID string `json:"import_id"`
	SHA256   string `json:"sha256"`
	// Format is the format and version read, e.g. "camt.053.001.02".
	Format string `json:"format,omitempty"`
	Size   int64  `json:"size"`
	// Status is IMPORTED, DUPLICATE_FILE or REJECTED.
	Status string `json:"status"`
	Counts Counts `json:"counts"`
	// Error says, for a rejected file, what was wrong and where; for a
	// duplicate, when the file was imported before.
	Error      string    `json:"error,omitempty"`
	Warnings   []string  `json:"warnings,omitempty"`
	ImportedAt time.Time `json:"imported_at"`
	Actor      string    `json:"actor"`
}

// Counts counts what an import found (see intake.Counts).
type Counts struct {
	New         int `json:"new"`
	Duplicate   int `json:"duplicate"`
	Rejected    int `json:"rejected"`
	Statements  int `json:"statements"`
	Settlements int `json:"settlements"`
}

// ReportOf returns the report of an import record.
func ReportOf(r intake.Record) Report {
	return Report{
		File: r.FileName, Tenant: r.Tenant, ImportID: r.ID, SHA256: r.SHA256, Format: r.Format, Size: r.Size,
		Status: StatusName(r.Status),
		Counts: Counts{New: r.Counts.New, Duplicate: r.Counts.Duplicate, Rejected: r.Counts.Rejected,
			Statements: r.Counts.Statements, Settlements: r.Counts.Settlements},
		Error: r.Error, Warnings: r.Warnings, ImportedAt: r.ImportedAt.UTC(), Actor: r.Actor,
	}
}

// StatusName is the name an import's status has in reports, the CLI and
// the ImportService: IMPORTED, DUPLICATE_FILE or REJECTED.
func StatusName(s intake.Status) string { return strings.ToUpper(s.String()) }

// writeReport writes rep as JSON to p, under a temporary name first so
// that p is either absent or complete.
func writeReport(p string, rep Report) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("report %s: %w", p, err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o640); err != nil {
		return fmt.Errorf("write report %s: %w", p, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write report %s: %w", p, err)
	}
	return nil
}
