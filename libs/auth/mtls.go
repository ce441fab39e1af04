package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/o2c-platform/o2c/libs/identity"
)

// SAN URI prefixes of a client certificate (see the package comment).
const (
	URITenant = "o2c:tenant:"
	URIRole   = "o2c:role:"
	URIAgency = "o2c:agency:"
	URIActor  = "o2c:actor:"
)

// ServerTLS returns the server's TLS credentials: its certificate and key
// (PEM files) and, when clientCAFile is set, the CAs whose client
// certificates it verifies. A client certificate is verified when given
// and not required by the handshake, so that health probes without one
// still reach the public methods; the Guard refuses every other method
// without a verified one. The files are read once, now.
func ServerTLS(certFile, keyFile, clientCAFile string) (credentials.TransportCredentials, error) {
	cfg, err := ServerTLSConfig(certFile, keyFile, clientCAFile)
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(cfg), nil
}

// ServerTLSConfig is ServerTLS's tls.Config.
func ServerTLSConfig(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: server certificate %s with key %s: %w", ErrBadConfig, certFile, keyFile, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAFile != "" {
		pool, err := certPool(clientCAFile)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// certPool reads the PEM certificates of file.
func certPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: CA file: %w", ErrBadConfig, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: CA file %s holds no PEM certificate", ErrBadConfig, file)
	}
	return pool, nil
}

// ClientCertificates authenticates a call by the client certificate its
// TLS connection verified against the server's client CAs (ServerTLS).
type ClientCertificates struct{}

// Authenticate implements Authenticator.
func (ClientCertificates) Authenticate(ctx context.Context) (identity.Principal, error) {
	pr, ok := peer.FromContext(ctx)
	if !ok {
		return identity.Principal{}, fmt.Errorf("%w: no peer", ErrNoCredentials)
	}
	info, ok := pr.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return identity.Principal{}, fmt.Errorf("%w: the connection is not TLS; present a client certificate", ErrNoCredentials)
	}
	if len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return identity.Principal{}, fmt.Errorf("%w: no verified client certificate", ErrNoCredentials)
	}
	return PrincipalFromCertificate(info.State.VerifiedChains[0][0])
}

// PrincipalFromCertificate reads the principal a client certificate
// describes (see the package comment). It does not verify the certificate:
// the TLS handshake did. Its error wraps ErrBadCredentials.
func PrincipalFromCertificate(c *x509.Certificate) (identity.Principal, error) {
	p := identity.Principal{Actor: c.Subject.CommonName, Via: "mtls"}
	var bad []string
	for _, u := range c.URIs {
		s := u.String()
		switch {
		case strings.HasPrefix(s, URITenant):
			p.Tenants = append(p.Tenants, strings.TrimPrefix(s, URITenant))
		case strings.HasPrefix(s, URIRole):
			r, err := identity.ParseRole(strings.TrimPrefix(s, URIRole))
			if err != nil {
				bad = append(bad, err.Error())
				continue
			}
			p.Roles = append(p.Roles, r)
		case strings.HasPrefix(s, URIAgency):
			if p.Agency != "" {
				bad = append(bad, "more than one agency")
			}
			p.Agency = strings.TrimPrefix(s, URIAgency)
		case strings.HasPrefix(s, URIActor):
			if p.Actor == "" {
				p.Actor = strings.TrimPrefix(s, URIActor)
			}
		}
	}
	if len(bad) > 0 {
		return identity.Principal{}, fmt.Errorf("%w: client certificate %q (serial %s): %s", ErrBadCredentials, c.Subject.CommonName, c.SerialNumber, strings.Join(bad, "; "))
	}
	if err := p.Check(); err != nil {
		return identity.Principal{}, fmt.Errorf("%w: client certificate %q (serial %s): %w", ErrBadCredentials, c.Subject.CommonName, c.SerialNumber, err)
	}
	return p, nil
}
