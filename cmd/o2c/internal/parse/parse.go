// Package parse implements `o2c parse`: it reads payment and marketplace files
// with the parser libraries under libs/ and prints what they understood as one
// JSON object per file (JSON Lines), following shared/contracts/o2c-parse.md.
//
// A file's line starts with the SHA-256 of the whole file, and a file that
// fails anywhere gets a single line carrying only "error" (nothing
// half-printed, nothing guessed), so nothing of a line can be written before
// the file has been read to its end. Each file is read and parsed once, hashed
// on the way, and its JSON held back in a spool (the first MB in memory, the
// rest in a temporary file that has no name in the file system while it is
// used) until the file has parsed; then the line is written from the spool, or
// the error line instead. Memory stays the same for a 100 MB statement as for
// a 10 MB one. When the spool cannot be written (no temporary directory, no
// space left), the file is read twice instead: once to hash and validate it
// into a discarding writer (building no JSON, MT940 with
// mt940.Options.CheckOnly), once to stream the JSON; that gives the same
// output at about half the speed (docs/performance.md).
//
// A file that starts with a UTF-16 byte order mark is detected on its first
// bytes converted to UTF-8. camt reads UTF-16 itself; every other format gets
// the whole file converted to UTF-8 and a warning that says so. The hash is
// always of the file's own bytes.
//
// With Options.Output "table" the same JSON is rendered as tables for people
// instead (see tableWriter); the JSON stays the contract.
package parse

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/formats/detect"
)

// Options are the command-line switches that reach the format handlers.
type Options struct {
	// Format is "auto" or one of the format names; see Formats.
	Format string
	// Encoding overrides text-encoding detection for formats that need it
	// (MT940: e.g. "cp852"); empty means detect.
	Encoding string
	// Output is "json" (JSON Lines, the contract; empty means json) or
	// "table" (tables for people).
	Output string
}

// Result is what a format handler reports besides the JSON it wrote.
type Result struct {
	// Format is the detected format and version, e.g. "camt.053.001.02".
	Format string
	// Warnings lists everything odd that did not stop parsing.
	Warnings []string
}

// format is one file format family.
type format struct {
	// name is the value of --format that selects it.
	name string
	// detect reports whether head, the first bytes of a file (at most
	// headSize), look like this format.
	detect func(head []byte) bool
	// emit parses r and writes the format's own members of the file's JSON
	// object to w, each preceded by a comma (`,"statements":[…]`). It must
	// write the same bytes for the same input on every call.
	emit func(r io.Reader, opt Options, w *Writer) (Result, error)
	// readsUTF16 is true when emit reads a UTF-16 file (one that starts
	// with its byte order mark) itself; every other format gets such a file
	// converted to UTF-8.
	readsUTF16 bool
}

// headSize is how much of a file detection may look at. It is generous
// because some camt samples open with kilobytes of XML comments.
const headSize = detect.HeadSize

// formats lists every format, named as in libs/formats/detect, which
// decides which one a file is.
func formats() []format {
	return []format{datevFormat, camtFormat, settlementFormat, spapiFormat, mt940Format}
}

// Names returns the accepted --format values.
func Names() []string {
	names := []string{"auto"}
	for _, f := range formats() {
		names = append(names, f.name)
	}
	return names
}

// Run parses every file and writes one JSON line per file to stdout, warnings
// and progress to stderr. It returns 0 when every file parsed, 1 when any did
// not, and 2 for a usage error.
//
// While it runs, Run sets the garbage collector's target to gcPercent
// (unless the GOGC environment variable sets one): the parsers keep a heap
// of a few MB but allocate the size of the file several times over, and
// with the default target the collector ran every 4 MB, a fifth of the
// time. The heap then peaks at some 20 MB, whatever the size of the file.
func Run(files []string, opt Options, stdout, stderr io.Writer) int {
	return run(files, opt, stdout, stderr, newSpool("", spoolMemory))
}

