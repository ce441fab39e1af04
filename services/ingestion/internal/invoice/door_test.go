package invoice

import (
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/money"
)

// wantInvalid fails tb unless err is a *ValidationError with a problem
// containing each of want.
func wantInvalid(tb testing.TB, err error, want ...string) {
	tb.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		tb.Fatalf("Validate = %v, want *ValidationError", err)
	}
	for _, w := range want {
		found := false
		for _, p := range ve.Problems {
			found = found || strings.Contains(p, w)
		}
		if !found {
			tb.Errorf("no problem mentions %q; problems: %q", w, ve.Problems)
		}
	}
}

// zeroRated returns an invoice of tax-free lines with the given net amounts
// and the given totals (net, gross; VAT 0).
func zeroRated(nets []int64, totalNet, gross int64) *shopv1.InvoiceIssued {
	inv := mixedRates()
	inv.Lines = nil
	for _, n := range nets {
		inv.Lines = append(inv.Lines, &shopv1.InvoiceLine{Description: "x", Quantity: "1", NetAmount: eur(n), VatRateBp: 0})
	}
	inv.Totals = &shopv1.InvoiceTotals{
		Net:   eur(totalNet),
		Vat:   []*shopv1.VatTotal{{RateBp: 0, Net: eur(totalNet), Vat: eur(0)}},
		Gross: eur(gross),
	}
	return inv
}

// TestValidateRejectsOverflow covers amounts whose sums or products wrap
// around in int64: each was once accepted because the wrapped total matched
// what the sender claimed.
func TestValidateRejectsOverflow(t *testing.T) {
	t.Parallel()
	const maxI = math.MaxInt64
	manyMax := make([]int64, 9224) // 9224 · 10^15 > MaxInt64
	for i := range manyMax {
		manyMax[i] = money.MaxAbs
	}
	for _, tc := range []struct {
		name string
		inv  *shopv1.InvoiceIssued
		want []string
	}{
		// MaxInt64 + MaxInt64 + 3 wraps to 1: net 1, gross 1 matched.
		{"lines that wrap to 0.01", zeroRated([]int64{maxI, maxI, 3}, 1, 1), []string{
			"lines[0].net_amount.minor_units: 9223372036854775807 minor units (92233720368547758.07 EUR) are beyond",
			"lines[1].net_amount.minor_units",
		}},
		// 5·10^16 · 1900 wraps; the totals below are what the wrapped
		// arithmetic computed, so only the bound catches the line.
		{"net times rate wraps", func() *shopv1.InvoiceIssued {
			inv := mixedRates()
			net := int64(50_000_000_000_000_000)
			wrapped := net * 1900 / 10000
			inv.Lines = []*shopv1.InvoiceLine{{Description: "x", NetAmount: eur(net), VatRateBp: 1900}}
			inv.Totals = &shopv1.InvoiceTotals{
				Net: eur(net), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(net), Vat: eur(wrapped)}}, Gross: eur(net + wrapped),
			}
			return inv
		}(), []string{"lines[0].net_amount.minor_units: 50000000000000000 minor units (500000000000000.00 EUR) are beyond", "totals.net.minor_units"}},
		{"a line of 2·10^15", zeroRated([]int64{2 * money.MaxAbs}, 2*money.MaxAbs, 2*money.MaxAbs), []string{
			"lines[0].net_amount.minor_units: 2000000000000000 minor units (20000000000000.00 EUR) are beyond the 10000000000000.00 EUR", "totals.gross.minor_units",
		}},
		{"a negative line beyond the bound", zeroRated([]int64{-money.MaxAbs - 1, money.MaxAbs}, 1, 1), []string{
			"lines[0].net_amount.minor_units: -1000000000000001 minor units (-10000000000000.01 EUR) are beyond",
		}},
		// Every line is within the bound, but there are enough of them to
		// wrap the sum.
		{"a sum of bounded lines that wraps", zeroRated(manyMax, money.MaxAbs, money.MaxAbs), []string{
			"lines: the sum of net_amount overflows int64",
			"lines: the sum of net_amount at rate 0 overflows int64",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantInvalid(t, Validate(tc.inv, "acme"), tc.want...)
		})
	}
}

