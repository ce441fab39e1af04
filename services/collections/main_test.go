package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host/hosttest"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/collections/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = hosttest.Template("collections", postgres.Migrations())

// TestRun starts the service as main does, hands it a release of dunning's
// final level through NATS, lets the agency the rules choose accept the
// case over gRPC with its own token, cancels it and checks that run
// returns nil and leaves no goroutine behind.
func TestRun(t *testing.T) {
	ns := natsembed.Test(t)
	dbURL := pgtest.NewDB(t, template)
	addr := hosttest.FreeAddr(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := bus.EnsureStreams(context.Background(), js, bus.ServiceStreamConfig("dunning"), bus.ServiceStreamConfig("ledger"),
		bus.ServiceStreamConfig("ingestion")); err != nil {
		t.Fatal(err)
	}
	ignore := goleak.IgnoreCurrent()

	agencyToken, _ := auth.NewToken()
	otherToken, _ := auth.NewToken()
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	if err := auth.WriteTokenFile(tokens, map[string]identity.Principal{
		agencyToken: {Actor: "agency:nord", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Agency}, Agency: "nord"},
		otherToken:  {Actor: "agency:sued", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Agency}, Agency: "sued"},
	}); err != nil {
		t.Fatal(err)
	}
	tenantsFile := tenantstest.Write(t, []byte(`{"tenants": {"acme": {"name": "Acme", "collections": {
		"min_release_amount_minor": 1000, "agencies": [{"id": "nord", "countries": ["DE"], "commission_bp": 1500, "vat_rate_bp": 1900},
		{"id": "sued", "countries": ["AT"]}]}}}}`))
	env := map[string]string{"MIGRATE_DATABASE_URL": dbURL, "NATS_URL": ns.ClientURL(), "GRPC_ADDR": addr,
		"O2C_TENANTS": tenantsFile, "O2C_AUTH": "tokens", "O2C_AUTH_TOKENS": tokens}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }) }()

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), auth.WithBearer(agencyToken, true))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hosttest.Eventually(t, "health SERVING", func() bool {
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	release := &dunningv1.ReleasedToCollections{Tenant: "acme", DebtorId: "D-1", Date: &commonv1.Date{Year: 2026, Month: 11, Day: 1},
		Items: []*dunningv1.ReleasedItem{{OpenItemId: "I-1", ClaimOpenItemId: "I-1", DocumentNumber: "RE-1", Component: "principal",
			Open: &commonv1.Money{MinorUnits: 11900, Currency: "EUR"}, DueDate: &commonv1.Date{Year: 2026, Month: 8, Day: 1}}},
		NoticeIds: []string{"M-1", "M-2", "M-3"}, ProcedureId: "standard", ProcedureVersion: 1}
	if _, err := js.PublishMsg(ctx, hosttest.Relayed(t, "acme", "ledger", "debtor", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-1",
		DebtorId: "D-1", Kind: "invoice", DocumentNumber: "RE-1", Amount: &commonv1.Money{MinorUnits: 11900, Currency: "EUR"},
		DocumentDate: &commonv1.Date{Year: 2026, Month: 7, Day: 1}, DueDate: &commonv1.Date{Year: 2026, Month: 8, Day: 1}})); err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(ctx, hosttest.Relayed(t, "acme", "dunning", "debtor", release)); err != nil {
		t.Fatal(err)
	}
	agency := collectionsv1grpc.NewAgencyServiceClient(conn)
	var cases []*collectionsv1.Case
	hosttest.Eventually(t, "the case in the agency's list", func() bool {
		r, err := agency.ListCases(ctx, &collectionsv1.AgencyServiceListCasesRequest{Tenant: "acme"})
		cases = r.GetCases()
		return err == nil && len(cases) == 1
	})
	if c := cases[0]; c.GetAgency() != "nord" || c.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED ||
		c.GetTotals().GetHandedOver().GetMinorUnits() != 11900 || len(c.GetDunningHistory()) != 3 {
		t.Errorf("case = %v, want nord's, submitted, 119.00 handed over, three notices", c)
	}
	accepted, err := agency.AcceptCase(ctx, &collectionsv1.AcceptCaseRequest{Tenant: "acme", CaseId: cases[0].GetCaseId(),
		IdempotencyKey: "accept-1", AgencyReference: "NORD-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := accepted.GetCase(); got.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED || got.GetAgencyReference() != "NORD-1" {
		t.Errorf("accepted case = %v", got)
	}
	other, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), auth.WithBearer(otherToken, true))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := collectionsv1grpc.NewAgencyServiceClient(other).GetCase(ctx, &collectionsv1.AgencyServiceGetCaseRequest{Tenant: "acme",
		CaseId: cases[0].GetCaseId()}); status.Code(err) != codes.NotFound {
		t.Errorf("another agency reading the case: %v, want NOT_FOUND", err)
	}

	conn.Close()
	other.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	nc.Close()
	ns.Shutdown()
	goleak.VerifyNone(t, ignore)
}
