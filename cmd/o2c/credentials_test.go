package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/credfile"
)

func TestCredentialsFileProblemsAreNamed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, f *credfile.File) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := credfile.Write(p, f); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := write("stale.json", &credfile.File{WrittenBy: credfile.DemoMarker,
		GRPC: credfile.GRPC{CAFile: "/gone/ca.pem", CertFile: "/gone/cli.pem", KeyFile: "/gone/cli-key.pem"}})
	typo := writeFile(t, "typo.json", `{"grpc": {"cert_fil": "cli.pem"}}`)
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"a stopped demo's file", stale, []string{"the credentials file " + stale, "the demo that wrote it has stopped", "make demo ARGS=--keep-running"}},
		{"a misspelt field", typo, []string{"credentials file " + typo, `unknown field "cert_fil"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, "open-items", "--tenant", "demo", "--ledger", nothingListening(t), "--credentials", tt.file)
			for _, want := range tt.want {
				if code != 1 || !strings.Contains(stderr, want) {
					t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
				}
			}
		})
	}
}
