// Package upload sends files to ingestion's ImportService as `o2c import`
// does: a header, the file's bytes in chunks, every message naming the
// tenant, while it reads the answers, progress and last the outcome. The
// demo, the benchmarks and the fault tests send their files the same way.
package upload

import (
	"context"
	"errors"
	"fmt"
	"io"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
)

// ChunkSize is how many bytes one ImportRequest carries: the
// ImportService suggests at most 1 MiB.
const ChunkSize = 1 << 20

// errNoOutcome means the ImportService ended the stream without an
// outcome and without an error status, which it never does.
var errNoOutcome = errors.New("ingestion ended the import stream without an outcome")

// File is one file to send.
type File struct {
	// Tenant is named on every message: the server's access check reads it
	// from each one.
	Tenant string
	// Header describes the file (its tenant is set to Tenant).
	Header *ingestionv1.ImportHeader
	// Data is the file's content, read to its end in ChunkSize pieces.
	Data io.Reader
	// Sent, when set, is called after each chunk was sent with its size,
	// on the sending goroutine.
	Sent func(n int)
	// Progress, when set, is called with each progress the server sends,
	// on the receiving goroutine.
	Progress func(*ingestionv1.ImportProgress)
}

// ReadError is a failure to read File.Data: the file, not the service.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// Send streams f to client and returns the outcome. It reads the answers
// while it sends, so that progress arrives as the server makes it. The
// error is a *ReadError when f.Data could not be read, else the call's
// (a gRPC status when the server refused or failed the import).
func Send(ctx context.Context, client ingestionv1grpc.ImportServiceClient, f File) (*ingestionv1.ImportResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.Import(ctx)
	if err != nil {
		return nil, err
	}
	type answer struct {
		resp *ingestionv1.ImportResponse
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		resp, err := Receive(stream, f.Progress)
		answers <- answer{resp, err}
	}()
	serr := sendFile(stream, f)
	if serr == nil {
		serr = stream.CloseSend()
	}
	if serr != nil && !errors.Is(serr, io.EOF) {
		// The file could not be read, or the stream broke: the server's
		// answer, if any, no longer matters.
		cancel()
		<-answers
		return nil, serr
	}
	// io.EOF from Send: the server ended the stream, and its status comes
	// with the answers.
	a := <-answers
	return a.resp, a.err
}

// sendFile sends the header and the chunks of f.
func sendFile(stream ingestionv1grpc.ImportService_ImportClient, f File) error {
	h := &ingestionv1.ImportHeader{Tenant: f.Tenant, FileName: f.Header.GetFileName(), Size: f.Header.GetSize(), Format: f.Header.GetFormat()}
	if err := stream.Send(&ingestionv1.ImportRequest{Tenant: f.Tenant, Part: &ingestionv1.ImportRequest_Header{Header: h}}); err != nil {
		return err
	}
	buf := make([]byte, ChunkSize)
	for {
		n, rerr := io.ReadFull(f.Data, buf)
		if n > 0 {
			chunk := &ingestionv1.ImportRequest{Tenant: f.Tenant, Part: &ingestionv1.ImportRequest_Chunk{Chunk: &ingestionv1.ImportChunk{Data: buf[:n]}}}
			if err := stream.Send(chunk); err != nil {
				return err
			}
			if f.Sent != nil {
				f.Sent(n)
			}
		}
		switch {
		case errors.Is(rerr, io.EOF), errors.Is(rerr, io.ErrUnexpectedEOF):
			return nil
		case rerr != nil:
			return &ReadError{fmt.Errorf("read %s: %w", h.GetFileName(), rerr)}
		}
	}
}

// Finish closes the sending side of a stream the caller has sent a whole
// file on and returns the outcome (see Receive). A caller whose Send
// failed with io.EOF calls it too: the server ended the stream, and
// Finish returns its status.
func Finish(stream ingestionv1grpc.ImportService_ImportClient, progress func(*ingestionv1.ImportProgress)) (*ingestionv1.ImportResponse, error) {
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	return Receive(stream, progress)
}

// Receive reads the answers of an Import stream until the outcome, the
// first message without progress, handing each progress to progress (nil:
// dropped), and then the stream's end. The error is the stream's status
// when the server failed or refused the import.
func Receive(stream ingestionv1grpc.ImportService_ImportClient, progress func(*ingestionv1.ImportProgress)) (*ingestionv1.ImportResponse, error) {
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, errNoOutcome
		}
		if err != nil {
			return nil, err
		}
		if p := m.GetProgress(); p != nil {
			if progress != nil {
				progress(p)
			}
			continue
		}
		// The outcome is the last message; reading on to the end frees
		// the stream.
		for {
			if _, err := stream.Recv(); err != nil {
				break
			}
		}
		return m, nil
	}
}
