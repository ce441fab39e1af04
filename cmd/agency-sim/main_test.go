package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

// TestRunRefusesWhatItCannotWorkWith checks that run says what is missing
// before it dials anything, and that --help lists the environment.
func TestRunRefusesWhatItCannotWorkWith(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "no tenant", env: map[string]string{AddrEnv: "127.0.0.1:1"}, want: "no tenant: set --tenant or AGENCY_TENANT"},
		{name: "no address", args: []string{"--tenant", "demo"}, want: "COLLECTIONS_ADDR is not set"},
		{name: "address without credentials", args: []string{"--tenant", "demo"}, env: map[string]string{AddrEnv: "127.0.0.1:1"}, want: "COLLECTIONS_ADDR is set without credentials"},
		{name: "bad terms", args: []string{"--tenant", "demo", "--instalments", "0"}, env: map[string]string{AddrEnv: "127.0.0.1:1", "O2C_CLIENT_TOKEN": "t"}, want: "want at least one instalment"},
		{name: "an argument", args: []string{"demo"}, want: `unexpected argument "demo"`},
		{name: "no retries", args: []string{"--tenant", "demo", "--retries", "0"}, env: map[string]string{AddrEnv: "127.0.0.1:1"}, want: "--retries 0: want at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestHelpListsTheEnvironment(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &out, &errOut)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"COLLECTIONS_ADDR", "O2C_CLIENT_CERT", "O2C_CLIENT_TOKEN", "--share-bp", "--retries", "o2c:agency:<id>"} {
		if !strings.Contains(errOut.String(), strings.TrimPrefix(want, "-")) {
			t.Errorf("--help does not mention %s:\n%s", want, errOut.String())
		}
	}
}
