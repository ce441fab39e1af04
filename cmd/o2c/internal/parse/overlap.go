package parse

import (
	"errors"
	"hash"
	"io"
)

// The one-pass reading of a file is a pipeline: read and hash the file,
// parse it, append the JSON, write the JSON to the spool. Three goroutines
// share it so that `o2c parse` uses both cores of a small machine: a
// readAhead reads and hashes the file ahead of the parser, the handler
// parses and appends the JSON on the calling goroutine, and a writeBehind
// writes the finished buffers to the spool behind it. Both hand each other
// buffers of a fixed number through channels, so memory does not grow with
// the file, and both finish their goroutine before Run returns.

// readAheadChunk is the size of the pieces a readAhead reads the file in,
// and readAheadChunks how many of them it has: one the parser reads, the
// others read and hashed ahead of it.
const (
	readAheadChunk  = 64 << 10
	readAheadChunks = 4
)

// chunk is one piece of a file that a readAhead read, with the error that
// ended the file after it (io.EOF at the end).
type chunk struct {
	b   []byte
	err error
}

// readAhead reads a file on a goroutine of its own, hashing every byte as
// it reads, and hands the parser the pieces in order through Read. Its
// buffers are reused for the following files of a run.
type readAhead struct {
	bufs [][]byte
	full chan chunk
	free chan []byte
	stop chan struct{}
	done chan struct{}

	cur []byte // what Read has not returned of the current piece
	buf []byte // the current piece's buffer, to give back
	err error  // what ended the file, once its last piece was received
}

// newReadAhead allocates the buffers of a readAhead.
func newReadAhead() *readAhead {
	ra := &readAhead{}
	for range readAheadChunks {
		ra.bufs = append(ra.bufs, make([]byte, readAheadChunk))
	}
	return ra
}

// start begins reading r into h; Read then returns r's bytes. Every start
// must be followed by stop.
func (ra *readAhead) start(r io.Reader, h hash.Hash) {
	ra.full = make(chan chunk, readAheadChunks)
	ra.free = make(chan []byte, readAheadChunks)
	ra.stop = make(chan struct{})
	ra.done = make(chan struct{})
	for _, b := range ra.bufs {
		ra.free <- b
	}
	ra.cur, ra.buf, ra.err = nil, nil, nil
	go ra.read(r, h)
}

// read is the goroutine: it fills free buffers from r, hashes them and
// sends them on until r ends or stop is closed.
func (ra *readAhead) read(r io.Reader, h hash.Hash) {
	defer close(ra.done)
	for {
		var b []byte
		select {
		case b = <-ra.free:
		case <-ra.stop:
			return
		}
		n, err := io.ReadFull(r, b[:cap(b)])
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		h.Write(b[:n])
		select {
		case ra.full <- chunk{b: b[:n], err: err}:
		case <-ra.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// next makes the following piece current; it returns false when the file
// has ended (ra.err says how).
func (ra *readAhead) next() bool {
	if ra.err != nil {
		return false
	}
	if ra.buf != nil {
		// free has room for every buffer, so this never blocks.
		ra.free <- ra.buf
		ra.buf = nil
	}
	c := <-ra.full
	ra.buf, ra.cur, ra.err = c.b, c.b, c.err
	return true
}

// Read returns the file's bytes in order, then the error that ended it.
func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if !ra.next() {
			return 0, ra.err
		}
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// rest reads (and so hashes) what the parser left of the file. It returns
// nil at the end of the file, else the read error; the hash then covers
// everything read before it.
func (ra *readAhead) rest() error {
	for ra.next() {
	}
	<-ra.done
	if errors.Is(ra.err, io.EOF) {
		return nil
	}
	return ra.err
}

// stopReading ends the goroutine, wherever it is, and waits for it; after
// it the hash may be read. It may be called more than once.
func (ra *readAhead) stopReading() {
	select {
	case <-ra.stop:
	default:
		close(ra.stop)
	}
	<-ra.done
}

// writeBehindBuffers is how many buffers of heldBuffer bytes a
// writeBehind has: one the handler appends to, one being written, one
// spare.
const writeBehindBuffers = 3

// writeBehind writes buffers to dst on a goroutine of its own, in the
// order they were handed to it, and hands them back empty. The first write
// error sticks: later buffers are not written, and sync reports it.
type writeBehind struct {
	dst    io.Writer
	todo   chan []byte
	free   chan []byte
	synced chan error
	done   chan struct{}
	// err belongs to the goroutine while it runs; sync and reset hand it
	// over through the channels.
	err error
}

// newWriteBehind starts a writeBehind to dst with its buffers of size
// bytes; all but the first are in free, and the first is returned for
// the caller to fill. Call close when done.
func newWriteBehind(dst io.Writer, size int) (*writeBehind, []byte) {
	wb := &writeBehind{
		dst:    dst,
		todo:   make(chan []byte, writeBehindBuffers),
		free:   make(chan []byte, writeBehindBuffers),
		synced: make(chan error),
		done:   make(chan struct{}),
	}
	for range writeBehindBuffers - 1 {
		wb.free <- make([]byte, 0, size)
	}
	go wb.write()
	return wb, make([]byte, 0, size)
}

// write is the goroutine. A nil buffer asks for the error so far, once
// every buffer before it is written.
func (wb *writeBehind) write() {
	defer close(wb.done)
	for b := range wb.todo {
		if b == nil {
			wb.synced <- wb.err
			continue
		}
		if wb.err == nil && len(b) > 0 {
			_, wb.err = wb.dst.Write(b)
		}
		wb.free <- b[:0]
	}
}

// swap hands b over to be written and returns an empty buffer to fill
// next, waiting for one when all are in use.
func (wb *writeBehind) swap(b []byte) []byte {
	wb.todo <- b
	return <-wb.free
}

// sync waits until everything handed over is written and returns the
// first write error.
func (wb *writeBehind) sync() error {
	wb.todo <- nil
	return <-wb.synced
}

// reset waits for the writes handed over and makes dst the destination
// of the next ones, forgetting the error.
func (wb *writeBehind) reset(dst io.Writer) {
	wb.sync()
	wb.dst, wb.err = dst, nil
}

// close waits for the writes handed over and ends the goroutine.
func (wb *writeBehind) close() {
	close(wb.todo)
	<-wb.done
}
