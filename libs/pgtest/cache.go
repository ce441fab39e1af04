package pgtest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// initdb is the larger part of Start's cost, and its result only depends on
// the binaries, the arguments and the user the files belong to. So a
// non-durable Start keeps a pristine copy of its first freshly initialised
// data directory under the root, and later Starts copy that instead of
// running initdb. Durable clusters always run initdb, which syncs its files.
const (
	initdbCachePrefix = "initdb-"
	initdbTempPrefix  = ".initdb-tmp-"
)

// initdbCacheDir returns the cache directory for binDir's initdb run as
// runAs: its name holds a hash of the binaries' identity (path, size and
// modification time), the initdb arguments and the owner, so an upgrade or a
// different user never picks up a stale copy.
func initdbCacheDir(root, binDir string, args []string, runAs *syscall.Credential) (string, error) {
	h := sha256.New()
	for _, bin := range []string{"initdb", "postgres"} {
		p := filepath.Join(binDir, bin)
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("initdb cache key: %w", err)
		}
		fmt.Fprintf(h, "%s %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
	}
	fmt.Fprintf(h, "%q\n", args)
	if runAs != nil {
		fmt.Fprintf(h, "%d:%d\n", runAs.Uid, runAs.Gid)
	}
	return filepath.Join(root, initdbCachePrefix+hex.EncodeToString(h.Sum(nil))[:16]), nil
}

// fromCache copies the cached data directory to dataDir. It reports false
// when there is no complete cache entry.
func fromCache(cacheDir, dataDir string, runAs *syscall.Credential) (bool, error) {
	if _, err := os.Stat(filepath.Join(cacheDir, "PG_VERSION")); err != nil {
		return false, nil
	}
	if err := copyTree(cacheDir, dataDir, runAs); err != nil {
		return false, fmt.Errorf("copy cached initdb %s: %w", cacheDir, err)
	}
	return true, nil
}

// storeCache publishes a copy of the freshly initialised dataDir as
// cacheDir. The copy is made under a temporary name and renamed, so other
// processes see either no entry or a complete one. Entries for other keys
// (older binaries) are removed.
func storeCache(root, cacheDir, dataDir string, runAs *syscall.Credential) error {
	tmp, err := os.MkdirTemp(root, initdbTempPrefix)
	if err != nil {
		return fmt.Errorf("cache initdb: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after a successful rename; cleans up otherwise
	staged := filepath.Join(tmp, "data")
	if err := copyTree(dataDir, staged, runAs); err != nil {
		return fmt.Errorf("cache initdb: %w", err)
	}
	if err := os.Rename(staged, cacheDir); err != nil {
		if _, statErr := os.Stat(cacheDir); statErr == nil {
			return nil // another process published the same entry first
		}
		return fmt.Errorf("cache initdb: %w", err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil // pruning is housekeeping
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), initdbCachePrefix) && e.Name() != filepath.Base(cacheDir) {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
	return nil
}

// removeStaleTemps removes staging directories of cache writers that died
// before renaming them (older than unownedGrace).
func removeStaleTemps(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), initdbTempPrefix) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > unownedGrace {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// copyTree copies the directory src to dst (which must not exist), keeping
// permission bits, and hands every copy to runAs when set. A PostgreSQL data
// directory holds only directories and regular files; anything else is an
// error.
func copyTree(src, dst string, runAs *syscall.Credential) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, info.Mode().Perm()); err != nil {
				return err
			}
			// Mkdir applies the umask; the data directory needs its exact mode.
			if err := os.Chmod(target, info.Mode().Perm()); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := copyFile(path, target, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: unexpected file type %s", path, info.Mode().Type())
		}
		if runAs != nil {
			return os.Lchown(target, int(runAs.Uid), int(runAs.Gid))
		}
		return nil
	})
}

func copyFile(src, dst string, perm fs.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	_, err = io.Copy(out, in)
	return err
}
