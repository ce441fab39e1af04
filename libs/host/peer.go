package host

import (
	"fmt"
	"strings"

	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/libs/auth"
)

// Peer is how a service reaches another service's gRPC API as itself: the
// peer's address and the caller's own credentials, a client certificate
// (the peer runs O2C_AUTH=mtls) or a bearer token (jwt or tokens). The
// credentials are the caller's, one set for every peer it calls; the
// peer lets the service role do what its policy allows for the tenants
// the credentials name, so they must name every tenant the caller serves.
type Peer struct {
	// Addr is the peer's gRPC address. Empty configures no peer.
	Addr string
	// CertFile and KeyFile are the caller's client certificate and key
	// (O2C_CLIENT_CERT, O2C_CLIENT_KEY; both or neither).
	CertFile, KeyFile string
	// CAFile is the CA that issued the peer's server certificate
	// (O2C_CLIENT_CA; empty trusts the system's roots).
	CAFile string
	// Token is a bearer token presented on every call (O2C_CLIENT_TOKEN),
	// instead of or beside the client certificate.
	Token string
}

// The caller's credentials for every peer.
const (
	ClientCertEnv  = "O2C_CLIENT_CERT"
	ClientKeyEnv   = "O2C_CLIENT_KEY"
	ClientCAEnv    = "O2C_CLIENT_CA"
	ClientTokenEnv = "O2C_CLIENT_TOKEN"
)

// PeerVariables are the variables PeerFromEnv reads for one peer, for a
// service's --help: addrEnv with what the address is for (addrMeaning),
// and the client credentials, which name the service (self) and the peer.
func PeerVariables(self, peer, addrEnv, addrMeaning string) []Variable {
	return []Variable{
		{Name: addrEnv, Meaning: addrMeaning},
		{Name: ClientCertEnv + ", " + ClientKeyEnv, Meaning: self + "'s client certificate and key for " + peer + " (both or neither): role service, SAN URIs o2c:tenant:<t> for every tenant it serves"},
		{Name: ClientCAEnv, Meaning: "the CA of " + peer + "'s server certificate (default: the system's roots)"},
		{Name: ClientTokenEnv, Meaning: "a bearer token for " + peer + " (O2C_AUTH=jwt or tokens there) instead of a client certificate"},
	}
}

// PeerFromEnv reads the Peer at addrEnv through getenv; peer names it in
// problems ("the ledger"). Nothing set is no peer. Credentials without an
// address, an address without credentials, or a certificate without its
// key are errors.
func PeerFromEnv(peer, addrEnv string, getenv func(string) string) (Peer, error) {
	p := Peer{
		Addr: getenv(addrEnv), CertFile: getenv(ClientCertEnv), KeyFile: getenv(ClientKeyEnv),
		CAFile: getenv(ClientCAEnv), Token: getenv(ClientTokenEnv),
	}
	var problems []string
	if (p.CertFile == "") != (p.KeyFile == "") {
		problems = append(problems, ClientCertEnv+" and "+ClientKeyEnv+" go together: set both, or neither")
	}
	if p.Addr == "" && (p.CertFile != "" || p.KeyFile != "" || p.CAFile != "" || p.Token != "") {
		problems = append(problems, "client credentials for "+peer+" are set but "+addrEnv+" is not: set "+peer+"'s address")
	}
	if p.Addr != "" && p.CertFile == "" && p.Token == "" {
		problems = append(problems, addrEnv+" is set without credentials: set "+ClientCertEnv+" and "+ClientKeyEnv+", or "+ClientTokenEnv)
	}
	if len(problems) > 0 {
		return p, fmt.Errorf("%s (--help lists every setting)", strings.Join(problems, "; "))
	}
	return p, nil
}

// Dial connects to the peer over TLS with the configured credentials and
// opts (telemetry.GRPCDialOption, so that a call carries the caller's
// trace to the peer). It returns nil and no error when no address is
// configured. The connection is lazy: an unreachable peer surfaces on the
// first call.
func (p Peer) Dial(opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	if p.Addr == "" {
		return nil, nil
	}
	creds, err := auth.ClientTLS(p.CertFile, p.KeyFile, p.CAFile)
	if err != nil {
		return nil, fmt.Errorf("client credentials for %s: %w", p.Addr, err)
	}
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(creds)}, opts...)
	if p.Token != "" {
		opts = append(opts, auth.WithBearer(p.Token, false))
	}
	conn, err := grpc.NewClient(p.Addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("peer at %s: %w", p.Addr, err)
	}
	return conn, nil
}
