package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// importChunk is how many bytes of a file one ImportRequest carries (the
// ImportService suggests at most 1 MiB).
const importChunk = 1 << 20

// progressEvery is how often the progress line is redrawn at most.
const progressEvery = 200 * time.Millisecond

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
its position for a rejected file. On a terminal the bytes sent and the rate are
shown on standard error while a file is sent. --output json prints one JSON object
per file instead (JSON Lines).

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
	cmd.Flags().StringVar(&format, "format", "", "read every file as this format instead of detecting it: camt, mt940 (MT942 too) or amazon-settlement")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output: "+strings.Join(importOutputs, "|")+" (json prints JSON Lines)")
	cmd.Flags().BoolVar(&progress, "progress", false, "show bytes sent and the rate on standard error (default: when standard error is a terminal)")
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

	imported, duplicate, rejected int
}

// file streams the file name: a header, then its bytes in chunks.
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := imp.client.Import(ctx)
	if err != nil {
		return nil, err
	}
	header := &ingestionv1.ImportHeader{Tenant: imp.tenant, FileName: filepath.Base(name), Size: fi.Size(), Format: imp.format}
	// Every message names the tenant: the server's access check reads it
	// from each one.
	if err := stream.Send(&ingestionv1.ImportRequest{Tenant: imp.tenant, Part: &ingestionv1.ImportRequest_Header{Header: header}}); err != nil {
		return nil, closeAndRecv(stream, err)
	}
	p := newProgress(imp.progress, filepath.Base(name), fi.Size())
	buf := make([]byte, importChunk)
	for {
		n, rerr := f.Read(buf)
		if n > 0 {
			chunk := &ingestionv1.ImportRequest{Tenant: imp.tenant, Part: &ingestionv1.ImportRequest_Chunk{Chunk: &ingestionv1.ImportChunk{Data: buf[:n]}}}
			if err := stream.Send(chunk); err != nil {
				p.clear()
				return nil, closeAndRecv(stream, err)
			}
			p.sent(int64(n))
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			p.clear()
			return nil, &localError{fmt.Errorf("read %s: %w", name, rerr)}
		}
	}
	p.waiting()
	resp, err := stream.CloseAndRecv()
	p.clear()
	return resp, err
}

// closeAndRecv returns the status a failed Send stands for: Send reports
// io.EOF when the server ended the stream, and the reason comes with
// CloseAndRecv.
func closeAndRecv(stream ingestionv1grpc.ImportService_ImportClient, err error) error {
	if !errors.Is(err, io.EOF) {
		return err
	}
	_, rerr := stream.CloseAndRecv()
	if rerr != nil {
		return rerr
	}
	return err
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

// progress draws "NAME: 12.0 of 100.0 MiB sent (12 %), 40.2 MiB/s" on
// one line of a terminal, redrawn at most every progressEvery.
type progress struct {
	w           io.Writer
	name        string
	size, done  int64
	start, last time.Time
	drawn       bool
}

func newProgress(w io.Writer, name string, size int64) *progress {
	now := time.Now()
	return &progress{w: w, name: name, size: size, start: now, last: now}
}

func mib(n int64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }

func (p *progress) sent(n int64) {
	p.done += n
	if p.w == nil || (time.Since(p.last) < progressEvery && p.done < p.size) {
		return
	}
	p.last = time.Now()
	rate := float64(p.done) / (1 << 20) / max(time.Since(p.start).Seconds(), 1e-3)
	pct := int64(100)
	if p.size > 0 {
		pct = p.done * 100 / p.size
	}
	fmt.Fprintf(p.w, "\r\033[K%s: %s of %s MiB sent (%d %%), %.1f MiB/s", p.name, mib(p.done), mib(p.size), pct, rate)
	p.drawn = true
}

// waiting says that the file is sent and ingestion is reading it.
func (p *progress) waiting() {
	if p.w == nil {
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s: %s MiB sent in %s; ingestion is reading it…", p.name, mib(p.done), time.Since(p.start).Round(100*time.Millisecond))
	p.drawn = true
}

// clear removes the progress line before the file's result is printed.
func (p *progress) clear() {
	if p.w != nil && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}
