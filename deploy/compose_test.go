package deploy

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// credentialsEnv stands for deploy/credentials/compose.env, which `o2c
// credentials generate` writes: a password per NATS user of
// nats-server.conf, and the uid and gid the services run as.
func credentialsEnv(t *testing.T) []string {
	t.Helper()
	env := []string{"O2C_UID=1000", "O2C_GID=1000"}
	for _, v := range natsPasswordVariables(t) {
		env = append(env, v+"=secret-"+strings.ToLower(v))
	}
	return env
}

// natsPasswordVariables returns the password variables nats-server.conf
// reads.
func natsPasswordVariables(t *testing.T) []string {
	t.Helper()
	conf, err := os.ReadFile("nats/nats-server.conf")
	if err != nil {
		t.Fatal(err)
	}
	vars := regexp.MustCompile(`\$(O2C_NATS_PASSWORD_[A-Z0-9_]+)`).FindAllStringSubmatch(string(conf), -1)
	var names []string
	for _, m := range vars {
		names = append(names, m[1])
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		t.Fatal("nats-server.conf reads no O2C_NATS_PASSWORD_ variable; the checks would be vacuous")
	}
	return names
}

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadComposeWith(credentialsEnv(t))
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func loadComposeWith(env []string) (*types.Project, error) {
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"},
		cli.WithWorkingDirectory(".."), cli.WithName("o2c"), cli.WithResolvedPaths(false), cli.WithEnv(env))
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

// serviceDirs returns the names of the folders under services/.
func serviceDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("../services")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatal("no services under services/")
	}
	return names
}

func TestComposeHasEveryService(t *testing.T) {
	p := loadCompose(t)
	for _, name := range serviceDirs(t) {
		t.Run(name, func(t *testing.T) {
			svc, ok := p.Services[name]
			if !ok {
				t.Fatalf("docker-compose.yml has no service %q for services/%s", name, name)
			}
			if svc.Build == nil {
				t.Fatalf("%s: no build section", name)
			}
			if got := filepath.ToSlash(svc.Build.Dockerfile); got != "deploy/Dockerfile" {
				t.Errorf("%s: dockerfile = %q, want deploy/Dockerfile", name, got)
			}
			if arg := svc.Build.Args["SERVICE"]; arg == nil || *arg != name {
				t.Errorf("%s: build arg SERVICE = %v, want %q", name, arg, name)
			}
			if name == "console" {
				checkConsole(t, svc)
				return
			}
			for _, key := range []string{"DATABASE_URL", "NATS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT", "O2C_TENANTS", "O2C_AUTH", "NATS_USER", "NATS_PASSWORD"} {
				if v := svc.Environment[key]; v == nil || *v == "" {
					t.Errorf("%s: environment lacks %s", name, key)
				}
			}
			// Its own NATS user, with that user's password.
			if v := svc.Environment["NATS_USER"]; v != nil && *v != name {
				t.Errorf("%s: NATS_USER=%s, want its own user %s", name, *v, name)
			}
			want := "secret-" + strings.ToLower("O2C_NATS_PASSWORD_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_")))
			if v := svc.Environment["NATS_PASSWORD"]; v == nil || *v != want {
				t.Errorf("%s: NATS_PASSWORD is not the password of its user from compose.env", name)
			}
			// Never development mode: mutual TLS with the generated
			// certificates, and production refuses dev.
			if v := svc.Environment["O2C_AUTH"]; v == nil || *v != "mtls" {
				t.Errorf("%s: O2C_AUTH=%v, want mtls", name, v)
			}
			if v := svc.Environment["O2C_ENV"]; v == nil || *v != "production" {
				t.Errorf("%s: O2C_ENV=%v, want production (which refuses O2C_AUTH=dev)", name, v)
			}
			for _, key := range []string{"O2C_TLS_CERT", "O2C_TLS_KEY", "O2C_TLS_CLIENT_CA"} {
				v := svc.Environment[key]
				if v == nil || !mountedFrom(svc, "./deploy/credentials", *v) {
					t.Errorf("%s: %s=%v is not a file of ./deploy/credentials mounted into the container", name, key, v)
				}
			}
			if svc.User != "1000:1000" {
				t.Errorf("%s: user %q, want O2C_UID:O2C_GID from compose.env (the owner of the key)", name, svc.User)
			}
			// The tenants file must be mounted where O2C_TENANTS points.
			if v := svc.Environment["O2C_TENANTS"]; v != nil {
				mounted := false
				for _, vol := range svc.Volumes {
					mounted = mounted || (vol.Target == *v && filepath.ToSlash(vol.Source) == "./deploy/tenants.json")
				}
				if !mounted {
					t.Errorf("%s: deploy/tenants.json is not mounted at O2C_TENANTS=%s", name, *v)
				}
			}
			for _, dep := range []string{"postgres", "nats"} {
				d, ok := svc.DependsOn[dep]
				if !ok || d.Condition != types.ServiceConditionHealthy {
					t.Errorf("%s: must depend on %s with condition service_healthy, got %+v", name, dep, d)
				}
			}
		})
	}
}

