package natsembed_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/o2c-platform/o2c/libs/natsembed"
)

// connectAs connects to s as user, with the user's inbox prefix.
func connectAs(s *natsembed.Server, user, password string) (*nats.Conn, error) {
	return nats.Connect(s.ClientURL(), nats.UserInfo(user, password), nats.CustomInboxPrefix(natsembed.InboxPrefix(user)),
		nats.MaxReconnects(0), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
}

// refused reports whether the server refused what nc sent last with a
// permissions violation naming subject.
func refused(tb testing.TB, nc *nats.Conn, subject string) bool {
	tb.Helper()
	if err := nc.Flush(); err != nil {
		tb.Fatal(err)
	}
	err := nc.LastError()
	return errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), `"`+subject+`"`)
}

// TestWriteConfig starts a server on a configuration WriteConfig wrote and
// checks that every user it names connects with its password and no other,
// that the passwords differ, that the file is private to its owner, and
// that a user's permissions hold.
func TestWriteConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "nats-server.conf")
	users := natsembed.Users{Shops: []string{"demo", "acme"}, Services: natsembed.Services(), Admin: true}
	pw, err := natsembed.WriteConfig(path, users)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v (%v), want 0600", fi.Mode(), err)
	}
	s, err := natsembed.Start(natsembed.Options{ConfigFile: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)

	want := []string{natsembed.AdminUser, "shop-demo", "shop-acme"}
	for _, svc := range natsembed.Services() {
		want = append(want, svc.Name)
	}
	if len(pw) != len(want) {
		t.Errorf("%d passwords, want %d", len(pw), len(want))
	}
	seen := map[string]string{}
	for _, user := range want {
		p, ok := pw[user]
		if !ok || len(p) < 32 {
			t.Errorf("user %s: password %q, want one of at least 32 characters", user, p)
			continue
		}
		if other, dup := seen[p]; dup {
			t.Errorf("users %s and %s have the same password", user, other)
		}
		seen[p] = user
		nc, err := connectAs(s, user, p)
		if err != nil {
			t.Errorf("user %s: %v", user, err)
			continue
		}
		nc.Close()
		if nc, err := connectAs(s, user, p+"x"); err == nil {
			nc.Close()
			t.Errorf("user %s connected with a wrong password", user)
		}
	}

	shop, err := connectAs(s, "shop-demo", pw["shop-demo"])
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	if err := shop.Publish("shop.demo.invoice.issued", nil); err != nil || refused(t, shop, "shop.demo.invoice.issued") {
		t.Errorf("the demo shop's own subject: %v %v", err, shop.LastError())
	}
	if err := shop.Publish("shop.acme.invoice.issued", nil); err != nil || !refused(t, shop, "shop.acme.invoice.issued") {
		t.Errorf("the demo shop published for acme: %v", shop.LastError())
	}
}

// TestConfigFileKeepsTheMachineToStart loads a configuration that listens
// on every interface on the standard ports and stores elsewhere: the
// server still listens on 127.0.0.1 and a port of its own, stores in its
// temporary directory and serves no monitoring, while the file's users
// apply.
func TestConfigFileKeepsTheMachineToStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "server.conf")
	conf := `listen: 0.0.0.0:4222
http: 0.0.0.0:8222
jetstream { store_dir: "` + filepath.Join(dir, "elsewhere") + `" }
accounts { O2C { jetstream: enabled, users: [ {user: u, password: p} ] } }
`
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := natsembed.Start(natsembed.Options{ConfigFile: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	if !strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:") {
		t.Errorf("client URL %s, want 127.0.0.1", s.ClientURL())
	}
	if !strings.HasPrefix(filepath.Base(s.StoreDir()), "o2c-natsembed-") {
		t.Errorf("store dir %s, want a temporary one", s.StoreDir())
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file's store dir was created (%v)", err)
	}
	if nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("connected without a user")
	}
	nc, err := nats.Connect(s.ClientURL(), nats.UserInfo("u", "p"))
	if err != nil {
		t.Fatalf("the file's user: %v", err)
	}
	nc.Close()
}

// TestConfigFileProblemsAreNamed checks that a configuration that does not
// load stops Start with an error naming the file and the problem.
func TestConfigFileProblemsAreNamed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, conf, want string
	}{
		{"missing variable", `accounts { O2C { users: [ {user: u, password: $O2C_NATSEMBED_TEST_UNSET} ] } }`, "O2C_NATSEMBED_TEST_UNSET"},
		{"syntax", `accounts { O2C { users: [ `, "Parse error on line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".conf")
			if err := os.WriteFile(path, []byte(tt.conf), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := natsembed.Start(natsembed.Options{ConfigFile: path})
			if err == nil {
				s.Shutdown()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to name %s and %s", err, path, tt.want)
			}
		})
	}
}

// TestPasswordVariable checks the names of the password variables of
// deploy/nats/nats-server.conf.
func TestPasswordVariable(t *testing.T) {
	t.Parallel()
	for user, want := range map[string]string{
		"ledger": "O2C_NATS_PASSWORD_LEDGER", "refund-import": "O2C_NATS_PASSWORD_REFUND_IMPORT", "shop-demo": "O2C_NATS_PASSWORD_SHOP_DEMO",
	} {
		if got := natsembed.PasswordVariable(user); got != want {
			t.Errorf("PasswordVariable(%q) = %q, want %q", user, got, want)
		}
	}
}

// TestServiceAnchorsUnderItsSchema checks that a service may publish its
// anchors where the anchorer puts them, under the event store's schema
// name (refund-import's anchors are o2c.anchors.refund_import), and not
// another service's.
func TestServiceAnchorsUnderItsSchema(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		service, anchor string
	}{
		{"ledger", "o2c.anchors.ledger"},
		{"refund-import", "o2c.anchors.refund_import"},
	} {
		p := natsembed.ServicePermissions(natsembed.Service{Name: tc.service}, false)
		allowed := strings.Join(p.Publish.Allow, " ")
		if !strings.Contains(" "+allowed+" ", " "+tc.anchor+" ") || !strings.Contains(allowed, "DIRECT.GET.O2C_ANCHORS."+tc.anchor) {
			t.Errorf("%s may not publish or read back its anchors on %s: %v", tc.service, tc.anchor, p.Publish.Allow)
		}
		if strings.Contains(allowed, "o2c.anchors.matching") {
			t.Errorf("%s may publish matching's anchors: %v", tc.service, p.Publish.Allow)
		}
	}
}