// run is Run with the spool that holds each file's JSON back until the file
// has parsed; with a nil spool it reads every file twice.
func run(files []string, opt Options, stdout, stderr io.Writer, sp *spool) int {
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	}
	if opt.Format == "" {
		opt.Format = "auto"
	}
	if _, ok := lookup(opt.Format); !ok && opt.Format != "auto" {
		fmt.Fprintf(stderr, "o2c parse: unknown --format %q (want one of %s)\n", opt.Format, strings.Join(Names(), ", "))
		return 2
	}
	var tables *tableWriter
	switch opt.Output {
	case "", "json":
	case "table":
		tables = newTableWriter(stdout)
		stdout = tables
	default:
		fmt.Fprintf(stderr, "o2c parse: unknown --output %q (want one of %s)\n", opt.Output, strings.Join(Outputs, ", "))
		return 2
	}
	p := &parser{opt: opt, out: NewWriter(stdout), stderr: stderr, spool: sp}
	if sp != nil {
		defer sp.Close()
		// Deferred after sp.Close, so it runs first: the spool's last
		// writes end before the spool is closed.
		var wb *writeBehind
		p.held, wb = newWriterBehind(sp, heldBuffer)
		defer wb.close()
		p.ahead = newReadAhead()
	}
	out := p.out
	status := 0
	for _, name := range files {
		if err := p.parseFile(name); err != nil {
			status = 1
		}
		if err := out.Flush(); err != nil {
			fmt.Fprintf(stderr, "o2c parse: write output: %v\n", err)
			status = 1
			break
		}
	}
	if tables != nil {
		if err := tables.Close(); err != nil {
			fmt.Fprintf(stderr, "o2c parse: %v\n", err)
			return 1
		}
	}
	return status
}

func lookup(name string) (format, bool) {
	for _, f := range formats() {
		if f.name == name {
			return f, true
		}
	}
	return format{}, false
}

// heldBuffer is the size of the buffer in front of a spool: the spool
// gets the JSON in writes of about this size.
const heldBuffer = 256 << 10

// parser reads the files of one Run.
type parser struct {
	opt    Options
	out    *Writer
	stderr io.Writer
	// spool holds a file's JSON until the file has parsed; nil, or
	// broken, means read every file twice.
	spool *spool
	// held is the Writer the format handlers write to spool with; a
	// goroutine of its own writes its buffers to the spool.
	held *Writer
	// ahead reads and hashes a file ahead of the parser when the file
	// is read once.
	ahead *readAhead
}

// fail writes the error line of file name, with its hash and detected
// format when known, and says so on stderr; it returns err.
func (p *parser) fail(name, sum, detected string, err error) error {
	line := struct {
		File     string   `json:"file"`
		SHA256   string   `json:"sha256"`
		Format   string   `json:"format,omitempty"`
		Warnings []string `json:"warnings"`
		Error    string   `json:"error"`
	}{File: name, SHA256: sum, Format: detected, Warnings: []string{}, Error: err.Error()}
	p.out.Value(line)
	p.out.WriteString("\n")
	fmt.Fprintf(p.stderr, "%s: %v\n", name, err)
	return err
}

// parseFile handles one file; the returned error has already been printed.
func (p *parser) parseFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return p.fail(name, "", "", fmt.Errorf("cannot open file: %w", err))
	}
	defer f.Close()

	head := make([]byte, headSize)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return p.fail(name, "", "", fmt.Errorf("cannot read file: %w", err))
	}
	head = head[:n]
	enc := detect.UTF16(head)

	var ff format
	if p.opt.Format == "auto" {
		var ok bool
		if ff, ok = detectFormat(detect.Head(head, enc)); !ok {
			sum, err := hashFile(f)
			if err != nil {
				return p.fail(name, "", "", err)
			}
			content := "the content"
			if enc != "" {
				content += " (" + enc + ", read as UTF-8)"
			}
			return p.fail(name, sum, "", errors.New("unknown format: "+content+" is none of camt, MT940/MT942, Amazon settlement report, SP-API Finances or DATEV EXTF (use --format to force one)"))
		}
	} else {
		ff, _ = lookup(p.opt.Format)
	}

	size := int64(-1)
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	if p.spool != nil && p.spool.err == nil {
		if err, ok := p.readOnce(f, name, ff, enc, size); ok {
			return err
		}
	}
	return p.readTwice(f, name, ff, enc, size)
}

