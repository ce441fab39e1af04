// Package faults is the whole-system fault harness (`make faults`, a short
// version in `make test`): it builds the six services and the reference
// agency (cmd/agency-sim) with `go build`, runs each as an OS process of
// its own against a PostgreSQL cluster and a NATS JetStream server that it
// can kill and restart (libs/chaos), with the fake SP-API, and drives real
// work through them for a number of rounds: a shop publishing invoices,
// credit notes and customer master data, bank statements and an Amazon
// settlement report imported, matching deciding the receipts, refund
// import reading Amazon's refunds, dunning runs, items released to
// collections and the agency working them. In every round, at a point
// drawn from a seeded random source, it kills one service process with
// SIGKILL, or NATS, or PostgreSQL, and restarts it.
//
// Afterwards it checks that every accepted input was booked exactly once,
// that `o2c verify` is clean over the six event stores (hash chains, the
// ledger's read models and invariants, bank reconciliation), that no
// consumer has anything pending or unacknowledged after a quiet period,
// and that whatever is held or rejected names its reason. It prints the
// rounds, the faults by target, the events processed, each check and the
// seed; the same seed draws the same faults at the same points.
//
// An input is accepted when the system said it took it: a shop message
// whose publish JetStream acknowledged, a file import answered IMPORTED or
// DUPLICATE_FILE, an SP-API refund event followed by a refund import run
// that answered, a release to collections answered OK. The harness sends
// each input until it is accepted, as a careful client would, so a lost
// answer means a second delivery, never a lost input.
package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/libs/chaos"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// Options configure a harness run.
type Options struct {
	// Rounds is the number of rounds of work, each with one fault.
	Rounds int
	// Seed draws the faults (target, point, downtime); the same seed
	// repeats them.
	Seed uint64
	// Tags are build tags for the service binaries: "o2c_fault_ackfirst"
	// builds consumers that acknowledge before their handler commits,
	// which the harness must catch.
	Tags string
	// Out receives the report.
	Out io.Writer
	// Targets, when set, are the names of the only parts killed
	// (Process and chaos target names: "ingestion", "NATS",
	// "PostgreSQL", ...); empty kills any.
	Targets []string
	// MaxDelay bounds how long after its step starts a round's fault
	// strikes (drawn in whole milliseconds below it). A short one meets
	// the handlers at work on the step's messages. Zero alternates 400 ms
	// and 20 ms by round.
	MaxDelay time.Duration
	// Timeout bounds the whole run (default 10 minutes plus a minute a
	// round).
	Timeout time.Duration
}

// Report is what a run found.
type Report struct {
	Seed   uint64
	Rounds int
	// Faults counts the kills by target.
	Faults map[string]int
	// Exits counts, by process, the exits the harness did not cause
	// (the supervisor started the process again).
	Exits map[string]int64
	// Accepted counts the accepted inputs by kind, and the refused ones.
	Accepted map[string]int
	// Events counts the events each service stored, by schema.
	Events map[string]int64
	// Messages is the number of messages the JetStream streams took in.
	Messages uint64
	Checks   []Check
	// Took is the run's wall time, the build included.
	Took time.Duration
}

// Check is one check of the end state.
type Check struct {
	// Name says what is checked; Summary what was counted.
	Name, Summary string
	OK            bool
	// Details name what is wrong, or worth knowing.
	Details []string
}

