package host

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPeerFromEnv checks how a service reads a peer's address
// and its own credentials: nothing set is no peer, an address needs
// credentials, and credentials need an address and go in pairs.
func TestPeerFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    Peer
		wantErr string
	}{
		{name: "nothing set: no peer", env: nil, want: Peer{}},
		{
			name: "address and client certificate",
			env:  map[string]string{"LEDGER_ADDR": "ledger:9090", "O2C_CLIENT_CERT": "c.pem", "O2C_CLIENT_KEY": "k.pem", "O2C_CLIENT_CA": "ca.pem"},
			want: Peer{Addr: "ledger:9090", CertFile: "c.pem", KeyFile: "k.pem", CAFile: "ca.pem"},
		},
		{
			name: "address and token",
			env:  map[string]string{"LEDGER_ADDR": "ledger:9090", "O2C_CLIENT_TOKEN": "t"},
			want: Peer{Addr: "ledger:9090", Token: "t"},
		},
		{name: "address without credentials", env: map[string]string{"LEDGER_ADDR": "ledger:9090"}, wantErr: "LEDGER_ADDR is set without credentials"},
		{name: "certificate without key", env: map[string]string{"LEDGER_ADDR": "ledger:9090", "O2C_CLIENT_CERT": "c.pem"}, wantErr: "O2C_CLIENT_CERT and O2C_CLIENT_KEY go together"},
		{name: "credentials without address", env: map[string]string{"O2C_CLIENT_TOKEN": "t"}, wantErr: "LEDGER_ADDR is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := PeerFromEnv("the ledger", "LEDGER_ADDR", func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Peer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDialWithoutAddressIsNoPeer checks that no address dials nothing
// and that unreadable credential files are named.
func TestDialWithoutAddressIsNoPeer(t *testing.T) {
	t.Parallel()
	conn, err := Peer{}.Dial()
	if conn != nil || err != nil {
		t.Errorf("Dial without address = %v, %v; want nil, nil", conn, err)
	}
	_, err = Peer{Addr: "ledger:9090", CertFile: "/nonexistent/c.pem", KeyFile: "/nonexistent/k.pem"}.Dial()
	if err == nil || !strings.Contains(err.Error(), "client certificate") {
		t.Errorf("Dial with a missing certificate: %v, want an error naming the client certificate", err)
	}
}
