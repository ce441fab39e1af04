package nats

import (
	"strings"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/natsembed"
)

// TestShopReceivesOnlyItsTenantsStatus publishes status facts as the
// ledger for the demo tenant and for acme: the demo shop, subscribed to
// its own feed, receives the demo fact and only it, and a subscription to
// acme's feed or to every tenant's is refused.
func TestShopReceivesOnlyItsTenantsStatus(t *testing.T) {
	t.Parallel()
	s := start(t)
	shop := connect(t, s, natsembed.ShopUser("demo"))
	own, err := shop.SubscribeSync("o2c.demo.status.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := violation(t, shop); err != nil {
		t.Fatalf("subscribe to its own feed: %v", err)
	}
	ledger := connect(t, s, "ledger")
	const fact = "o2c.status.v1.InvoiceStatusChanged"
	for _, tn := range []string{"acme", "demo"} {
		if err := ledger.Publish(bus.StatusSubject(tn, fact), []byte(tn)); err != nil {
			t.Fatal(err)
		}
	}
	if err := violation(t, ledger); err != nil {
		t.Fatalf("the ledger publishing status: %v", err)
	}
	msg, err := own.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("the demo shop's status: %v", err)
	}
	if msg.Subject != "o2c.demo.status.invoice-status.changed" || string(msg.Data) != "demo" {
		t.Errorf("received %s %q, want the demo fact on o2c.demo.status.invoice-status.changed", msg.Subject, msg.Data)
	}
	// The demo fact was published after acme's on the same connection, so
	// acme's would have arrived first had it been delivered.
	if n, _, _ := own.Pending(); n != 0 {
		t.Errorf("%d more messages pending, want none", n)
	}
	for _, subj := range []string{"o2c.acme.status.>", "o2c.*.status.>"} {
		other := connect(t, s, natsembed.ShopUser("demo"))
		if _, err := other.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
		if err := violation(t, other); err == nil || !strings.Contains(err.Error(), `"`+subj+`"`) {
			t.Errorf("subscribe to %s: error %v, want a permissions violation naming it", subj, err)
		}
	}
}