// OK reports whether every check passed.
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Failed returns the names of the checks that failed.
func (r *Report) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// Print writes the report in one write.
func (r *Report) Print(out io.Writer) {
	var w strings.Builder
	defer func() { io.WriteString(out, w.String()) }()
	fmt.Fprintf(&w, "fault harness: seed %d, %d rounds, run time %s\n", r.Seed, r.Rounds, r.Took.Round(time.Second))
	total := 0
	for _, n := range r.Faults {
		total += n
	}
	fmt.Fprintf(&w, "faults injected: %d (SIGKILL and restart):", total)
	for _, k := range sortedKeys(r.Faults) {
		fmt.Fprintf(&w, " %s %d", k, r.Faults[k])
	}
	fmt.Fprintln(&w)
	var exits []string
	for _, k := range sortedKeys(r.Exits) {
		if r.Exits[k] > 0 {
			exits = append(exits, fmt.Sprintf("%s %d", k, r.Exits[k]))
		}
	}
	if len(exits) > 0 {
		fmt.Fprintf(&w, "processes that exited by themselves and were restarted by the supervisor: %s\n", strings.Join(exits, ", "))
	}
	fmt.Fprint(&w, "inputs accepted:")
	for _, k := range sortedKeys(r.Accepted) {
		fmt.Fprintf(&w, " %s %d", k, r.Accepted[k])
	}
	fmt.Fprintln(&w)
	var events int64
	for _, n := range r.Events {
		events += n
	}
	fmt.Fprintf(&w, "events processed: %d messages through JetStream, %d events stored by the services (", r.Messages, events)
	for i, k := range sortedKeys(r.Events) {
		if i > 0 {
			fmt.Fprint(&w, ", ")
		}
		fmt.Fprintf(&w, "%s %d", k, r.Events[k])
	}
	fmt.Fprintln(&w, ")")
	for _, c := range r.Checks {
		verdict := "ok  "
		if !c.OK {
			verdict = "FAIL"
		}
		if c.Summary != "" {
			fmt.Fprintf(&w, "  %s %s: %s\n", verdict, c.Name, c.Summary)
		} else {
			fmt.Fprintf(&w, "  %s %s\n", verdict, c.Name)
		}
		for i, d := range c.Details {
			if i == 20 {
				fmt.Fprintf(&w, "         … and %d more\n", len(c.Details)-i)
				break
			}
			fmt.Fprintf(&w, "         %s\n", d)
		}
	}
	if r.OK() {
		fmt.Fprintf(&w, "fault harness: every check passed (seed %d)\n", r.Seed)
	} else {
		fmt.Fprintf(&w, "fault harness: FAILED %s (repeat with FAULT_SEED=%d)\n", strings.Join(r.Failed(), "; "), r.Seed)
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// serviceNames are the six services in start order: the directories
// under services/ and the names they serve under.
var serviceNames = []string{"ingestion", "ledger", "matching", "refund-import", "dunning", "collections"}

// harness is one run.
type harness struct {
	tb      testing.TB
	opt     Options
	dir     string
	bin     string
	pki     *pki
	pg      *chaos.Postgres
	ns      *chaos.NATS
	dbURL   string
	spapi   *spapifake.Server
	addrs   map[string]string
	procs   map[string]*Process
	agency  *Process
	conns   map[string]*grpc.ClientConn
	nc      *nats.Conn
	js      jetstream.JetStream
	rng     *rand.Rand
	log     io.Writer
	mu      sync.Mutex
	work    *ledgerOfWork
	targets []chaos.Target
}

// Run runs the harness and returns its report; an error means it could
// not run the system or drive its work (its checks are in the report).
func Run(tb testing.TB, opt Options) (*Report, error) {
	tb.Helper()
	start := time.Now()
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if opt.Timeout == 0 {
		opt.Timeout = 10*time.Minute + time.Duration(opt.Rounds)*time.Minute
	}
	ctx, cancel := context.WithTimeout(tb.Context(), opt.Timeout)
	defer cancel()
	h := &harness{tb: tb, opt: opt, dir: tb.TempDir(), addrs: map[string]string{}, procs: map[string]*Process{},
		conns: map[string]*grpc.ClientConn{}, rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)), log: opt.Out,
		work: newLedgerOfWork()}
	rep := &Report{Seed: opt.Seed, Rounds: opt.Rounds, Faults: map[string]int{}, Exits: map[string]int64{}}
	defer func() {
		for name, p := range h.procs {
			rep.Exits[name] = p.Exits()
		}
		if h.agency != nil {
			rep.Exits["agency-sim"] = h.agency.Exits()
		}
		rep.Accepted = h.work.accepted()
		rep.Took = time.Since(start)
	}()
	if err := h.start(ctx); err != nil {
		h.dumpLogs()
		return rep, err
	}
	defer h.stop()
	if err := h.rounds(ctx, rep); err != nil {
		h.dumpLogs()
		return rep, err
	}
	h.check(ctx, rep)
	if !rep.OK() {
		h.dumpLogs()
	}
	return rep, nil
}

