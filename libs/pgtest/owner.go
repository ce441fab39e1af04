package pgtest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/o2c-platform/o2c/libs/procdir"
)

// Every cluster directory under the root holds an owner file (procdir)
// naming the process that started it. A directory whose owner is gone
// belongs to a run that crashed or was killed before Stop; the next Start
// stops its server and removes it.
const (
	dataSubdir    = "data"
	clusterPrefix = "cluster-"
	// unownedGrace is how long a cluster directory without a readable owner
	// file is assumed to be in creation by another process (Start writes the
	// owner file right after creating the directory).
	unownedGrace = 10 * time.Minute
	// quitGrace is how long a postmaster gets to finish an immediate shutdown
	// (SIGQUIT) before it is killed with SIGKILL.
	quitGrace = 10 * time.Second
)

// defaultRoot is the directory holding one subdirectory per throwaway cluster.
func defaultRoot() string {
	return filepath.Join(os.TempDir(), "o2c-pgtest")
}

// ensureRoot creates root if needed and checks that it is a real directory
// owned by this user, so that directories planted by someone else are never
// trusted. It is world-searchable because the server may run as another user.
func ensureRoot(root string) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("create cluster root %s: %w", root, err)
	}
	fi, err := os.Lstat(root)
	if err != nil {
		return fmt.Errorf("cluster root %s: %w", root, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("cluster root %s is not a directory", root)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("cluster root %s belongs to uid %d, not to this user (uid %d); set TMPDIR to a private directory", root, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm() != 0o755 {
		if err := os.Chmod(root, 0o755); err != nil {
			return fmt.Errorf("cluster root %s: %w", root, err)
		}
	}
	return nil
}

// reapDead stops the server of and removes every cluster directory under
// root whose owner process is dead. Problems with one directory are written
// to log and do not stop the scan: reaping is housekeeping, not a reason to
// fail a test run.
func reapDead(root string, log io.Writer) {
	entries, err := os.ReadDir(root)
	if err != nil {
		fmt.Fprintf(log, "pgtest: scan %s for abandoned clusters: %v\n", root, err)
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), clusterPrefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		o, abandoned := procdir.Abandoned(dir, unownedGrace)
		if !abandoned {
			continue
		}
		if err := stopPostmaster(filepath.Join(dir, dataSubdir)); err != nil {
			fmt.Fprintf(log, "pgtest: abandoned cluster %s: %v\n", dir, err)
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(log, "pgtest: remove abandoned cluster %s: %v\n", dir, err)
			continue
		}
		fmt.Fprintf(log, "pgtest: removed abandoned cluster %s (owner %s gone)\n", dir, o)
	}
}

// postmasterPID returns the pid from dataDir/postmaster.pid, or 0 when there
// is no such file (the server is not running or never started).
func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read postmaster.pid: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("postmaster.pid: bad pid %q", line)
	}
	return pid, nil
}

// stopPostmaster stops the server running in dataDir, if any, and waits
// until it is gone: SIGQUIT (immediate shutdown, which also stops the
// backends and releases shared memory), then SIGKILL after quitGrace. A pid
// from a stale postmaster.pid that now belongs to another process is left
// alone.
func stopPostmaster(dataDir string) error {
	pid, err := postmasterPID(dataDir)
	if err != nil || pid == 0 {
		return err
	}
	if !isPostmasterOf(pid, dataDir) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGQUIT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal postmaster %d: %w", pid, err)
	}
	if waitGone(pid, quitGrace) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill postmaster %d: %w", pid, err)
	}
	if waitGone(pid, quitGrace) {
		return nil
	}
	return fmt.Errorf("postmaster %d still alive %s after SIGKILL", pid, quitGrace)
}

// waitGone polls until pid is gone (or a zombie) and reports whether that
// happened within limit.
func waitGone(pid int, limit time.Duration) bool {
	p := procdir.Owner{PID: pid}
	deadline := time.Now().Add(limit)
	for p.Alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// isPostmasterOf reports whether pid is a live postgres process serving
// dataDir. The postmaster's working directory is its data directory; when
// that cannot be read, the command name must be "postgres".
func isPostmasterOf(pid int, dataDir string) bool {
	if !(procdir.Owner{PID: pid}).Alive() {
		return false
	}
	procDir := filepath.Join("/proc", strconv.Itoa(pid))
	if cwd, err := os.Readlink(filepath.Join(procDir, "cwd")); err == nil {
		want, err := filepath.EvalSymlinks(dataDir)
		if err != nil {
			want = dataDir
		}
		return cwd == want
	}
	comm, err := os.ReadFile(filepath.Join(procDir, "comm"))
	if err != nil {
		return true // no /proc at all: trust postmaster.pid, as pg_ctl does
	}
	return strings.TrimSpace(string(comm)) == "postgres"
}
