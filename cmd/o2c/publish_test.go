package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/natsembed"
)

const sampleInvoice = "../../examples/invoice.json"

// TestSampleInvoiceIsConsistent checks examples/invoice.json the way
// ingestion does its arithmetic: it parses strictly, its totals equal its
// lines (VAT per rate rounded half up on the rate's net) and it belongs to
// the demo tenant, so publishing it to the demo books it.
func TestSampleInvoiceIsConsistent(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(sampleInvoice)
	if err != nil {
		t.Fatal(err)
	}
	inv := &shopv1.InvoiceIssued{}
	if err := protojson.Unmarshal(data, inv); err != nil {
		t.Fatal(err)
	}
	if inv.GetTenant() != "demo" || inv.GetInvoiceNumber() == "" || inv.GetDebtor().GetCustomerId() == "" {
		t.Errorf("tenant %q, number %q, debtor %q: want a demo invoice with number and debtor", inv.GetTenant(), inv.GetInvoiceNumber(), inv.GetDebtor().GetCustomerId())
	}
	byRate := map[int32]int64{}
	var net int64
	for _, l := range inv.GetLines() {
		byRate[l.GetVatRateBp()] += l.GetNetAmount().GetMinorUnits()
		net += l.GetNetAmount().GetMinorUnits()
	}
	gross := net
	for _, v := range inv.GetTotals().GetVat() {
		want := (byRate[v.GetRateBp()]*int64(v.GetRateBp()) + 5000) / 10000
		if v.GetNet().GetMinorUnits() != byRate[v.GetRateBp()] || v.GetVat().GetMinorUnits() != want {
			t.Errorf("VAT total at %d bp: net %d, VAT %d; the lines say net %d, VAT %d", v.GetRateBp(), v.GetNet().GetMinorUnits(), v.GetVat().GetMinorUnits(), byRate[v.GetRateBp()], want)
		}
		gross += v.GetVat().GetMinorUnits()
	}
	if len(inv.GetTotals().GetVat()) != len(byRate) || inv.GetTotals().GetNet().GetMinorUnits() != net || inv.GetTotals().GetGross().GetMinorUnits() != gross {
		t.Errorf("totals %v; the lines say net %d, gross %d over %d rates", inv.GetTotals(), net, gross, len(byRate))
	}
}

func TestPublishSendsTheFileToTheShopStream(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a NATS server")
	}
	srv := natsembed.Test(t)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Before ingestion declared the stream, publish says so.
	code, _, stderr := runCLI(t, "publish", sampleInvoice, "--nats", srv.ClientURL())
	if code != 1 || !strings.Contains(stderr, "is ingestion running? It declares the stream SHOP") {
		t.Errorf("without the SHOP stream: exit %d, stderr %q; want 1 and a hint", code, stderr)
	}

	stream, err := js.CreateOrUpdateStream(ctx, bus.ShopStreamConfig())
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "publish", sampleInvoice, "--nats", srv.ClientURL())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"published invoice RE-2026-2001 of tenant demo on shop.demo.invoice.issued: stream SHOP, sequence 1",
		"o2c open-items --tenant demo --debtor K-1001", "o2c rejected --tenant demo",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	msg, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(sampleInvoice)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "shop.demo.invoice.issued" || string(msg.Data) != string(file) ||
		msg.Header.Get("Content-Type") != "application/json" || !strings.HasPrefix(msg.Header.Get("Nats-Msg-Id"), "demo:RE-2026-2001:") {
		t.Errorf("stored message %s %v %q; want the file as sent on shop.demo.invoice.issued, JSON, with a message id", msg.Subject, msg.Header, msg.Data)
	}

	// The same file again is stored once.
	code, stdout, _ = runCLI(t, "publish", sampleInvoice, "--nats", srv.ClientURL())
	if info, err := stream.Info(ctx); err != nil || info.State.Msgs != 1 || code != 0 || !strings.Contains(stdout, "already published") {
		t.Errorf("second publish: exit %d, %q, stream holds %v (%v); want it stored once", code, stdout, info.State.Msgs, err)
	}
}

func TestPublishRefusesWhatIsNotAnInvoice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "typo.json")
	if err := os.WriteFile(bad, []byte(`{"tenant":"demo","invoiceNumbr":"RE-1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "publish", bad, "--nats", "nats://"+nothingListening(t))
	if code != 1 || !strings.Contains(stderr, "is not an InvoiceIssued in JSON") || !strings.Contains(stderr, "invoiceNumbr") {
		t.Errorf("misspelt field: exit %d, stderr %q; want 1 naming the field", code, stderr)
	}
	addr := nothingListening(t)
	code, _, stderr = runCLI(t, "publish", sampleInvoice, "--nats", "nats://"+addr)
	if code != 1 || !strings.Contains(stderr, "cannot reach NATS at nats://"+addr) || !strings.Contains(stderr, "point --nats at it") {
		t.Errorf("nothing listening: exit %d, stderr %q; want 1 and a hint", code, stderr)
	}
}