// logf writes a line of progress, with the time, to the report's writer.
func (h *harness) logf(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(h.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}

// moduleRoot finds the directory of the o2c module's go.mod above the
// working directory (a test runs in its package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module github.com/o2c-platform/o2c\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("fault harness: no go.mod of github.com/o2c-platform/o2c above the working directory")
		}
		dir = parent
	}
}

// build builds the services and cmd/agency-sim into h.bin once.
func (h *harness) build(ctx context.Context) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	h.bin = filepath.Join(h.dir, "bin")
	args := []string{"build", "-o", h.bin + string(filepath.Separator)}
	if h.opt.Tags != "" {
		args = append(args, "-tags", h.opt.Tags)
	}
	for _, s := range serviceNames {
		args = append(args, "./services/"+s)
	}
	args = append(args, "./cmd/agency-sim")
	began := time.Now()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	h.logf("built the six services and agency-sim (tags %q) in %s", h.opt.Tags, time.Since(began).Round(time.Millisecond))
	return nil
}

// start builds the binaries and starts PostgreSQL, NATS, the fake SP-API,
// the six services and the agency.
func (h *harness) start(ctx context.Context) error {
	if err := h.build(ctx); err != nil {
		return err
	}
	h.pg = chaos.StartPostgres(h.tb)
	if err := h.pg.Cluster.CreateDatabase(ctx, "o2c", ""); err != nil {
		return err
	}
	h.dbURL = h.pg.Cluster.DatabaseURL("o2c")
	// NATS with the users and permissions a deployment has (as make demo
	// runs it): each service connects as its own user, the harness as the
	// administrator, so a service that needs a permission its user lacks
	// fails here too.
	natsConf := filepath.Join(h.dir, "nats-server.conf")
	natsPasswords, err := natsembed.WriteConfig(natsConf, natsembed.Users{Services: natsembed.Services(), ManageStreams: true, Admin: true})
	if err != nil {
		return err
	}
	h.ns = chaos.StartNATSWith(h.tb, natsConf)
	creds := filepath.Join(h.dir, "credentials")
	if err := os.Mkdir(creds, 0o700); err != nil {
		return err
	}
	if h.pki, err = newPKI(creds); err != nil {
		return err
	}
	// The fake without Amazon's rate limits, and refund import without
	// its own (REFUND_IMPORT_RATE_LIMITS=off): a run per round would
	// otherwise wait 45 s for the Reports API.
	spOpt := spapifake.Options{}
	spOpt.Limits = unlimited(spOpt.Limits)
	h.spapi = spapifake.New(spOpt)
	spURL, stopSP := h.spapi.Start()
	h.tb.Cleanup(stopSP)
	tenantsFile := filepath.Join(h.dir, "tenants.json")
	if err := os.WriteFile(tenantsFile, []byte(demo.TenantsJSON), 0o600); err != nil {
		return err
	}
	for _, s := range serviceNames {
		if h.addrs[s], err = freeAddr(); err != nil {
			return err
		}
	}
	base := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"O2C_TENANTS=" + tenantsFile, "MIGRATE_DATABASE_URL=" + h.dbURL, "NATS_URL=" + h.ns.URL(),
		"SHUTDOWN_TIMEOUT=2s", "RETRY_MIN=20ms", "RETRY_MAX=500ms", "OTEL_SDK_DISABLED=true",
	}
	base = append(base, h.pki.serverEnv()...)
	fake := h.spapi.Credentials()
	extra := map[string][]string{
		"dunning":  {"DUNNING_OUTBOX=" + filepath.Join(h.dir, "outbox"), "DUNNING_RUN_AT=off", "O2C_DATA_DIR=" + filepath.Join(h.dir, "dunning-data")},
		"matching": {"SEPA_OUTPUT_DIR=" + filepath.Join(h.dir, "sepa"), "SEPA_RUN_AT=off"},
		"refund-import": {"REFUND_IMPORT_SPAPI_ENDPOINT=" + spURL, "REFUND_IMPORT_LWA_TOKEN_URL=" + spURL + "/auth/o2/token",
			"REFUND_IMPORT_SCHEDULE=off", "REFUND_IMPORT_RATE_LIMITS=off", "REFUND_IMPORT_SECRETS_DIR=" + filepath.Join(h.dir, "secrets"),
			demo.RefundCredentialsEnv + "_CLIENT_ID=" + fake.ClientID, demo.RefundCredentialsEnv + "_CLIENT_SECRET=" + fake.ClientSecret,
			demo.RefundCredentialsEnv + "_REFRESH_TOKEN=" + fake.RefreshToken},
	}
	for _, s := range serviceNames {
		env := append(slices.Clone(base), "GRPC_ADDR="+h.addrs[s], "NATS_USER="+s, "NATS_PASSWORD="+natsPasswords[s])
		env = append(env, extra[s]...)
		peerEnv, err := h.pki.clientEnv(s, demo.ServicePrincipal(s))
		if err != nil {
			return err
		}
		switch s {
		case "ingestion":
			env = append(env, "LEDGER_ADDR="+h.addrs["ledger"])
			env = append(env, peerEnv...)
		case "ledger":
		default:
			env = append(env, "INGESTION_ADDR="+h.addrs["ingestion"])
			env = append(env, peerEnv...)
		}
		conn, err := h.pki.dial(h.addrs[s], harnessPrincipal())
		if err != nil {
			return err
		}
		h.conns[s] = conn
		h.tb.Cleanup(func() { conn.Close() })
		p, err := startProcess(ctx, s, filepath.Join(h.bin, s), nil, env, filepath.Join(h.dir, s+".log"), serving(conn))
		if err != nil {
			return err
		}
		h.procs[s] = p
		h.logf("%s serving on %s (process %d)", s, h.addrs[s], p.cmd.Process.Pid)
	}
	agencyEnv, err := h.pki.clientEnv("agency", demo.AgencyPrincipal(demo.ReferenceAgency, demo.Tenant))
	if err != nil {
		return err
	}
	agencyEnv = append(agencyEnv, "PATH="+os.Getenv("PATH"), "COLLECTIONS_ADDR="+h.addrs["collections"], "AGENCY_TENANT="+demo.Tenant)
	if h.agency, err = startProcess(ctx, "agency-sim", filepath.Join(h.bin, "agency-sim"), nil, agencyEnv, filepath.Join(h.dir, "agency-sim.log"), nil); err != nil {
		return err
	}
	h.nc, err = nats.Connect(h.ns.URL(), nats.UserInfo(natsembed.AdminUser, natsPasswords[natsembed.AdminUser]),
		nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		return err
	}
	if h.js, err = jetstream.New(h.nc); err != nil {
		return err
	}
	for _, s := range serviceNames {
		h.targets = append(h.targets, h.procs[s])
	}
	h.targets = append(h.targets, h.ns, h.pg)
	if len(h.opt.Targets) > 0 {
		h.targets = slices.DeleteFunc(h.targets, func(t chaos.Target) bool { return !slices.Contains(h.opt.Targets, t.Name()) })
		if len(h.targets) == 0 {
			return fmt.Errorf("fault harness: none of the targets %v exists", h.opt.Targets)
		}
	}
	return nil
}

