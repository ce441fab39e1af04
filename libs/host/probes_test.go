package host_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/chaos"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/host/hosttest"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// TestProbesWhenNATSIsLost serves a host with a health listener (HEALTH_ADDR)
// and stops its NATS server: the readiness (the overall status) goes
// NOT_SERVING although no task publishes anything, the liveness
// (host.LivenessHealth) stays SERVING, so an orchestrator takes the
// process out of rotation without restarting it, and Serve keeps running;
// once NATS is back the readiness is SERVING again. The health listener
// answers in clear text without credentials, as the kubelet asks.
func TestProbesWhenNATSIsLost(t *testing.T) {
	t.Parallel()
	ns := chaos.StartNATS(t)
	healthAddr := hosttest.FreeAddr(t)
	cfg := host.Config{
		MigrateDatabaseURL: pgtest.NewDB(t, template), NATSURL: ns.URL(), GRPCAddr: "127.0.0.1:0", HealthAddr: healthAddr,
		ManageStreams: true, ShutdownTimeout: 5 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: time.Second,
		Auth: auth.Config{Authenticator: authztest.NewAuthenticator()},
	}
	h, err := host.New(context.Background(), host.Spec{Name: service, Migrations: migrations, HealthServices: []string{healthName}},
		cfg, telemetry.Providers{}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	conn, err := grpc.NewClient(healthAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	health := healthpb.NewHealthClient(conn)
	probe := func(name string) string {
		r, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: name})
		if err != nil {
			return err.Error()
		}
		return r.GetStatus().String()
	}
	probes := func() [2]string { return [2]string{probe(""), probe(host.LivenessHealth)} }
	serving := [2]string{"SERVING", "SERVING"}

	hosttest.Eventually(t, "readiness and liveness SERVING", func() bool { return probes() == serving })
	if err := ns.Kill(); err != nil {
		t.Fatal(err)
	}
	hosttest.Eventually(t, "readiness NOT_SERVING with NATS gone", func() bool { return probe("") == "NOT_SERVING" })
	if got := probe(host.LivenessHealth); got != "SERVING" {
		t.Errorf("liveness with NATS gone = %s, want SERVING: a restart would not bring NATS back", got)
	}
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v with NATS gone, want it to keep serving", err)
	default:
	}
	if err := ns.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	hosttest.Eventually(t, "readiness SERVING with NATS back", func() bool { return probes() == serving })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
	done <- nil // for the cleanup
}

// TestMigrateOnly runs New with O2C_MIGRATE_ONLY on an empty database: it
// migrates the service's schema and returns ErrMigrated without a Host,
// before it reads credentials (none are configured) or reaches NATS (there
// is none at the URL). A second run finds nothing to do and says the same.
func TestMigrateOnly(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDB(t, pgtest.Template{Name: "hosttest-empty"})
	cfg := host.Config{MigrateDatabaseURL: dbURL, MigrateOnly: true, NATSURL: "nats://127.0.0.1:1", GRPCAddr: "127.0.0.1:0"}
	for run := 1; run <= 2; run++ {
		h, err := host.New(context.Background(), host.Spec{Name: service, Migrations: migrations}, cfg,
			telemetry.Providers{}, slog.New(slog.DiscardHandler), nil)
		if !errors.Is(err, host.ErrMigrated) || h != nil {
			t.Fatalf("run %d: New = %v, %v; want no host and ErrMigrated", run, h, err)
		}
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var tables int
	if err := conn.QueryRow(context.Background(),
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('notes', 'events')`, service).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 2 {
		t.Errorf("tables notes and events in schema %s: %d found, want both: the job did not migrate", service, tables)
	}
}

// TestFromEnvProbesAndMigrateOnly checks HEALTH_ADDR and O2C_MIGRATE_ONLY:
// both reach the Config, a migration job needs MIGRATE_DATABASE_URL but no
// authentication (it serves nothing), a serving service still needs it,
// and a value that is not a boolean is refused naming the variable.
func TestFromEnvProbesAndMigrateOnly(t *testing.T) {
	t.Parallel()
	base := map[string]string{"O2C_TENANTS": "t.json", "O2C_AUTH": "dev", "HEALTH_ADDR": "0.0.0.0:8086"}
	tests := []struct {
		name        string
		env         map[string]string
		migrateOnly bool
		wantErr     string
	}{
		{"serving", map[string]string{"DATABASE_URL": "postgres://app"}, false, ""},
		{"migration job", map[string]string{"MIGRATE_DATABASE_URL": "postgres://owner", "O2C_MIGRATE_ONLY": "true"}, true, ""},
		{"migration job without authentication", map[string]string{"MIGRATE_DATABASE_URL": "postgres://owner", "O2C_MIGRATE_ONLY": "true", "O2C_AUTH": ""}, true, ""},
		{"serving without authentication", map[string]string{"DATABASE_URL": "postgres://app", "O2C_AUTH": ""}, false, "authentication not configured"},
		{"migration job without owner", map[string]string{"DATABASE_URL": "postgres://app", "O2C_MIGRATE_ONLY": "true"}, false, "O2C_MIGRATE_ONLY=true needs MIGRATE_DATABASE_URL"},
		{"not a boolean", map[string]string{"MIGRATE_DATABASE_URL": "postgres://owner", "O2C_MIGRATE_ONLY": "yes please"}, false, `O2C_MIGRATE_ONLY="yes please"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := host.FromEnv(func(k string) string { return env[k] }, "127.0.0.1:1")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromEnv = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.HealthAddr != "0.0.0.0:8086" || cfg.MigrateOnly != tt.migrateOnly {
				t.Errorf("HealthAddr, MigrateOnly = %q, %v; want 0.0.0.0:8086, %v", cfg.HealthAddr, cfg.MigrateOnly, tt.migrateOnly)
			}
		})
	}
}
