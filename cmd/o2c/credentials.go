package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/credfile"
)

// credentialsFlag is the persistent flag naming the credentials file.
const credentialsFlag = "credentials"

// bindCredentials gives root the --credentials flag every command
// inherits.
func bindCredentials(root *cobra.Command) {
	root.PersistentFlags().String(credentialsFlag, "",
		"the credentials `FILE` the CLI authenticates with to the services and NATS (env "+credfile.Env+"; default "+defaultCredentialsHelp()+
			", which o2c demo --keep-running writes)")
}

// creds are the credentials the CLI presents and where they come from.
type creds struct {
	// path is the file read; without a file, the default path looked at.
	path string
	// source names where path came from: "--credentials",
	// credfile.Env or "" for the default path.
	source string
	// file is nil when there is no file at the default path: the CLI then
	// presents nothing.
	file *credfile.File
}

// loadCredentials reads the credentials file cmd's --credentials flag,
// else O2C_CREDENTIALS, names; else the one at the default path, if there
// is one. A file named explicitly must exist.
func loadCredentials(cmd *cobra.Command) (creds, error) {
	var c creds
	if f := cmd.Flag(credentialsFlag); f != nil && f.Changed {
		c.path, c.source = f.Value.String(), "--"+credentialsFlag
	} else if v := os.Getenv(credfile.Env); v != "" {
		c.path, c.source = v, credfile.Env
	} else {
		p, err := credfile.DefaultPath()
		if err != nil {
			return c, fmt.Errorf("%w; name a credentials file with --%s or %s", err, credentialsFlag, credfile.Env)
		}
		c.path = p
	}
	f, err := credfile.Load(c.path)
	switch {
	case err == nil:
		c.file = f
		return c, nil
	case errors.Is(err, fs.ErrNotExist) && c.source == "":
		return c, nil
	case errors.Is(err, fs.ErrNotExist):
		return c, fmt.Errorf("no credentials file %s (from %s): %s", c.path, c.source, demoWritesIt)
	default:
		return c, err
	}
}

// demoWritesIt says where credentials files come from.
const demoWritesIt = "`make demo ARGS=--keep-running` writes the demo's and prints where; " +
	"an installation's come from its platform team (README: Running securely)"

// grpc returns the gRPC credentials, empty without a file.
func (c creds) grpc() credfile.GRPC {
	if c.file == nil {
		return credfile.GRPC{}
	}
	return c.file.GRPC
}

// nats returns the NATS user, empty without a file.
func (c creds) nats() credfile.NATS {
	if c.file == nil {
		return credfile.NATS{}
	}
	return c.file.NATS
}

// what names the credentials for a message: "the credentials file X" or
// "no credentials (no file at X)".
func (c creds) what() string {
	if c.file == nil {
		return "no credentials (there is no credentials file at " + c.path + ")"
	}
	return "the credentials file " + c.path
}

// missing is the sentence for a service or NATS that wants credentials
// the CLI did not present.
func (c creds) missing() string {
	if c.file == nil {
		return fmt.Sprintf("this CLI has none: there is no credentials file at %s (the default). %s; "+
			"or name one with --%s FILE or %s", c.path, demoWritesIt, credentialsFlag, credfile.Env)
	}
	return fmt.Sprintf("the credentials file %s gives %s: use the file of the system you are calling (--%s FILE or %s)",
		c.path, c.grpc().Describe(), credentialsFlag, credfile.Env)
}

// dial returns a client connection to svc that presents the CLI's
// credentials. It does not connect yet: a service that is not running
// shows in the first call, which explain turns into a hint to start it.
// Every call's error carries the credentials it was made with, so that
// explain can say which file to use when a service refuses it.
func dial(cmd *cobra.Command, svc service) (*grpc.ClientConn, error) {
	c, err := loadCredentials(cmd)
	if err != nil {
		return nil, err
	}
	opts, err := c.grpc().DialOptions()
	if err != nil && c.file != nil && c.file.WrittenBy == credfile.DemoMarker {
		return nil, fmt.Errorf("%s: %w: the demo that wrote it has stopped; start it again with `make demo ARGS=--keep-running`", c.what(), err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.what(), err)
	}
	opts = append(opts, grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, o ...grpc.CallOption) error {
		if err := invoker(ctx, method, req, reply, cc, o...); err != nil {
			return &callError{creds: c, err: err}
		}
		return nil
	}))
	conn, err := grpc.NewClient(svc.addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not an address host:port: %w", svc.flag, svc.addr, err)
	}
	return conn, nil
}

// callError is a failed gRPC call with the credentials it was made with.
// It keeps the call's status (status.Code and explain see through it).
type callError struct {
	creds creds
	err   error
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// credentialsProblem says what to do when a call to the service at "at"
// failed for a reason that concerns credentials (desc is the status
// message), or "" when the failure has nothing to do with them.
func credentialsProblem(err error, at, desc string, unauthenticated bool) string {
	var ce *callError
	if !errors.As(err, &ce) {
		return ""
	}
	c := ce.creds
	tls := c.grpc().TLS()
	switch {
	case unauthenticated && c.grpc().Describe() == "no credentials":
		return fmt.Sprintf("the %s wants credentials, and %s", at, c.missing())
	case unauthenticated:
		return fmt.Sprintf("the %s did not accept %s of the credentials file %s (%s): is it the file of this system, and still valid?",
			at, c.grpc().Describe(), c.path, desc)
	case strings.Contains(desc, "first record does not look like a TLS handshake"):
		return fmt.Sprintf("the %s does not speak TLS, but the credentials file %s asks for it: is the address right, and does the service run with TLS (O2C_AUTH=mtls, or O2C_TLS_CERT)?",
			at, c.path)
	case tls && (strings.Contains(desc, "handshake") || strings.Contains(desc, "x509") || strings.Contains(desc, "tls:")):
		return fmt.Sprintf("the TLS handshake with the %s failed (%s): does the credentials file %s belong to this system (its ca_file, its certificate), and is the service's certificate issued for this address (else set server_name)?",
			at, desc, c.path)
	case !tls && (strings.Contains(desc, "connection closed before server preface") || strings.Contains(desc, "error reading server preface") ||
		strings.Contains(desc, "EOF")):
		return fmt.Sprintf("the %s closed the connection: it most likely wants TLS and credentials, and %s", at, c.missing())
	}
	return ""
}
