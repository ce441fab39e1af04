package settlement

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"unicode/utf8"
)

// cp1252 maps the bytes 0x80-0x9F of Windows-1252 to Unicode; 0xA0-0xFF are
// the same as in Latin-1. The five undefined bytes map to themselves.
var cp1252 = [32]rune{
	0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
	0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
}

// textReader turns a report's bytes into valid UTF-8: it drops a leading
// UTF-8 byte order mark and decodes every byte that is not part of a valid
// UTF-8 sequence as Windows-1252, remembering the line where that first
// happened. Valid UTF-8 passes through unchanged, so a file in UTF-8 and a
// file in Windows-1252 both come out right; only a Windows-1252 file whose
// high bytes happen to form valid UTF-8 sequences would be misread.
type textReader struct {
	r       io.Reader
	in      []byte // undecoded bytes, in[start:end]
	start   int
	end     int
	out     []byte // decoded bytes not yet returned
	rbuf    [utf8.UTFMax]byte
	eof     bool
	err     error
	begun   bool
	line    int // 1-based line of the next input byte
	badLine int // line of the first byte that was not valid UTF-8; 0 if none
}

func newTextReader(r io.Reader) *textReader {
	return &textReader{r: r, in: make([]byte, 32<<10), line: 1}
}

// errUTF16 is returned for a file that starts with a UTF-16 byte order mark.
var errUTF16 = errors.New("the file is UTF-16 (byte order mark FF FE or FE FF); settlement reports are UTF-8")

func (t *textReader) fill() {
	if t.start > 0 {
		copy(t.in, t.in[t.start:t.end])
		t.end -= t.start
		t.start = 0
	}
	for !t.eof && t.end < len(t.in) {
		n, err := t.r.Read(t.in[t.end:])
		t.end += n
		if err == io.EOF {
			t.eof = true
		} else if err != nil {
			t.err = err
			t.eof = true
		}
		if n > 0 {
			return
		}
	}
}

func (t *textReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(t.out) == 0 {
		if t.end-t.start < utf8.UTFMax && !t.eof {
			t.fill()
		}
		if !t.begun && (t.end-t.start >= 3 || t.eof) {
			t.begun = true
			b := t.in[t.start:t.end]
			switch {
			case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
				t.start += 3
			case len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF):
				return 0, errUTF16
			}
		}
		if t.start == t.end {
			if t.err != nil {
				return 0, t.err
			}
			if t.eof {
				return 0, io.EOF
			}
			continue
		}
		t.decode()
	}
	n := copy(p, t.out)
	t.out = t.out[n:]
	return n, nil
}

// decode moves as many input bytes as it can to out.
func (t *textReader) decode() {
	b := t.in[t.start:t.end]
	// Fast path: the ASCII prefix, eight bytes at a time, its lines counted
	// in one go.
	i := 0
	for i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
		i += 8
	}
	t.line += bytes.Count(b[:i], []byte{'\n'})
	// Then valid UTF-8 byte by byte.
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == '\n' {
				t.line++
			}
			i++
			continue
		}
		if !utf8.FullRune(b[i:]) && !t.eof {
			break // wait for the rest of the sequence
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			if i > 0 {
				break // return the valid part first
			}
			if t.badLine == 0 {
				t.badLine = t.line
			}
			n := utf8.EncodeRune(t.rbuf[:], fromCP1252(c))
			t.out = t.rbuf[:n]
			t.start++
			return
		}
		i += size
	}
	if i == 0 {
		// Only an incomplete sequence is left and more input is coming.
		t.fill()
		return
	}
	t.out = b[:i]
	t.start += i
}

func fromCP1252(c byte) rune {
	if c >= 0x80 && c < 0xA0 {
		return cp1252[c-0x80]
	}
	return rune(c)
}
