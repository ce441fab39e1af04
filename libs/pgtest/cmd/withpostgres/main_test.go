package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// helperEnv makes the test binary act as the command withpostgres runs (see
// TestMain).
const helperEnv = "O2C_WITHPOSTGRES_HELPER"

// Exit statuses of the helper command.
const (
	helperNoURL       = 4
	helperQueryFailed = 5
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helper())
	}
	os.Exit(m.Run())
}

// helper connects to TEST_DATABASE_URL and prints the server's data
// directory.
func helper() int {
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		return helperNoURL
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return helperQueryFailed
	}
	var dir string
	err = conn.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&dir)
	if err := errors.Join(err, conn.Close(ctx)); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return helperQueryFailed
	}
	os.Stdout.WriteString(dir + "\n")
	return 0
}

func TestRunStartsClusterForCommand(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	env := append(withoutVar(os.Environ(), "TEST_DATABASE_URL"), helperEnv+"=1")
	code := run([]string{"--", exe}, env, nil, &stdout, &stderr)
	if code == helperNoURL && strings.Contains(stderr.String(), "running without TEST_DATABASE_URL") && os.Getenv("CI") == "" {
		t.Skipf("no PostgreSQL: %s", stderr.String())
	}
	if code != 0 {
		t.Fatalf("run = %d, want 0; stderr:\n%s", code, stderr.String())
	}
	dataDir := strings.TrimSpace(stdout.String())
	if dataDir == "" {
		t.Fatal("command printed no data directory")
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("data directory %s after run: stat error %v, want not exist (cluster stopped and removed)", dataDir, err)
	}
}

func TestRunExitStatus(t *testing.T) {
	t.Parallel()
	// TEST_DATABASE_URL is set, so no cluster is started: these cases are
	// about passing on the command's environment and status.
	env := append(withoutVar(os.Environ(), "TEST_DATABASE_URL"), "TEST_DATABASE_URL=postgres://given/db")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
	}{
		{name: "success", args: []string{"--", "sh", "-c", `echo "$TEST_DATABASE_URL"`}, wantCode: 0, wantStdout: "postgres://given/db\n"},
		{name: "without --", args: []string{"sh", "-c", "exit 0"}, wantCode: 0},
		{name: "failure", args: []string{"--", "sh", "-c", "exit 3"}, wantCode: 3},
		{name: "killed by signal", args: []string{"--", "sh", "-c", "kill -KILL $$"}, wantCode: 128 + 9},
		{name: "no command", args: []string{"--"}, wantCode: 2},
		{name: "command not found", args: []string{"--", "/nonexistent/o2c-command"}, wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			code := run(tt.args, env, nil, &stdout, &stderr)
			if code != tt.wantCode || stdout.String() != tt.wantStdout {
				t.Errorf("run(%q) = %d, stdout %q; want %d, %q (stderr %q)", tt.args, code, stdout.String(), tt.wantCode, tt.wantStdout, stderr.String())
			}
		})
	}
}

// TestRunForwardsSIGTERM sends SIGTERM to the test process while run waits
// for its command; run must pass it on and return the command's status.
func TestRunForwardsSIGTERM(t *testing.T) {
	env := append(withoutVar(os.Environ(), "TEST_DATABASE_URL"), "TEST_DATABASE_URL=postgres://given/db")
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--", "sh", "-c", `trap 'exit 7' TERM; echo ready; while :; do sleep 0.01; done`}, env, nil, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("command printed %q, %v; want ready", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := <-done; got != 7 {
		t.Errorf("run after SIGTERM = %d, want 7 (the command's trap status)", got)
	}
}

func withoutVar(env []string, key string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}
