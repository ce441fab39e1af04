package pgtest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	tail := " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 20 21"
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr bool
	}{
		{name: "plain", in: "123 (postgres) S" + tail, want: procStat{state: "S", start: "4242"}},
		{name: "spaces and parens in name", in: "123 (a) b (c) Z" + tail, want: procStat{state: "Z", start: "4242"}},
		{name: "truncated", in: "123 (postgres) S 1 2 3", wantErr: true},
		{name: "no name", in: "123 postgres S" + tail, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseProcStat(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseProcStat(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(procStat{})); diff != "" {
				t.Errorf("parseProcStat(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseOwner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    owner
		wantErr bool
	}{
		{in: "42 1000\n", want: owner{pid: 42, start: "1000"}},
		{in: "42", want: owner{pid: 42}},
		{in: "", wantErr: true},
		{in: "-1 5", wantErr: true},
		{in: "x 5", wantErr: true},
		{in: "1 2 3", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseOwner(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseOwner(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if got != tt.want {
			t.Errorf("parseOwner(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if o := self(); o.String() == "" || o.pid != os.Getpid() {
		t.Errorf("self() = %+v, want pid %d", o, os.Getpid())
	}
}

func TestOwnerAlive(t *testing.T) {
	t.Parallel()
	me := self()
	if me.start == "" {
		t.Skip("no /proc: start times unknown")
	}
	tests := []struct {
		name string
		o    owner
		want bool
	}{
		{name: "this process", o: me, want: true},
		{name: "this pid without start time", o: owner{pid: me.pid}, want: true},
		{name: "this pid reused by another process", o: owner{pid: me.pid, start: me.start + "1"}, want: false},
		{name: "pid beyond pid_max", o: owner{pid: 1 << 30}, want: false},
	}
	for _, tt := range tests {
		if got := tt.o.alive(); got != tt.want {
			t.Errorf("%s: %+v.alive() = %v, want %v", tt.name, tt.o, got, tt.want)
		}
	}
}

func TestVersionDirs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, v := range []string{"9.6", "16", "10", "devel", "15"} {
		if err := os.Mkdir(filepath.Join(root, v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, v := range []string{"16", "15", "10", "9.6", "devel"} {
		want = append(want, filepath.Join(root, v, "bin"))
	}
	if diff := cmp.Diff(want, versionDirs(root)); diff != "" {
		t.Errorf("versionDirs (-want +got):\n%s", diff)
	}
	if got := versionDirs(filepath.Join(root, "missing")); len(got) != 0 {
		t.Errorf("versionDirs of a missing dir = %q, want none", got)
	}
}

func TestPostmasterPID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content *string
		want    int
		wantErr bool
	}{
		{name: "no file", want: 0},
		{name: "running", content: ptr("4711\n/tmp/x/data\n1700000000\n5432\n"), want: 4711},
		{name: "garbage", content: ptr("abc\n"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.content != nil {
				if err := os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(*tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := postmasterPID(dir)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("postmasterPID = %d, %v; want %d, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestReapDeadWithoutServers covers the directory decisions of reapDead;
// TestStartRemovesClustersOfKilledProcesses covers stopping a real server.
func TestReapDeadWithoutServers(t *testing.T) {
	t.Parallel()
	me := self()
	deadPID := 1 << 30 // beyond pid_max: never a live process
	tests := []struct {
		name     string
		dir      string
		owner    *string
		postPID  *string
		wantKept bool
	}{
		{name: "dead owner", dir: "cluster-1", owner: ptr(strconv.Itoa(deadPID) + " 1")},
		{name: "reused pid", dir: "cluster-2", owner: ptr(strconv.Itoa(me.pid) + " " + me.start + "9")},
		{name: "dead owner, stale postmaster.pid", dir: "cluster-3", owner: ptr(strconv.Itoa(deadPID) + " 1"), postPID: ptr(strconv.Itoa(me.pid) + "\n")},
		{name: "live owner", dir: "cluster-4", owner: ptr(me.String()), wantKept: true},
		{name: "no owner file yet", dir: "cluster-5", wantKept: true},
		{name: "not a cluster dir", dir: "other", owner: ptr(strconv.Itoa(deadPID) + " 1"), wantKept: true},
	}
	root := t.TempDir()
	for _, tt := range tests {
		data := filepath.Join(root, tt.dir, dataSubdir)
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		if tt.owner != nil {
			if err := os.WriteFile(filepath.Join(root, tt.dir, ownerFile), []byte(*tt.owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if tt.postPID != nil {
			if err := os.WriteFile(filepath.Join(data, "postmaster.pid"), []byte(*tt.postPID), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var log testWriter
	reapDead(root, &log)
	for _, tt := range tests {
		_, err := os.Stat(filepath.Join(root, tt.dir))
		if kept := err == nil; kept != tt.wantKept {
			t.Errorf("%s: dir kept = %v, want %v (log: %s)", tt.name, kept, tt.wantKept, log)
		}
	}
	// The stale postmaster.pid named this very process: it must not have
	// been signalled, or the test would not get here.
}

type testWriter []byte

func (w *testWriter) Write(p []byte) (int, error) {
	*w = append(*w, p...)
	return len(p), nil
}