// readOnce reads f from its start once: it hashes it, parses it with ff
// into the spool and then writes the file's line from the spool, or its
// error line. It reports false, having written nothing, when the spool
// failed; f must then be read again.
func (p *parser) readOnce(f *os.File, name string, ff format, enc string, size int64) (_ error, ok bool) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return p.fail(name, "", "", fmt.Errorf("cannot read file: %w", err)), true
	}
	// The held Writer's last writes of the previous file are done before
	// the spool is emptied.
	p.held.reset(p.spool)
	p.spool.reset()
	h := sha256.New()
	p.ahead.start(f, h)
	defer p.ahead.stopReading()
	pr, done := withProgress(p.ahead, p.stderr, name, "reading", size)
	res, perr := ff.emit(decoded(pr, enc, ff), p.opt, p.held)
	done()
	if p.held.Flush() != nil {
		// The spool's error, which the handler may also have returned.
		return nil, false
	}
	// The parser may stop before EOF (trailing bytes it ignores); the hash
	// covers the whole file regardless. A failed file whose rest cannot be
	// read is named by the hash of what could be read, as readTwice does.
	rerr := p.ahead.rest()
	sum := hex.EncodeToString(h.Sum(nil))
	if perr != nil {
		return p.fail(name, sum, res.Format, perr), true
	}
	if rerr != nil {
		return p.fail(name, "", res.Format, fmt.Errorf("cannot read file: %w", rerr)), true
	}
	sum = hex.EncodeToString(h.Sum(nil))
	p.out.WriteString(`{"file":`)
	p.out.Value(name)
	p.out.WriteString(`,"sha256":`)
	p.out.Value(sum)
	p.out.WriteString(`,"format":`)
	p.out.Value(res.Format)
	p.out.copyFrom(p.spool)
	p.finish(name, ff, enc, res)
	return nil, true
}

// readTwice reads f from its start twice: once to hash it and parse it
// into a discarding writer, and, when that succeeded, once more to write
// the JSON.
func (p *parser) readTwice(f *os.File, name string, ff format, enc string, size int64) error {
	// Pass 1: hash and validate.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return p.fail(name, "", "", fmt.Errorf("cannot read file: %w", err))
	}
	h := sha256.New()
	pr, done := withProgress(f, p.stderr, name, "checking", size)
	res, perr := ff.emit(decoded(io.TeeReader(pr, h), enc, ff), p.opt, discardWriter())
	done()
	if perr == nil {
		// The parser may stop before EOF (trailing bytes it ignores); the
		// hash covers the whole file regardless.
		if _, err := io.Copy(h, f); err != nil {
			return p.fail(name, "", res.Format, fmt.Errorf("cannot read file: %w", err))
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if perr != nil {
		if _, err := io.Copy(h, f); err == nil {
			sum = hex.EncodeToString(h.Sum(nil))
		}
		return p.fail(name, sum, res.Format, perr)
	}

	// Pass 2: stream the JSON.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return p.fail(name, sum, res.Format, fmt.Errorf("cannot read file: %w", err))
	}
	out := p.out
	out.WriteString(`{"file":`)
	out.Value(name)
	out.WriteString(`,"sha256":`)
	out.Value(sum)
	out.WriteString(`,"format":`)
	out.Value(res.Format)
	pr, done = withProgress(f, p.stderr, name, "writing", size)
	res, perr = ff.emit(decoded(bufio.NewReaderSize(pr, 256<<10), enc, ff), p.opt, out)
	done()
	if perr != nil {
		// Only reachable if the file changed between the passes.
		out.WriteString(`,"error":`)
		out.Value("file changed while it was read: " + perr.Error())
		out.WriteString("}\n")
		return perr
	}
	p.finish(name, ff, enc, res)
	return nil
}

// finish writes the warnings that end a parsed file's line, and the line's
// end, and repeats the warnings on stderr.
func (p *parser) finish(name string, ff format, enc string, res Result) {
	warnings := res.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	if enc != "" && !ff.readsUTF16 {
		warnings = append(warnings, "the file is "+enc+" (byte order mark); it was read converted to UTF-8")
	}
	p.out.WriteString(`,"warnings":`)
	p.out.Value(warnings)
	p.out.WriteString("}\n")
	for _, w := range warnings {
		fmt.Fprintf(p.stderr, "%s: warning: %s\n", name, w)
	}
}

