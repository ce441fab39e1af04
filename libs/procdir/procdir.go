// Package procdir records which process a temporary directory belongs to,
// so that a later process can tell the directories of processes that died
// without cleaning up (killed, crashed, or a `go run` whose child outlived
// it and was killed later) from those still in use.
//
// The owner is written to a file named OwnerFile in the directory: the pid
// and the process's start time, so that a reused pid is not mistaken for the
// owner. pgtest keeps its throwaway clusters and natsembed its JetStream
// store directories this way, and each Start removes what dead processes
// left behind.
package procdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// OwnerFile is the name of the file in a directory that names its owner.
const OwnerFile = "owner"

// Owner identifies a process across pid reuse: the pid plus the process's
// start time in clock ticks since boot (field 22 of /proc/<pid>/stat).
type Owner struct {
	PID int
	// Start is empty when /proc is not available; liveness then rests on
	// the pid alone.
	Start string
}

// String returns the owner file's content: "<pid> <start time>".
func (o Owner) String() string {
	return strconv.Itoa(o.PID) + " " + o.Start
}

// ParseOwner reads the content of an owner file: "<pid> <start time>" or
// just "<pid>".
func ParseOwner(s string) (Owner, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 || len(fields) > 2 {
		return Owner{}, fmt.Errorf("owner file %q: want \"<pid> <start time>\"", s)
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 {
		return Owner{}, fmt.Errorf("owner file %q: bad pid", s)
	}
	o := Owner{PID: pid}
	if len(fields) == 2 {
		o.Start = fields[1]
	}
	return o, nil
}

// Self returns the owner record of the current process.
func Self() Owner {
	pid := os.Getpid()
	st, _ := readProcStat(pid) // without /proc, liveness falls back to kill(pid, 0)
	return Owner{PID: pid, Start: st.start}
}

// procStat is the part of /proc/<pid>/stat this package needs.
type procStat struct {
	state string // R, S, D, Z, ...
	start string // start time in clock ticks since boot
}

// readProcStat parses /proc/<pid>/stat.
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(string(b))
}

// parseProcStat parses the content of /proc/<pid>/stat. The command name
// (field 2) is in parentheses and may itself contain spaces and
// parentheses, so fields are counted from the last ')'.
func parseProcStat(s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("proc stat %q: no command name", s)
	}
	// After ")": field 3 (state) is rest[0], field 22 (starttime) is rest[19].
	rest := strings.Fields(s[i+1:])
	if len(rest) < 20 {
		return procStat{}, fmt.Errorf("proc stat: %d fields after the command name, want at least 20", len(rest))
	}
	return procStat{state: rest[0], start: rest[19]}, nil
}

// Alive reports whether the process o describes still runs: its pid exists,
// is not a zombie and, when both start times are known, started at the same
// time (a different start time means the pid was reused).
func (o Owner) Alive() bool {
	st, err := readProcStat(o.PID)
	if err == nil {
		if st.state == "Z" || st.state == "X" {
			return false
		}
		return o.Start == "" || st.start == o.Start
	}
	if errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Stat("/proc/self/stat"); statErr == nil {
			return false // /proc works and the pid is not in it
		}
	}
	// No usable /proc: ask the kernel whether the pid exists.
	err = syscall.Kill(o.PID, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// WriteOwner writes o to dir's owner file. The file is world-readable: a
// directory may be handed to another user (pgtest's server user) and must
// still be recognisable.
func WriteOwner(dir string, o Owner) error {
	if err := os.WriteFile(filepath.Join(dir, OwnerFile), []byte(o.String()+"\n"), 0o644); err != nil {
		return fmt.Errorf("write owner file: %w", err)
	}
	return nil
}

// ReadOwner reads dir's owner file.
func ReadOwner(dir string) (Owner, error) {
	b, err := os.ReadFile(filepath.Join(dir, OwnerFile))
	if err != nil {
		return Owner{}, err
	}
	return ParseOwner(string(b))
}

// Abandoned reports whether dir was left behind by a process that died: its
// owner file names a process that no longer runs, or it has had no readable
// owner file for longer than grace (whoever creates such a directory writes
// the owner file right after creating it, so a younger directory without
// one is probably being created right now). It also returns the owner when
// the file could be read. A directory that cannot be examined is not
// abandoned.
func Abandoned(dir string, grace time.Duration) (Owner, bool) {
	o, err := ReadOwner(dir)
	if err == nil {
		return o, !o.Alive()
	}
	fi, statErr := os.Stat(dir)
	if statErr != nil {
		return Owner{}, false
	}
	return Owner{}, time.Since(fi.ModTime()) >= grace
}
