package pgtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCopyTreeKeepsContentAndModes(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "data")
	files := map[string]fs.FileMode{
		".":                 0o700 | fs.ModeDir,
		"PG_VERSION":        0o600,
		"base":              0o700 | fs.ModeDir,
		"base/1":            0o700 | fs.ModeDir,
		"base/1/1259":       0o600,
		"postgresql.conf":   0o600,
		"pg_wal":            0o750 | fs.ModeDir,
		"pg_wal/000000010A": 0o640,
	}
	for _, name := range []string{".", "base", "base/1", "pg_wal"} {
		if err := os.MkdirAll(filepath.Join(src, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, mode := range files {
		p := filepath.Join(src, name)
		if !mode.IsDir() {
			if err := os.WriteFile(p, []byte("content of "+name), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(p, mode.Perm()); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "copy")
	if err := copyTree(src, dst, nil); err != nil {
		t.Fatal(err)
	}
	got := map[string]fs.FileMode{}
	err := filepath.WalkDir(dst, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dst, path)
		got[rel] = info.Mode()
		if !d.IsDir() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if want := "content of " + rel; string(b) != want {
				t.Errorf("%s content = %q, want %q", rel, b, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(files, got); diff != "" {
		t.Errorf("copied tree modes (-want +got):\n%s", diff)
	}
}

func TestCopyTreeRejectsSymlinks(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	if err := os.Symlink("/etc", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	if err := copyTree(src, filepath.Join(t.TempDir(), "copy"), nil); err == nil {
		t.Error("copyTree of a tree with a symlink: want error")
	}
}

func TestFromCacheIgnoresIncompleteEntry(t *testing.T) {
	t.Parallel()
	cache := t.TempDir() // no PG_VERSION: not a complete data directory
	dataDir := filepath.Join(t.TempDir(), "data")
	copied, err := fromCache(cache, dataDir, nil)
	if copied || err != nil {
		t.Errorf("fromCache of an incomplete entry = %v, %v; want false, nil", copied, err)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("data dir after ignored cache: stat error %v, want not exist", err)
	}
}