// gcPercent is the garbage collector's target while Run runs; see Run.
const gcPercent = 400

// progressMin is the file size from which progress is shown.
const progressMin = 32 << 20

// progress reports how far a long read has come on a terminal, at most once
// a second, overwriting its line.
type progress struct {
	r          io.Reader
	w          io.Writer
	name, step string
	size, done int64
	last       time.Time
	shown      bool
}

// withProgress wraps r so that reading it reports progress on stderr, when
// stderr is a terminal and the file is large; otherwise it returns r. Call
// done when the read is over.
func withProgress(r io.Reader, stderr io.Writer, name, step string, size int64) (_ io.Reader, done func()) {
	f, ok := stderr.(*os.File)
	if !ok || size < progressMin {
		return r, func() {}
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return r, func() {}
	}
	p := &progress{r: r, w: stderr, name: name, step: step, size: size, last: time.Now()}
	return p, func() {
		if p.shown {
			fmt.Fprintf(p.w, "\r%s: %s done (%d MB)%20s\n", p.name, p.step, p.done>>20, "")
		}
	}
}

func (p *progress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if now := time.Now(); now.Sub(p.last) >= time.Second {
		p.last, p.shown = now, true
		fmt.Fprintf(p.w, "\r%s: %s %3d%% (%d of %d MB)", p.name, p.step, p.done*100/p.size, p.done>>20, p.size>>20)
	}
	return n, err
}

// detectFormat returns the format detect.Detect finds in head.
func detectFormat(head []byte) (format, bool) {
	f, ok := detect.Detect(head)
	if !ok {
		return format{}, false
	}
	return lookup(string(f))
}

