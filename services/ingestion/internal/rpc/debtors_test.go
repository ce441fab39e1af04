package rpc_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/ingestion/internal/erasure"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
	"github.com/o2c-platform/o2c/services/ingestion/internal/rpc"
)

// masterData is an in-memory MasterData with one debtor, C1 of acme.
type masterData struct {
	debtor   postgres.Debtor
	invoices []postgres.InvoiceRef
}

func (m *masterData) Debtor(_ context.Context, tenant, id string) (postgres.Debtor, error) {
	if tenant != m.debtor.Tenant || id != m.debtor.DebtorID {
		return postgres.Debtor{}, erasure.ErrUnknownDebtor
	}
	return m.debtor, nil
}

func (m *masterData) EraseDebtor(ctx context.Context, tenant, id, actor string, at time.Time) (postgres.Debtor, error) {
	if _, err := m.Debtor(ctx, tenant, id); err != nil {
		return postgres.Debtor{}, err
	}
	m.debtor.Name, m.debtor.Email, m.debtor.ErasedAt, m.debtor.ErasedBy = "", "", at, actor
	return m.debtor, nil
}

func (m *masterData) DebtorInvoices(context.Context, string, string) ([]postgres.InvoiceRef, error) {
	return m.invoices, nil
}

func (m *masterData) DebtorRejections(context.Context, string, string) ([]postgres.RejectionRef, error) {
	return nil, nil
}

type openItems struct {
	n   int
	err error
}

func (o openItems) CountOpenItems(context.Context, string, string) (int, error) { return o.n, o.err }

type tenants struct{}

func (tenants) Check(string) error { return nil }

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func TestEraseDebtor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		open        openItems
		lastInvoice time.Time
		wantErr     error
		wantText    string
	}{
		{name: "open items", open: openItems{n: 2}, lastInvoice: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC),
			wantErr: erasure.ErrOpenItems, wantText: "2 open item"},
		{name: "retention", lastInvoice: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC),
			wantErr: erasure.ErrRetention, wantText: "2030-12-31"},
		{name: "ledger unreachable", open: openItems{err: erasure.ErrLedgerUnreachable},
			wantErr: erasure.ErrLedgerUnreachable, wantText: "ledger"},
		{name: "allowed", lastInvoice: time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := &masterData{
				debtor:   postgres.Debtor{Tenant: "acme", DebtorID: "C1", Name: "Jane Roe", Email: "jane@example.org"},
				invoices: []postgres.InvoiceRef{{Number: "INV-1", IssueDate: tt.lastInvoice}},
			}
			s := &rpc.DebtorService{Store: store, OpenItems: tt.open, Tenants: tenants{}, Now: func() time.Time { return now }}
			ctx := identity.NewContext(context.Background(), identity.Principal{Actor: "ops", Roles: []identity.Role{identity.Operator}, Tenants: []string{"acme"}})
			resp, err := s.EraseDebtor(ctx, &ingestionv1.EraseDebtorRequest{Tenant: "acme", DebtorId: "C1"})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) {
					t.Fatalf("EraseDebtor = %v, want %v saying %q", err, tt.wantErr, tt.wantText)
				}
				if store.debtor.Name != "Jane Roe" {
					t.Errorf("refused erasure erased the name")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := &ingestionv1.DebtorRecord{Tenant: "acme", DebtorId: "C1", UpdatedAt: timestamppb.New(time.Time{}),
				ErasedAt: timestamppb.New(now), ErasedBy: identity.Principal{Actor: "ops"}.Actor}
			if diff := cmp.Diff(want, resp.GetDebtor(), protocmp.Transform(), protocmp.IgnoreFields(&ingestionv1.DebtorRecord{}, "erased_by")); diff != "" {
				t.Errorf("EraseDebtor (-want +got):\n%s", diff)
			}
			if resp.GetDebtor().GetErasedBy() == "" {
				t.Errorf("erasure records no actor")
			}
		})
	}
}

func TestExportDebtor(t *testing.T) {
	t.Parallel()
	store := &masterData{
		debtor:   postgres.Debtor{Tenant: "acme", DebtorID: "C1", Name: "Jane Roe", Email: "jane@example.org"},
		invoices: []postgres.InvoiceRef{{Number: "INV-1", EventID: "e1", IssueDate: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}},
	}
	s := &rpc.DebtorService{Store: store, OpenItems: openItems{}, Tenants: tenants{}, Now: func() time.Time { return now }}
	resp, err := s.ExportDebtor(context.Background(), &ingestionv1.ExportDebtorRequest{Tenant: "acme", DebtorId: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetDebtor().GetName() != "Jane Roe" || resp.GetDebtor().GetEmail() != "jane@example.org" ||
		len(resp.GetInvoices()) != 1 || resp.GetInvoices()[0].GetInvoiceNumber() != "INV-1" || resp.GetInvoices()[0].GetIssueDate().GetYear() != 2025 {
		t.Errorf("ExportDebtor = %v, want Jane Roe's master data and invoice INV-1", resp)
	}
	if _, err := s.ExportDebtor(context.Background(), &ingestionv1.ExportDebtorRequest{Tenant: "acme", DebtorId: "C2"}); !errors.Is(err, erasure.ErrUnknownDebtor) {
		t.Errorf("ExportDebtor(C2) = %v, want ErrUnknownDebtor", err)
	}
}