// checkConsole checks the console's service: it keeps no state (no
// database, no NATS user), refuses the development login
// (O2C_PRODUCTION=true), reaches every backend at its compose name and
// GRPC_ADDR port with a client certificate of its own from
// ./deploy/credentials, and runs as the owner of the credentials.
func checkConsole(t *testing.T, svc types.ServiceConfig) {
	t.Helper()
	for _, key := range []string{"DATABASE_URL", "MIGRATE_DATABASE_URL", "NATS_USER", "NATS_PASSWORD"} {
		if v := svc.Environment[key]; v != nil {
			t.Errorf("console: %s is set; the console keeps no state of its own", key)
		}
	}
	if v := svc.Environment["O2C_PRODUCTION"]; v == nil || *v != "true" {
		t.Errorf("console: O2C_PRODUCTION=%v, want true (which refuses the development login)", v)
	}
	if v := svc.Environment["CONSOLE_DEV_LOGIN"]; v != nil && *v != "" && *v != "false" {
		t.Errorf("console: CONSOLE_DEV_LOGIN=%s; the development login has no place here", *v)
	}
	for _, backend := range []string{"ingestion", "ledger", "matching", "dunning", "collections", "refund-import"} {
		key := strings.ToUpper(strings.ReplaceAll(backend, "-", "_")) + "_ADDR"
		if v := svc.Environment[key]; v == nil || *v != backend+":9090" {
			t.Errorf("console: %s=%v, want %s:9090", key, v, backend)
		}
	}
	for _, key := range []string{"O2C_CLIENT_CERT", "O2C_CLIENT_KEY", "O2C_CLIENT_CA", "O2C_OIDC_CLIENT_SECRET_FILE"} {
		v := svc.Environment[key]
		if v == nil || !mountedFrom(svc, "./deploy/credentials", *v) {
			t.Errorf("console: %s=%v is not a file of ./deploy/credentials mounted into the container", key, v)
		}
	}
	if v := svc.Environment["O2C_CLIENT_CERT"]; v == nil || filepath.Base(*v) != "console.pem" {
		t.Errorf("console: O2C_CLIENT_CERT=%v, want its own certificate console.pem", v)
	}
	if svc.User != "1000:1000" {
		t.Errorf("console: user %q, want O2C_UID:O2C_GID from compose.env (the owner of the key)", svc.User)
	}
}

