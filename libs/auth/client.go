package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// BearerCredentials returns per-RPC credentials that present token as
// "authorization: Bearer <token>" metadata. Unless allowClearText is set
// gRPC refuses to send them over a connection without TLS; set it for
// development, for loopback, or behind a mesh that adds TLS.
func BearerCredentials(token string, allowClearText bool) credentials.PerRPCCredentials {
	return bearer{token: token, clearText: allowClearText}
}

// WithBearer is the dial option that presents token on every call of a
// connection (see BearerCredentials).
func WithBearer(token string, allowClearText bool) grpc.DialOption {
	return grpc.WithPerRPCCredentials(BearerCredentials(token, allowClearText))
}

// BearerCall is the call option that presents token on one call (see
// BearerCredentials).
func BearerCall(token string, allowClearText bool) grpc.CallOption {
	return grpc.PerRPCCredentials(BearerCredentials(token, allowClearText))
}

type bearer struct {
	token     string
	clearText bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return !b.clearText }

// ClientTLS returns a client's TLS credentials: the CAs that issued the
// server's certificate (caFile; empty: the system's roots) and, for mtls,
// the client's certificate and key (certFile and keyFile; both empty for
// a bearer-token client over TLS). The files are read once, now.
func ClientTLS(certFile, keyFile, caFile string) (credentials.TransportCredentials, error) {
	var certPEM, keyPEM, caPEM []byte
	var err error
	if certFile != "" || keyFile != "" {
		if certPEM, err = os.ReadFile(certFile); err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		if keyPEM, err = os.ReadFile(keyFile); err != nil {
			return nil, fmt.Errorf("client key: %w", err)
		}
	}
	if caFile != "" {
		if caPEM, err = os.ReadFile(caFile); err != nil {
			return nil, fmt.Errorf("server CA: %w", err)
		}
	}
	cfg, err := ClientTLSConfig(certPEM, keyPEM, caPEM)
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(cfg), nil
}

// ClientTLSConfig is ClientTLS from PEM bytes; nil certPEM and keyPEM
// present no client certificate, nil caPEM trusts the system's roots.
func ClientTLSConfig(certPEM, keyPEM, caPEM []byte) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if certPEM != nil || keyPEM != nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate and key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if caPEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("server CA: no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
