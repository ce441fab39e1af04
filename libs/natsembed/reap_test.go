package natsembed

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/procdir"
)

// crashChildEnv makes the test binary act as a process that starts a
// server and is then killed (see crashChild).
const crashChildEnv = "O2C_NATSEMBED_CRASH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

// crashChild runs instead of the tests in a re-executed test binary: it
// starts a server with a temp store (under $TMPDIR, which the parent sets),
// prints the store dir and waits until stdin closes. The parent SIGKILLs it
// before that, so Shutdown never runs.
func crashChild() int {
	s, err := Start(Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(s.StoreDir())
	_, _ = io.Copy(io.Discard, os.Stdin)
	s.Shutdown()
	return 0
}

func TestStartRemovesStoresOfKilledProcesses(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, "-test.run=^$")
	child.Env = append(os.Environ(), crashChildEnv+"=1", "TMPDIR="+root)
	var stderr bytes.Buffer
	child.Stderr = &stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close() // lets the child exit if the test fails before killing it
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	dir := strings.TrimSpace(line)
	if err != nil || filepath.Dir(dir) != root {
		_ = child.Process.Kill()
		_ = child.Wait()
		t.Fatalf("child printed %q (read: %v), want a store dir in %s; stderr:\n%s", line, err, root, stderr.String())
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait() // "signal: killed" is the expected outcome
	// Without this the test would prove nothing: the killed child must
	// have left its store behind.
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err != nil {
		t.Fatalf("store of killed child: %v", err)
	}

	var log bytes.Buffer
	s, err := start(Options{Log: &log}, root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("store dir %s of killed child after next Start: stat error %v, want not exist", dir, err)
	}
	if !strings.Contains(log.String(), dir) {
		t.Errorf("log does not name the removed dir %s:\n%s", dir, log.String())
	}
	o, err := procdir.ReadOwner(s.StoreDir())
	if err != nil || o != procdir.Self() {
		t.Errorf("owner of the new store = %v, %v; want this process %v", o, err, procdir.Self())
	}
}

// TestReapAbandoned covers the directory decisions of reapAbandoned.
func TestReapAbandoned(t *testing.T) {
	t.Parallel()
	me := procdir.Self()
	dead := procdir.Owner{PID: 1 << 30, Start: "1"} // beyond pid_max: never a live process
	old := time.Now().Add(-2 * unownedGrace)
	tests := []struct {
		name     string
		dir      string
		owner    *procdir.Owner
		mtime    time.Time // zero: just created
		wantKept bool
	}{
		{name: "dead owner", dir: tempPrefix + "1", owner: &dead},
		{name: "live owner", dir: tempPrefix + "2", owner: &me, mtime: old, wantKept: true},
		{name: "no owner file yet", dir: tempPrefix + "3", wantKept: true},
		{name: "no owner file for long (older natsembed)", dir: tempPrefix + "4", mtime: old},
		{name: "not a store dir", dir: "o2c-pgtest", owner: &dead, wantKept: true},
	}
	root := t.TempDir()
	for _, tt := range tests {
		dir := filepath.Join(root, tt.dir)
		if err := os.MkdirAll(filepath.Join(dir, "jetstream"), 0o755); err != nil {
			t.Fatal(err)
		}
		if tt.owner != nil {
			if err := procdir.WriteOwner(dir, *tt.owner); err != nil {
				t.Fatal(err)
			}
		}
		if !tt.mtime.IsZero() {
			if err := os.Chtimes(dir, tt.mtime, tt.mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
	file := filepath.Join(root, tempPrefix+"file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	reapAbandoned(root, &log)
	var got, want []string
	for _, tt := range tests {
		if tt.wantKept {
			want = append(want, tt.dir)
		}
		if _, err := os.Stat(filepath.Join(root, tt.dir)); err == nil {
			got = append(got, tt.dir)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dirs kept (-want +got):\n%s\nlog:\n%s", diff, log.String())
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("a file named like a store dir was touched: %v", err)
	}
}

func TestStartRefusesPortInUse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	s, err := start(Options{Port: port}, t.TempDir())
	if err == nil {
		s.Shutdown()
		t.Fatalf("Start on port %d, which is in use, succeeded", port)
	}
	if !errors.Is(err, ErrPortInUse) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Start on a port in use: %v; want ErrPortInUse wrapping EADDRINUSE", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("error %q does not name the address", err)
	}
}
