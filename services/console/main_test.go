package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/console/service"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env returns a getenv over vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// freeAddr returns a free local address.
func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().String()
}

// TestRun starts the console with the development login, serves its
// login page, and returns nil when cancelled, leaving no goroutine.
func TestRun(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	httpAddr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env(map[string]string{"CONSOLE_DEV_LOGIN": "true", "CONSOLE_HTTP_ADDR": httpAddr, "GRPC_ADDR": freeAddr(t),
			"OTEL_SDK_DISABLED": "true"}), io.Discard)
	}()
	var status int
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + httpAddr + "/login")
		if err == nil {
			status = resp.StatusCode
			resp.Body.Close()
			break
		}
	}
	http.DefaultClient.CloseIdleConnections()
	if status != http.StatusOK {
		t.Errorf("GET /login: %d, want 200", status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run returned %v after cancel, want nil", err)
	}
}

// TestSessionsInPostgreSQL runs the console with its sessions in
// PostgreSQL (migrated at start): a user who signs in is known on the next
// request.
func TestSessionsInPostgreSQL(t *testing.T) {
	owner := pgtest.NewDB(t, pgtest.Template{Name: "o2c_console_empty"})
	httpAddr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env(map[string]string{"CONSOLE_DEV_LOGIN": "true", "CONSOLE_HTTP_ADDR": httpAddr, "GRPC_ADDR": freeAddr(t),
			"MIGRATE_DATABASE_URL": owner, "OTEL_SDK_DISABLED": "true"}), io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	var resp *http.Response
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err = c.PostForm("http://"+httpAddr+"/login", url.Values{"user": {"cs"}, "password": {"demo"}, "next": {"/"}}); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	defer c.CloseIdleConnections()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "user:cs") {
		t.Errorf("after signing in: %d, page without user:cs", resp.StatusCode)
	}
}

// TestDevLoginRefusedInProduction: with O2C_PRODUCTION=true the
// development login is refused, by the variables and by the service.
func TestDevLoginRefusedInProduction(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), env(map[string]string{"CONSOLE_DEV_LOGIN": "true", "O2C_PRODUCTION": "true"}), io.Discard)
	if !errors.Is(err, service.ErrDevLoginInProduction) {
		t.Errorf("run with CONSOLE_DEV_LOGIN and O2C_PRODUCTION: %v, want ErrDevLoginInProduction", err)
	}
	dl, err := service.NewDevLogin(service.DemoUsers("demo"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = service.New(context.Background(), service.Options{Login: dl, Production: true, HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0"}, telemetry.Providers{}, nil, nil, nil)
	if !errors.Is(err, service.ErrDevLoginInProduction) {
		t.Errorf("service.New with the development login in production: %v, want ErrDevLoginInProduction", err)
	}
}

// TestNoLoginIsRefused: without OIDC and without the development login
// the console does not start, and says what to set.
func TestNoLoginIsRefused(t *testing.T) {
	t.Parallel()
	if err := run(context.Background(), env(map[string]string{}), io.Discard); err == nil {
		t.Error("run without a login started")
	}
}
