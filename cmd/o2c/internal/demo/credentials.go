package demo

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/credfile"
	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/procdir"
	console "github.com/o2c-platform/o2c/services/console/service"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
)

// CLIPrincipal is who the CLI is in the demo, through the client
// certificate of the credentials file the demo writes: finance staff of
// the demo tenant who books and closes periods (an accountant, listed in
// the tenant's period_actors) and looks after rejections (an operator).
func CLIPrincipal() identity.Principal {
	return identity.Principal{Actor: "finance:" + Tenant, Tenants: []string{Tenant}, Roles: []identity.Role{identity.Accountant, identity.Operator}}
}

// ServicePrincipal is who the service name is when it calls another
// service, through the client certificate the demo issues it: the service
// role for the demo tenant, the only tenant the demo serves (a service
// never holds "*", which is the platform admin's). Ingestion asks the
// ledger for a debtor's open items as this.
func ServicePrincipal(name string) identity.Principal {
	return identity.Principal{Actor: "service:" + name, Tenants: []string{Tenant}, Roles: []identity.Role{identity.Service}}
}

// serverHosts are the names the services' certificate is issued for: the
// demo listens on 127.0.0.1 only.
func serverHosts() []string { return []string{"127.0.0.1", "localhost", "::1"} }

// runDirPrefix starts the name of each run's folder of credentials in
// $TMPDIR.
const runDirPrefix = "o2c-demo-"

// runDirGrace is how long a run folder without an owner file is taken to
// be in creation (its owner file is written right after it).
const runDirGrace = 10 * time.Minute

// The files of a run folder.
const (
	caFile         = "ca.pem"
	serverCertFile = "server.pem"
	serverKeyFile  = "server-key.pem"
	cliCertFile    = "cli.pem"
	cliKeyFile     = "cli-key.pem"
	ingCertFile    = "ingestion.pem"
	ingKeyFile     = "ingestion-key.pem"
	natsConfFile   = "nats-server.conf"
	credsFile      = "credentials.json"
)

// secrets are the credentials one demo run generated: a CA that exists
// only for the run (its key only in memory), the services' server
// certificate, the CLI's client certificate, NATS users with fresh
// passwords, and the CLI's credentials file. Everything but the
// credentials file lives in dir, which the run removes when it stops.
type secrets struct {
	dir       string
	ca        *auth.DevCA
	nats      natsembed.Passwords
	credsPath string // the CLI's credentials file
	cliTLS    *tls.Config
	// console is the console's development login, whose JWKS the
	// services trust (jwksFile).
	console *console.DevLogin
}

