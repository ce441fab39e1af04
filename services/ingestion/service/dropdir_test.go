package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/internal/dropdir"
	"github.com/o2c-platform/o2c/services/ingestion/service"
)

// dropTenants is tenant acme with the import tests' bank account.
const dropTenants = `{"tenants": {"acme": {"name": "Acme", "bank": {
	"accounts": [{"iban": "` + importIBAN + `", "currency": "EUR", "account": "1200"}]}}}}`

// TestDropFolderImportsLikeTheRPC runs ingestion with a drop folder
// against real PostgreSQL and NATS: a statement uploaded under a temporary
// name is imported once renamed, as the drop folder, and moved to done/
// with its report; the same statement under another name answers
// DUPLICATE_FILE and stores nothing more; a file that is no statement is
// moved to failed/ with the reason; ListImports shows all three.
func TestDropFolderImportsLikeTheRPC(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ns := natsembed.Test(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kit := authztest.NewAuthenticator()
	cfg := host.Config{MigrateDatabaseURL: pgtest.NewDB(t, template), NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(),
		ManageStreams: true, ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: kit}}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := service.New(ctx, cfg, service.Options{Tenants: tenantstest.Parse(t, []byte(dropTenants)), DropDir: dir, DropInterval: 10 * time.Millisecond},
		telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	conn, err := grpc.NewClient(s.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := ingestionv1grpc.NewImportServiceClient(conn)
	operator := kit.As(authztest.Principal(identity.Operator, "acme"))
	// The stored events, once they are all readable: reading all events
	// in order stops at the oldest transaction still open anywhere in the
	// cluster, so a read may lag behind what has been committed.
	wantEvents := map[string]int{"BankTransactionReceived": 2, "BankStatementReceived": 1}
	stored := func() map[string]int {
		var got map[string]int
		waitFor(t, "the first import's events to be readable", func() bool {
			got = importEnv{events: service.HostOf(s).Events}.bankEvents(t)
			return cmp.Equal(wantEvents, got)
		})
		return got
	}

	inbox := filepath.Join(dir, "acme")
	for _, sub := range []string{"done", "failed"} {
		if fi, err := os.Stat(filepath.Join(inbox, sub)); err != nil || !fi.IsDir() {
			t.Fatalf("acme/%s: %v; want the folder created at start", sub, err)
		}
	}
	report := func(path string) dropdir.Report {
		t.Helper()
		waitFor(t, path, func() bool { _, err := os.Stat(path); return err == nil })
		data, err := os.ReadFile(path + dropdir.ReportSuffix)
		if err != nil {
			t.Fatal(err)
		}
		var r dropdir.Report
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	stmt := statement("053", "S-DROP-1", 10000, 2500)

	if err := os.WriteFile(filepath.Join(inbox, "day1.xml.part"), stmt, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(inbox, "day1.xml.part"), filepath.Join(inbox, "day1.xml")); err != nil {
		t.Fatal(err)
	}
	first := report(filepath.Join(inbox, "done", "day1.xml"))
	if first.Status != "IMPORTED" || first.Counts.New != 2 || first.Actor != dropdir.Actor || first.Format != "camt.053.001.02" {
		t.Errorf("day1.xml: %+v; want IMPORTED with 2 new as camt.053.001.02 by %q", first, dropdir.Actor)
	}
	before := stored()

	if err := os.WriteFile(filepath.Join(inbox, "day1-again.xml"), stmt, 0o600); err != nil {
		t.Fatal(err)
	}
	again := report(filepath.Join(inbox, "done", "day1-again.xml"))
	if again.Status != "DUPLICATE_FILE" || again.Counts.New != 0 || again.SHA256 != first.SHA256 {
		t.Errorf("the same statement again: %+v; want DUPLICATE_FILE with nothing new", again)
	}
	if err := os.WriteFile(filepath.Join(inbox, "notes.txt"), []byte("not a statement\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := report(filepath.Join(inbox, "failed", "notes.txt"))
	if bad.Status != "REJECTED" || bad.Error == "" {
		t.Errorf("notes.txt: %+v; want REJECTED with the reason", bad)
	}
	// Neither the duplicate nor the rejected file stored anything more.
	if diff := cmp.Diff(before, stored()); diff != "" {
		t.Errorf("events stored after the duplicate and the rejected file (-before +after):\n%s", diff)
	}

	list, err := client.ListImports(context.Background(), &ingestionv1.ListImportsRequest{Tenant: "acme"}, operator)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct{ File, Status, Actor string }
	var got []rec
	for _, r := range list.GetImports() {
		got = append(got, rec{r.GetFileName(), r.GetStatus().String(), r.GetActor()})
	}
	want := []rec{
		{"notes.txt", "IMPORT_STATUS_REJECTED", dropdir.Actor},
		{"day1-again.xml", "IMPORT_STATUS_DUPLICATE_FILE", dropdir.Actor},
		{"day1.xml", "IMPORT_STATUS_IMPORTED", dropdir.Actor},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListImports (-want +got):\n%s", diff)
	}
}

// TestADropFolderThatIsNotThereStopsTheStart: a mistyped
// INGESTION_DROP_DIR is an error at start, not a folder nobody watches.
func TestADropFolderThatIsNotThereStopsTheStart(t *testing.T) {
	t.Parallel()
	ns := natsembed.Test(t)
	missing := filepath.Join(t.TempDir(), "nope")
	cfg := host.Config{MigrateDatabaseURL: pgtest.NewDB(t, template), NATSURL: ns.ClientURL(), GRPCAddr: "127.0.0.1:0",
		ManageStreams: true, ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: authztest.NewAuthenticator()}}
	s, err := service.New(context.Background(), cfg, service.Options{Tenants: tenantstest.Parse(t, []byte(dropTenants)), DropDir: missing},
		telemetry.Providers{}, slog.New(slog.DiscardHandler), nil)
	if err == nil {
		s.Close()
		t.Fatal("New with a drop folder that does not exist succeeded")
	}
	if !errors.Is(err, dropdir.ErrNoFolder) {
		t.Errorf("New = %v, want ErrNoFolder naming %s", err, service.DropDirEnv)
	}
}
