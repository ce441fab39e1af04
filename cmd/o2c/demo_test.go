package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/credfile"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/procdir"
)

// mainChildEnv makes the test binary act as the o2c binary: TestMain runs
// main with the variable's value, split at spaces, as arguments. Tests use
// it to run o2c as a process of its own and send it signals.
const mainChildEnv = "O2C_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	// No test reads the credentials of a demo the developer runs: the
	// default credentials file is in a folder that does not exist.
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(os.TempDir(), "o2c-cli-tests-have-no-config"))
	os.Unsetenv(credfile.Env)
	if args := os.Getenv(mainChildEnv); args != "" {
		os.Args = append([]string{"o2c"}, strings.Fields(args)...)
		main() // exits
	}
	pgtest.Main(m)
}

// output collects a child's lines for diagnostics and finds lines in them.
type output struct {
	mu    sync.Mutex
	lines []string
}

func (o *output) add(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lines = append(o.lines, line)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.lines, "\n")
}

// find returns the first submatch of re in the lines collected so far.
func (o *output) find(re *regexp.Regexp) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, l := range o.lines {
		if m := re.FindStringSubmatch(l); m != nil {
			return m[1]
		}
	}
	return ""
}

// TestDemoKeepRunningStopsCleanlyOnSIGTERM runs `o2c demo --keep-running`
// as a process of its own, as `make demo` does, waits until it runs, sends
// it SIGTERM and checks that it exits 0 having stopped PostgreSQL and
// removed the cluster directory, the NATS store and the credentials.
func TestDemoKeepRunningStopsCleanlyOnSIGTERM(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: runs the whole demo with a PostgreSQL cluster of its own")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, "-test.run=^$")
	// An empty DATABASE_URL makes the demo start its own cluster.
	child.Env = append(os.Environ(), mainChildEnv+"=demo --keep-running --random-ports", "DATABASE_URL=")
	// Should this test binary die (a test timeout), the demo goes with it
	// instead of running on.
	child.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := child.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited { // the test failed while the demo ran
			_ = child.Process.Kill()
			_ = child.Wait()
		}
	})
	var out output
	running := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		defer close(running) // also when stdout ends: the child exited early
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.add(sc.Text())
			if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
				// Keep reading so that the child never blocks on a full pipe.
				go func() { _, _ = io.Copy(io.Discard, stdout) }()
				return
			}
		}
	}()
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			out.add(sc.Text())
		}
	}()
	<-running

	storeDir := out.find(regexp.MustCompile(`^NATS JetStream at nats://\S+ \(store (\S+)\)$`))
	clusterDir := out.find(regexp.MustCompile(`^PostgreSQL cluster in (\S+)$`))
	runDir := out.find(regexp.MustCompile(`^credentials generated for this run in (\S+) `))
	credsFile := out.find(regexp.MustCompile(`^  the CLI's credentials file: (\S+)$`))
	if !strings.Contains(out.String(), "Press Ctrl-C") {
		err := child.Wait()
		waited = true
		readers.Wait()
		if strings.Contains(out.String(), pgtest.ErrNoPostgres.Error()) && os.Getenv("CI") == "" {
			t.Skipf("skipping: no PostgreSQL server binaries (install PostgreSQL): %v", err)
		}
		t.Fatalf("demo exited (%v) before it was running; output:\n%s", err, out.String())
	}
	// Without these the test would prove nothing: the running demo must
	// have a cluster with a live server and a store to remove.
	postmaster := postmasterPID(t, filepath.Join(clusterDir, "data"))
	if _, err := os.Stat(filepath.Join(storeDir, "jetstream")); err != nil {
		t.Fatalf("NATS store of the running demo: %v; output:\n%s", err, out.String())
	}
	if _, err := credfile.Load(credsFile); err != nil || !strings.HasPrefix(credsFile, runDir+"/") {
		t.Fatalf("credentials file %q of the running demo (run folder %q): %v; output:\n%s", credsFile, runDir, err, out.String())
	}

	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = child.Wait()
	waited = true
	readers.Wait()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Errorf("demo after SIGTERM: %v, want exit status 0; output:\n%s", err, out.String())
	case err != nil:
		t.Fatal(err)
	}
	for _, dir := range []string{clusterDir, storeDir, runDir} {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after the demo stopped: stat error %v, want not exist", dir, err)
		}
	}
	if (procdir.Owner{PID: postmaster}).Alive() {
		t.Errorf("PostgreSQL server %d still runs after the demo stopped", postmaster)
	}
}

// postmasterPID reads the server's pid from its data directory.
func postmasterPID(t testing.TB, dataDir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatalf("PostgreSQL of the running demo: %v", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		t.Fatalf("postmaster.pid in %s: bad pid %q", dataDir, line)
	}
	return pid
}
