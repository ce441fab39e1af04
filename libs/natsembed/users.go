package natsembed

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/o2c-platform/o2c/libs/eventstore/anchors"
	"github.com/o2c-platform/o2c/libs/subject"
)

// Account is the NATS account every o2c user belongs to. Streams live in
// an account, so shops and services share one and are kept apart by
// their users' permissions.
const Account = "O2C"

// AdminUser is the user without restrictions: the platform team's, for
// declaring streams and consumers and for `o2c verify --anchors-nats`.
const AdminUser = "admin"

// ShopUser returns the user of the shop of tenant: "shop-<tenant>". It may
// publish on shop.<tenant>.> and nothing else (ShopPermissions).
func ShopUser(tenant string) string { return "shop-" + tenant }

// InboxPrefix returns the inbox prefix user connects with
// (nats.CustomInboxPrefix): each user receives replies, JetStream's
// acknowledgements and pulled messages among them, only on
// _INBOX.<user>.>, so that no user can read the replies of another. A
// client that keeps nats.go's default prefix (_INBOX) gets no replies.
func InboxPrefix(user string) string { return "_INBOX." + user }

// Service is a service's NATS identity. Its user is named as the service;
// it publishes its events and commands on o2c.*.<Name>.> and its anchors
// on o2c.anchors.<Name>, and reads the streams in Reads through durable
// pull consumers. Declares are the streams it declares at start besides
// its own and the anchors stream, when it manages streams.
type Service struct {
	Name     string
	Reads    []string
	Declares []string
	// Status says that the service owns facts of the shops' status feed:
	// it also publishes on o2c.*.status.> (stream O2C_STATUS, which it
	// declares when it manages streams).
	Status bool
}

// statusStream is the stream of the status feed (bus.StatusStream).
var statusStream = subject.ServiceStream("status")

// Services returns o2c's services with the streams each one reads and
// declares: ingestion reads and declares the shops' stream (and announces
// the console's credit notes on the status feed); the ledger
// reads ingestion's stream (invoices, credit notes and cancellations,
// through one consumer with several filters) and the commands of every service that sends
// it some (the ledger's consumer.CommandSources), whose streams it
// declares so that it can start before them; matching reads ingestion's
// stream (bank transactions, invoices' terms, customers, settlement
// reports), the ledger's (open items), refund import's (its decisions
// about marketplace refunds, so that a refund is not credited twice) and
// dunning's (blocks and disputes, which no SEPA run collects), and
// waits for them to be declared; refund-import reads the ledger's stream (open items: the
// orders refunds credit, and the credit notes, the shops' among them,
// that cleared them) and waits for it too; dunning reads
// ingestion's stream (invoices' §286 notice and delivery date, customers'
// kind, group and language) and the ledger's (open items, their
// settlements and reopenings) and waits for them too; collections reads
// dunning's stream (final-level releases, ReleasedToCollections, and
// blocks), the ledger's (open items: payments that reach the merchant
// directly during collection) and ingestion's (customers' kind, group and
// country, for the agency rules) and waits for them too.
func Services() []Service {
	var commands []string
	for _, s := range []string{"matching", "dunning", "collections", "refund-import"} {
		commands = append(commands, subject.ServiceStream(s))
	}
	return []Service{
		{Name: "ingestion", Reads: []string{subject.ShopStream}, Declares: []string{subject.ShopStream}, Status: true},
		{Name: "ledger", Reads: append([]string{subject.ServiceStream("ingestion")}, commands...), Declares: commands, Status: true},
		{Name: "matching", Reads: []string{subject.ServiceStream("ingestion"), subject.ServiceStream("ledger"), subject.ServiceStream("refund-import"),
			subject.ServiceStream("dunning")}},
		{Name: "dunning", Reads: []string{subject.ServiceStream("ingestion"), subject.ServiceStream("ledger")}},
		{Name: "collections", Reads: []string{subject.ServiceStream("dunning"), subject.ServiceStream("ledger"), subject.ServiceStream("ingestion")}},
		{Name: "refund-import", Reads: []string{subject.ServiceStream("ledger")}},
	}
}

// ShopPermissions are the permissions of the shop of tenant: publish on
// shop.<tenant>.>, receive the acknowledgements on its own inbox, and
// subscribe (core NATS) to its own tenant's status feed,
// o2c.<tenant>.status.>, for live updates. The JetStream API ($JS.> covers
// $JS.API.>) is denied outright: with it a shop could read every tenant's
// messages (a direct get on SHOP or O2C_STATUS) or make a consumer of
// them. What a shop missed while it was not subscribed it asks the
// ledger's StatusService for.
func ShopPermissions(tenant string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{"shop." + tenant + ".>"}, Deny: []string{"$JS.>"}},
		Subscribe: &server.SubjectPermission{Allow: []string{
			InboxPrefix(ShopUser(tenant)) + ".>", subject.Service(tenant, "status", ">"),
		}},
	}
}

