package service_test

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/encoding/protowire"
)

// The rounds of BenchmarkPostJournalEntry profile themselves when
// O2C_LEDGER_PROFILE names a directory (`make profile-ledger` sets it and
// runs the main configuration alone). Each round then writes, into a
// subdirectory named after the sub-benchmark:
//
//	cpu.pprof      the Go CPU profile of the round, from the first post until
//	               the relay and the projection caught up
//	report.md      Go CPU by stage and by kind of work, PostgreSQL's
//	               statements (pg_stat_statements) per entry, PostgreSQL's
//	               CPU by function (perf, when it can attach) and WAL bytes
//	               per entry
//	explain.txt    one plan of each statement the round ran (auto_explain,
//	               sampled, with actual rows, buffers and WAL)
//	postgres.perf  perf's samples of the PostgreSQL processes, when perf is
//	               installed and may attach
//
// pg_stat_statements and auto_explain cost some CPU themselves, so the
// figures of a profiled round are a little higher than those of a plain
// one; compare plain rounds with each other.

// explainSampleRate is the share of statements auto_explain logs with
// their plan.
const explainSampleRate = "0.02"

// enableProfiling loads pg_stat_statements and auto_explain into the
// cluster, which takes a restart (shared_preload_libraries), and creates
// the extension in database postgres, where the report reads it.
func (w *world) enableProfiling(b *testing.B) {
	b.Helper()
	ctx := context.Background()
	if err := os.MkdirAll(w.profile, 0o755); err != nil {
		b.Fatal(err)
	}
	run := func(stmts ...string) {
		for _, s := range stmts {
			if err := w.superExec(ctx, s); err != nil {
				b.Fatalf("enable profiling: %s: %v", s, err)
			}
		}
	}
	run(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements', 'auto_explain'`, `CHECKPOINT`)
	if err := w.cluster.StopServer(); err != nil {
		b.Fatal(err)
	}
	if err := w.cluster.StartServer(ctx); err != nil {
		b.Fatal(err)
	}
	// The libraries' settings are known only once they are loaded.
	run(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`,
		`ALTER SYSTEM SET auto_explain.log_min_duration = 0`,
		`ALTER SYSTEM SET auto_explain.sample_rate = `+explainSampleRate,
		`ALTER SYSTEM SET auto_explain.log_analyze = on`,
		`ALTER SYSTEM SET auto_explain.log_buffers = on`,
		`ALTER SYSTEM SET auto_explain.log_wal = on`,
		`ALTER SYSTEM SET auto_explain.log_timing = off`,
		`SELECT pg_reload_conf()`)
}

// superExec runs one statement as the superuser in database postgres.
func (w *world) superExec(ctx context.Context, sql string) error {
	pool, err := pgxpool.New(ctx, w.cluster.URL())
	if err != nil {
		return err
	}
	defer pool.Close()
	_, err = pool.Exec(ctx, sql)
	return err
}

// profile is one round being profiled; nil when the world does not
// profile, and then its methods do nothing.
type profile struct {
	dir      string
	w        *world
	cpu      *os.File
	perf     *exec.Cmd
	logStart int64
	goCPU    time.Duration
	pgCPU    time.Duration
	procs    map[int]procCPU
}

// procCPU is a PostgreSQL process's kind and CPU time so far.
type procCPU struct {
	kind string
	cpu  time.Duration
}

// postgresProcs returns the CPU time of each of the cluster's processes,
// with its kind: "backend" for client sessions, else the process title
// ("walwriter", "autovacuum worker", ...).
func (w *world) postgresProcs() map[int]procCPU {
	out := map[int]procCPU{}
	for _, pid := range w.postgresPIDs() {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		st := string(stat)
		k := strings.LastIndexByte(st, ')')
		f := strings.Fields(st[k+1:])
		if k < 0 || len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		sy, _ := strconv.ParseInt(f[12], 10, 64)
		kind := "postmaster"
		if cmd, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline")); err == nil {
			title := strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
			if t, ok := strings.CutPrefix(title, "postgres: "); ok {
				kind = t
				if fs := strings.Fields(t); len(fs) > 2 && strings.Contains(t, "127.0.0.1") {
					kind = "backends (client sessions)"
				}
			}
		}
		out[pid] = procCPU{kind: kind, cpu: time.Duration(u+sy) * time.Second / clockTicks}
	}
	return out
}

// startProfile resets pg_stat_statements and starts the Go CPU profile and
// perf on the PostgreSQL processes.
func (w *world) startProfile(b *testing.B) *profile {
	b.Helper()
	if w.profile == "" || b.N < 100 {
		return nil
	}
	ctx := context.Background()
	dir := filepath.Join(w.profile, strings.NewReplacer("/", "_", "=", "-").Replace(strings.TrimPrefix(b.Name(), "BenchmarkPostJournalEntry/")))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	p := &profile{dir: dir, w: w}
	if _, err := w.admin.Exec(ctx, `SELECT pg_stat_statements_reset()`); err != nil {
		b.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(w.cluster.Dir(), "postgres.log")); err == nil {
		p.logStart = fi.Size()
	}
	if perf, err := exec.LookPath("perf"); err == nil {
		var pids []string
		for _, pid := range w.postgresPIDs() {
			pids = append(pids, strconv.Itoa(pid))
		}
		cmd := exec.Command(perf, "record", "-q", "-F", "499", "-o", filepath.Join(dir, "postgres.perf"), "-p", strings.Join(pids, ","))
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err == nil {
			p.perf = cmd
		}
	}
	f, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	p.cpu = f
	p.goCPU, p.pgCPU, p.procs = processCPU(), w.postgresCPU(), w.postgresProcs()
	return p
}

// stop ends the profiles and writes the report of a round of n entries
// that wrote walBytes of WAL.
func (p *profile) stop(b *testing.B, n int, walBytes int64) {
	b.Helper()
	if p == nil {
		return
	}
	goCPU, pgCPU := processCPU()-p.goCPU, p.w.postgresCPU()-p.pgCPU
	pprof.StopCPUProfile()
	if err := p.cpu.Close(); err != nil {
		b.Fatal(err)
	}
	if p.perf != nil {
		_ = p.perf.Process.Signal(syscall.SIGINT)
		_ = p.perf.Wait()
	}
	var r bytes.Buffer
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	fmt.Fprintf(&r, "# %s\n\n", b.Name())
	fmt.Fprintf(&r, "%d entries. From the first post until the relay and the projection caught up: "+
		"Go %.0f µs, PostgreSQL %.0f µs, together %.0f µs of CPU per entry; %.0f bytes of WAL per entry.\n\n",
		n, us(goCPU), us(pgCPU), us(goCPU+pgCPU), float64(walBytes)/float64(n))
	p.procReport(&r, n)
	if err := p.goReport(&r, n); err != nil {
		b.Error(err)
	}
	if err := p.statements(&r, n); err != nil {
		b.Error(err)
	}
	p.perfReport(&r, n, pgCPU)
	if err := p.explain(); err != nil {
		b.Error(err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "report.md"), r.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("profile written to %s", p.dir)
}

// procReport writes PostgreSQL's CPU per entry by kind of process. A
// process that ended during the round (an autovacuum worker) is not
// counted, as the benchmark does not count it either.
func (p *profile) procReport(w io.Writer, n int) {
	byKind := map[string]time.Duration{}
	for pid, now := range p.w.postgresProcs() {
		byKind[now.kind] += now.cpu - p.procs[pid].cpu
	}
	type row struct {
		kind string
		cpu  time.Duration
	}
	var rows []row
	for k, v := range byKind {
		rows = append(rows, row{k, v})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.cpu, a.cpu) })
	fmt.Fprintf(w, "## PostgreSQL CPU by process\n\n| process | µs per entry |\n|---|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %.1f |\n", r.kind, float64(r.cpu.Microseconds())/float64(n))
	}
	fmt.Fprintln(w)
}

// stages sort the Go CPU samples by what the work was for: the first rule
// any frame of a sample's stack matches decides, checked from the first
// rule down.
var stages = []struct{ name, frame string }{
	{"GC background marking", "runtime.gcBgMarkWorker"},
	{"benchmark clients (build requests)", "service_test.(*world).round"},
	{"relay (read, build messages, publish, acks)", "eventstore/relay.(*Relay)"},
	{"projection (read, apply, invariant checks)", "eventstore.(*Store).RunBatchProjection"},
	{"projection (read, apply, invariant checks)", "eventstore.(*Store).CatchUpProjection"},
	{"group commit: periods check", "postgres.(*Poster).decide"},
	{"group commit: append (encode, hash, insert)", "eventstore.(*Store).AppendBatch"},
	{"group commit: other", "postgres.(*Poster).commit"},
	{"embedded NATS server (JetStream)", "nats-server/v2/server."},
	{"NATS client", "nats.go."},
	{"pgx connection pool", "jackc/puddle"},
}

// kinds sort the Go CPU samples by the kind of work: allocation and GC
// when the stack allocates, system calls, else the package of the frame
// closest to the leaf that starts with a rule's prefix.
var kinds = []struct{ name, frame string }{
	{"pgx (encode, decode, protocol)", "github.com/jackc/pgx"},
	{"protobuf (marshal, unmarshal)", "google.golang.org/protobuf"},
	{"SHA-256 and other crypto", "crypto/"},
	{"NATS server", "github.com/nats-io/nats-server"},
	{"NATS client", "github.com/nats-io/nats.go"},
	{"ledger (books, poster, projection)", "github.com/o2c-platform/o2c/services/ledger/"},
	{"event store", "github.com/o2c-platform/o2c/libs/eventstore"},
	{"formatting and strconv", "fmt."},
	{"formatting and strconv", "strconv."},
	{"maps", "internal/runtime/maps."},
	{"time", "time."},
}

// goReport sorts the samples of cpu.pprof by stage and by kind.
func (p *profile) goReport(w io.Writer, n int) error {
	stacks, err := readProfile(filepath.Join(p.dir, "cpu.pprof"))
	if err != nil {
		return err
	}
	byStage, byKind := map[string]int64{}, map[string]int64{}
	var total int64
	for _, s := range stacks {
		total += s.nanos
		stage := "other (scheduler, timers, idle GC work)"
	stageRules:
		for _, r := range stages {
			for _, f := range s.frames {
				if strings.Contains(f, r.frame) {
					stage = r.name
					break stageRules
				}
			}
		}
		byStage[stage] += s.nanos
		byKind[kindOf(s.frames)] += s.nanos
	}
	table := func(title string, m map[string]int64) {
		type row struct {
			name  string
			nanos int64
		}
		var rows []row
		for k, v := range m {
			rows = append(rows, row{k, v})
		}
		slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.nanos, a.nanos) })
		fmt.Fprintf(w, "| %s | µs per entry | share |\n|---|---:|---:|\n", title)
		for _, r := range rows {
			fmt.Fprintf(w, "| %s | %.1f | %.0f %% |\n", r.name, float64(r.nanos)/1e3/float64(n), 100*float64(r.nanos)/float64(total))
		}
		fmt.Fprintf(w, "| total (profiler's samples) | %.1f | |\n\n", float64(total)/1e3/float64(n))
	}
	fmt.Fprintf(w, "## Go CPU\n\n")
	table("stage", byStage)
	table("kind of work", byKind)
	return nil
}

func kindOf(frames []string) string {
	for _, f := range frames {
		if strings.HasPrefix(f, "runtime.gcBgMarkWorker") || strings.HasPrefix(f, "runtime.mallocgc") ||
			strings.HasPrefix(f, "runtime.gcAssist") || strings.HasPrefix(f, "runtime.growslice") ||
			strings.HasPrefix(f, "runtime.newobject") || strings.HasPrefix(f, "runtime.makeslice") {
			return "allocation and GC"
		}
	}
	for _, f := range frames {
		if strings.HasPrefix(f, "syscall.") || strings.HasPrefix(f, "internal/runtime/syscall") {
			return "system calls (network, files)"
		}
	}
	for _, f := range frames {
		for _, k := range kinds {
			if strings.HasPrefix(f, k.frame) {
				return k.name
			}
		}
	}
	return "scheduler and other runtime"
}

// sample is one stack of a CPU profile, leaf first, with its CPU time.
type sample struct {
	frames []string
	nanos  int64
}

// readProfile decodes the samples of a Go CPU profile (gzipped
// profile.proto) far enough to name each frame's function.
func readProfile(path string) ([]sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var strs []string
	funcName := map[uint64]int64{}    // function id -> string index
	locFuncs := map[uint64][]uint64{} // location id -> function ids, innermost first
	type rawSample struct{ locs, values []uint64 }
	var raws []rawSample
	err = fields(data, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 2: // sample
			var s rawSample
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch num {
				case 1:
					s.locs = appendVarints(s.locs, typ, v, x)
				case 2:
					s.values = appendVarints(s.values, typ, v, x)
				}
				return nil
			})
			raws = append(raws, s)
			return err
		case 4: // location
			var id uint64
			var fns []uint64
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch num {
				case 1:
					id = x
				case 4: // line
					return fields(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
						if num == 1 {
							fns = append(fns, x)
						}
						return nil
					})
				}
				return nil
			})
			locFuncs[id] = fns
			return err
		case 5: // function
			var id uint64
			var name int64
			err := fields(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
				switch num {
				case 1:
					id = x
				case 2:
					name = int64(x)
				}
				return nil
			})
			funcName[id] = name
			return err
		case 6: // string table
			strs = append(strs, string(v))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	out := make([]sample, 0, len(raws))
	for _, r := range raws {
		if len(r.values) < 2 {
			continue
		}
		s := sample{nanos: int64(r.values[1])}
		for _, l := range r.locs {
			for _, fn := range locFuncs[l] {
				if i := funcName[fn]; i >= 0 && int(i) < len(strs) {
					s.frames = append(s.frames, strs[i])
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// fields calls fn for each field of the protobuf message b: v is the
// content of a length-delimited field, x the value of a varint.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// appendVarints appends a repeated varint field, packed or not.
func appendVarints(out []uint64, typ protowire.Type, v []byte, x uint64) []uint64 {
	if typ == protowire.VarintType {
		return append(out, x)
	}
	for len(v) > 0 {
		y, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return out
		}
		out = append(out, y)
		v = v[n:]
	}
	return out
}

// statements writes pg_stat_statements' figures of the round per entry.
func (p *profile) statements(w io.Writer, n int) error {
	rows, err := p.w.admin.Query(context.Background(), `
		SELECT s.calls, s.total_exec_time, s.rows, s.shared_blks_hit + s.shared_blks_read, s.shared_blks_dirtied,
		       s.wal_bytes::bigint, s.query
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname LIKE 'ledger_bench_%'
		ORDER BY s.total_exec_time DESC`)
	if err != nil {
		return fmt.Errorf("read pg_stat_statements: %w", err)
	}
	defer rows.Close()
	fmt.Fprintf(w, "## PostgreSQL statements (pg_stat_statements)\n\n")
	fmt.Fprintf(w, "Execution time is wall time inside the server (CPU, lock and I/O waits); COMMIT includes the WAL flush.\n\n")
	fmt.Fprintf(w, "| statement | calls per 1,000 entries | exec µs per entry | rows per call | buffers per entry | dirtied per 1,000 entries | WAL bytes per entry |\n|---|---:|---:|---:|---:|---:|---:|\n")
	space := regexp.MustCompile(`\s+`)
	for rows.Next() {
		var calls, nrows, bufs, dirtied, wal int64
		var exec float64
		var query string
		if err := rows.Scan(&calls, &exec, &nrows, &bufs, &dirtied, &wal, &query); err != nil {
			return err
		}
		if exec*1000/float64(n) < 0.05 {
			continue
		}
		q := space.ReplaceAllString(strings.TrimSpace(query), " ")
		if len(q) > 110 {
			q = q[:110] + "…"
		}
		q = strings.ReplaceAll(q, "|", `\|`)
		fmt.Fprintf(w, "| `%s` | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f |\n", q, 1000*float64(calls)/float64(n),
			exec*1000/float64(n), float64(nrows)/float64(max(calls, 1)), float64(bufs)/float64(n),
			1000*float64(dirtied)/float64(n), float64(wal)/float64(n))
	}
	fmt.Fprintln(w)
	return rows.Err()
}

// pgFamilies sort PostgreSQL's functions (perf symbols) into what they do;
// the first matching prefix decides.
var pgFamilies = []struct {
	name     string
	prefixes []string
}{
	{"B-tree index insert and search", []string{"_bt_", "bt", "btree"}},
	{"heap access (insert, fetch, visibility)", []string{"heap_", "heapam_", "HeapTuple", "heapgettup", "RelationPutHeapTuple", "RelationGetBufferForTuple", "index_fetch_heap"}},
	{"WAL (insert, write, flush)", []string{"XLog", "xlog", "CopyXLog", "WALInsert", "issue_xlog_fsync", "ReserveXLog"}},
	{"buffer manager and locks", []string{"ReadBuffer", "LockBuffer", "LWLock", "PinBuffer", "UnpinBuffer", "Buffer", "hash_search", "LockAcquire", "LockRelease", "ResourceOwner"}},
	{"parse, analyze, plan", []string{"raw_parser", "base_yyparse", "core_yylex", "parse_", "transform", "planner", "standard_planner", "subquery_planner", "make_", "create_", "pull_up", "expression_tree", "query_tree"}},
	{"executor and expressions", []string{"Exec", "exec", "ExecInterp", "slot_", "tts_", "ExecScan"}},
	{"protocol and data types (bind, send rows)", []string{"pq_", "printtup", "Send", "socket", "secure_", "uuid_", "byteasend", "bytea", "array_", "text", "int8", "date", "timestamp", "varlena", "pg_detoast", "Array", "construct_"}},
	{"transactions and snapshots", []string{"GetSnapshotData", "CommitTransaction", "StartTransaction", "AbortTransaction", "Transaction", "pg_current_", "pg_snapshot", "ProcArray"}},
	{"memory (palloc)", []string{"palloc", "pfree", "AllocSet", "MemoryContext", "GenerationAlloc"}},
	{"checksums, CRC, copies", []string{"pg_comp_crc32c", "memcpy", "memmove", "memset", "__memcpy", "__memmove", "__memset"}},
	{"kernel (system calls, I/O, scheduling)", []string{"[k]"}},
}

// perfReport writes PostgreSQL's CPU by function family from perf's
// samples, scaled to pgCPU.
func (p *profile) perfReport(w io.Writer, n int, pgCPU time.Duration) {
	path := filepath.Join(p.dir, "postgres.perf")
	if p.perf == nil {
		fmt.Fprintf(w, "## PostgreSQL CPU by function\n\nperf was not available; no profile of PostgreSQL's CPU.\n\n")
		return
	}
	out, err := exec.Command("perf", "report", "-i", path, "--stdio", "--no-children", "--sort", "sym", "--percent-limit", "0").Output()
	if err != nil {
		fmt.Fprintf(w, "## PostgreSQL CPU by function\n\nperf report failed: %v\n\n", err)
		return
	}
	// Lines look like "    12.34%  [.] ExecInsert" or "  1.00%  [k] do_syscall_64".
	line := regexp.MustCompile(`^\s*([0-9.]+)%\s+(\[[.k]\])\s+(\S+)`)
	fam := map[string]float64{}
	type sym struct {
		name string
		pct  float64
	}
	var syms []sym
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		pct, _ := strconv.ParseFloat(m[1], 64)
		name := m[3]
		if m[2] == "[k]" {
			name = "[k] " + name
		}
		syms = append(syms, sym{name, pct})
		f := "other"
	families:
		for _, pf := range pgFamilies {
			for _, pre := range pf.prefixes {
				if strings.HasPrefix(name, pre) {
					f = pf.name
					break families
				}
			}
		}
		fam[f] += pct
	}
	per := float64(pgCPU.Microseconds()) / float64(n)
	fmt.Fprintf(w, "## PostgreSQL CPU by function (perf, all server processes)\n\n")
	fmt.Fprintf(w, "Shares of perf's samples, scaled to the %.0f µs of PostgreSQL CPU per entry.\n\n", per)
	fmt.Fprintf(w, "| family | µs per entry | share |\n|---|---:|---:|\n")
	type row struct {
		name string
		pct  float64
	}
	var rows []row
	for k, v := range fam {
		rows = append(rows, row{k, v})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.pct, a.pct) })
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %.1f | %.1f %% |\n", r.name, per*r.pct/100, r.pct)
	}
	fmt.Fprintf(w, "\nTop functions:\n\n| function | share |\n|---|---:|\n")
	for i, s := range syms {
		if i == 30 {
			break
		}
		fmt.Fprintf(w, "| `%s` | %.1f %% |\n", s.name, s.pct)
	}
	fmt.Fprintln(w)
}

// explain copies one auto_explain plan of each distinct statement from the
// server log, from where the round started, into explain.txt.
func (p *profile) explain() error {
	f, err := os.Open(filepath.Join(p.w.cluster.Dir(), "postgres.log"))
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(p.logStart, io.SeekStart); err != nil {
		return err
	}
	logCopy, err := os.Create(filepath.Join(p.dir, "postgres.log"))
	if err != nil {
		return err
	}
	defer logCopy.Close()
	space := regexp.MustCompile(`\s+`)
	seen := map[string]bool{}
	var out bytes.Buffer
	var block []string
	flush := func() {
		if len(block) == 0 {
			return
		}
		// The query text runs from "Query Text:" to the plan's first
		// node, the next line indented by one tab only.
		var text []string
		for i, l := range block {
			if q, ok := strings.CutPrefix(strings.TrimSpace(l), "Query Text:"); ok {
				text = append(text, q)
				for _, l := range block[i+1:] {
					if len(l) > 1 && l[0] == '\t' && l[1] != '\t' && l[1] != ' ' {
						break
					}
					text = append(text, l)
				}
				break
			}
		}
		query := space.ReplaceAllString(strings.TrimSpace(strings.Join(text, " ")), " ")
		if query != "" && !seen[query] {
			seen[query] = true
			out.WriteString(strings.Join(block, "\n"))
			out.WriteString("\n\n")
		}
		block = nil
	}
	sc := bufio.NewScanner(io.TeeReader(f, logCopy))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.Contains(l, "LOG:  duration:") && strings.HasSuffix(l, "plan:"):
			flush()
			block = []string{l}
		case strings.HasPrefix(l, "\t") && block != nil:
			block = append(block, l)
		default:
			flush()
		}
	}
	flush()
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return os.WriteFile(filepath.Join(p.dir, "explain.txt"), out.Bytes(), 0o644)
}
