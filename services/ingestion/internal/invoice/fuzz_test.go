package invoice

import (
	"os"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/storable"
)

// FuzzValidate decodes any bytes as a shop's InvoiceIssued, as protobuf
// or JSON the way ingestion's consumer and SubmitShopEvents receive them,
// and validates it for tenant acme. Nothing may panic; an invoice Validate
// accepts must be storable, normalize, and carry a gross that is the net
// plus its VAT within money's bounds, in an event that is itself storable:
// what passes the door can be booked.
func FuzzValidate(f *testing.F) {
	seed, err := protojson.Marshal(mixedRates())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, true)
	if b, err := proto.Marshal(mixedRates()); err == nil {
		f.Add(b, false)
	}
	if b, err := os.ReadFile("../../../../examples/invoice.json"); err == nil {
		f.Add(b, true)
	}
	f.Add([]byte(`{"tenant":"acme","invoiceNumber":"X\u0000"}`), true)
	f.Add([]byte(`{"lines":[{"netAmount":{"minorUnits":"9223372036854775807","currency":"EUR"}}]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool) {
		inv := &shopv1.InvoiceIssued{}
		if asJSON {
			if protojson.Unmarshal(data, inv) != nil {
				return
			}
		} else if proto.Unmarshal(data, inv) != nil {
			return
		}
		if Validate(inv, "acme") != nil {
			return
		}
		if err := storable.Check(inv); err != nil {
			t.Fatalf("Validate accepted an invoice that cannot be stored: %v", err)
		}
		ev, err := Normalize(inv)
		if err != nil {
			t.Fatalf("Validate accepted an invoice Normalize refuses: %v", err)
		}
		if err := storable.Check(ev); err != nil {
			t.Fatalf("the event of an accepted invoice cannot be stored: %v", err)
		}
		var vat int64
		for _, v := range ev.GetVat() {
			if vat, err = money.Add(vat, v.GetVat().GetMinorUnits()); err != nil {
				t.Fatalf("VAT totals overflow: %v", ev.GetVat())
			}
		}
		net := inv.GetTotals().GetNet().GetMinorUnits()
		gross := ev.GetGross().GetMinorUnits()
		if !money.InBounds(gross) || !money.InBounds(net) || gross != net+vat {
			t.Fatalf("accepted invoice: net %d + VAT %d != gross %d, or beyond money's bounds", net, vat, gross)
		}
	})
}
