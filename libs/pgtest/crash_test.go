package pgtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/o2c-platform/o2c/libs/procdir"
)

// crashChildEnv makes the test binary act as a process that owns a cluster
// and is then killed (see crashChild).
const crashChildEnv = "O2C_PGTEST_CRASH_CHILD"

// crashChild runs instead of the tests in a re-executed test binary: it
// starts a cluster, prints "<cluster dir> <postmaster pid>" and waits until
// stdin closes. The parent SIGKILLs it before that, so Stop never runs.
func crashChild() int {
	c, err := Start(context.Background(), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%s %d\n", c.Dir(), c.cmd.Process.Pid)
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestStartRemovesClustersOfKilledProcesses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: starts two clusters")
	}
	if _, err := findBinDir(); err != nil {
		if skip, msg := unavailable(err, os.Getenv); skip {
			t.Skip(msg)
		} else {
			t.Fatal(msg)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, "-test.run=^$")
	child.Env = append(os.Environ(), crashChildEnv+"=1")
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
	var dir string
	var postmaster int
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if _, scanErr := fmt.Sscanf(line, "%s %d\n", &dir, &postmaster); err != nil || scanErr != nil {
		_ = child.Process.Kill()
		_ = child.Wait()
		t.Fatalf("child printed %q (read: %v, scan: %v); stderr:\n%s", line, err, scanErr, stderr.String())
	}

	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait() // "signal: killed" is the expected outcome
	// Without these the test would prove nothing: the child must have left
	// both the directory and a running server behind.
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("cluster dir of killed child: %v", err)
	}
	if !isPostmasterOf(postmaster, dir+"/"+dataSubdir) {
		t.Fatalf("postmaster %d of killed child is not running", postmaster)
	}

	c, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	}()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cluster dir %s of killed child after next Start: stat error %v, want not exist", dir, err)
	}
	if (procdir.Owner{PID: postmaster}).Alive() {
		t.Errorf("postmaster %d of killed child still alive after next Start", postmaster)
	}
}
