// Command o2c is the operator CLI of o2c: it parses payment files, queries the
// services, verifies the event store and runs the all-in-one demo.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI with args, writing to stdout and stderr, and returns
// the process exit status. An error that still carries a gRPC status is
// explained here, so none reaches the user as "rpc error: code = …".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		var ec exitCode
		if asExitCode(err, &ec) {
			return int(ec)
		}
		fmt.Fprintln(stderr, "o2c:", explain(service{name: "service", flag: "its address flag"}, err))
		return 1
	}
	return 0
}
