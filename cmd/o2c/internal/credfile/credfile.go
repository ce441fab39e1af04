// Package credfile reads and writes the credentials file of the o2c CLI:
// how the CLI authenticates to the services' gRPC APIs (a client
// certificate for mutual TLS, or a bearer token for O2C_AUTH=jwt or
// tokens) and to NATS (a user and its password). `o2c demo` writes one for
// its CLI principal and its demo shop; an installation writes its own, and
// the CLI finds it through --credentials, O2C_CREDENTIALS or DefaultPath.
//
// The file is JSON (the fields are those of File); relative paths in it
// are relative to the file's folder. It names a key file and may hold a
// token and a password, so it is written readable by its owner only. The
// demo's, for mutual TLS and the demo shop's NATS user:
//
//	{
//	  "written_by": "o2c demo",
//	  "grpc": {"ca_file": "ca.pem", "cert_file": "cli.pem", "key_file": "cli-key.pem"},
//	  "nats": {"user": "shop-demo", "password": "…"}
//	}
//
// For O2C_AUTH=jwt or tokens, "grpc" holds a "token" (and "ca_file" when
// the services' certificates do not come from a CA the system trusts);
// "server_name" names the host the services' certificates are issued for
// when the address dialled has another; "plaintext": true sends the token
// without TLS (loopback, or a mesh that adds TLS).
//
// A file without a grpc section (or an empty one) connects in clear text
// without credentials, which only a service in development mode accepts.
package credfile

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/natsembed"
)

// Env is the environment variable naming the credentials file.
const Env = "O2C_CREDENTIALS"

// DemoMarker is File.WrittenBy in a file `o2c demo` wrote; the demo
// replaces and removes no other.
const DemoMarker = "o2c demo"

// File is a credentials file.
type File struct {
	// WrittenBy names the program that wrote the file (DemoMarker), so
	// that it never replaces a file a person wrote.
	WrittenBy string `json:"written_by,omitempty"`
	// About says, for people, whose credentials these are; the CLI
	// ignores it.
	About string `json:"about,omitempty"`
	// GRPC is how the CLI authenticates to the services' gRPC APIs.
	GRPC GRPC `json:"grpc"`
	// NATS is the NATS user `o2c publish` connects as.
	NATS NATS `json:"nats"`
}

// GRPC holds the gRPC credentials: a client certificate (mtls), or a
// bearer token (jwt, tokens), or neither (development mode).
type GRPC struct {
	// CAFile is the PEM file of the CAs that issued the services'
	// certificates; empty trusts the system's roots.
	CAFile string `json:"ca_file,omitempty"`
	// CertFile and KeyFile are the client certificate and its key, PEM
	// (mutual TLS).
	CertFile string `json:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty"`
	// Token is a bearer token (a JWT, or a static token).
	Token string `json:"token,omitempty"`
	// ServerName is the name the services' certificates are issued for,
	// when the address dialled has another host.
	ServerName string `json:"server_name,omitempty"`
	// Plaintext turns TLS off: the token travels in clear text. Only for
	// loopback, or behind a mesh that adds TLS.
	Plaintext bool `json:"plaintext,omitempty"`
}

// NATS is a NATS user and its password (deploy/nats/README.md lists the
// users and what each may do).
type NATS struct {
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
}

// DefaultPath is where the CLI looks for the credentials file when
// neither --credentials nor O2C_CREDENTIALS names one, and where `o2c
// demo --keep-running` writes its own: demo-credentials.json in the o2c
// folder of the user's configuration directory
// ($XDG_CONFIG_HOME/o2c/demo-credentials.json, by default
// ~/.config/o2c/demo-credentials.json).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("the default credentials file: %w", err)
	}
	return filepath.Join(dir, "o2c", "demo-credentials.json"), nil
}

// Load reads and checks the credentials file at path and makes its
// relative paths absolute. Unknown fields are errors (a misspelt
// "cert_file" would otherwise connect without a certificate).
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for _, p := range []*string{&f.GRPC.CAFile, &f.GRPC.CertFile, &f.GRPC.KeyFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	return f, nil
}