// TestComposeServicesReachTheirPeers checks that each service that calls
// another is given that service's address inside the compose network and
// a client certificate of its own from ./deploy/credentials: ingestion
// asks the ledger for a debtor's open items before erasing it, the
// ledger's reports ask ingestion for the debtors' names, matching
// asks ingestion for payers and debtors' master data, refund import hands
// ingestion the settlement reports it fetches, dunning asks ingestion for
// the debtor's name and address on a notice, collections asks ingestion
// for the debtor's master data on an agency's case.
func TestComposeServicesReachTheirPeers(t *testing.T) {
	p := loadCompose(t)
	for _, tc := range []struct{ caller, variable, callee, cert string }{
		{"ingestion", "LEDGER_ADDR", "ledger", "ingestion.pem"},
		{"ledger", "INGESTION_ADDR", "ingestion", "ledger.pem"},
		{"matching", "INGESTION_ADDR", "ingestion", "matching.pem"},
		{"refund-import", "INGESTION_ADDR", "ingestion", "refund-import.pem"},
		{"dunning", "INGESTION_ADDR", "ingestion", "dunning.pem"},
		{"collections", "INGESTION_ADDR", "ingestion", "collections.pem"},
	} {
		t.Run(tc.caller, func(t *testing.T) {
			caller, callee := p.Services[tc.caller], p.Services[tc.callee]
			addr := caller.Environment[tc.variable]
			if grpc := callee.Environment["GRPC_ADDR"]; addr == nil || grpc == nil || *addr != tc.callee+":"+(*grpc)[strings.LastIndex(*grpc, ":")+1:] {
				t.Errorf("%s: %s=%v, want the %s service's name and its GRPC_ADDR port (GRPC_ADDR=%v)", tc.caller, tc.variable, addr, tc.callee, grpc)
			}
			for _, key := range []string{"O2C_CLIENT_CERT", "O2C_CLIENT_KEY", "O2C_CLIENT_CA"} {
				v := caller.Environment[key]
				if v == nil || !mountedFrom(caller, "./deploy/credentials", *v) {
					t.Errorf("%s: %s=%v is not a file of ./deploy/credentials mounted into the container", tc.caller, key, v)
				}
			}
			// Its own certificate, not another service's.
			if v := caller.Environment["O2C_CLIENT_CERT"]; v == nil || filepath.Base(*v) != tc.cert {
				t.Errorf("%s: O2C_CLIENT_CERT=%v, want its own certificate %s", tc.caller, v, tc.cert)
			}
			if v := caller.Environment["O2C_CLIENT_CA"]; v == nil || caller.Environment["O2C_TLS_CLIENT_CA"] == nil || *v != *caller.Environment["O2C_TLS_CLIENT_CA"] {
				t.Errorf("%s: O2C_CLIENT_CA=%v, want the CA that issued the services' certificates", tc.caller, v)
			}
		})
	}
}

// TestComposeDunningOutboxIsOnTheHost checks that dunning's notice outbox
// (DUNNING_OUTBOX) is the bind mount of deploy/outbox, a folder of the
// repository, so that the notices outlive the container and a mailer or
// print service on the host picks them up, and that the folder is there
// to be mounted (Docker would create a missing one as root, which the
// service, running as O2C_UID, could not write).
func TestComposeDunningOutboxIsOnTheHost(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	svc := p.Services["dunning"]
	dir := svc.Environment["DUNNING_OUTBOX"]
	if dir == nil || *dir == "" {
		t.Fatal("dunning: DUNNING_OUTBOX is not set")
	}
	found := false
	for _, vol := range svc.Volumes {
		if vol.Target == *dir {
			found = true
			if filepath.ToSlash(vol.Source) != "./deploy/outbox" || vol.ReadOnly {
				t.Errorf("dunning: %s is mounted from %s (read-only %v), want ./deploy/outbox writable", *dir, vol.Source, vol.ReadOnly)
			}
		}
	}
	if !found {
		t.Errorf("dunning: nothing is mounted at DUNNING_OUTBOX=%s: the notices would stay in the container", *dir)
	}
	if fi, err := os.Stat("outbox/.gitignore"); err != nil || fi.IsDir() {
		t.Errorf("deploy/outbox/.gitignore: %v; the folder must be in the repository", err)
	}
}

// mountedFrom reports whether path inside svc's container lies in a bind
// mount of the host folder source.
func mountedFrom(svc types.ServiceConfig, source, path string) bool {
	for _, vol := range svc.Volumes {
		if filepath.ToSlash(vol.Source) == source && strings.HasPrefix(path, vol.Target+"/") {
			return true
		}
	}
	return false
}

