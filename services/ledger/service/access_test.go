package service

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/identity"
)

// TestAccessMatrix calls every RPC the ledger serves as every role, and
// for a tenant outside the caller's, and checks the answers against the
// ledger's policy (rpc.Policy with rejection.Policy): a new RPC without a
// rule, or a rule the server does not enforce, fails here.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	authztest.CheckMatrix(t, s.l.h.GRPC, s.conn, testAuth, s.l.h.Policy, "acme", "beta")
}

// TestPeriodsAreClosedByAuthenticatedAccountants checks who closes a
// period: the caller must be an accountant (the policy) and listed in the
// tenant's period actors (the books), as the credentials name it; an
// o2c-actor header naming a period actor changes nothing, and the event
// records the caller.
func TestPeriodsAreClosedByAuthenticatedAccountants(t *testing.T) {
	t.Parallel()
	s := startService(t)
	const tn = "acme"
	ctx := context.Background()
	closeMarch := &ledgerv1.ClosePeriodRequest{Command: &ledgerv1.ClosePeriod{Tenant: tn, IdempotencyKey: "close:2026-03", Year: 2026, Month: 3, Reason: "month end"}}
	forged := metadata.AppendToOutgoingContext(ctx, "o2c-actor", "cfo")
	cfoAsOperator := identity.Principal{Actor: "cfo", Tenants: []string{tn}, Roles: []identity.Role{identity.Operator, identity.CustomerService}}
	refused := []struct {
		name string
		as   identity.Principal
		code codes.Code
	}{
		{"a period actor without the accountant role", cfoAsOperator, codes.PermissionDenied},
		{"an accountant not among the period actors, claiming to be one", accountant("clerk", tn), codes.PermissionDenied},
		{"a platform admin", authztest.Principal(identity.PlatformAdmin, ""), codes.PermissionDenied},
		{"the period actor, accountant of another tenant", accountant("cfo", "shop-1"), codes.PermissionDenied},
	}
	for _, r := range refused {
		if _, err := s.cmds.ClosePeriod(forged, closeMarch, testAuth.As(r.as)); status.Code(err) != r.code {
			t.Errorf("ClosePeriod by %s: %v, want %v", r.name, err, r.code)
		}
	}
	if _, err := s.cmds.ClosePeriod(ctx, closeMarch, testAuth.As(accountant("cfo", tn))); err != nil {
		t.Fatalf("ClosePeriod by the accountant cfo: %v", err)
	}
	var actor string
	if err := s.l.Pool().QueryRow(ctx, `SELECT actor FROM events WHERE event_type = 'o2c.ledger.v1.PeriodClosed' AND tenant = $1`, tn).Scan(&actor); err != nil {
		t.Fatal(err)
	}
	if actor != "cfo" {
		t.Errorf("PeriodClosed recorded actor %q, want cfo", actor)
	}
}
