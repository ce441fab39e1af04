package demo

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// takenPort listens on a free port for the rest of the test and returns it.
func takenPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func TestListen(t *testing.T) {
	t.Parallel()
	taken := takenPort(t)
	takenAddr := "127.0.0.1:" + strconv.Itoa(taken)
	tests := []struct {
		name     string
		addr     string
		opt      Options
		wantAddr string // empty: any port but addr's
		wantErr  []string
	}{
		{
			name: "fixed port in use is refused, naming it and the way out",
			addr: takenAddr, opt: Options{FixedPorts: true},
			wantErr: []string{takenAddr + " (ledger gRPC) is in use", "another `o2c demo` running", "--ports-offset", "--random-ports"},
		},
		{
			name: "offset onto a port in use is refused",
			addr: "127.0.0.1:" + strconv.Itoa(taken-5), opt: Options{FixedPorts: true, PortOffset: 5},
			wantErr: []string{takenAddr + " (ledger gRPC) is in use"},
		},
		{
			name: "offset outside the port range",
			addr: "127.0.0.1:9092", opt: Options{FixedPorts: true, PortOffset: 60000},
			wantErr: []string{"port offset 60000 moves port 9092"},
		},
		{
			name: "without fixed ports a taken default moves to a free port",
			addr: takenAddr, opt: Options{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lis, err := listen("ledger gRPC", tt.addr, tt.opt)
			if len(tt.wantErr) > 0 {
				if err == nil {
					lis.Close()
					t.Fatalf("listen(%s, %+v) succeeded on %s, want an error", tt.addr, tt.opt, lis.Addr())
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer lis.Close()
			if got := lis.Addr().String(); got == tt.addr {
				t.Errorf("listening on %s, want another port", got)
			}
		})
	}
}

func TestListenFixedPortPlusOffset(t *testing.T) {
	t.Parallel()
	// A port that was free a moment ago, reached as a default port plus an
	// offset.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lis, err := listen("ingestion gRPC", "127.0.0.1:"+strconv.Itoa(port-100), Options{FixedPorts: true, PortOffset: 100})
	if errors.Is(err, syscall.EADDRINUSE) {
		t.Skipf("another process took port %d meanwhile", port)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	if got, want := lis.Addr().String(), "127.0.0.1:"+strconv.Itoa(port); got != want {
		t.Errorf("listening on %s, want %s", got, want)
	}
}

// TestStartRefusesTakenPort checks that Start fails at once, before it
// starts NATS or PostgreSQL, when a fixed port is taken.
func TestStartRefusesTakenPort(t *testing.T) {
	t.Parallel()
	taken := takenPort(t)
	var log strings.Builder
	sys, err := Start(context.Background(), Options{
		FixedPorts: true,
		PortOffset: taken - 9091, // ingestion's port
		// Never reached: the port check comes first.
		DatabaseURL: "postgres://nobody@127.0.0.1:1/none",
		Log:         &log,
	})
	if err == nil {
		_ = sys.Stop()
		t.Fatal("Start succeeded although the ingestion port was taken")
	}
	want := "127.0.0.1:" + strconv.Itoa(taken) + " (ingestion gRPC) is in use"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Start error %q does not contain %q", err, want)
	}
	if strings.Contains(log.String(), "NATS") {
		t.Errorf("Start went on to start NATS:\n%s", log.String())
	}
}

func TestPrintRunningSaysHowToReachNonDefaultPorts(t *testing.T) {
	t.Parallel()
	const (
		def   = "/home/anna/.config/o2c/demo-credentials.json"
		inRun = "/tmp/o2c-demo-1/credentials.json"
	)
	tests := []struct {
		name       string
		sys        System
		wantExport string // empty: no export line
	}{
		{
			name: "default ports",
			sys: System{NATSURL: "nats://127.0.0.1:4222", CredentialsFile: def, Services: []Service{
				{Name: "ingestion", Addr: "127.0.0.1:9091"}, {Name: "ledger", Addr: "127.0.0.1:9092"},
			}},
		},
		{
			name: "ports plus 100",
			sys: System{NATSURL: "nats://127.0.0.1:4322", CredentialsFile: inRun, Services: []Service{
				{Name: "ingestion", Addr: "127.0.0.1:9191"}, {Name: "ledger", Addr: "127.0.0.1:9192"},
			}},
			wantExport: "export O2C_CREDENTIALS=" + inRun + " O2C_NATS_URL=nats://127.0.0.1:4322 O2C_INGESTION_ADDR=127.0.0.1:9191 O2C_LEDGER_ADDR=127.0.0.1:9192",
		},
		{
			name: "default ports, credentials elsewhere",
			sys: System{NATSURL: "nats://127.0.0.1:4222", CredentialsFile: inRun, Services: []Service{
				{Name: "ingestion", Addr: "127.0.0.1:9091"}, {Name: "ledger", Addr: "127.0.0.1:9092"},
			}},
			wantExport: "export O2C_CREDENTIALS=" + inRun,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			printRunning(&out, &tt.sys, def)
			got := ""
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.Contains(l, "export ") {
					got = strings.TrimSpace(l)
				}
			}
			if got != tt.wantExport {
				t.Errorf("export line = %q, want %q; output:\n%s", got, tt.wantExport, out.String())
			}
			if !strings.Contains(out.String(), "credentials file\n  "+tt.sys.CredentialsFile+"\n") {
				t.Errorf("output does not name the credentials file %s:\n%s", tt.sys.CredentialsFile, out.String())
			}
			for _, s := range tt.sys.Services {
				if !strings.Contains(out.String(), s.Addr) {
					t.Errorf("output does not name %s's address %s:\n%s", s.Name, s.Addr, out.String())
				}
			}
		})
	}
}