func TestValidateAcceptsTheBound(t *testing.T) {
	t.Parallel()
	if err := Validate(zeroRated([]int64{money.MaxAbs}, money.MaxAbs, money.MaxAbs), "acme"); err != nil {
		t.Fatalf("Validate(one line of MaxAbs) = %v", err)
	}
}

// TestValidateRejectsWhatCannotBeStored: strings PostgreSQL cannot hold and
// enum numbers the schema does not define never reach an event.
func TestValidateRejectsWhatCannotBeStored(t *testing.T) {
	t.Parallel()
	fromJSON := func(doc string) *shopv1.InvoiceIssued {
		inv := &shopv1.InvoiceIssued{}
		if err := protojson.Unmarshal([]byte(doc), inv); err != nil {
			t.Fatalf("decode %s: %v", doc, err)
		}
		return inv
	}
	valid, err := protojson.Marshal(mixedRates())
	if err != nil {
		t.Fatal(err)
	}
	// withJSON replaces a JSON member of the valid invoice, as a shop would
	// send it.
	withJSON := func(old, new string) *shopv1.InvoiceIssued {
		doc := strings.Replace(string(valid), old, new, 1)
		if doc == string(valid) {
			t.Fatalf("%q not in %s", old, valid)
		}
		return fromJSON(doc)
	}
	for _, tc := range []struct {
		name string
		inv  *shopv1.InvoiceIssued
		want string
	}{
		{"NUL in order_id from JSON", withJSON(`"orderId":"WEB-1"`, `"orderId":"ORD\u0000X"`), "order_id: contains a NUL byte at offset 3"},
		{"NUL in debtor.name", func() *shopv1.InvoiceIssued {
			inv := mixedRates()
			inv.Debtor.Name = "Eri\x00ka"
			return inv
		}(), "debtor.name: contains a NUL byte at offset 3"},
		// Neither protobuf nor JSON decoding lets invalid UTF-8 into a
		// string field; a Go caller can.
		{"invalid UTF-8 in debtor.name", func() *shopv1.InvoiceIssued {
			inv := mixedRates()
			inv.Debtor.Name = "M\xfcller"
			return inv
		}(), "debtor.name: is not valid UTF-8 (byte 0xfc at offset 1)"},
		{"8,000-character customer_id", func() *shopv1.InvoiceIssued {
			inv := mixedRates()
			inv.Debtor.CustomerId = strings.Repeat("C", 8000)
			return inv
		}(), "debtor.customer_id: is 8000 bytes long, more than the 1000 allowed"},
		{"unknown debtor kind from JSON", withJSON(`"kind":"DEBTOR_KIND_CONSUMER"`, `"kind":99`), "debtor.kind: 99 is not a value of o2c.shop.v1.DebtorKind"},
		{"NUL in a billing address line", func() *shopv1.InvoiceIssued {
			inv := mixedRates()
			inv.Debtor.BillingAddress = &shopv1.Address{Lines: []string{"Hauptstr. 1", "\x00"}}
			return inv
		}(), "debtor.billing_address.lines[1]: contains a NUL byte at offset 0"},
		{"issued_at beyond year 9999", func() *shopv1.InvoiceIssued {
			inv := mixedRates()
			inv.IssuedAt = &timestamppb.Timestamp{Seconds: 1 << 40}
			return inv
		}(), "issued_at: 1099511627776 seconds is outside the years 1 to 9999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Validate(tc.inv, "acme")
			wantInvalid(t, err, tc.want)
			if strings.ContainsRune(err.Error(), 0) {
				t.Errorf("the error text holds a NUL byte itself: %q", err)
			}
		})
	}
}

