package faults

import (
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// pki is the run's credentials, made as the demo makes its own: a CA that
// exists for the run only, the services' server certificate for
// 127.0.0.1, a client certificate per service (the demo's
// ServicePrincipal) for the peers it calls, the reference agency's (the
// demo's AgencyPrincipal) and the harness's own, all as files in dir.
type pki struct {
	dir string
	ca  *auth.DevCA
}

// The files of the run's credentials folder.
const (
	caFile         = "ca.pem"
	serverCertFile = "server.pem"
	serverKeyFile  = "server-key.pem"
)

func newPKI(dir string) (*pki, error) {
	ca, err := auth.NewDevCA("o2c fault harness CA")
	if err != nil {
		return nil, err
	}
	p := &pki{dir: dir, ca: ca}
	cert, key, err := ca.ServerCertificate("127.0.0.1", "localhost")
	if err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{caFile: ca.CertPEM(), serverCertFile: cert, serverKeyFile: key} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, fmt.Errorf("fault harness credentials: %w", err)
		}
	}
	return p, nil
}

// serverEnv is the environment of a service's gRPC server: mutual TLS with
// the run's certificates.
func (p *pki) serverEnv() []string {
	return []string{
		auth.ModeEnv + "=" + string(auth.MTLS),
		auth.TLSCertEnv + "=" + filepath.Join(p.dir, serverCertFile),
		auth.TLSKeyEnv + "=" + filepath.Join(p.dir, serverKeyFile),
		auth.ClientCAEnv + "=" + filepath.Join(p.dir, caFile),
	}
}

// clientEnv writes a client certificate for who (named name in the
// folder) and returns the peer variables that present it
// (O2C_CLIENT_CERT, O2C_CLIENT_KEY, O2C_CLIENT_CA).
func (p *pki) clientEnv(name string, who identity.Principal) ([]string, error) {
	cert, key, err := p.ca.ClientCertificate(who)
	if err != nil {
		return nil, err
	}
	certPath, keyPath := filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	if err := os.WriteFile(certPath, cert, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyPath, key, 0o600); err != nil {
		return nil, err
	}
	return []string{"O2C_CLIENT_CERT=" + certPath, "O2C_CLIENT_KEY=" + keyPath, "O2C_CLIENT_CA=" + filepath.Join(p.dir, caFile)}, nil
}

// harnessPrincipal is who the harness is when it drives the system: the
// demo tenant's finance staff (the demo CLI's principal), who import
// files, run dunning, release items to collections, start refund imports
// and read rejections.
func harnessPrincipal() identity.Principal {
	return demo.CLIPrincipal()
}

// dial connects to addr as who over mutual TLS.
func (p *pki) dial(addr string, who identity.Principal) (*grpc.ClientConn, error) {
	cert, key, err := p.ca.ClientCertificate(who)
	if err != nil {
		return nil, err
	}
	cfg, err := auth.ClientTLSConfig(cert, key, p.ca.CertPEM())
	if err != nil {
		return nil, err
	}
	return grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
}