// Parse decodes and checks a credentials file.
func Parse(data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	return &f, f.check()
}

// check names what cannot go together.
func (f *File) check() error {
	var errs []error
	g := f.GRPC
	if (g.CertFile == "") != (g.KeyFile == "") {
		errs = append(errs, errors.New("grpc: cert_file and key_file go together"))
	}
	if g.CertFile != "" && g.Token != "" {
		errs = append(errs, errors.New("grpc: a client certificate or a token, not both"))
	}
	if g.Plaintext && (g.CertFile != "" || g.CAFile != "" || g.ServerName != "") {
		errs = append(errs, errors.New("grpc: plaintext turns TLS off; it does not go with cert_file, ca_file or server_name"))
	}
	if (f.NATS.User == "") != (f.NATS.Password == "") {
		errs = append(errs, errors.New("nats: user and password go together"))
	}
	return errors.Join(errs...)
}

// Write writes f to path, readable by its owner only, creating its
// folder (owner only) when needed. The file is replaced in one step, so a
// reader never sees half of it.
func Write(path string, f *File) error {
	if err := f.check(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("credentials file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return fmt.Errorf("credentials file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("credentials file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("credentials file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("credentials file %s: %w", path, err)
	}
	return nil
}

// WrittenBy returns the written_by field of the file at path, "" when the
// file has none or is not a credentials file at all, and an error wrapping
// os.ErrNotExist when there is no file.
func WrittenBy(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var f struct {
		WrittenBy string `json:"written_by"`
	}
	if json.Unmarshal(data, &f) != nil {
		return "", nil
	}
	return f.WrittenBy, nil
}

// TLS reports whether the gRPC connection uses TLS.
func (g GRPC) TLS() bool {
	return !g.Plaintext && (g.CAFile != "" || g.CertFile != "" || g.Token != "" || g.ServerName != "")
}

// Describe says in a few words what g presents: "a client certificate",
// "a bearer token" or "no credentials".
func (g GRPC) Describe() string {
	switch {
	case g.CertFile != "":
		return "a client certificate"
	case g.Token != "":
		return "a bearer token"
	}
	return "no credentials"
}

// DialOptions are the options of a gRPC connection that presents g: TLS
// with the client certificate and the CA when set, the bearer token on
// every call, clear text when g asks for neither TLS nor a token. The
// files are read now.
func (g GRPC) DialOptions() ([]grpc.DialOption, error) {
	var opts []grpc.DialOption
	if g.TLS() {
		cfg, err := g.tlsConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	} else {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if g.Token != "" {
		opts = append(opts, auth.WithBearer(g.Token, g.Plaintext))
	}
	return opts, nil
}

func (g GRPC) tlsConfig() (*tls.Config, error) {
	var certPEM, keyPEM, caPEM []byte
	var err error
	if g.CertFile != "" {
		if certPEM, err = os.ReadFile(g.CertFile); err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		if keyPEM, err = os.ReadFile(g.KeyFile); err != nil {
			return nil, fmt.Errorf("client key: %w", err)
		}
	}
	if g.CAFile != "" {
		if caPEM, err = os.ReadFile(g.CAFile); err != nil {
			return nil, fmt.Errorf("CA of the services' certificates: %w", err)
		}
	}
	cfg, err := auth.ClientTLSConfig(certPEM, keyPEM, caPEM)
	if err != nil {
		return nil, err
	}
	cfg.ServerName = g.ServerName
	return cfg, nil
}

// Options are the options of a NATS connection as n: its user and
// password, and the inbox prefix its user may receive replies on
// (natsembed.InboxPrefix). Without a user, none.
func (n NATS) Options() []nats.Option {
	if n.User == "" {
		return nil
	}
	return []nats.Option{nats.UserInfo(n.User, n.Password), nats.CustomInboxPrefix(natsembed.InboxPrefix(n.User))}
}