// TestValidateRejectsReservedCustomerID: a shop cannot name its customer
// like the ledger's marketplace debtor, or book onto Amazon's account.
func TestValidateRejectsReservedCustomerID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{
		"marketplace:amazon.de:EUR",
		"MARKETPLACE:amazon.de:EUR",
		" marketplace:amazon.de:EUR",
		"\u200bmarketplace:amazon.de:EUR",
	} {
		for _, kind := range []shopv1.ChannelKind{shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP, shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE} {
			inv := mixedRates()
			inv.Debtor.CustomerId = id
			inv.Channel = &shopv1.SalesChannel{Kind: kind, Marketplace: "amazon.de"}
			wantInvalid(t, Validate(inv, "acme"), "debtor.customer_id: "+`"`)
			if err := Validate(inv, "acme"); !strings.Contains(err.Error(), "is reserved") {
				t.Errorf("customer id %q, %v: error %q does not say it is reserved", id, kind, err)
			}
		}
	}
	for _, id := range []string{"C-1", "shopify:12345", "my-marketplace:1"} {
		inv := mixedRates()
		inv.Debtor.CustomerId = id
		if err := Validate(inv, "acme"); err != nil {
			t.Errorf("customer id %q: %v", id, err)
		}
	}
}

// TestUnknownFieldsAreNotContent: the same invoice sent as protobuf by a
// shop on a newer schema (unknown fields at the top and in the debtor and
// channel) and as JSON normalizes to byte-identical events, so the second
// is a duplicate, not a conflict.
func TestUnknownFieldsAreNotContent(t *testing.T) {
	t.Parallel()
	unknown := protowire.AppendTag(nil, 99, protowire.VarintType)
	unknown = protowire.AppendVarint(unknown, 7)

	inv := mixedRates()
	debtor, err := proto.Marshal(inv.GetDebtor())
	if err != nil {
		t.Fatal(err)
	}
	channel, err := proto.Marshal(inv.GetChannel())
	if err != nil {
		t.Fatal(err)
	}
	inv.Debtor, inv.Channel = nil, nil
	bin, err := proto.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	bin = append(bin, unknown...)
	bin = protowire.AppendTag(bin, 5, protowire.BytesType) // debtor
	bin = protowire.AppendBytes(bin, append(debtor, unknown...))
	bin = protowire.AppendTag(bin, 4, protowire.BytesType) // channel
	bin = protowire.AppendBytes(bin, append(channel, unknown...))

	fromBin := &shopv1.InvoiceIssued{}
	if err := proto.Unmarshal(bin, fromBin); err != nil {
		t.Fatal(err)
	}
	if len(fromBin.ProtoReflect().GetUnknown()) == 0 || len(fromBin.GetDebtor().ProtoReflect().GetUnknown()) == 0 ||
		len(fromBin.GetChannel().ProtoReflect().GetUnknown()) == 0 {
		t.Fatal("setup: the decoded invoice has no unknown fields")
	}
	js, err := protojson.Marshal(mixedRates())
	if err != nil {
		t.Fatal(err)
	}
	fromJSON := &shopv1.InvoiceIssued{}
	if err := protojson.Unmarshal(js, fromJSON); err != nil {
		t.Fatal(err)
	}

	encode := func(inv *shopv1.InvoiceIssued) []byte {
		t.Helper()
		if err := Validate(inv, "acme"); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		ev, err := Normalize(inv)
		if err != nil {
			t.Fatal(err)
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if b, j := encode(fromBin), encode(fromJSON); string(b) != string(j) {
		t.Errorf("normalized events differ:\nprotobuf %x\n    JSON %x", b, j)
	}
	if len(fromBin.ProtoReflect().GetUnknown()) == 0 {
		t.Error("Normalize dropped the unknown fields of its argument instead of a copy")
	}
}