// stop stops the agency and the services; NATS and PostgreSQL stop at the
// test's cleanup.
func (h *harness) stop() {
	if h.nc != nil {
		h.nc.Close()
	}
	if h.agency != nil {
		h.agency.Stop()
	}
	var wg sync.WaitGroup
	for _, p := range h.procs {
		wg.Go(p.Stop)
	}
	wg.Wait()
}

// dumpLogs names the services' log files and prints their last lines.
func (h *harness) dumpLogs() {
	names := append(slices.Clone(serviceNames), "agency-sim")
	for _, s := range names {
		path := filepath.Join(h.dir, s+".log")
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		h.logf("last lines of %s (%s):\n%s", s, path, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
}

// serving asks a service's gRPC health service, over conn, whether it is
// SERVING.
func serving(conn *grpc.ClientConn) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		if r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("%s", r.GetStatus())
		}
		return nil
	}
}

// unlimited returns an empty map of the type of limits: the fake's "no
// rate limits" (spapi.NoLimits, which this package cannot name: spapi is
// internal to refund import).
func unlimited[M ~map[string]V, V any](M) M { return M{} }

// freeAddr returns a loopback address whose port is free now.
func freeAddr() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer lis.Close()
	return lis.Addr().String(), nil
}

// conn returns a connection to the named service as the harness.
func (h *harness) conn(name string) *grpc.ClientConn { return h.conns[name] }
