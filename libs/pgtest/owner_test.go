package pgtest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/procdir"
)

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
	me := procdir.Self()
	deadPID := 1 << 30 // beyond pid_max: never a live process
	tests := []struct {
		name     string
		dir      string
		owner    *string
		postPID  *string
		wantKept bool
	}{
		{name: "dead owner", dir: "cluster-1", owner: ptr(strconv.Itoa(deadPID) + " 1")},
		{name: "reused pid", dir: "cluster-2", owner: ptr(strconv.Itoa(me.PID) + " " + me.Start + "9")},
		{name: "dead owner, stale postmaster.pid", dir: "cluster-3", owner: ptr(strconv.Itoa(deadPID) + " 1"), postPID: ptr(strconv.Itoa(me.PID) + "\n")},
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
			if err := os.WriteFile(filepath.Join(root, tt.dir, procdir.OwnerFile), []byte(*tt.owner), 0o644); err != nil {
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
