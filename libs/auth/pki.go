package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"time"

	"github.com/o2c-platform/o2c/libs/identity"
)

// DevCA is a throwaway certificate authority for development and tests:
// it issues server certificates and client certificates that carry a
// principal in the form ClientCertificates reads. Its key lives only in
// memory. Production certificates come from the platform's own CA; their
// contents follow the package comment.
type DevCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// devValidity is how long DevCA's certificates are valid.
const devValidity = 30 * 24 * time.Hour

// NewDevCA makes a CA named name (ECDSA P-256, valid for 30 days).
func NewDevCA(name string) (*DevCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl, err := template(name)
	if err != nil {
		return nil, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("dev CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &DevCA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// CertPEM returns the CA's certificate (for O2C_TLS_CLIENT_CA and a
// client's server CA).
func (ca *DevCA) CertPEM() []byte { return ca.certPEM }

// ServerCertificate issues a server certificate for hosts (DNS names or IP
// addresses, e.g. "localhost", "127.0.0.1") and returns it and its key as
// PEM (for O2C_TLS_CERT and O2C_TLS_KEY).
func (ca *DevCA) ServerCertificate(hosts ...string) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 {
		return nil, nil, fmt.Errorf("server certificate: no host names")
	}
	tmpl, err := template(hosts[0])
	if err != nil {
		return nil, nil, err
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	return ca.issue(tmpl)
}

// ClientCertificate issues a client certificate for p (checked first):
// the actor as subject common name, SAN URIs o2c:tenant:, o2c:role: and
// o2c:agency: for the rest. It returns it and its key as PEM.
func (ca *DevCA) ClientCertificate(p identity.Principal) (certPEM, keyPEM []byte, err error) {
	if err := p.Check(); err != nil {
		return nil, nil, err
	}
	tmpl, err := template(p.Actor)
	if err != nil {
		return nil, nil, err
	}
	var uris []string
	for _, t := range p.Tenants {
		uris = append(uris, URITenant+t)
	}
	for _, r := range p.Roles {
		uris = append(uris, URIRole+string(r))
	}
	if p.Agency != "" {
		uris = append(uris, URIAgency+p.Agency)
	}
	for _, s := range uris {
		u, err := url.Parse(s)
		if err != nil {
			return nil, nil, fmt.Errorf("client certificate for %s: SAN %q: %w", p.Actor, s, err)
		}
		tmpl.URIs = append(tmpl.URIs, u)
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return ca.issue(tmpl)
}

func (ca *DevCA) issue(tmpl *x509.Certificate) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue certificate for %s: %w", tmpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// template is a certificate named cn, valid from an hour ago (clock skew)
// for devValidity, with a random serial.
func template(cn string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"o2c development"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(devValidity),
	}, nil
}
