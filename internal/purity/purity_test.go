package purity

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDomainPackagesImportNoTransportOrStorage lists the dependencies of
// every domain package with the go command that runs the test (go test puts
// its GOROOT/bin first on PATH) and fails for each forbidden package one
// of them reaches, naming the import chain.
func TestDomainPackagesImportNoTransportOrStorage(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	dirs, err := filepath.Glob(filepath.Join(root, "services", "*", "internal", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, d := range dirs {
		if isDomainDir(filepath.Base(d)) && hasGoFiles(t, d) {
			rel, err := filepath.Rel(root, d)
			if err != nil {
				t.Fatal(err)
			}
			pkgs = append(pkgs, "./"+filepath.ToSlash(rel))
		}
	}
	if len(pkgs) == 0 {
		t.Fatalf("no domain packages under %s/services/*/internal", root)
	}

	// One line per package: its import path, then its direct imports.
	// -e lists packages that do not compile too; their imports still count.
	args := append([]string{"list", "-e", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, pkgs...)
	graph := goList(t, root, args...)
	roots := goList(t, root, append([]string{"list", "-e", "-f", "{{.ImportPath}}"}, pkgs...)...)
	for _, r := range slices.Sorted(maps.Keys(roots)) {
		for _, c := range chains(graph, r) {
			t.Errorf("domain package %s depends on %s: %s", r, forbiddenRoot(c[len(c)-1]), strings.Join(c, " -> "))
		}
	}
	t.Logf("checked %s", strings.Join(pkgs, " "))
}

func TestChains(t *testing.T) {
	t.Parallel()
	graph := map[string][]string{
		"o2c/dom":                              {"fmt", "o2c/libs/money", "o2c/libs/bus"},
		"o2c/libs/bus":                         {"github.com/nats-io/nats.go/jetstream", "o2c/libs/db"},
		"o2c/libs/db":                          {"github.com/jackc/pgx/v5", "fmt"},
		"o2c/libs/grpc":                        {"google.golang.org/grpc"},
		"o2c/pure":                             {"fmt", "o2c/libs/money", "google.golang.org/grpcish"},
		"github.com/nats-io/nats.go/jetstream": {"github.com/nats-io/nats.go", "google.golang.org/grpc"},
	}
	tests := []struct {
		root string
		want [][]string
	}{
		{"o2c/dom", [][]string{
			{"o2c/dom", "o2c/libs/bus", "o2c/libs/db", "github.com/jackc/pgx/v5"},
			{"o2c/dom", "o2c/libs/bus", "github.com/nats-io/nats.go/jetstream"},
		}},
		{"o2c/libs/grpc", [][]string{{"o2c/libs/grpc", "google.golang.org/grpc"}}},
		{"o2c/pure", [][]string{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, chains(graph, tt.root)); diff != "" {
			t.Errorf("chains(%s) (-want +got):\n%s", tt.root, diff)
		}
	}
}

func TestIsDomainDir(t *testing.T) {
	t.Parallel()
	for dir, want := range map[string]bool{"books": true, "invoice": true, "postgres": false, "rpc": false, "consumer": false, "web": false, "browsertest": false} {
		if got := isDomainDir(dir); got != want {
			t.Errorf("isDomainDir(%q) = %v, want %v", dir, got, want)
		}
	}
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		tb.Fatalf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		tb.Fatal("go env GOMOD: not inside a module")
	}
	return filepath.Dir(mod)
}

// hasGoFiles reports whether dir holds a Go file that is not a test.
func hasGoFiles(tb testing.TB, dir string) bool {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			return true
		}
	}
	return false
}

// goList runs the go command in dir and returns its output lines as a map
// from the first field of a line to the rest.
func goList(tb testing.TB, dir string, args ...string) map[string][]string {
	tb.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	m := make(map[string][]string)
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			m[f[0]] = f[1:]
		}
	}
	return m
}
