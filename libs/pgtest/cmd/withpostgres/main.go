// Command withpostgres runs a command with TEST_DATABASE_URL pointing at a
// throwaway PostgreSQL cluster, so that all test processes of one
// `go test ./...` share a single server:
//
//	go run ./libs/pgtest/cmd/withpostgres -- go test ./...
//
// When TEST_DATABASE_URL is already set, it runs the command unchanged. When
// PostgreSQL is not installed and CI is not set, it warns and runs the
// command without TEST_DATABASE_URL (the tests then skip). It forwards
// SIGINT and SIGTERM to the command, stops the cluster when the command
// ends and exits with the command's status.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/o2c-platform/o2c/libs/pgtest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr))
}

// run runs args with environment env (plus TEST_DATABASE_URL) and returns
// the exit status: the command's, 128+n when the command was killed by
// signal n, 2 for a usage error and 1 when the cluster cannot be started or
// the command cannot be run.
func run(args, env []string, stdin io.Reader, stdout, stderr io.Writer) int {
	getenv := func(key string) string {
		v := ""
		for _, kv := range env {
			if k, val, ok := strings.Cut(kv, "="); ok && k == key {
				v = val // the last one wins, as in exec
			}
		}
		return v
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: withpostgres [--] command [args...]")
		return 2
	}
	// Catch the signals before anything slow happens, so that an interrupt
	// during start-up still reaches the clean-up below.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)

	if getenv("TEST_DATABASE_URL") == "" {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-signals:
				cancel()
			case <-ctx.Done():
			}
		}()
		c, err := pgtest.Start(ctx, pgtest.Options{Log: stderr})
		cancel()
		switch {
		case errors.Is(err, pgtest.ErrNoPostgres) && getenv("CI") == "":
			fmt.Fprintf(stderr, "withpostgres: %v; running without TEST_DATABASE_URL\n", err)
		case err != nil:
			fmt.Fprintf(stderr, "withpostgres: %v\n", err)
			return 1
		default:
			defer func() {
				if err := c.Stop(); err != nil {
					fmt.Fprintf(stderr, "withpostgres: %v\n", err)
				}
			}()
			env = append(slices.Clip(env), "TEST_DATABASE_URL="+c.URL())
		}
	}

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "withpostgres: %v\n", err)
		return 1
	}
	exited := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-signals:
				_ = cmd.Process.Signal(sig) // fails only once the command has exited
			case <-exited:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(exited)
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	default:
		fmt.Fprintf(stderr, "withpostgres: %v\n", err)
		return 1
	}
}