func hashFile(f *os.File) (string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("cannot read file: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("cannot read file: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Writer is a buffered JSON Lines writer. Its methods remember the first
// error and turn later calls into no-ops, so handlers can write freely and
// check Err (or the Flush result) once.
type Writer struct {
	w   *buffered
	buf bytes.Buffer
	enc *json.Encoder
	err error
	// discard is set for the validating pass's Writer, whose output
	// nobody reads: handlers skip building it.
	discard bool
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	return newWriterSize(w, 64<<10)
}

// newWriterSize returns a Writer to w with a buffer of size bytes.
func newWriterSize(w io.Writer, size int) *Writer {
	jw := &Writer{w: &buffered{buf: make([]byte, 0, size), dst: w}}
	jw.enc = json.NewEncoder(&jw.buf)
	jw.enc.SetEscapeHTML(false)
	return jw
}

// newWriterBehind returns a Writer to w with buffers of size bytes that a
// goroutine of its own writes to w, while the handler fills the next; the
// writeBehind must be closed when the Writer is no longer used. Flush
// waits for the writes.
func newWriterBehind(w io.Writer, size int) (*Writer, *writeBehind) {
	wb, buf := newWriteBehind(w, size)
	jw := &Writer{w: &buffered{buf: buf, dst: w, behind: wb}}
	jw.enc = json.NewEncoder(&jw.buf)
	jw.enc.SetEscapeHTML(false)
	return jw, wb
}

// discardWriter returns a Writer for the validating pass: it writes
// nothing, and handlers need not build their JSON for it.
func discardWriter() *Writer {
	w := NewWriter(io.Discard)
	w.discard = true
	return w
}

// reset makes w an empty Writer to dst, keeping its buffers.
func (w *Writer) reset(dst io.Writer) {
	w.w.Reset(dst)
	w.err = nil
}

// copyFrom writes everything r holds.
func (w *Writer) copyFrom(r io.WriterTo) {
	if w.err != nil {
		return
	}
	_, w.err = r.WriteTo(w.w)
}

// minAppend is the free buffer space below which buffer flushes first, so
// that a handler appending one entry's JSON rarely outgrows it.
const minAppend = 16 << 10

// buffer returns an empty slice for a handler to append JSON to and then
// pass to commit. It shares the free space of the output buffer, so
// commit usually has nothing to copy.
func (w *Writer) buffer() []byte {
	if w.err == nil && w.w.Available() < minAppend {
		// Handed on, not waited for: the handler goes on appending
		// while a writeBehind writes.
		w.err = w.w.flush()
	}
	return w.w.AvailableBuffer()
}

// commit writes b, JSON text that a handler appended to buffer's slice.
func (w *Writer) commit(b []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.w.Write(b)
}

// WriteString writes raw JSON text.
func (w *Writer) WriteString(s string) {
	if w.err != nil {
		return
	}
	_, w.err = w.w.WriteString(s)
}

// Value writes v encoded as JSON (no trailing newline, HTML not escaped).
func (w *Writer) Value(v any) {
	if w.err != nil {
		return
	}
	w.buf.Reset()
	if err := w.enc.Encode(v); err != nil {
		w.err = err
		return
	}
	b := w.buf.Bytes()
	_, w.err = w.w.Write(b[:len(b)-1])
}

// Member writes `,"key":<v as JSON>`.
func (w *Writer) Member(key string, v any) {
	w.WriteString(",")
	w.Value(key)
	w.WriteString(":")
	w.Value(v)
}

// Err returns the first error the writer met.
func (w *Writer) Err() error { return w.err }

// Flush writes buffered output to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

// buffered is the buffer of a Writer: the part of bufio.Writer that Writer
// uses, with two differences. Bytes that a handler appended to
// AvailableBuffer are taken as they are, without copying them onto
// themselves; and with behind set, a full buffer is handed to behind's
// goroutine and an empty one taken in its place, so that the handler
// appends the next JSON while the last is written (errors then show in
// Flush).
type buffered struct {
	buf    []byte
	dst    io.Writer
	behind *writeBehind
	err    error
}

// Available returns how many bytes fit before the buffer is flushed.
func (b *buffered) Available() int { return cap(b.buf) - len(b.buf) }

// AvailableBuffer returns an empty slice of the buffer's free space.
func (b *buffered) AvailableBuffer() []byte { return b.buf[len(b.buf):len(b.buf)] }

// Write appends p to the buffer, flushing it when full.
func (b *buffered) Write(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n := len(p)
	if n > 0 && n <= b.Available() && &b.buf[:len(b.buf)+1][len(b.buf)] == &p[0] {
		// Appended to AvailableBuffer: in place already.
		b.buf = b.buf[:len(b.buf)+n]
		return n, nil
	}
	if b.behind == nil && len(b.buf) == 0 && n >= cap(b.buf) {
		// Large writes (a spool copied out) go through directly.
		m, err := b.dst.Write(p)
		b.err = err
		return m, err
	}
	for len(p) > 0 {
		if b.Available() == 0 {
			if err := b.flush(); err != nil {
				return n - len(p), err
			}
		}
		m := copy(b.buf[len(b.buf):cap(b.buf)], p)
		b.buf = b.buf[:len(b.buf)+m]
		p = p[m:]
	}
	return n, nil
}

// WriteString appends s to the buffer, flushing it when full.
func (b *buffered) WriteString(s string) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n := len(s)
	for len(s) > 0 {
		if b.Available() == 0 {
			if err := b.flush(); err != nil {
				return n - len(s), err
			}
		}
		m := copy(b.buf[len(b.buf):cap(b.buf)], s)
		b.buf = b.buf[:len(b.buf)+m]
		s = s[m:]
	}
	return n, nil
}

// flush hands the buffer on: to behind, or written to dst.
func (b *buffered) flush() error {
	if b.err != nil || len(b.buf) == 0 {
		return b.err
	}
	if b.behind != nil {
		b.buf = b.behind.swap(b.buf)
		return nil
	}
	n, err := b.dst.Write(b.buf)
	if err == nil && n < len(b.buf) {
		err = io.ErrShortWrite
	}
	b.buf, b.err = b.buf[:0], err
	return err
}

// Flush writes what the buffer holds and, with behind, waits until it and
// everything before it is written.
func (b *buffered) Flush() error {
	if err := b.flush(); err != nil {
		return err
	}
	if b.behind != nil {
		b.err = b.behind.sync()
	}
	return b.err
}

// Reset drops what the buffer holds and makes dst the destination,
// forgetting any error; with behind, after waiting for its writes.
func (b *buffered) Reset(dst io.Writer) {
	b.buf, b.err, b.dst = b.buf[:0], nil, dst
	if b.behind != nil {
		b.behind.reset(dst)
	}
}
