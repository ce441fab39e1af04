// Command agency-sim is the reference collection agency: it speaks
// o2c.collections.v1.AgencyService as an agency would (package agency) and
// works every case the merchant hands it: accepts it, reports that it
// contacted the debtor and agreed a payment plan, collects the plan's
// instalments with its costs and commission, confirms recalls and closes
// the case. It is for tests, the demo and anyone building an agency's
// side, not for collecting money.
//
// It authenticates with the agency's own credentials (a client
// certificate or bearer token with the agency role and its agency id):
// collections takes tenant and agency from them. Configuration is by
// flags and environment (`agency-sim --help`). Following the cases, it
// waits for collections when it is unreachable and reconnects
// (agency.RunReconnecting) instead of exiting.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"

	"github.com/o2c-platform/o2c/cmd/agency-sim/agency"
	"github.com/o2c-platform/o2c/libs/host"
)

// AddrEnv names the variable with collections' gRPC address.
const AddrEnv = "COLLECTIONS_ADDR"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "agency-sim:", err)
		os.Exit(1)
	}
}

// run parses args, connects to collections as getenv's credentials say
// and works the agency's cases: once with --once, else as they come until
// ctx ends, waiting for collections when it is unreachable (--retries
// bounds the consecutive attempts; each is logged on errOut). It prints a
// line per case worked on out.
func run(ctx context.Context, args []string, getenv func(string) string, out, errOut io.Writer) error {
	terms := agency.DefaultTerms()
	fs := flag.NewFlagSet("agency-sim", flag.ContinueOnError)
	fs.SetOutput(errOut)
	tenant := fs.String("tenant", getenv("AGENCY_TENANT"), "the tenant whose cases to work, one of the credentials' (env AGENCY_TENANT)")
	once := fs.Bool("once", false, "work the cases there are now and exit, instead of following new ones")
	backoff := agency.DefaultBackoff()
	fs.IntVar(&backoff.Attempts, "retries", backoff.Attempts, "consecutive attempts to reach collections, waiting 0.2 s doubling up to 10 s between them, before giving up (following only)")
	fs.IntVar(&terms.Instalments, "instalments", terms.Instalments, "instalments the debtor pays")
	share := fs.Int("share-bp", int(terms.ShareBP), "part of each case the debtor pays in all, in basis points (10000: everything; less closes the case uncollectable and writes off the rest)")
	fs.Int64Var(&terms.CostsMinor, "costs", terms.CostsMinor, "the agency's collection costs per case in minor units, charged to the debtor and kept as its fees")
	commission := fs.Int("commission-bp", int(terms.CommissionBP), "the agency's commission on what it collects, in basis points")
	vat := fs.Int("vat-bp", int(terms.VATRateBP), "VAT on fees and commission, in basis points")
	fs.Usage = func() {
		fmt.Fprintf(errOut, "agency-sim: the reference collection agency; works the cases collections hands it.\n\nUsage: agency-sim [flags]\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(errOut, "\nEnvironment:\n")
		for _, v := range host.PeerVariables("the agency", "collections", AddrEnv, "collections' gRPC address (required)") {
			fmt.Fprintf(errOut, "  %s\n      %s\n", v.Name, v.Meaning)
		}
		fmt.Fprintf(errOut, "  (the agency's certificate or token carries the agency role and its agency id, o2c:agency:<id>, not the service role)\n")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (agency-sim --help lists the flags)", fs.Arg(0))
	}
	terms.ShareBP, terms.CommissionBP, terms.VATRateBP = int32(*share), int32(*commission), int32(*vat)
	if backoff.Attempts < 1 {
		return fmt.Errorf("--retries %d: want at least 1", backoff.Attempts)
	}
	if *tenant == "" {
		return errors.New("no tenant: set --tenant or AGENCY_TENANT")
	}
	peer, err := host.PeerFromEnv("collections", AddrEnv, getenv)
	if err != nil {
		return err
	}
	if peer.Addr == "" {
		return fmt.Errorf("%s is not set: collections' gRPC address, with the agency's credentials (agency-sim --help)", AddrEnv)
	}
	conn, err := peer.Dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	a, err := agency.New(collectionsv1grpc.NewAgencyServiceClient(conn), *tenant, terms, time.Now)
	if err != nil {
		return err
	}
	if *once {
		cases, err := a.WorkAll(ctx)
		for _, c := range cases {
			fmt.Fprintln(out, agency.Describe(c))
		}
		if err == nil && len(cases) == 0 {
			fmt.Fprintln(out, "no case to work")
		}
		return err
	}
	fmt.Fprintf(out, "working the cases of tenant %s as they come (Ctrl-C ends)\n", *tenant)
	logf := func(format string, args ...any) { fmt.Fprintf(errOut, "agency-sim: "+format+"\n", args...) }
	return a.RunReconnecting(ctx, backoff, logf, func(c *collectionsv1.Case) { fmt.Fprintln(out, agency.Describe(c)) })
}
