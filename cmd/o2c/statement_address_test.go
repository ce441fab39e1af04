package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"google.golang.org/grpc"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1grpc "github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// profileServer is a fake of ingestion's DebtorProfileService.
type profileServer struct {
	ingestionv1grpc.UnimplementedDebtorProfileServiceServer
	profiles []*ingestionv1.DebtorProfile
}

func (f *profileServer) ListDebtorProfiles(_ context.Context, req *ingestionv1.ListDebtorProfilesRequest) (*ingestionv1.ListDebtorProfilesResponse, error) {
	var out []*ingestionv1.DebtorProfile
	for _, p := range f.profiles {
		if req.GetTenant() == "acme" && slices.Contains(req.GetDebtorIds(), p.GetDebtorId()) {
			out = append(out, p)
		}
	}
	return &ingestionv1.ListDebtorProfilesResponse{Profiles: out}, nil
}

// serve starts a gRPC server on a free port with register's services.
func serve(tb testing.TB, register func(*grpc.Server)) string {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := grpc.NewServer()
	register(s)
	go func() { _ = s.Serve(lis) }()
	tb.Cleanup(s.Stop)
	return lis.Addr().String()
}

var (
	pdfStreamRe = regexp.MustCompile(`(?s)<<([^>]*)>>\nstream\n(.*?)\nendstream`)
	pdfTjRe     = regexp.MustCompile(`\(((?:\\.|[^\\)])*)\) ?Tj`)
)

// pdfTexts returns every string a PDF shows with Tj, content streams
// inflated and Windows-1252 decoded: enough of PDF for fpdf's core fonts.
func pdfTexts(tb testing.TB, pdf []byte) []string {
	tb.Helper()
	var out []string
	for _, m := range pdfStreamRe.FindAllSubmatch(pdf, -1) {
		data := m[2]
		if bytes.Contains(m[1], []byte("/FlateDecode")) {
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				continue // a font or image stream
			}
			if data, err = io.ReadAll(r); err != nil {
				tb.Fatal(err)
			}
		}
		for _, t := range pdfTjRe.FindAllSubmatch(data, -1) {
			raw := regexp.MustCompile(`\\(.)`).ReplaceAll(t[1], []byte("$1"))
			s, err := charmap.Windows1252.NewDecoder().Bytes(raw)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, string(s))
		}
	}
	return out
}

// TestReportStatementPDFAddressed renders a statement letter addressed
// from ingestion's profile (name and billing address in the window, the
// country for a letter abroad), then, for a debtor ingestion knows no name
// of, an erased one and without ingestion, to the debtor id, saying why.
func TestReportStatementPDFAddressed(t *testing.T) {
	t.Parallel()
	ledger := serve(t, func(s *grpc.Server) { ledgerv1grpc.RegisterLedgerQueryServiceServer(s, &statementServer{}) })
	ingestion := serve(t, func(s *grpc.Server) {
		ingestionv1grpc.RegisterDebtorProfileServiceServer(s, &profileServer{profiles: []*ingestionv1.DebtorProfile{
			{DebtorId: "K-1", Name: "Jürgen Weiß", BillingAddress: &shopv1.Address{Lines: []string{"Hauptstraße 5", "Hinterhaus"}, PostalCode: "4051", City: "Basel", Country: "CH"}},
			{DebtorId: "K-2"},
			{DebtorId: "K-3", Erased: true},
		}})
	})
	down := func() string {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := lis.Addr().String()
		lis.Close()
		return addr
	}()
	tests := []struct {
		name, debtor, ingestion string
		want                    []string
		stderr                  string
	}{
		{"addressed from the profile", "K-1", ingestion, []string{"Jürgen Weiß", "Hauptstraße 5", "Hinterhaus", "4051 Basel", "SCHWEIZ"}, ""},
		{"no name known", "K-2", ingestion, []string{"Debitor K-2", "Konto 10001"}, "ingestion knows no name of debtor K-2"},
		{"unknown to ingestion", "K-9", ingestion, []string{"Debitor K-9", "Konto 10001"}, "ingestion knows no name of debtor K-9"},
		{"erased", "K-3", ingestion, []string{"Debitor K-3", "Konto 10001"}, "its personal data was erased"},
		{"ingestion down", "K-1", down, []string{"Debitor K-1", "Konto 10001"}, "statement of K-1 addressed to the debtor id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "statement.pdf")
			code, _, stderr := runCLI(t, "report", "statement", "--tenant", "acme", "--ledger", ledger, "--ingestion", tc.ingestion,
				"--debtor", tc.debtor, "--format", "pdf", "--out", out)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if tc.stderr == "" && strings.Contains(stderr, "addressed to the debtor id") || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q, want it to say %q", stderr, tc.stderr)
			}
			pdf, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			texts := pdfTexts(t, pdf)
			// The window's lines follow the return line, the sender's.
			i := slices.Index(texts, "acme")
			if i < 0 || i+1+len(tc.want) > len(texts) {
				t.Fatalf("no window found in %q", texts)
			}
			if got := texts[i+2 : i+2+len(tc.want)]; !slices.Equal(got, tc.want) {
				t.Errorf("window %q, want %q (page text %q)", got, tc.want, texts)
			}
			if tc.debtor == "K-3" && slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, "Weiß") }) {
				t.Error("the erased debtor's letter shows a name")
			}
		})
	}
}
