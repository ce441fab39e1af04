package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"

	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"

	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
)

// TestRunRejectsUnknownTenantsAndSubjects publishes, with only acme in the
// tenants file, a valid invoice on shop.acme2.invoice.issued (a typo of the
// tenant) and acme's invoices on subjects no handler reads. Each is
// recorded as a rejection with its reason, none is stored, and acme's
// invoice on the right subject is.
func TestRunRejectsUnknownTenantsAndSubjects(t *testing.T) {
	t.Parallel()
	r := startIngestion(t)
	json := func(tenant, number string) []byte {
		inv := testInvoice(number, 1000)
		inv.Tenant = tenant
		data, err := protojson.Marshal(inv)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	hdr := nats.Header{"Content-Type": {"application/json"}}
	r.publishRaw(t, "shop.acme2.invoice.issued", hdr, json("acme2", "TYPO-1"))
	r.publishRaw(t, "shop.acme.invoice.paid", hdr, json("acme", "PAID-1"))
	r.publishRaw(t, "shop.acme.eu.invoice.issued", hdr, json("acme", "EU-1"))
	r.publishRaw(t, "shop.acme.invoice.issued", hdr, json("acme", "GOOD-1"))

	want := map[string]struct{ code, reason string }{
		"shop.acme2.invoice.issued": {"unknown_tenant", "tenant acme2 does not exist (not in the tenants file)"},
		"shop.acme.invoice.paid":    {"unknown_event_type", `no such event type "invoice.paid" on shop.acme.invoice.paid`},
		"shop.acme.eu.invoice.issued": {"unknown_event_type",
			`no such event type "eu.invoice.issued" on shop.acme.eu.invoice.issued`},
	}
	var got []*rejectionv1.Rejection
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < len(want) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d rejections recorded: %v", len(got), len(want), got)
		}
		time.Sleep(20 * time.Millisecond)
		got = r.open(t)
	}
	for _, x := range got {
		w, ok := want[x.GetSubject()]
		if !ok {
			t.Errorf("unexpected rejection %s: %s", x.GetSubject(), x.GetReason())
			continue
		}
		if x.GetReasonCode() != w.code || !strings.Contains(x.GetReason(), w.reason) || x.GetConsumer() != "ingestion-invoices" {
			t.Errorf("rejection of %s: %s %q by %s, want %s %q", x.GetSubject(), x.GetReasonCode(), x.GetReason(), x.GetConsumer(), w.code, w.reason)
		}
	}
	if x := got[0]; x.GetTenant() == "" {
		t.Errorf("rejection without tenant: %v", x)
	}

	conn, err := pgx.Connect(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var stored []string
	eventually(t, "GOOD-1 stored", func() bool {
		rows, err := conn.Query(context.Background(), `SELECT tenant || '/' || stream_id FROM ingestion.events WHERE stream_type = 'invoice' ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		stored, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return len(stored) > 0
	})
	if len(stored) != 1 || stored[0] != "acme/GOOD-1" {
		t.Errorf("stored invoices %v, want only acme/GOOD-1", stored)
	}
	var debtors int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM ingestion.debtors WHERE tenant <> 'acme'`).Scan(&debtors); err != nil {
		t.Fatal(err)
	}
	if debtors != 0 {
		t.Errorf("%d debtors saved for other tenants, want none", debtors)
	}
}

// TestRunRefusesWithoutGoodTenantsFile checks that ingestion does not start
// without a tenants file, or with one it cannot use, and that the error
// names the file, the tenant and the field.
func TestRunRefusesWithoutGoodTenantsFile(t *testing.T) {
	t.Parallel()
	bad := tenantstest.Write(t, []byte("{\"tenants\": {\n  \"acme\": {\"ledger\": {\"tax\": [{\"treatment\": \"SOMETIMES\"}]}}}}"))
	tests := []struct {
		name  string
		env   map[string]string
		wants []string
	}{
		{"no tenants file", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_AUTH": "dev"}, []string{"O2C_TENANTS is required"}},
		{"no authentication", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_TENANTS": bad}, []string{"set O2C_AUTH to mtls, jwt or tokens"}},
		{"development mode in production", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_TENANTS": bad, "O2C_AUTH": "dev", "O2C_ENV": "production"},
			[]string{"refused with O2C_ENV=production"}},
		{"bad field", map[string]string{"DATABASE_URL": "postgres://nowhere", "O2C_TENANTS": bad, "O2C_AUTH": "dev"},
			[]string{bad + `:2: tenant acme: ledger.tax[0].treatment: "SOMETIMES" is not a tax treatment`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), func(k string) string { return tt.env[k] })
			if err == nil {
				t.Fatal("run started")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