// TestComposePublishesNoUnauthenticatedPort checks that every published
// port is on 127.0.0.1 only, and that the ports which take clients without
// credentials (NATS monitoring, the collector's OTLP receivers) are not
// published at all.
func TestComposePublishesNoUnauthenticatedPort(t *testing.T) {
	p := loadCompose(t)
	published := 0
	for name, svc := range p.Services {
		for _, port := range svc.Ports {
			if port.Published == "" {
				continue
			}
			published++
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %s on %q; want 127.0.0.1 only", name, port.Published, port.HostIP)
			}
			switch {
			case name == "nats" && port.Target == 8222:
				t.Errorf("nats publishes its monitoring port, which shows connections and accounts to anyone")
			case name == "otel-collector":
				t.Errorf("otel-collector publishes %d: its receivers take telemetry from anyone", port.Target)
			}
		}
	}
	if published == 0 {
		t.Error("no published ports found; the check would be vacuous")
	}
}

// TestComposeNATSRunsTheDeployedConfiguration checks that NATS runs
// deploy/nats/nats-server.conf, with its users and permissions, and has a
// password for every user it names.
func TestComposeNATSRunsTheDeployedConfiguration(t *testing.T) {
	p := loadCompose(t)
	nats, ok := p.Services["nats"]
	if !ok {
		t.Fatal("no nats service")
	}
	i := slices.Index(nats.Command, "-c")
	if i < 0 || i+1 >= len(nats.Command) {
		t.Fatalf("nats command %q does not name a configuration file with -c", nats.Command)
	}
	conf := nats.Command[i+1]
	mounted := false
	for _, vol := range nats.Volumes {
		mounted = mounted || (vol.Target == conf && filepath.ToSlash(vol.Source) == "./deploy/nats/nats-server.conf")
	}
	if !mounted {
		t.Errorf("deploy/nats/nats-server.conf is not mounted at %s", conf)
	}
	for _, v := range natsPasswordVariables(t) {
		if got := nats.Environment[v]; got == nil || *got != "secret-"+strings.ToLower(v) {
			t.Errorf("nats: %s is not passed on from compose.env", v)
		}
	}
}

// TestComposeNATSIsTheVersionTheTestsEmbed: the compose file runs the
// minor version of nats-server that go.mod pins and every test embeds, so
// a user's stack behaves as the tested one (fast batches need 2.14).
func TestComposeNATSIsTheVersionTheTestsEmbed(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/nats-io/nats-server/v2 v(\d+\.\d+)\.\d+`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require github.com/nats-io/nats-server/v2")
	}
	image := loadCompose(t).Services["nats"].Image
	if want := "nats:" + string(m[1]) + "-alpine"; image != want {
		t.Errorf("the nats service runs %s; want %s, the minor version go.mod pins", image, want)
	}
}

// TestComposeWithoutCredentialsSaysHowToMakeThem loads the file without
// compose.env: it fails, naming the command that writes it.
func TestComposeWithoutCredentialsSaysHowToMakeThem(t *testing.T) {
	_, err := loadComposeWith(nil)
	if err == nil || !strings.Contains(err.Error(), "o2c credentials generate deploy/credentials") {
		t.Errorf("loading without compose.env: %v; want an error naming `o2c credentials generate`", err)
	}
}

func TestComposeHostPortsDoNotCollide(t *testing.T) {
	p := loadCompose(t)
	seen := map[string]string{}
	for name, svc := range p.Services {
		for _, port := range svc.Ports {
			if port.Published == "" {
				continue
			}
			key := port.HostIP + ":" + port.Published + "/" + port.Protocol
			if other, dup := seen[key]; dup {
				t.Errorf("host port %s is published by both %s and %s", key, other, name)
			}
			seen[key] = name
		}
	}
	if len(seen) == 0 {
		t.Error("no published ports found; the check would be vacuous")
	}
}

func TestDockerfileTakesServiceArgument(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ARG SERVICE", "./services/${SERVICE}"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("deploy/Dockerfile lacks %q", want)
		}
	}
}
