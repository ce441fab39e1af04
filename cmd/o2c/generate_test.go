package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/credfile"
)

// TestCredentialsGenerateFitsCompose generates the credentials of the
// compose installation and checks that docker-compose.yml loads with them,
// that NATS gets the password the CLI's file names for the shop, and that
// the CLI's certificate says who it is.
func TestCredentialsGenerateFitsCompose(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "credentials")
	code, stdout, stderr := runCLI(t, "credentials", "generate", dir, "--tenants", "../../deploy/tenants.json")
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "docker compose --env-file "+filepath.Join(dir, "compose.env")+" up --build") {
		t.Errorf("generate does not say how to start compose:\n%s", stdout)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if fi, err := e.Info(); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", e.Name(), fi.Mode().Perm(), err)
		}
	}
	want := []string{"agency-sim-key.pem", "agency-sim.pem", "ca.pem", "cli-key.pem", "cli.pem", "collections-key.pem", "collections.pem", "compose.env", "console-key.pem", "console.pem", "credentials.json", "dunning-key.pem", "dunning.pem", "ingestion-key.pem", "ingestion.pem", "ledger-key.pem", "ledger.pem", "matching-key.pem", "matching.pem", "oidc-client-secret", "refund-import-key.pem", "refund-import.pem", "server-key.pem", "server.pem"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}

	creds, err := credfile.Load(filepath.Join(dir, "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	if creds.NATS.User != "shop-demo" || creds.GRPC.CertFile != filepath.Join(dir, "cli.pem") {
		t.Errorf("the CLI's credentials: %+v; want the shop user shop-demo and the certificate cli.pem", creds)
	}
	var sans []string
	for _, u := range certificate(t, filepath.Join(dir, "cli.pem")).URIs {
		sans = append(sans, u.String())
	}
	if want := []string{"o2c:tenant:demo", "o2c:role:accountant", "o2c:role:operator"}; !cmp.Equal(want, sans) {
		t.Errorf("CLI certificate SAN URIs %v, want %v", sans, want)
	}
	for _, svc := range []string{"ingestion", "ledger", "matching", "refund-import", "dunning", "collections"} {
		c := certificate(t, filepath.Join(dir, svc+".pem"))
		sans = nil
		for _, u := range c.URIs {
			sans = append(sans, u.String())
		}
		if want := []string{"o2c:tenant:demo", "o2c:role:service"}; !cmp.Equal(want, sans) {
			t.Errorf("%s's certificate SAN URIs %v, want %v", svc, sans, want)
		}
		if c.Subject.CommonName != "service:"+svc {
			t.Errorf("%s's certificate is for %q, want service:%s", svc, c.Subject.CommonName, svc)
		}
	}
	// The reference agency's certificate is an agency's and nothing more:
	// collections takes tenant and agency from it.
	agency := certificate(t, filepath.Join(dir, "agency-sim.pem"))
	sans = nil
	for _, u := range agency.URIs {
		sans = append(sans, u.String())
	}
	if want := []string{"o2c:tenant:demo", "o2c:role:agency", "o2c:agency:agency-sim"}; !cmp.Equal(want, sans) || agency.Subject.CommonName != "agency:agency-sim" {
		t.Errorf("the reference agency's certificate: %s with SAN URIs %v, want agency:agency-sim with %v", agency.Subject.CommonName, sans, want)
	}
	// The console's certificate reads and nothing more: its users' own
	// tokens carry what they may change.
	cons := certificate(t, filepath.Join(dir, "console.pem"))
	sans = nil
	for _, u := range cons.URIs {
		sans = append(sans, u.String())
	}
	if want := []string{"o2c:tenant:demo", "o2c:role:viewer"}; !cmp.Equal(want, sans) || cons.Subject.CommonName != "service:console" {
		t.Errorf("the console's certificate: %s with SAN URIs %v, want service:console with %v", cons.Subject.CommonName, sans, want)
	}
	srv := certificate(t, filepath.Join(dir, "server.pem"))
	for _, host := range []string{"localhost", "ingestion", "ledger"} {
		if err := srv.VerifyHostname(host); err != nil {
			t.Errorf("the services' certificate: %v", err)
		}
	}

	opts, err := cli.NewProjectOptions([]string{"../../docker-compose.yml"}, cli.WithWorkingDirectory("../.."), cli.WithName("o2c"),
		cli.WithResolvedPaths(false), cli.WithEnvFiles(filepath.Join(dir, "compose.env")), cli.WithDotEnv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml with the generated compose.env: %v", err)
	}
	if got := p.Services["nats"].Environment["O2C_NATS_PASSWORD_SHOP_DEMO"]; got == nil || *got != creds.NATS.Password {
		t.Errorf("NATS's shop-demo password is not the one in the CLI's credentials file")
	}
	if got := p.Services["ledger"].Environment["NATS_PASSWORD"]; got == nil || *got == "" || *got == creds.NATS.Password {
		t.Errorf("the ledger has no NATS password of its own")
	}
	// Ingestion's ledger client credentials and matching's, refund
	// import's and dunning's ingestion client credentials are files
	// generate wrote.
	for _, svc := range []string{"ingestion", "ledger", "matching", "refund-import", "dunning", "collections", "console"} {
		for _, key := range []string{"O2C_CLIENT_CERT", "O2C_CLIENT_KEY", "O2C_CLIENT_CA"} {
			v := p.Services[svc].Environment[key]
			if v == nil || !strings.HasPrefix(*v, "/etc/o2c/credentials/") {
				t.Errorf("%s's %s=%v is not in the mounted credentials folder", svc, key, v)
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, strings.TrimPrefix(*v, "/etc/o2c/credentials/"))); err != nil {
				t.Errorf("%s's %s: generate did not write it: %v", svc, key, err)
			}
		}
	}

	code, _, stderr = runCLI(t, "credentials", "generate", dir, "--tenants", "../../deploy/tenants.json")
	if code != 1 || !strings.Contains(stderr, "is not empty") {
		t.Errorf("generate into a folder with credentials: exit %d, stderr %q; want 1, nothing replaced", code, stderr)
	}
}

// certificate reads the first certificate of a PEM file.
func certificate(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
