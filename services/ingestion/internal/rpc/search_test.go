package rpc_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
	"github.com/o2c-platform/o2c/services/ingestion/internal/rpc"
)

// search is a DebtorSearch over n debtors K-001 … that match every query.
type search struct{ n int }

func (s search) SearchDebtors(_ context.Context, _, _ string, limit int) ([]postgres.DebtorMatch, error) {
	var out []postgres.DebtorMatch
	for i := 1; i <= s.n && len(out) < limit; i++ {
		out = append(out, postgres.DebtorMatch{DebtorID: fmt.Sprintf("K-%03d", i), MatchedBy: "customer_number"})
	}
	return out, nil
}

func (search) InvoiceDocuments(context.Context, string, string) ([]postgres.InvoiceDocument, error) {
	return nil, nil
}

// TestSearchDebtorsPages walks the pages of 60 matches by their tokens and
// refuses queries and page arguments it cannot serve.
func TestSearchDebtorsPages(t *testing.T) {
	t.Parallel()
	s := &rpc.DebtorService{Search: search{n: 60}, Tenants: tenants{}}
	ctx := context.Background()
	var got []string
	var pages int
	tok := ""
	for {
		r, err := s.SearchDebtors(ctx, &ingestionv1.SearchDebtorsRequest{Tenant: "acme", Query: "K-", PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, d := range r.GetDebtors() {
			got = append(got, d.GetDebtorId())
		}
		if tok = r.GetNextPageToken(); tok == "" {
			break
		}
	}
	if pages != 3 || len(got) != 60 || got[0] != "K-001" || got[59] != "K-060" {
		t.Errorf("%d pages with %d debtors (%v), want 3 pages of K-001 to K-060", pages, len(got), got)
	}
	for _, req := range []*ingestionv1.SearchDebtorsRequest{
		{Tenant: "acme", Query: " K "},
		{Tenant: "acme", Query: "K-1", PageSize: 101},
		{Tenant: "acme", Query: "K-1", PageToken: "x"},
	} {
		if _, err := s.SearchDebtors(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%v: %v, want INVALID_ARGUMENT", req, err)
		}
	}
	r, err := s.SearchDebtors(ctx, &ingestionv1.SearchDebtorsRequest{Tenant: "acme", Query: "K-0", PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"K-001", "K-002"}, []string{r.GetDebtors()[0].GetDebtorId(), r.GetDebtors()[1].GetDebtorId()}); diff != "" || r.GetNextPageToken() != "2" {
		t.Errorf("page of 2 (-want +got):\n%s next %q", diff, r.GetNextPageToken())
	}
}
