package host_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/host"
)

// TestFromEnvRequiresTenants checks that a service without a tenants file,
// without authentication, with development mode in production, or with
// the retired LEDGER_SETTINGS, refuses to start and says what to do, and
// that O2C_TENANTS and O2C_AUTH reach the Config.
func TestFromEnvRequiresTenants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string // parts of the error; none means no error
	}{
		{"complete", map[string]string{"DATABASE_URL": "postgres://x", "O2C_TENANTS": "/etc/o2c/tenants.json", "O2C_AUTH": "dev"}, nil},
		{"no tenants file", map[string]string{"DATABASE_URL": "postgres://x"},
			[]string{"O2C_TENANTS is required", "no file, no tenants", "--help"}},
		{"nothing", map[string]string{},
			[]string{"DATABASE_URL (or MIGRATE_DATABASE_URL) is required", "O2C_TENANTS is required", "set O2C_AUTH to mtls, jwt or tokens"}},
		{"no authentication", map[string]string{"DATABASE_URL": "postgres://x", "O2C_TENANTS": "t.json"},
			[]string{"authentication not configured: set O2C_AUTH", "--help"}},
		{"development mode in production", map[string]string{"DATABASE_URL": "postgres://x", "O2C_TENANTS": "t.json", "O2C_AUTH": "dev", "O2C_ENV": "production"},
			[]string{"O2C_AUTH=dev", "refused with O2C_ENV=production"}},
		{"ledger settings", map[string]string{"DATABASE_URL": "postgres://x", "O2C_TENANTS": "t.json", "LEDGER_SETTINGS": "l.json"},
			[]string{"LEDGER_SETTINGS is no longer read", `"ledger" section`, "o2c tenants validate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := host.FromEnv(func(k string) string { return tt.env[k] }, "127.0.0.1:1")
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.TenantsFile != tt.env["O2C_TENANTS"] {
					t.Errorf("TenantsFile = %q, want %q", cfg.TenantsFile, tt.env["O2C_TENANTS"])
				}
				if cfg.Auth.Mode != auth.Mode(tt.env["O2C_AUTH"]) {
					t.Errorf("Auth.Mode = %q, want %q", cfg.Auth.Mode, tt.env["O2C_AUTH"])
				}
				return
			}
			if err == nil {
				t.Fatal("FromEnv accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestCommandLine checks that --help prints every setting a service reads
// and that an argument is refused.
func TestCommandLine(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "-help", "--help", "help"} {
		var out bytes.Buffer
		help, err := host.CommandLine([]string{arg}, &out, "ledger", "the book of record", "127.0.0.1:9092")
		if !help || err != nil {
			t.Fatalf("%s: help=%v err=%v", arg, help, err)
		}
		for _, v := range host.Variables("127.0.0.1:9092") {
			if !strings.Contains(out.String(), v.Name) {
				t.Errorf("%s: help lacks %s:\n%s", arg, v.Name, out.String())
			}
		}
		for _, w := range []string{"DATABASE_URL", "O2C_TENANTS", "NATS_URL", "O2C_AUTH", "O2C_TLS_CLIENT_CA", "O2C_JWT_JWKS", "O2C_AUTH_TOKENS", "127.0.0.1:9092", "the book of record"} {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: help lacks %q", arg, w)
			}
		}
	}
	if help, err := host.CommandLine(nil, &bytes.Buffer{}, "ledger", "", ""); help || err != nil {
		t.Errorf("no arguments: help=%v err=%v", help, err)
	}
	help, err := host.CommandLine([]string{"--port=1"}, &bytes.Buffer{}, "ledger", "", "")
	if help || err == nil || !strings.Contains(err.Error(), `"--port=1"`) {
		t.Errorf("an argument: help=%v err=%v, want an error naming it", help, err)
	}
}

// TestFromEnvNATSCredentials checks that NATS_USER and NATS_PASSWORD reach
// the Config together and that one without the other is refused.
func TestFromEnvNATSCredentials(t *testing.T) {
	t.Parallel()
	base := map[string]string{"DATABASE_URL": "postgres://x", "O2C_TENANTS": "t.json", "O2C_AUTH": "dev"}
	tests := []struct {
		name           string
		user, password string
		wantErr        bool
	}{
		{"both", "ledger", "secret", false},
		{"neither", "", "", false},
		{"user without password", "ledger", "", true},
		{"password without user", "", "secret", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"NATS_USER": tt.user, "NATS_PASSWORD": tt.password}
			for k, v := range base {
				env[k] = v
			}
			cfg, err := host.FromEnv(func(k string) string { return env[k] }, "127.0.0.1:1")
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "NATS_USER and NATS_PASSWORD go together") {
					t.Fatalf("error %v, want one saying NATS_USER and NATS_PASSWORD go together", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.NATSUser != tt.user || cfg.NATSPassword != tt.password {
				t.Errorf("NATSUser, NATSPassword = %q, %q, want %q, %q", cfg.NATSUser, cfg.NATSPassword, tt.user, tt.password)
			}
		})
	}
}
