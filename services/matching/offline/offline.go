// Package offline runs the matching engine over files instead of events:
// the JSON Lines run of `o2c match` (shared/contracts/o2c-match.md). It
// reads the open items, debtors and confirmed history, then decides each
// payment in input order with the same engine, configuration and Apply as
// the matching service, and writes one decision line per payment. Finance
// teams use it to try a rule change on past data; the benchmark uses it to
// measure the engine.
package offline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// Options names the input files. Items and Payments are required; the
// others may be empty.
type Options struct {
	Items, Payments, Debtors, History string
	// Config is a file with the matching rules (the keys of the tenants
	// file's matching section) in YAML or JSON; empty for the defaults.
	Config string
	// Progress, when set, receives a line now and then while payments are
	// decided (for a terminal).
	Progress io.Writer
}

// Summary counts what a run decided.
type Summary struct {
	Items, Debtors, History             int
	Payments, Auto, Proposed, Unmatched int
	Load, Match                         time.Duration
}

// InputError is input that cannot be read: it names the file and, when
// the problem is in one line, the line.
type InputError struct {
	File string
	Line int
	Err  error
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// LoadConfig reads a rules file: YAML or JSON with the keys of the tenants
// file's matching section, checked as the service checks that section.
func LoadConfig(path string) (engine.Config, error) {
	if path == "" {
		return engine.DefaultConfig(), nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return engine.Config{}, &InputError{File: path, Err: err}
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return engine.Config{}, &InputError{File: path, Err: fmt.Errorf("neither YAML nor JSON: %w", err)}
	}
	cfg, err := engine.ParseConfig(js)
	if err != nil {
		return engine.Config{}, &InputError{File: path, Err: err}
	}
	return cfg, nil
}

// Run matches every payment of opt.Payments, in input order, and writes
// one decision line per payment to out. It stops at the first line it
// cannot read (an *InputError naming file and line); the decisions of the
// payments before it are written by then.
func Run(ctx context.Context, opt Options, out io.Writer) (Summary, error) {
	var sum Summary
	start := time.Now()
	cfg, err := LoadConfig(opt.Config)
	if err != nil {
		return sum, err
	}
	var debtors []engine.Debtor
	if opt.Debtors != "" {
		err := readLines(ctx, opt.Debtors, func(line int, b []byte) error {
			d, err := decodeDebtor(b)
			if err == nil {
				debtors = append(debtors, d)
			}
			return err
		})
		if err != nil {
			return sum, err
		}
	}
	eng, err := engine.New(cfg, nil, debtors, nil)
	if err != nil {
		return sum, &InputError{File: opt.Debtors, Err: err}
	}
	sum.Debtors = len(debtors)
	debtors = nil
	if opt.Items == "" {
		return sum, &InputError{File: "--open-items", Err: errors.New("no open items file given")}
	}
	if n, err := countLines(opt.Items); err == nil {
		eng.Grow(n)
	}
	if err := readParallel(ctx, opt.Items, decodeItem, func(it engine.OpenItem) error {
		sum.Items++
		return eng.AddItem(it)
	}); err != nil {
		return sum, err
	}
	if opt.History != "" {
		if err := readLines(ctx, opt.History, func(line int, b []byte) error {
			c, err := decodeHistory(b)
			if err == nil {
				eng.Learn(c.Payment, c.Debtor)
				sum.History++
			}
			return err
		}); err != nil {
			return sum, err
		}
	}
	sum.Load = time.Since(start)
	start = time.Now()
	w := bufio.NewWriterSize(out, 1<<16)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	seen := map[string]int{}
	lastProgress := time.Now()
	if opt.Payments == "" {
		return sum, &InputError{File: "--payments", Err: errors.New("no payments file given")}
	}
	err = readLines(ctx, opt.Payments, func(line int, b []byte) error {
		p, err := decodePayment(b)
		if err != nil {
			return err
		}
		if first, dup := seen[p.ID]; dup {
			return fmt.Errorf("payment id %q is used on line %d already", p.ID, first)
		}
		seen[p.ID] = line
		d := eng.Match(p)
		if err := eng.Apply(d); err != nil {
			return fmt.Errorf("apply the decision: %w", err)
		}
		switch d.Kind {
		case engine.Auto:
			sum.Auto++
		case engine.Proposed:
			sum.Proposed++
		default:
			sum.Unmatched++
		}
		sum.Payments++
		if opt.Progress != nil && time.Since(lastProgress) > time.Second {
			lastProgress = time.Now()
			fmt.Fprintf(opt.Progress, "o2c match: %d payments decided\r", sum.Payments)
		}
		return enc.Encode(toLine(d))
	})
	if ferr := w.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	sum.Match = time.Since(start)
	return sum, err
}

// countLines counts the lines of a file quickly, to size the indexes.
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n := 0
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n + 1, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// readLines calls fn for each non-empty line of the file, with its number;
// an error from fn is reported with the file and line.
func readLines(ctx context.Context, path string, fn func(line int, b []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return &InputError{File: path, Err: err}
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for line := 1; ; line++ {
		b, err := readLine(r, nil)
		if len(b) > 0 {
			if line%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if line == 1 {
				b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
			}
			if t := bytes.TrimSpace(b); len(t) > 0 {
				if ferr := fn(line, t); ferr != nil {
					return &InputError{File: path, Line: line, Err: ferr}
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &InputError{File: path, Line: line, Err: err}
		}
	}
}

// maxLineBytes bounds one line of an input file: a JSON value of o2c
// match is far smaller, and a file without line breaks (a wrong argument,
// a binary file) must not be read whole into memory.
const maxLineBytes = 16 << 20

// readLine appends the next line of r, its '\n' included, to dst. A line
// longer than maxLineBytes is an error after reading no more than that.
func readLine(r *bufio.Reader, dst []byte) ([]byte, error) {
	for {
		frag, err := r.ReadSlice('\n')
		dst = append(dst, frag...)
		if len(dst) > maxLineBytes {
			return nil, fmt.Errorf("line longer than %d bytes", maxLineBytes)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return dst, err
		}
	}
}

// readParallel decodes the lines of a large file on every core and hands
// the values to add in file order.
func readParallel[T any](ctx context.Context, path string, decode func([]byte) (T, error), add func(T) error) error {
	type batch struct {
		nums  []int
		lines [][]byte
		vals  []T
		err   error
		done  chan struct{}
	}
	const batchLines = 2048
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan *batch, workers*2)
	order := make(chan *batch, workers*4)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				b.vals = make([]T, 0, len(b.lines))
				for _, l := range b.lines {
					v, err := decode(l)
					if err != nil {
						b.err = err
						break
					}
					b.vals = append(b.vals, v)
				}
				b.lines = nil
				close(b.done)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		cur := &batch{done: make(chan struct{})}
		send := func() bool {
			select {
			case order <- cur:
			case <-stop:
				return false
			}
			jobs <- cur
			cur = &batch{done: make(chan struct{})}
			return true
		}
		errStopped := errors.New("stopped")
		err := readLines(ctx, path, func(line int, b []byte) error {
			cur.lines = append(cur.lines, bytes.Clone(b))
			cur.nums = append(cur.nums, line)
			if len(cur.lines) == batchLines && !send() {
				return errStopped
			}
			return nil
		})
		if err == nil && len(cur.lines) > 0 {
			send()
		}
		if errors.Is(err, errStopped) {
			err = nil
		}
		readErr <- err
	}()
	var firstErr error
	for b := range order {
		<-b.done
		if firstErr != nil {
			continue
		}
		for i, v := range b.vals {
			if err := add(v); err != nil {
				firstErr = &InputError{File: path, Line: b.nums[i], Err: err}
				break
			}
		}
		if firstErr == nil && b.err != nil {
			firstErr = &InputError{File: path, Line: b.nums[len(b.vals)], Err: b.err}
		}
		if firstErr != nil {
			close(stop)
		}
	}
	wg.Wait()
	if err := <-readErr; err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}
