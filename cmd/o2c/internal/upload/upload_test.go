package upload_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/upload"
)

// server is an ImportService that sends the bytes received as progress
// after every chunk and answers with the size received, or refuses a file
// after its header when refuse is set. It keeps the tenant of every
// message and the header.
type server struct {
	ingestionv1grpc.UnimplementedImportServiceServer
	refuse  error
	tenants []string
	header  *ingestionv1.ImportHeader
}

func (s *server) Import(stream grpc.BidiStreamingServer[ingestionv1.ImportRequest, ingestionv1.ImportResponse]) error {
	var size int64
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		s.tenants = append(s.tenants, m.GetTenant())
		if h := m.GetHeader(); h != nil {
			s.header = h
			if s.refuse != nil {
				return s.refuse
			}
			continue
		}
		size += int64(len(m.GetChunk().GetData()))
		if err := stream.Send(&ingestionv1.ImportResponse{Progress: &ingestionv1.ImportProgress{
			Phase: ingestionv1.ImportPhase_IMPORT_PHASE_RECEIVING, BytesReceived: size}}); err != nil {
			return err
		}
	}
	return stream.Send(&ingestionv1.ImportResponse{ImportId: "imp-1", Status: ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED,
		Counts: &ingestionv1.ImportCounts{New: int32(size)}})
}

// client serves s until the test ends and returns a client of it.
func client(t *testing.T, s *server) ingestionv1grpc.ImportServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	ingestionv1grpc.RegisterImportServiceServer(g, s)
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ingestionv1grpc.NewImportServiceClient(conn)
}

// TestSendStreamsTheFileAndReturnsTheOutcome: every message names the
// tenant, the header comes first with the tenant set, the bytes in chunks
// of ChunkSize; progress reaches File.Progress as the server sends it and
// the outcome is returned.
func TestSendStreamsTheFileAndReturnsTheOutcome(t *testing.T) {
	t.Parallel()
	s := &server{}
	data := bytes.Repeat([]byte("x"), 2*upload.ChunkSize+10)
	var sent []int
	var received []int64
	resp, err := upload.Send(context.Background(), client(t, s), upload.File{
		Tenant: "acme", Header: &ingestionv1.ImportHeader{FileName: "a.xml", Size: int64(len(data)), Format: "mt942"},
		Data:     bytes.NewReader(data),
		Sent:     func(n int) { sent = append(sent, n) },
		Progress: func(p *ingestionv1.ImportProgress) { received = append(received, p.GetBytesReceived()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &ingestionv1.ImportResponse{ImportId: "imp-1", Status: ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED,
		Counts: &ingestionv1.ImportCounts{New: int32(len(data))}}
	if diff := cmp.Diff(want, resp, protocmp.Transform()); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	wantHeader := &ingestionv1.ImportHeader{Tenant: "acme", FileName: "a.xml", Size: int64(len(data)), Format: "mt942"}
	if diff := cmp.Diff(wantHeader, s.header, protocmp.Transform()); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"acme", "acme", "acme", "acme"}, s.tenants); diff != "" {
		t.Errorf("tenants of the messages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{upload.ChunkSize, upload.ChunkSize, 10}, sent); diff != "" {
		t.Errorf("chunks sent (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{upload.ChunkSize, 2 * upload.ChunkSize, int64(len(data))}, received); diff != "" {
		t.Errorf("progress received (-want +got):\n%s", diff)
	}
}

// TestSendReturnsTheRefusal: a server that ends the stream with an error
// while the file is sent has its status returned.
func TestSendReturnsTheRefusal(t *testing.T) {
	t.Parallel()
	refusal := status.Error(codes.ResourceExhausted, "a.xml: file too large: the import takes at most 4096 bytes")
	c := client(t, &server{refuse: refusal})
	_, err := upload.Send(context.Background(), c, upload.File{
		Tenant: "acme", Header: &ingestionv1.ImportHeader{FileName: "a.xml"},
		Data: bytes.NewReader(bytes.Repeat([]byte("x"), 8*upload.ChunkSize)),
	})
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "at most 4096 bytes") {
		t.Errorf("err %v; want the server's RESOURCE_EXHAUSTED", err)
	}
}

// TestSendSaysWhenTheFileCannotBeRead: a read error is a *ReadError naming
// the file, not a failure of the service.
func TestSendSaysWhenTheFileCannotBeRead(t *testing.T) {
	t.Parallel()
	c := client(t, &server{})
	disk := errors.New("input/output error")
	_, err := upload.Send(context.Background(), c, upload.File{
		Tenant: "acme", Header: &ingestionv1.ImportHeader{FileName: "a.xml"},
		Data: io.MultiReader(strings.NewReader("<Document>"), iotest.ErrReader(disk)),
	})
	var read *upload.ReadError
	if !errors.As(err, &read) || !errors.Is(err, disk) || !strings.Contains(err.Error(), "read a.xml") {
		t.Errorf("err %v; want a *ReadError naming a.xml", err)
	}
}

// TestFinishAfterSendingEverything: a caller that sends the whole file
// before it reads gets the outcome from Finish, progress included.
func TestFinishAfterSendingEverything(t *testing.T) {
	t.Parallel()
	stream, err := client(t, &server{}).Import(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msgs := []*ingestionv1.ImportRequest{
		{Tenant: "acme", Part: &ingestionv1.ImportRequest_Header{Header: &ingestionv1.ImportHeader{FileName: "a.xml"}}},
		{Tenant: "acme", Part: &ingestionv1.ImportRequest_Chunk{Chunk: &ingestionv1.ImportChunk{Data: []byte("abc")}}},
		{Tenant: "acme", Part: &ingestionv1.ImportRequest_Chunk{Chunk: &ingestionv1.ImportChunk{Data: []byte("de")}}},
	}
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	var progress int
	resp, err := upload.Finish(stream, func(*ingestionv1.ImportProgress) { progress++ })
	if err != nil || resp.GetCounts().GetNew() != 5 || progress != 2 {
		t.Errorf("Finish = %v, %v after %d progress; want the outcome of 5 bytes after 2", resp, err, progress)
	}
}
