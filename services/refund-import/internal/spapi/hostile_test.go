package spapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// hostileDocs is the fake SP-API with report documents of its own: a
// getReportDocument for an id in docs answers with that document's
// compression and a download URL on the same server, which serves its
// bytes; everything else is the fake's.
type hostileDocs struct {
	fake *spapifake.Server
	base string
	docs map[string]hostileDoc
}

// hostileDoc is what the server says of a document and the bytes it
// serves; answer, when set, is the getReportDocument answer verbatim.
type hostileDoc struct {
	compression string
	content     []byte
	answer      string
}

func (h *hostileDocs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const docs, download = "/reports/2021-06-30/documents/", "/download/"
	switch {
	case strings.HasPrefix(r.URL.Path, docs):
		d, ok := h.docs[strings.TrimPrefix(r.URL.Path, docs)]
		if !ok {
			break
		}
		w.Header().Set("Content-Type", "application/json")
		if d.answer != "" {
			w.Write([]byte(d.answer))
			return
		}
		id := strings.TrimPrefix(r.URL.Path, docs)
		w.Write([]byte(`{"reportDocumentId":"` + id + `","url":"` + h.base + download + id + `","compressionAlgorithm":"` + d.compression + `"}`))
		return
	case strings.HasPrefix(r.URL.Path, download):
		w.Write(h.docs[strings.TrimPrefix(r.URL.Path, download)].content)
		return
	}
	h.fake.ServeHTTP(w, r)
}

func gzipped(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestHostileReportDocuments fetches report documents that a broken or
// hostile server (or whoever answers at the presigned URL) could serve: a
// gzip bomb, gzip cut short, bytes that are no gzip, an unknown
// compression, answers without a URL or not JSON, and ids that try to
// leave the documents path. Each is refused with ErrUpstream or
// ErrBadRequest naming the document, and the bomb is read no further than
// the limit: the heap does not keep its 64 MiB.
func TestHostileReportDocuments(t *testing.T) {
	// Not parallel: the heap is measured around each fetch, and other
	// tests' pages in this process would count.
	const limit = 1 << 20
	bomb := gzipped(t, make([]byte, 64<<20)) // about 64 KiB on the wire
	fine := []byte("settlement-id\tsettlement-start-date\n1\t2026-05-01\n")
	fake := spapifake.New(spapifake.Options{Limits: spapi.NoLimits()})
	h := &hostileDocs{fake: fake, docs: map[string]hostileDoc{
		"bomb":      {compression: "GZIP", content: bomb},
		"cut":       {compression: "GZIP", content: gzipped(t, fine)[:20]},
		"plain":     {compression: "GZIP", content: fine},
		"bzip":      {compression: "BZIP2", content: fine},
		"no-url":    {answer: `{"reportDocumentId":"no-url"}`},
		"not-json":  {answer: `<html>502 Bad Gateway</html>`},
		"deep-json": {answer: strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)},
		"fine":      {compression: "GZIP", content: gzipped(t, fine)},
	}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	h.base = srv.URL
	c, err := spapi.New(spapi.Config{Endpoint: srv.URL, TokenURL: srv.URL + "/auth/o2/token", Credentials: fake.Credentials(),
		Limits: spapi.NoLimits(), MaxRetries: -1, MaxDocument: limit, HTTP: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id      string
		wantErr error
		says    string
	}{
		{"bomb", spapi.ErrUpstream, "decompressed content above 1048576 bytes"},
		{"cut", spapi.ErrUpstream, "broken gzip"},
		{"plain", spapi.ErrUpstream, "not gzip"},
		{"bzip", spapi.ErrUpstream, `unknown compression "BZIP2"`},
		{"no-url", spapi.ErrUpstream, "without a document URL"},
		{"not-json", spapi.ErrUpstream, "without a document URL"},
		{"deep-json", spapi.ErrUpstream, "without a document URL"},
		{"../../auth/o2/token", spapi.ErrBadRequest, "document id"},
		{"x?url=http://169.254.169.254/", spapi.ErrBadRequest, "document id"},
		{"", spapi.ErrBadRequest, "document id"},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		rc, err := c.ReportDocument(context.Background(), tt.id)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if err == nil {
			rc.Close()
			t.Errorf("document %q: read, want %v", tt.id, tt.wantErr)
			continue
		}
		if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("document %q: %v, want %v saying %q", tt.id, err, tt.wantErr, tt.says)
		}
		if tt.id != "" && !strings.Contains(err.Error(), tt.id) {
			t.Errorf("document %q: %v does not name the document", tt.id, err)
		}
		if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 8<<20 {
			t.Errorf("document %q: the heap kept %d bytes after the refusal", tt.id, grew)
		}
	}
	// The client still reads a good document after the refusals.
	rc, err := c.ReportDocument(context.Background(), "fine")
	if err != nil {
		t.Fatalf("a good document afterwards: %v", err)
	}
	defer rc.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(rc); err != nil || !bytes.Equal(got.Bytes(), fine) {
		t.Errorf("good document = %q, %v; want %q", got.Bytes(), err, fine)
	}
}

// TestMaxDocumentBoundsTheDefault: without MaxDocument a client takes
// documents up to DefaultMaxDocument, so a document just above a small
// limit is read whole.
func TestMaxDocumentBoundsTheDefault(t *testing.T) {
	t.Parallel()
	fake := spapifake.New(spapifake.Options{Limits: spapi.NoLimits()})
	h := &hostileDocs{fake: fake, docs: map[string]hostileDoc{"two-mib": {compression: "GZIP", content: gzipped(t, make([]byte, 2<<20))}}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	h.base = srv.URL
	c, err := spapi.New(spapi.Config{Endpoint: srv.URL, TokenURL: srv.URL + "/auth/o2/token", Credentials: fake.Credentials(),
		Limits: spapi.NoLimits(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := c.ReportDocument(context.Background(), "two-mib")
	if err != nil {
		t.Fatalf("a 2 MiB document under the default limit: %v", err)
	}
	rc.Close()
}