// ServicePermissions are the permissions of service s: publish on its own
// subjects (so a command's subject names its sender: no other user may
// publish on o2c.*.<s.Name>.>), append to its anchors, read the streams
// it reads through its durable consumers, and receive replies on its own
// inbox. With manage it may also declare (create and update) its own
// stream, the anchors stream and s.Declares, and create consumers on the
// streams it reads, as a service with NATS_MANAGE_STREAMS=true does at
// start. Declaring is more than it needs to run: a stream's
// subject transform or republish and a consumer's deliver subject can
// place messages on another service's subjects (see deploy/nats/README.md).
func ServicePermissions(s Service, manage bool) *server.Permissions {
	const api = "$JS.API."
	own := subject.ServiceStream(s.Name)
	// The anchorer names its anchors by the event store's schema
	// (host.Schema: refund-import's is refund_import).
	anchor := anchors.Subject(strings.ReplaceAll(s.Name, "-", "_"))
	pub := []string{
		"o2c.*." + s.Name + ".>",
		anchor,
		api + "STREAM.INFO." + own,
		api + "STREAM.INFO." + anchors.StreamName,
		// The anchorer reads the last anchor of its own subject.
		api + "STREAM.MSG.GET." + anchors.StreamName,
		api + "DIRECT.GET." + anchors.StreamName + "." + anchor,
	}
	declares := append([]string{own, anchors.StreamName}, s.Declares...)
	if s.Status {
		pub = append(pub, "o2c.*.status.>", api+"STREAM.INFO."+statusStream)
		declares = append(declares, statusStream)
	}
	for _, r := range s.Reads {
		pub = append(pub, api+"STREAM.INFO."+r, api+"CONSUMER.INFO."+r+".*", api+"CONSUMER.MSG.NEXT."+r+".*", "$JS.ACK."+r+".>")
	}
	if manage {
		for _, st := range declares {
			pub = append(pub, api+"STREAM.CREATE."+st, api+"STREAM.UPDATE."+st)
		}
		for _, r := range s.Reads {
			pub = append(pub, api+"CONSUMER.CREATE."+r+".>", api+"CONSUMER.DURABLE.CREATE."+r+".*")
		}
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: []string{InboxPrefix(s.Name) + ".>"}},
	}
}

// Users says who may connect to a server configured by WriteConfig.
type Users struct {
	// Shops are the tenants whose shop gets a user (ShopUser).
	Shops []string
	// Services get a user each, named as the service.
	Services []Service
	// ManageStreams lets services declare their streams and consumers
	// (host.Config.ManageStreams); without it AdminUser must declare them
	// before the services start.
	ManageStreams bool
	// Admin adds AdminUser.
	Admin bool
}

// Passwords are the passwords of the users of a configuration WriteConfig
// wrote, by user.
type Passwords map[string]string

// WriteConfig writes a nats-server configuration to path (mode 0600): the
// account Account with JetStream and the users u names, each with a fresh
// random password and the permissions of ShopPermissions,
// ServicePermissions or none (AdminUser). The file holds the passwords in
// plain text; it is meant for a server Start runs (Options.ConfigFile) and
// removed with it. WriteConfig returns the passwords.
func WriteConfig(path string, u Users) (Passwords, error) {
	type perm struct {
		Allow []string `json:"allow,omitempty"`
		Deny  []string `json:"deny,omitempty"`
	}
	type perms struct {
		Publish   perm `json:"publish"`
		Subscribe perm `json:"subscribe"`
	}
	type user struct {
		User        string `json:"user"`
		Password    string `json:"password"`
		Permissions *perms `json:"permissions,omitempty"`
	}
	pw := Passwords{}
	var users []user
	add := func(name string, p *server.Permissions) error {
		if _, dup := pw[name]; dup {
			return fmt.Errorf("natsembed: user %s twice", name)
		}
		secret := make([]byte, 24)
		if _, err := rand.Read(secret); err != nil {
			return fmt.Errorf("natsembed: password for %s: %w", name, err)
		}
		pw[name] = hex.EncodeToString(secret)
		usr := user{User: name, Password: pw[name]}
		if p != nil {
			usr.Permissions = &perms{
				Publish:   perm{Allow: p.Publish.Allow, Deny: p.Publish.Deny},
				Subscribe: perm{Allow: p.Subscribe.Allow, Deny: p.Subscribe.Deny},
			}
		}
		users = append(users, usr)
		return nil
	}
	if u.Admin {
		if err := add(AdminUser, nil); err != nil {
			return nil, err
		}
	}
	for _, s := range u.Services {
		if err := add(s.Name, ServicePermissions(s, u.ManageStreams)); err != nil {
			return nil, err
		}
	}
	for _, t := range u.Shops {
		if err := add(ShopUser(t), ShopPermissions(t)); err != nil {
			return nil, err
		}
	}
	// nats-server reads JSON as configuration, but not the \u escapes
	// encoding/json writes for '>' unless told not to.
	cfg := map[string]any{"accounts": map[string]any{Account: map[string]any{"jetstream": "enabled", "users": users}}}
	var data bytes.Buffer
	enc := json.NewEncoder(&data)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cfg); err != nil {
		return nil, fmt.Errorf("natsembed: encode configuration: %w", err)
	}
	if err := os.WriteFile(path, data.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("natsembed: write configuration: %w", err)
	}
	return pw, nil
}

// TestWith starts a server for t whose configuration WriteConfig wrote
// for u into t's temporary directory, and shuts it down at t's cleanup. It
// returns the server and the users' passwords.
func TestWith(t testing.TB, u Users) (*Server, Passwords) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nats-server.conf")
	pw, err := WriteConfig(path, u)
	if err != nil {
		t.Fatalf("write NATS configuration: %v", err)
	}
	s, err := Start(Options{ConfigFile: path})
	if err != nil {
		t.Fatalf("start embedded NATS: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s, pw
}

// PasswordVariable returns the configuration variable (an environment
// variable) deploy/nats/nats-server.conf reads user's password from:
// O2C_NATS_PASSWORD_<USER> in upper case with '-' as '_', e.g.
// O2C_NATS_PASSWORD_SHOP_DEMO.
func PasswordVariable(user string) string {
	return "O2C_NATS_PASSWORD_" + strings.ToUpper(strings.ReplaceAll(user, "-", "_"))
}
