package parse

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// spoolMemory is how much of a file's JSON a spool keeps in memory before
// it continues in a temporary file. Most statements an operator looks at
// stay below it; the heap does not grow beyond it with the file.
const spoolMemory = 1 << 20

// spool holds back the JSON of the file being parsed until the whole file
// has parsed, so that Run can read each file once and still print nothing
// but the error line for a file that fails at its end. The first part is
// kept in memory, the rest in a temporary file that is created on demand,
// removed from its directory at once where the system allows it (so that
// nothing is left behind even when the process is killed), reused for the
// following files and closed by Close.
//
// Once a write fails (no space left, a directory that cannot be written),
// the spool is broken: Write returns that error from then on, and Run reads
// the file twice instead, as it did before spools existed.
type spool struct {
	// dir is where the temporary file goes; empty means os.TempDir.
	dir string
	// limit is the size of the in-memory part.
	limit int
	mem   []byte
	file  *os.File
	// name is set while the temporary file still has a name to remove.
	name string
	// size is the number of bytes written to file since reset.
	size int64
	err  error
}

func newSpool(dir string, limit int) *spool {
	return &spool{dir: dir, limit: limit}
}

// Write appends p to what the spool holds.
func (s *spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	if len(s.mem) < s.limit {
		n = min(len(p), s.limit-len(s.mem))
		s.mem = append(s.mem, p[:n]...)
		p = p[n:]
		if len(p) == 0 {
			return n, nil
		}
	}
	if s.file == nil {
		if err := s.create(); err != nil {
			s.err = err
			return n, err
		}
	}
	m, err := s.file.Write(p)
	s.size += int64(m)
	if err != nil {
		s.err = fmt.Errorf("spool the JSON: %w", err)
		return n + m, s.err
	}
	return n + m, nil
}

func (s *spool) create() error {
	f, err := os.CreateTemp(s.dir, "o2c-parse-*.json")
	if err != nil {
		return fmt.Errorf("spool the JSON: %w", err)
	}
	s.file = f
	if os.Remove(f.Name()) != nil {
		// Some systems cannot remove an open file; Close does.
		s.name = f.Name()
	}
	return nil
}

// WriteTo writes everything the spool holds to w, in the order written.
func (s *spool) WriteTo(w io.Writer) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := w.Write(s.mem)
	written := int64(n)
	if err != nil || s.file == nil || s.size == 0 {
		return written, err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return written, fmt.Errorf("read the spooled JSON: %w", err)
	}
	// The memory part, written out, is the buffer for the rest: large
	// reads and writes, where io.Copy into a bufio.Writer would read 8 KB
	// at a time into some writers.
	buf := s.mem[:cap(s.mem)]
	for left := s.size; left > 0; {
		n, err := io.ReadFull(s.file, buf[:min(int64(len(buf)), left)])
		left -= int64(n)
		if err != nil {
			return written, fmt.Errorf("read the spooled JSON: %w", err)
		}
		n, err = w.Write(buf[:n])
		written += int64(n)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// reset empties the spool for the next file, keeping its memory and its
// temporary file. A broken spool stays broken.
func (s *spool) reset() {
	s.mem = s.mem[:0]
	if s.file == nil || s.err != nil || s.size == 0 {
		return
	}
	s.size = 0
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		s.err = fmt.Errorf("spool the JSON: %w", err)
		return
	}
	if err := s.file.Truncate(0); err != nil {
		s.err = fmt.Errorf("spool the JSON: %w", err)
	}
}

// Close closes and removes the temporary file, if any.
func (s *spool) Close() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	if s.name != "" {
		err = errors.Join(err, os.Remove(s.name))
	}
	s.file, s.name = nil, ""
	return err
}