// newSecrets makes a run folder in $TMPDIR (first removing those of demos
// that died without cleaning up) and generates the run's credentials into
// it. credsPath is where the CLI's credentials file goes; empty puts it
// into the run folder. A file at credsPath that `o2c demo` did not write
// is never replaced.
func newSecrets(credsPath string, log io.Writer) (_ *secrets, err error) {
	root := os.TempDir()
	reapRunDirs(root, log)
	dir, err := os.MkdirTemp(root, runDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("demo credentials folder: %w", err)
	}
	s := &secrets{dir: dir}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	if err := procdir.WriteOwner(dir, procdir.Self()); err != nil {
		return nil, fmt.Errorf("demo credentials folder %s: %w", dir, err)
	}
	if credsPath == "" {
		credsPath = filepath.Join(dir, credsFile)
	} else if by, err := credfile.WrittenBy(credsPath); err == nil && by != credfile.DemoMarker {
		return nil, fmt.Errorf("%s exists and was not written by o2c demo: not replacing it; move it away or give the demo another --credentials", credsPath)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("credentials file %s: %w", credsPath, err)
	}
	s.credsPath = credsPath

	if s.ca, err = auth.NewDevCA("o2c demo CA"); err != nil {
		return nil, err
	}
	if err := s.writeConsoleJWKS(); err != nil {
		return nil, err
	}
	srvCert, srvKey, err := s.ca.ServerCertificate(serverHosts()...)
	if err != nil {
		return nil, err
	}
	cliCert, cliKey, err := s.ca.ClientCertificate(CLIPrincipal())
	if err != nil {
		return nil, err
	}
	ingCert, ingKey, err := s.ca.ClientCertificate(ServicePrincipal(ingestion.Name))
	if err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{caFile: s.ca.CertPEM(), serverCertFile: srvCert, serverKeyFile: srvKey, cliCertFile: cliCert, cliKeyFile: cliKey, ingCertFile: ingCert, ingKeyFile: ingKey} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, fmt.Errorf("demo credentials: %w", err)
		}
	}
	if s.cliTLS, err = auth.ClientTLSConfig(cliCert, cliKey, s.ca.CertPEM()); err != nil {
		return nil, err
	}
	s.nats, err = natsembed.WriteConfig(filepath.Join(dir, natsConfFile), natsembed.Users{
		Shops: []string{Tenant}, Services: natsembed.Services(), ManageStreams: true, Admin: true,
	})
	if err != nil {
		return nil, err
	}
	shop := natsembed.ShopUser(Tenant)
	err = credfile.Write(credsPath, &credfile.File{
		WrittenBy: credfile.DemoMarker,
		About: fmt.Sprintf("The o2c CLI's credentials for the demo started at %s (process %d): %s over mutual TLS, and NATS as the demo shop %s. "+
			"Valid while that demo runs.", time.Now().Format(time.RFC3339), os.Getpid(), describe(CLIPrincipal()), shop),
		GRPC: credfile.GRPC{CAFile: filepath.Join(dir, caFile), CertFile: filepath.Join(dir, cliCertFile), KeyFile: filepath.Join(dir, cliKeyFile)},
		NATS: credfile.NATS{User: shop, Password: s.nats[shop]},
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// remove removes the run folder and the CLI's credentials file, when it is
// still the one this run wrote.
func (s *secrets) remove() error {
	if f, err := credfile.Load(s.credsPath); err == nil && f.WrittenBy == credfile.DemoMarker && strings.HasPrefix(f.GRPC.CertFile, s.dir+string(filepath.Separator)) {
		if err := os.Remove(s.credsPath); err != nil {
			return err
		}
	}
	return os.RemoveAll(s.dir)
}

// authConfig is how the services authenticate their callers: mutual TLS
// with the run's certificates, and the tokens of the console's users
// (signed by its development login) forwarded on top of the console's
// certificate (auth.OnBehalf).
func (s *secrets) authConfig() auth.Config {
	return auth.Config{
		Mode:     auth.MTLS,
		TLSCert:  filepath.Join(s.dir, serverCertFile),
		TLSKey:   filepath.Join(s.dir, serverKeyFile),
		ClientCA: filepath.Join(s.dir, caFile),
		JWKS:     filepath.Join(s.dir, jwksFile),
		Issuer:   console.DevIssuer,
		Audience: console.DevAudience,
	}
}

// ledgerClient is how ingestion dials the ledger at addr: with its own
// client certificate from the run folder, as a deployment configures it
// (LEDGER_ADDR, O2C_CLIENT_CERT, O2C_CLIENT_KEY, O2C_CLIENT_CA).
func (s *secrets) ledgerClient(addr string) ingestion.LedgerClient {
	return ingestion.LedgerClient{
		Addr: addr, CertFile: filepath.Join(s.dir, ingCertFile), KeyFile: filepath.Join(s.dir, ingKeyFile), CAFile: filepath.Join(s.dir, caFile),
	}
}

// dial connects to addr as p, with a client certificate the run's CA
// issues for it, and opts (a service passes telemetry.GRPCDialOption).
func (s *secrets) dial(addr string, p identity.Principal, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	cfg := s.cliTLS
	if p.Actor != CLIPrincipal().Actor || !slices.Equal(p.Roles, CLIPrincipal().Roles) || !slices.Equal(p.Tenants, CLIPrincipal().Tenants) || p.Agency != "" {
		cert, key, err := s.ca.ClientCertificate(p)
		if err != nil {
			return nil, err
		}
		if cfg, err = auth.ClientTLSConfig(cert, key, s.ca.CertPEM()); err != nil {
			return nil, err
		}
	}
	return grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(cfg))}, opts...)...)
}

// connectNATS connects to url as user with its password and inbox.
func (s *secrets) connectNATS(url, user string, opts ...nats.Option) (*nats.Conn, error) {
	pw, ok := s.nats[user]
	if !ok {
		return nil, fmt.Errorf("the demo's NATS has no user %s (it has %s)", user, strings.Join(slices.Sorted(maps.Keys(s.nats)), ", "))
	}
	opts = append(opts, nats.UserInfo(user, pw), nats.CustomInboxPrefix(natsembed.InboxPrefix(user)))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s as %s: %w", url, user, err)
	}
	return nc, nil
}

// report says what the run generated and where.
func (s *secrets) report(w io.Writer) {
	fmt.Fprintf(w, "credentials generated for this run in %s (removed when it stops):\n", s.dir)
	fmt.Fprintf(w, "  gRPC: mutual TLS; a CA made for this run (%s) issued the services' certificate for %s (%s)\n",
		caFile, strings.Join(serverHosts(), ", "), serverCertFile)
	fmt.Fprintf(w, "  CLI:  %s, client certificate %s\n", describe(CLIPrincipal()), cliCertFile)
	fmt.Fprintf(w, "  ingestion, asking the ledger before an erasure: %s, client certificate %s\n", describe(ServicePrincipal(ingestion.Name)), ingCertFile)
	fmt.Fprintf(w, "  NATS: users %s with fresh passwords (%s); the services connect as their own, the demo shop as %s\n",
		strings.Join(slices.Sorted(maps.Keys(s.nats)), ", "), natsConfFile, natsembed.ShopUser(Tenant))
	fmt.Fprintf(w, "  the CLI's credentials file: %s\n", s.credsPath)
}

// describe says who p is: "finance:demo (accountant, operator of tenant demo)".
func describe(p identity.Principal) string {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	return fmt.Sprintf("%s (%s of tenant %s)", p.Actor, strings.Join(roles, ", "), strings.Join(p.Tenants, ", "))
}

// reapRunDirs removes the run folders under root of demos that died
// without removing them (killed, or crashed). Problems go to log: it is
// housekeeping, not a reason to fail.
func reapRunDirs(root string, log io.Writer) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), runDirPrefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		o, abandoned := procdir.Abandoned(dir, runDirGrace)
		if !abandoned {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(log, "demo: remove abandoned credentials folder %s: %v\n", dir, err)
			continue
		}
		fmt.Fprintf(log, "demo: removed abandoned credentials folder %s (owner %s gone)\n", dir, o)
	}
}
