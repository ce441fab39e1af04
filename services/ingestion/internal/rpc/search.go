package rpc

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

// DebtorSearch finds debtors and their invoices (postgres.Store).
type DebtorSearch interface {
	SearchDebtors(ctx context.Context, tenant, query string, limit int) ([]postgres.DebtorMatch, error)
	InvoiceDocuments(ctx context.Context, tenant, debtor string) ([]postgres.InvoiceDocument, error)
}

// The page sizes of SearchDebtors, and how far it pages.
const (
	defaultSearchPage = 25
	maxSearchPage     = 100
	maxSearchResults  = 1000
)

// SearchDebtors serves DebtorService.SearchDebtors: it asks the store for
// every match up to the end of the page asked for and returns that page;
// the page token is the offset of the next page.
func (s *DebtorService) SearchDebtors(ctx context.Context, req *ingestionv1.SearchDebtorsRequest) (*ingestionv1.SearchDebtorsResponse, error) {
	if err := checkText(req); err != nil {
		return nil, err
	}
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	q := strings.TrimSpace(req.GetQuery())
	if utf8.RuneCountInString(q) < 2 {
		return nil, status.Errorf(codes.InvalidArgument, "query %q: give at least two characters of a name, customer number, invoice number or IBAN", q)
	}
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = defaultSearchPage
	case size < 0 || size > maxSearchPage:
		return nil, status.Errorf(codes.InvalidArgument, "page_size %d: want 1 to %d", size, maxSearchPage)
	}
	offset := 0
	if t := req.GetPageToken(); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > maxSearchResults {
			return nil, status.Errorf(codes.InvalidArgument, "page_token %q was not returned by SearchDebtors", t)
		}
		offset = n
	}
	ms, err := s.Search.SearchDebtors(ctx, req.GetTenant(), q, min(offset+size+1, maxSearchResults+1))
	if err != nil {
		return nil, fmt.Errorf("search debtors: %w", err)
	}
	resp := &ingestionv1.SearchDebtorsResponse{}
	for i := offset; i < len(ms) && i < offset+size; i++ {
		m := ms[i]
		resp.Debtors = append(resp.Debtors, &ingestionv1.DebtorMatch{DebtorId: m.DebtorID, Name: m.Name, Kind: m.Kind,
			MatchedBy: m.MatchedBy, InvoiceNumber: m.InvoiceNumber, Erased: m.Erased})
	}
	if len(ms) > offset+size && offset+size < maxSearchResults {
		resp.NextPageToken = strconv.Itoa(offset + size)
	}
	return resp, nil
}

// ListInvoices serves DebtorService.ListInvoices.
func (s *DebtorService) ListInvoices(ctx context.Context, req *ingestionv1.ListInvoicesRequest) (*ingestionv1.ListInvoicesResponse, error) {
	if err := checkText(req); err != nil {
		return nil, err
	}
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	if req.GetDebtorId() == "" {
		return nil, status.Error(codes.InvalidArgument, "debtor_id: required")
	}
	docs, err := s.Search.InvoiceDocuments(ctx, req.GetTenant(), req.GetDebtorId())
	if err != nil {
		return nil, fmt.Errorf("invoices of %s: %w", req.GetDebtorId(), err)
	}
	resp := &ingestionv1.ListInvoicesResponse{}
	for _, d := range docs {
		resp.Invoices = append(resp.Invoices, &ingestionv1.InvoiceDocument{InvoiceNumber: d.Number, IssueDate: d.IssueDate, DocumentUrl: d.DocumentURL})
	}
	return resp, nil
}
