package rpc

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/status/v1/statusv1grpc"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// TestPolicyCoversEveryRPC fails when an RPC of the ledger's services has
// no rule, before any server runs (the service's matrix test calls them).
func TestPolicyCoversEveryRPC(t *testing.T) {
	t.Parallel()
	for _, d := range []grpc.ServiceDesc{ledgerv1grpc.LedgerService_ServiceDesc, ledgerv1grpc.LedgerQueryService_ServiceDesc,
		ledgerv1grpc.LedgerCommandService_ServiceDesc, statusv1grpc.StatusService_ServiceDesc} {
		for _, m := range d.Methods {
			full := "/" + d.ServiceName + "/" + m.MethodName
			if r, ok := Policy[full]; !ok || len(r.Roles) == 0 || r.Public {
				t.Errorf("%s: rule %+v; every RPC of the ledger needs roles", full, r)
			}
		}
		if len(d.Streams) > 0 {
			t.Errorf("%s has streams; give them rules and check them here", d.ServiceName)
		}
	}
	// The ExportService's one RPC streams, and so do most of the
	// ReportService's.
	for _, d := range []grpc.ServiceDesc{ledgerv1grpc.ExportService_ServiceDesc, ledgerv1grpc.ReportService_ServiceDesc} {
		for _, m := range d.Streams {
			full := "/" + d.ServiceName + "/" + m.StreamName
			if r, ok := Policy[full]; !ok || len(r.Roles) == 0 || r.Public {
				t.Errorf("%s: rule %+v; every RPC of the ledger needs roles", full, r)
			}
		}
	}
	for _, m := range ledgerv1grpc.ReportService_ServiceDesc.Methods {
		full := "/" + ledgerv1grpc.ReportService_ServiceDesc.ServiceName + "/" + m.MethodName
		if r, ok := Policy[full]; !ok || len(r.Roles) == 0 || r.Public {
			t.Errorf("%s: rule %+v; every RPC of the ledger needs roles", full, r)
		}
	}
	if n := len(Policy); n != 3+6+16+2+1+9 {
		t.Errorf("Policy has %d rules for 37 RPCs: a rule names an RPC that does not exist", n)
	}
}

// meta records the Meta of the command it executes.
type meta struct{ got []books.Meta }

func (m *meta) Execute(_ context.Context, _ proto.Message, bm books.Meta) (books.Result, error) {
	m.got = append(m.got, bm)
	return books.Result{}, nil
}

// TestCommandActorIsTheCaller checks that the actor of a command is the
// authenticated caller's: an o2c-actor header (which once named it) is
// ignored, a handler reached without a caller refuses, and a caller of
// another tenant is refused even behind a guard that let it through.
func TestCommandActorIsTheCaller(t *testing.T) {
	t.Parallel()
	rec := &meta{}
	s := &CommandService{Commander: rec, Tenants: tenantstest.File(t, "acme", "beta")}
	anna := identity.Principal{Actor: "user:anna", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Accountant}}
	forged := metadata.NewIncomingContext(context.Background(), metadata.Pairs("o2c-actor", "finance:demo"))
	closeMarch := func(tenant string) *ledgerv1.ClosePeriodRequest {
		return &ledgerv1.ClosePeriodRequest{Command: &ledgerv1.ClosePeriod{Tenant: tenant, IdempotencyKey: "close:2026-03", Year: 2026, Month: 3, Reason: "month end"}}
	}

	if _, err := s.ClosePeriod(identity.NewContext(forged, anna), closeMarch("acme")); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 1 || rec.got[0].Actor != "user:anna" {
		t.Errorf("commands executed with %+v, want one as user:anna", rec.got)
	}
	if _, err := s.ClosePeriod(forged, closeMarch("acme")); !errors.Is(err, identity.ErrNoPrincipal) {
		t.Errorf("without a caller: %v, want ErrNoPrincipal", err)
	}
	if _, err := s.ClosePeriod(identity.NewContext(forged, anna), closeMarch("beta")); !errors.Is(err, identity.ErrForeignTenant) {
		t.Errorf("anna for beta: %v, want ErrForeignTenant", err)
	}
	if len(rec.got) != 1 {
		t.Errorf("%d commands reached the books, want only the first", len(rec.got))
	}
}
