package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/upload"
)

// progressEvery is how often the progress line on a terminal is redrawn
// at most; plainEvery how often a plain progress line is written at most
// (and at every change of phase).
const (
	progressEvery = 200 * time.Millisecond
	plainEvery    = 5 * time.Second
)

// importOutputs are the --output values of o2c import and o2c imports.
var importOutputs = []string{"table", "json"}

// newImportCmd is `o2c import FILE...`: each file streamed to ingestion's
// ImportService, with progress on a terminal and one line per file.
func newImportCmd() *cobra.Command {
	var addr, tenant, format, output string
	var progress bool
	cmd := &cobra.Command{
		Use:   "import --tenant T FILE...",
		Short: "Import bank statements (camt.052/053/054, MT940/MT942) and Amazon settlement reports into ingestion",
		Long: `import streams each file to ingestion's ImportService, which reads it completely,
rejects it whole when it cannot be read or names a bank account the tenant has not
configured (tenants file: bank.accounts), and otherwise emits each bank transaction,
statement and settlement report that is new, exactly once by its key (see the
README, "Bank statements and settlement reports").

Per file one line: the name, the format read, the status (IMPORTED,
DUPLICATE_FILE for a file imported before, REJECTED) and how many transactions
were new, received before (duplicate) and rejected, with the parser's error and
its position for a rejected file. --output json prints one JSON object per file
instead (JSON Lines).

While a file is imported, standard error shows how far it has come, on one line
redrawn in place on a terminal: "a.xml: 45.2 MiB/100 MiB sent, 12,345 entries
read, 10,000 booked" (bytes sent, the statement entries and settlement lines
ingestion has read, while checking the file and again while emitting it, and
the transactions emitted so far). --progress writes it as plain lines when
standard error is not a terminal (at most one every 5 seconds, and one per
phase); --progress=false shows nothing.

Importing a file again is always safe: the same file answers DUPLICATE_FILE and
books nothing, and a file whose import was interrupted books each transaction
once when imported again. The exit status is 1 when a file was rejected or could
not be imported.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("unknown --output %q (want one of %s)", output, strings.Join(importOutputs, ", "))
			}
			if !cmd.Flags().Changed("progress") {
				progress = isTerminal(cmd.ErrOrStderr())
			}
			svc := serviceAt("ingestion", addr)
			conn, err := dial(cmd, svc)
			if err != nil {
				return err
			}
			defer conn.Close()
			client := ingestionv1grpc.NewImportServiceClient(conn)
			imp := &importer{client: client, tenant: tenant, format: format, out: cmd.OutOrStdout(), json: output == "json"}
			if progress {
				imp.progress = cmd.ErrOrStderr()
				imp.plain = !isTerminal(imp.progress)
			}
			var failed int
			for _, name := range args {
				resp, err := imp.file(cmd.Context(), name)
				var local *localError
				switch {
				case errors.As(err, &local):
					fmt.Fprintf(cmd.ErrOrStderr(), "o2c: %s\n", local)
					failed++
					continue
				case err != nil:
					return fmt.Errorf("%s: %w", name, explain(svc, streamError(cmd, err)))
				}
				imp.print(name, resp)
				if resp.GetStatus() == ingestionv1.ImportStatus_IMPORT_STATUS_REJECTED {
					failed++
				}
			}
			if !imp.json && len(args) > 1 {
				fmt.Fprintln(cmd.OutOrStdout(), imp.summary())
			}
			if failed > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "ingestion", envOr("O2C_INGESTION_ADDR", defaultIngestionAddr), "ingestion gRPC address (env O2C_INGESTION_ADDR)")
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant id (required)")
	cmd.Flags().StringVar(&format, "format", "", "read every file as this format instead of detecting it: camt, mt940 (MT942 too), mt942 (must be an MT942) or amazon-settlement")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output: "+strings.Join(importOutputs, "|")+" (json prints JSON Lines)")
	cmd.Flags().BoolVar(&progress, "progress", false, "show bytes sent, entries read and transactions booked on standard error, as plain lines when it is not a terminal (default: when standard error is a terminal)")
	_ = cmd.MarkFlagRequired("tenant")
	return cmd
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// streamError gives the error of a streaming call the credentials it was
// made with, as dial does for unary calls, so that explain can say which
// credentials file to use when the service refuses it.
func streamError(cmd *cobra.Command, err error) error {
	c, lerr := loadCredentials(cmd)
	if lerr != nil {
		return err
	}
	return &callError{creds: c, err: err}
}

// localError is a file that could not be read here; the other files are
// imported all the same.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// importer sends files to the ImportService and prints what it answers.
type importer struct {
	client   ingestionv1grpc.ImportServiceClient
	tenant   string
	format   string
	out      io.Writer
	json     bool
	progress io.Writer // nil: no progress
	plain    bool      // progress as plain lines, not redrawn in place

	imported, duplicate, rejected int
}

// file streams the file name (upload.Send) and shows its progress.
func (imp *importer) file(ctx context.Context, name string) (*ingestionv1.ImportResponse, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, &localError{err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &localError{err}
	}
	if !fi.Mode().IsRegular() {
		return nil, &localError{fmt.Errorf("%s is not a file", name)}
	}
	p := newProgress(imp.progress, imp.plain, filepath.Base(name), fi.Size(), time.Now)
	resp, err := upload.Send(ctx, imp.client, upload.File{
		Tenant:   imp.tenant,
		Header:   &ingestionv1.ImportHeader{FileName: filepath.Base(name), Size: fi.Size(), Format: imp.format},
		Data:     f,
		Sent:     p.sent,
		Progress: p.server,
	})
	p.clear()
	var read *upload.ReadError
	if errors.As(err, &read) {
		return nil, &localError{fmt.Errorf("%s: %w", name, read.Err)}
	}
	return resp, err
}

// importLine is a file's JSON line with --output json.
type importLine struct {
	File     string      `json:"file"`
	ImportID string      `json:"import_id"`
	SHA256   string      `json:"sha256"`
	Format   string      `json:"format,omitempty"`
	Status   string      `json:"status"`
	Counts   importCount `json:"counts"`
	Error    string      `json:"error,omitempty"`
	Warnings []string    `json:"warnings,omitempty"`
}

// importCount is ImportCounts in the JSON line.
type importCount struct {
	New         int32 `json:"new"`
	Duplicate   int32 `json:"duplicate"`
	Rejected    int32 `json:"rejected"`
	Statements  int32 `json:"statements"`
	Settlements int32 `json:"settlements"`
}

// statusName is an import status as the CLI prints it: IMPORTED,
// DUPLICATE_FILE, REJECTED.
func statusName(s ingestionv1.ImportStatus) string {
	return strings.TrimPrefix(s.String(), "IMPORT_STATUS_")
}

// print writes the answer for the file name.
func (imp *importer) print(name string, r *ingestionv1.ImportResponse) {
	switch r.GetStatus() {
	case ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED:
		imp.imported++
	case ingestionv1.ImportStatus_IMPORT_STATUS_DUPLICATE_FILE:
		imp.duplicate++
	default:
		imp.rejected++
	}
	c := r.GetCounts()
	if imp.json {
		line := importLine{File: name, ImportID: r.GetImportId(), SHA256: r.GetFileSha256(), Format: r.GetFormat(),
			Status: statusName(r.GetStatus()), Error: r.GetError(), Warnings: r.GetWarnings(),
			Counts: importCount{New: c.GetNew(), Duplicate: c.GetDuplicate(), Rejected: c.GetRejected(),
				Statements: c.GetStatements(), Settlements: c.GetSettlements()}}
		data, _ := json.Marshal(line)
		fmt.Fprintf(imp.out, "%s\n", data)
		return
	}
	fmt.Fprintf(imp.out, "%s  %s  %s  %d new, %d duplicate, %d rejected", name, orElse(r.GetFormat(), "-"), statusName(r.GetStatus()),
		c.GetNew(), c.GetDuplicate(), c.GetRejected())
	if r.GetError() != "" {
		fmt.Fprintf(imp.out, ": %s", r.GetError())
	}
	fmt.Fprintln(imp.out)
	for _, w := range r.GetWarnings() {
		fmt.Fprintf(imp.out, "  warning: %s\n", w)
	}
}

// summary counts the files by outcome.
func (imp *importer) summary() string {
	return fmt.Sprintf("%s: %d imported, %d duplicate, %d rejected", table.Count(imp.imported+imp.duplicate+imp.rejected, "file"),
		imp.imported, imp.duplicate, imp.rejected)
}

// progress shows how far the import of one file has come: on a terminal
// one line redrawn in place at most every progressEvery, "a.xml: 45.2
// MiB/100 MiB sent, 12,345 entries read, 10,000 booked"; as plain lines
// (plain) one at each change of phase and at most one every plainEvery
// between. The sending and the receiving goroutine both report to it.
type progress struct {
	w     io.Writer // nil: nothing is shown
	plain bool
	name  string
	size  int64
	now   func() time.Time

	mu     sync.Mutex
	done   int64                       // bytes sent
	status *ingestionv1.ImportProgress // the server's latest, nil before the first
	start  time.Time
	last   time.Time // of the last line drawn
	shown  string    // the phase of the last line drawn
	drawn  bool      // a line on a terminal is to be cleared
}

func newProgress(w io.Writer, plain bool, name string, size int64, now func() time.Time) *progress {
	return &progress{w: w, plain: plain, name: name, size: size, now: now, start: now()}
}

// sent counts n more bytes sent.
func (p *progress) sent(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += int64(n)
	p.draw(p.done >= p.size)
}

// server takes the server's progress.
func (p *progress) server(s *ingestionv1.ImportProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = s
	p.draw(false)
}

// phase names what is going on: "sending" until the server checks or
// emits.
func (p *progress) phase() string {
	switch p.status.GetPhase() {
	case ingestionv1.ImportPhase_IMPORT_PHASE_CHECKING:
		return "checking"
	case ingestionv1.ImportPhase_IMPORT_PHASE_EMITTING:
		return "emitting"
	}
	return "sending"
}

// draw writes the line when its time has come or the phase changed (or
// now is set, for the last chunk sent).
func (p *progress) draw(now bool) {
	if p.w == nil {
		return
	}
	at, phase := p.now(), p.phase()
	every := progressEvery
	if p.plain {
		every = plainEvery
	}
	if !now && phase == p.shown && at.Sub(p.last) < every {
		return
	}
	p.last, p.shown = at, phase
	line := p.line(at)
	if p.plain {
		fmt.Fprintln(p.w, line)
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

// line is the progress line as it stands at time at.
func (p *progress) line(at time.Time) string {
	line := fmt.Sprintf("%s: %s/%s sent", p.name, mib(p.done), mib(p.size))
	s := p.status
	switch p.phase() {
	case "sending":
		rate := float64(p.done) / (1 << 20) / max(at.Sub(p.start).Seconds(), 1e-3)
		line += fmt.Sprintf(", %.1f MiB/s", rate)
	case "checking":
		line += fmt.Sprintf(", checking: %s entries read", grouped(int64(s.GetEntriesRead())))
	case "emitting":
		line += fmt.Sprintf(", %s entries read, %s booked", grouped(int64(s.GetEntriesRead())), grouped(int64(s.GetEmitted())))
		if d := s.GetDuplicate(); d > 0 {
			line += fmt.Sprintf(", %s received before", grouped(int64(d)))
		}
	}
	return line
}

// mib writes n bytes in MiB with at most one decimal: "45.2 MiB", "100 MiB".
func mib(n int64) string {
	return strconv.FormatFloat(math.Round(float64(n)/(1<<20)*10)/10, 'f', -1, 64) + " MiB"
}

// grouped writes n with thousands separators: "12,345".
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// clear removes the progress line of a terminal before the file's result
// is printed.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}
