package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoPostgres means no PostgreSQL server binaries (initdb and postgres)
// were found on PATH or under /usr/lib/postgresql/*/bin. NewDB skips the test
// on it unless CI is set.
var ErrNoPostgres = errors.New("no PostgreSQL server binaries (initdb, postgres) on PATH or in /usr/lib/postgresql/*/bin")

// debianRoot is where Debian and Ubuntu install PostgreSQL server binaries,
// one directory per major version, none of them on PATH by default.
const debianRoot = "/usr/lib/postgresql"

// findBinDir returns the directory holding both initdb and postgres: the
// directory of postgres found on PATH first, then /usr/lib/postgresql/*/bin
// with the highest major version first.
func findBinDir() (string, error) {
	var candidates []string
	if p, err := exec.LookPath("postgres"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	candidates = append(candidates, versionDirs(debianRoot)...)
	for _, dir := range candidates {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", ErrNoPostgres
}

// versionDirs lists root/<major>/bin, highest numeric major version first;
// entries that are not numbers sort after, by name.
func versionDirs(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	type version struct {
		name string
		num  float64 // -1 when the name is not a version number
	}
	var vs []version
	for _, e := range entries {
		n, err := strconv.ParseFloat(e.Name(), 64)
		if err != nil {
			n = -1
		}
		vs = append(vs, version{e.Name(), n})
	}
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].num != vs[j].num {
			return vs[i].num > vs[j].num
		}
		return vs[i].name < vs[j].name
	})
	dirs := make([]string, 0, len(vs))
	for _, v := range vs {
		dirs = append(dirs, filepath.Join(root, v.name, "bin"))
	}
	return dirs
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// serverVersion reads the major version initdb wrote into dataDir.
func serverVersion(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION"))
	if err != nil {
		return "", fmt.Errorf("read server version: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
