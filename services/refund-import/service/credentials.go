package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultSecretsDir is where Kubernetes secrets named by "secret:NAME/KEY"
// references are mounted (REFUND_IMPORT_SECRETS_DIR overrides it in
// main.go): the file <dir>/NAME/KEY.
const DefaultSecretsDir = "/var/run/secrets/o2c"

// ErrCredentials means a seller account's credentials cannot be read
// through its reference: the variables or the secret file are missing,
// incomplete or not JSON.
var ErrCredentials = errors.New("SP-API credentials not found")

func osGetenv(k string) string { return os.Getenv(k) }

// CredentialsFromEnv resolves credentials references:
//
//   - "env:NAME" reads NAME_CLIENT_ID, NAME_CLIENT_SECRET and
//     NAME_REFRESH_TOKEN through getenv;
//   - "secret:NAME/KEY" reads the file secretsDir/NAME/KEY (a Kubernetes
//     secret mounted there), a JSON object with client_id, client_secret
//     and refresh_token.
//
// The values never appear in errors.
func CredentialsFromEnv(getenv func(string) string, secretsDir string) func(ref string) (Credentials, error) {
	return func(ref string) (Credentials, error) {
		kind, name, _ := strings.Cut(ref, ":")
		var c Credentials
		switch kind {
		case "env":
			c = Credentials{ClientID: getenv(name + "_CLIENT_ID"), ClientSecret: getenv(name + "_CLIENT_SECRET"),
				RefreshToken: getenv(name + "_REFRESH_TOKEN")}
		case "secret":
			secret, key, ok := strings.Cut(name, "/")
			if !ok || secret == "" || key == "" || strings.Contains(key, "/") || strings.Contains(secret, "..") || strings.Contains(key, "..") {
				return Credentials{}, fmt.Errorf("%w: %q is not secret:NAME/KEY", ErrCredentials, ref)
			}
			path := filepath.Join(secretsDir, secret, key)
			raw, err := os.ReadFile(path)
			if err != nil {
				return Credentials{}, fmt.Errorf("%w: read %s: %v", ErrCredentials, path, errors.Unwrap(err))
			}
			var f struct {
				ClientID     string `json:"client_id"`
				ClientSecret string `json:"client_secret"`
				RefreshToken string `json:"refresh_token"`
			}
			if err := json.Unmarshal(raw, &f); err != nil {
				return Credentials{}, fmt.Errorf("%w: %s is not a JSON object with client_id, client_secret and refresh_token", ErrCredentials, path)
			}
			c = Credentials{ClientID: f.ClientID, ClientSecret: f.ClientSecret, RefreshToken: f.RefreshToken}
		default:
			return Credentials{}, fmt.Errorf("%w: %q is neither env:NAME nor secret:NAME/KEY", ErrCredentials, ref)
		}
		var missing []string
		for _, f := range []struct{ name, v string }{{"client id", c.ClientID}, {"client secret", c.ClientSecret}, {"refresh token", c.RefreshToken}} {
			if f.v == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return Credentials{}, fmt.Errorf("%w: %s gives no %s", ErrCredentials, ref, strings.Join(missing, ", "))
		}
		return c, nil
	}
}
