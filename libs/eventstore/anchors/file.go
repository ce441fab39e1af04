package anchors

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// File is an anchor sink on an append-only file of JSON lines, one anchor
// per line, of any number of services. An append takes an exclusive
// flock(2) on the file for the check and the write and syncs the file
// before it returns, so processes of one host may share the file. A last
// line without its newline is a write cut short by a crash: readers ignore
// it and the next append cuts it off.
type File struct {
	path string

	mu      sync.Mutex
	scanned int64            // bytes of complete lines scanned for last
	last    map[string]int64 // last sequence number per service in those bytes
	file    fs.FileInfo      // the file scanned, to notice a replaced file
}

// NewFile returns a sink on the file at path, created on the first append.
func NewFile(path string) *File { return &File{path: path, last: map[string]int64{}} }

// Path returns the file's path.
func (f *File) Path() string { return f.path }

// AppendAnchor appends a as one line after the last anchor of its service.
func (f *File) AppendAnchor(ctx context.Context, a *eventstore.Anchor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	line, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode anchor: %w", err)
	}
	line = append(line, '\n')
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.OpenFile(f.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("anchors file: %w", err)
	}
	defer fh.Close() // also releases the lock
	if err := syscall.Flock(int(fh.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("anchors file %s: lock: %w", f.path, err)
	}
	end, err := f.scan(fh)
	if err != nil {
		return err
	}
	if err := checkNext(a, f.last[a.Service]); err != nil {
		return fmt.Errorf("anchors file %s: %w", f.path, err)
	}
	if err := fh.Truncate(end); err != nil { // cut off a torn last line, if any
		return fmt.Errorf("anchors file %s: %w", f.path, err)
	}
	if _, err := fh.WriteAt(line, end); err != nil {
		return fmt.Errorf("anchors file %s: write: %w", f.path, err)
	}
	if err := fh.Sync(); err != nil {
		return fmt.Errorf("anchors file %s: sync: %w", f.path, err)
	}
	f.scanned = end + int64(len(line))
	f.last[a.Service] = a.Seq
	return nil
}

// scan reads the complete lines after f.scanned (all of them when the file
// shrank or was replaced), updates f.last and returns the offset after
// the last complete line.
func (f *File) scan(fh *os.File) (int64, error) {
	st, err := fh.Stat()
	if err != nil {
		return 0, fmt.Errorf("anchors file %s: %w", f.path, err)
	}
	if st.Size() < f.scanned || (f.file != nil && !os.SameFile(f.file, st)) {
		f.scanned, f.last = 0, map[string]int64{}
	}
	f.file = st
	r := bufio.NewReader(io.NewSectionReader(fh, f.scanned, st.Size()-f.scanned))
	end := f.scanned
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a remainder without newline is a torn write
		}
		if err != nil {
			return 0, fmt.Errorf("anchors file %s: %w", f.path, err)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			p, err := decodePosition(line)
			if err != nil {
				return 0, fmt.Errorf("anchors file %s at byte %d: %w", f.path, end, err)
			}
			f.last[p.Service] = p.Seq
		}
		end += int64(len(line))
	}
	f.scanned = end
	return end, nil
}

// ReadAnchors calls fn with every anchor of service in the file, oldest
// first. A file that does not exist holds no anchors.
func (f *File) ReadAnchors(ctx context.Context, service string, fn func(*eventstore.Anchor) error) error {
	fh, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("anchors file: %w", err)
	}
	defer fh.Close()
	r := bufio.NewReader(fh)
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("anchors file %s: %w", f.path, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		p, err := decodePosition(line)
		if err != nil {
			return fmt.Errorf("anchors file %s line %d: %w", f.path, n, err)
		}
		if p.Service != service {
			continue
		}
		var a eventstore.Anchor
		if err := json.Unmarshal(line, &a); err != nil {
			return fmt.Errorf("anchors file %s line %d: %w", f.path, n, err)
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
}
