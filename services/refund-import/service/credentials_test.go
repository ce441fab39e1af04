package service

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCredentialsFromEnv: env:NAME reads NAME_CLIENT_ID, _CLIENT_SECRET
// and _REFRESH_TOKEN; secret:NAME/KEY reads the mounted secret's JSON;
// anything missing is ErrCredentials, and no error repeats a secret.
func TestCredentialsFromEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "amazon-eu"), 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(key, body string) {
		if err := os.WriteFile(filepath.Join(dir, "amazon-eu", key), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("credentials", `{"client_id":"id-s","client_secret":"sec-s","refresh_token":"Atzr|s"}`)
	write("partial", `{"client_id":"id-p","client_secret":"sec-p"}`)
	write("garbage", `Atzr|leaked`)
	env := map[string]string{"AMZ_CLIENT_ID": "id-e", "AMZ_CLIENT_SECRET": "sec-e", "AMZ_REFRESH_TOKEN": "Atzr|e", "HALF_CLIENT_ID": "id-h"}
	resolve := CredentialsFromEnv(func(k string) string { return env[k] }, dir)
	tests := []struct {
		ref     string
		want    Credentials
		wantErr bool
	}{
		{ref: "env:AMZ", want: Credentials{ClientID: "id-e", ClientSecret: "sec-e", RefreshToken: "Atzr|e"}},
		{ref: "secret:amazon-eu/credentials", want: Credentials{ClientID: "id-s", ClientSecret: "sec-s", RefreshToken: "Atzr|s"}},
		{ref: "env:HALF", wantErr: true},
		{ref: "env:NONE", wantErr: true},
		{ref: "secret:amazon-eu/partial", wantErr: true},
		{ref: "secret:amazon-eu/garbage", wantErr: true},
		{ref: "secret:amazon-eu/missing", wantErr: true},
		{ref: "secret:../etc/passwd", wantErr: true},
		{ref: "Atzr|plain", wantErr: true},
	}
	for _, tt := range tests {
		got, err := resolve(tt.ref)
		if tt.wantErr {
			if !errors.Is(err, ErrCredentials) {
				t.Errorf("%s: %v, want ErrCredentials", tt.ref, err)
			}
			for _, secret := range []string{"sec-", "Atzr|leaked", "Atzr|e", "Atzr|s"} {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("%s: error %q repeats a secret", tt.ref, err)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.ref, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.ref, diff)
		}
	}
}
