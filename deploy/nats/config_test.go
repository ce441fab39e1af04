package nats

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
)

// configFile is the deployment's configuration, loaded as it is.
const configFile = "nats-server.conf"

// passwords are the test passwords of the configuration's users, by
// password variable; TestMain puts them into the environment, where the
// configuration reads them.
var passwords = map[string]string{}

func TestMain(m *testing.M) {
	data, err := os.ReadFile(configFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, v := range regexp.MustCompile(`\$(O2C_NATS_PASSWORD_[A-Z0-9_]+)`).FindAllStringSubmatch(string(data), -1) {
		passwords[v[1]] = "test-" + strings.ToLower(v[1])
		if err := os.Setenv(v[1], passwords[v[1]]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	pgtest.Main(m)
}

// password returns the test password of user.
func password(tb testing.TB, user string) string {
	tb.Helper()
	pw, ok := passwords[natsembed.PasswordVariable(user)]
	if !ok {
		tb.Fatalf("%s has no user %s (no %s)", configFile, user, natsembed.PasswordVariable(user))
	}
	return pw
}

// start runs an embedded server with the deployment's configuration.
func start(tb testing.TB) *natsembed.Server {
	tb.Helper()
	s, err := natsembed.Start(natsembed.Options{ConfigFile: configFile})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Shutdown)
	return s
}

// connect connects to s as user of the deployment's configuration.
func connect(tb testing.TB, s *natsembed.Server, user string) *nats.Conn {
	tb.Helper()
	return connectWith(tb, s, user, password(tb, user))
}

// connectWith connects to s as user with the user's inbox prefix.
func connectWith(tb testing.TB, s *natsembed.Server, user, password string) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(s.ClientURL(), nats.UserInfo(user, password),
		nats.CustomInboxPrefix(natsembed.InboxPrefix(user)), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		tb.Fatalf("connect as %s: %v", user, err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// jetStream returns a JetStream client of nc.
func jetStream(tb testing.TB, nc *nats.Conn) jetstream.JetStream {
	tb.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js
}

// violation returns the permissions violation the server reported on nc,
// if any, once it has answered everything nc sent before: the server
// reports a violation when it reads the offending message, before it
// answers the flush's ping.
func violation(tb testing.TB, nc *nats.Conn) error {
	tb.Helper()
	if err := nc.Flush(); err != nil {
		tb.Fatalf("flush: %v", err)
	}
	if err := nc.LastError(); errors.Is(err, nats.ErrPermissionViolation) {
		return err
	}
	return nil
}

// declareShopStream declares SHOP as ingestion does, as admin.
func declareShopStream(tb testing.TB, s *natsembed.Server) jetstream.JetStream {
	tb.Helper()
	js := jetStream(tb, connect(tb, s, natsembed.AdminUser))
	if err := bus.EnsureStreams(tb.Context(), js, bus.ShopStreamConfig()); err != nil {
		tb.Fatal(err)
	}
	return js
}

// TestConfigGrantsWhatTheRulesSay loads the deployment's configuration and
// checks that it has a user for every service and for the shop of every
// tenant of deploy/tenants.json, each with exactly the permissions
// natsembed grants it (the services' with declaring, as they run by
// default), and the admin user without restrictions; any other user
// fails the test.
func TestConfigGrantsWhatTheRulesSay(t *testing.T) {
	t.Parallel()
	o, err := server.ProcessConfigFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*server.Permissions{natsembed.AdminUser: nil}
	for _, s := range natsembed.Services() {
		want[s.Name] = natsembed.ServicePermissions(s, true)
	}
	for _, tn := range deployedTenants(t) {
		want[natsembed.ShopUser(tn)] = natsembed.ShopPermissions(tn)
	}
	got := map[string]*server.Permissions{}
	for _, u := range o.Users {
		if u.Account == nil || u.Account.Name != natsembed.Account {
			t.Errorf("user %s is not in account %s", u.Username, natsembed.Account)
		}
		got[u.Username] = u.Permissions
	}
	opts := []cmp.Option{cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b string) bool { return a < b })}
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Errorf("users of %s (-natsembed's rules +file):\n%s", configFile, diff)
	}
}

// deployedTenants returns the tenants of the deployment's tenants file.
func deployedTenants(tb testing.TB) []string {
	tb.Helper()
	data, err := os.ReadFile("../tenants.json")
	if err != nil {
		tb.Fatal(err)
	}
	var f struct {
		Tenants map[string]json.RawMessage `json:"tenants"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		tb.Fatal(err)
	}
	var ids []string
	for id := range f.Tenants {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// TestShopPublishesOnlyForItsTenant publishes as the demo shop: its own
// tenant's invoice is stored and acknowledged, one for tenant acme is
// refused and never reaches the stream.
func TestShopPublishesOnlyForItsTenant(t *testing.T) {
	t.Parallel()
	s := start(t)
	admin := declareShopStream(t, s)
	shop := connect(t, s, natsembed.ShopUser("demo"))
	if _, err := jetStream(t, shop).Publish(t.Context(), "shop.demo.invoice.issued", []byte("own")); err != nil {
		t.Fatalf("the demo shop's own invoice: %v", err)
	}
	if err := shop.Publish("shop.acme.invoice.issued", []byte("forged")); err != nil {
		t.Fatal(err)
	}
	if err := violation(t, shop); err == nil || !strings.Contains(err.Error(), `"shop.acme.invoice.issued"`) {
		t.Errorf("publish for acme: error %v, want a permissions violation naming the subject", err)
	}
	str, err := admin.Stream(t.Context(), bus.ShopStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := str.Info(t.Context(), jetstream.WithSubjectFilter(">"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]uint64{"shop.demo.invoice.issued": 1}, info.State.Subjects); diff != "" {
		t.Errorf("SHOP holds (-want +got):\n%s", diff)
	}
}

// TestUsersKeepToTheirSubjects tries what each user must not do, and a
// little of what it must: a shop reads no stream (no direct get, message
// get, consumer or stream info), subscribes to nothing but its inbox (not
// another's, not the inboxes of all, where the services' pulled messages
// arrive) and publishes nothing but its own tenant's messages; ingestion
// cannot send commands as matching, nor touch another service's stream or
// consumers.
func TestUsersKeepToTheirSubjects(t *testing.T) {
	t.Parallel()
	s := start(t)
	declareShopStream(t, s)
	shop := natsembed.ShopUser("demo")
	tests := []struct {
		user    string
		sub     bool // subscribe rather than publish
		subject string
		allowed bool
	}{
		{shop, false, "shop.demo.invoice.issued", true},
		{shop, true, "_INBOX.shop-demo.x", true},
		{shop, false, "shop.acme.invoice.issued", false},
		{shop, false, "$JS.API.DIRECT.GET.SHOP.shop.acme.invoice.issued", false},
		{shop, false, "$JS.API.DIRECT.GET.SHOP", false},
		{shop, false, "$JS.API.STREAM.MSG.GET.SHOP", false},
		{shop, false, "$JS.API.STREAM.INFO.SHOP", false},
		{shop, false, "$JS.API.CONSUMER.CREATE.SHOP.spy", false},
		{shop, false, "$JS.API.CONSUMER.CREATE.SHOP.spy.shop.acme.>", false},
		{shop, false, "$JS.API.CONSUMER.DURABLE.CREATE.SHOP.spy", false},
		{shop, false, "$JS.API.CONSUMER.MSG.NEXT.SHOP.ingestion-invoices", false},
		{shop, false, "$JS.ACK.SHOP.ingestion-invoices.1.1.1.1.1", false},
		{shop, false, "o2c.demo.ingestion.invoice.ingested", false},
		{shop, false, "o2c.demo.matching.ledger.register-invoice", false},
		{shop, true, "shop.>", false},
		{shop, true, "shop.acme.invoice.issued", false},
		{shop, true, "o2c.>", false},
		{shop, true, "_INBOX.>", false},
		{shop, true, "_INBOX.ledger.>", false},
		{shop, true, "_INBOX.shop-acme.>", false},
		{"ingestion", false, "o2c.demo.ingestion.invoice.ingested", true},
		{"ingestion", false, "o2c.demo.matching.ledger.register-invoice", false},
		{"ingestion", false, "o2c.demo.ingestion.ledger.register-invoice", true},
		{"ingestion", false, "o2c.demo.ledger.journal-entry.posted", false},
		{"ingestion", false, "o2c.anchors.ledger", false},
		{"ingestion", false, "shop.demo.invoice.issued", false},
		{"ingestion", false, "$JS.API.STREAM.UPDATE.O2C_MATCHING", false},
		{"ingestion", false, "$JS.API.STREAM.DELETE.SHOP", false},
		{"ingestion", false, "$JS.API.STREAM.PURGE.O2C_INGESTION", false},
		{"ingestion", false, "$JS.API.CONSUMER.CREATE.O2C_INGESTION.spy", false},
		{"ingestion", false, "$JS.API.CONSUMER.MSG.NEXT.O2C_INGESTION.ledger-invoices", false},
		{"ingestion", true, "_INBOX.>", false},
		{"ingestion", true, "o2c.>", false},
		{"matching", false, "o2c.demo.matching.ledger.apply-payment", true},
		{"matching", false, "o2c.demo.ingestion.invoice.ingested", false},
		{"ledger", false, "$JS.API.CONSUMER.MSG.NEXT.O2C_MATCHING.ledger-commands-matching", true},
		{"ledger", false, "o2c.demo.matching.ledger.apply-payment", false},
		// The ledger's consumer of invoices, credit notes and cancellations
		// has several filters, so it is created without a filter subject.
		{"ledger", false, "$JS.API.CONSUMER.CREATE.O2C_INGESTION.ledger-invoices", true},
		{"ledger", false, "$JS.API.CONSUMER.MSG.NEXT.O2C_INGESTION.ledger-invoices", true},
	}
	for _, tt := range tests {
		verb, verdict := "publish", "refused"
		if tt.sub {
			verb = "subscribe"
		}
		if tt.allowed {
			verdict = "allowed"
		}
		t.Run(fmt.Sprintf("%s %s %s %s", tt.user, verb, tt.subject, verdict), func(t *testing.T) {
			t.Parallel()
			nc := connect(t, s, tt.user)
			if tt.sub {
				if _, err := nc.SubscribeSync(tt.subject); err != nil {
					t.Fatal(err)
				}
			} else if err := nc.PublishRequest(tt.subject, nc.NewInbox(), []byte("{}")); err != nil {
				t.Fatal(err)
			}
			err := violation(t, nc)
			switch {
			case tt.allowed && err != nil:
				t.Errorf("refused: %v", err)
			case !tt.allowed && (err == nil || !strings.Contains(err.Error(), `"`+tt.subject+`"`)):
				t.Errorf("error %v, want a permissions violation naming %s", err, tt.subject)
			}
		})
	}
}

// TestShopNeedsItsInboxPrefix checks that a shop that keeps nats.go's
// default inbox gets no acknowledgement: it may not subscribe to
// _INBOX.<anything>, so it cannot read other users' replies either.
func TestShopNeedsItsInboxPrefix(t *testing.T) {
	t.Parallel()
	s := start(t)
	user := natsembed.ShopUser("demo")
	nc, err := nats.Connect(s.ClientURL(), nats.UserInfo(user, password(t, user)), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	inbox := nc.NewInbox()
	if _, err := nc.SubscribeSync(inbox); err != nil {
		t.Fatal(err)
	}
	if err := violation(t, nc); err == nil || !strings.Contains(err.Error(), inbox) {
		t.Errorf("subscribe to %s: error %v, want a permissions violation", inbox, err)
	}
}

// TestUnknownUserIsRefused checks that nobody connects without a user of
// the configuration or with a wrong password.
func TestUnknownUserIsRefused(t *testing.T) {
	t.Parallel()
	s := start(t)
	for _, opt := range []nats.Option{nil, nats.UserInfo("ledger", "wrong"), nats.UserInfo("shop-acme", "test")} {
		opts := []nats.Option{nats.MaxReconnects(0)}
		if opt != nil {
			opts = append(opts, opt)
		}
		nc, err := nats.Connect(s.ClientURL(), opts...)
		if err == nil {
			nc.Close()
			t.Errorf("connected")
			continue
		}
		if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
			t.Errorf("error %v, want an authorization violation", err)
		}
	}
}
