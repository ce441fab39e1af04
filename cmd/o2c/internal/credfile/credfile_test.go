package credfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRefusesWhatCannotGoTogether(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json string
		wantErr    string // empty: valid
	}{
		{"mutual TLS", `{"grpc": {"ca_file": "ca.pem", "cert_file": "c.pem", "key_file": "k.pem"}, "nats": {"user": "shop-demo", "password": "pw"}}`, ""},
		{"token over TLS", `{"grpc": {"token": "o2c_x", "server_name": "ledger"}}`, ""},
		{"token in clear text", `{"grpc": {"token": "o2c_x", "plaintext": true}}`, ""},
		{"nothing", `{}`, ""},
		{"misspelt field", `{"grpc": {"cert_fil": "c.pem"}}`, `unknown field "cert_fil"`},
		{"certificate without key", `{"grpc": {"cert_file": "c.pem"}}`, "cert_file and key_file go together"},
		{"certificate and token", `{"grpc": {"cert_file": "c.pem", "key_file": "k.pem", "token": "o2c_x"}}`, "a client certificate or a token, not both"},
		{"plaintext with a CA", `{"grpc": {"ca_file": "ca.pem", "token": "o2c_x", "plaintext": true}}`, "plaintext turns TLS off"},
		{"NATS user without password", `{"nats": {"user": "shop-demo"}}`, "nats: user and password go together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.json))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Parse: %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Parse: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestWriteThenLoad(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "o2c")
	path := filepath.Join(dir, "demo-credentials.json")
	want := &File{
		WrittenBy: DemoMarker,
		GRPC:      GRPC{CAFile: "ca.pem", CertFile: "/abs/cli.pem", KeyFile: "cli-key.pem"},
		NATS:      NATS{User: "shop-demo", Password: "secret"},
	}
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: the file holds secrets", fi.Mode().Perm())
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// Relative paths are the file's folder's.
	want.GRPC.CAFile, want.GRPC.KeyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cli-key.pem")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load after Write (-want +got):\n%s", diff)
	}
	if by, err := WrittenBy(path); by != DemoMarker || err != nil {
		t.Errorf("WrittenBy = %q, %v; want %q", by, err, DemoMarker)
	}
	if _, err := WrittenBy(filepath.Join(dir, "none.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WrittenBy of no file: %v, want not exist", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("folder holds %v (%v); want the file alone, no temporary file left", entries, err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		g    GRPC
		want bool
	}{
		{GRPC{}, false},
		{GRPC{Token: "o2c_x", Plaintext: true}, false},
		{GRPC{Token: "o2c_x"}, true},
		{GRPC{CAFile: "ca.pem"}, true},
		{GRPC{CertFile: "c.pem", KeyFile: "k.pem"}, true},
	}
	for _, tt := range tests {
		if got := tt.g.TLS(); got != tt.want {
			t.Errorf("%+v.TLS() = %v, want %v", tt.g, got, tt.want)
		}
	}
}

func TestNATSOptionsOnlyWithAUser(t *testing.T) {
	t.Parallel()
	if got := len(NATS{}.Options()); got != 0 {
		t.Errorf("no user: %d options, want none", got)
	}
	if got := len(NATS{User: "shop-demo", Password: "pw"}.Options()); got != 2 {
		t.Errorf("a user: %d options, want its user and its inbox prefix", got)
	}
}
