package refund

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/creditnote"
)

// page is a listFinancialEvents page with a refund of one item (59.50
// principal and tax, 1.00 shipping, 8.18 commission given back), a
// chargeback, a shipment that is no refund, and a refund taken back.
const page = `{"payload":{"NextToken":"n2","FinancialEvents":{
 "ShipmentEventList":[{"AmazonOrderId":"O-9","PostedDate":"2026-03-01T10:00:00Z","ShipmentItemList":[{"SellerSKU":"S9",
   "ItemChargeList":[{"ChargeType":"Principal","ChargeAmount":{"CurrencyCode":"EUR","CurrencyAmount":10.0}}]}]}],
 "RefundEventList":[{"AmazonOrderId":"O-1","PostedDate":"2026-03-02T23:30:00Z","MarketplaceName":"Amazon.de",
   "ShipmentItemAdjustmentList":[{"SellerSKU":"SKU-1","OrderAdjustmentItemId":"ADJ-1",
     "ItemChargeAdjustmentList":[
       {"ChargeType":"Principal","ChargeAmount":{"CurrencyCode":"EUR","CurrencyAmount":-50.00}},
       {"ChargeType":"Tax","ChargeAmount":{"CurrencyCode":"EUR","CurrencyAmount":-9.50}},
       {"ChargeType":"ShippingCharge","ChargeAmount":{"CurrencyCode":"EUR","CurrencyAmount":-1.00}}],
     "ItemFeeAdjustmentList":[{"FeeType":"Commission","FeeAmount":{"CurrencyCode":"EUR","CurrencyAmount":8.18}}]}]},
  {"AmazonOrderId":"O-1","PostedDate":"2026-03-09T08:00:00Z",
   "ShipmentItemAdjustmentList":[{"SellerSKU":"SKU-1","OrderAdjustmentItemId":"ADJ-R",
     "ItemChargeAdjustmentList":[{"ChargeType":"Principal","ChargeAmount":{"CurrencyCode":"EUR","CurrencyAmount":60.50}}]}]}],
 "ChargebackEventList":[{"AmazonOrderId":"O-2","PostedDate":"2026-03-03T00:00:00Z",
   "ShipmentItemAdjustmentList":[{"SellerSKU":"SKU-2","OrderAdjustmentItemId":"ADJ-2",
     "ItemChargeAdjustmentList":[{"ChargeType":"Principal","ChargeAmount":{"CurrencyCode":"EUR","CurrencyAmount":-20.00}}]}]}]
}}}`

func TestFromEvents(t *testing.T) {
	t.Parallel()
	got, err := FromEvents([]byte(page), "eu")
	if err != nil {
		t.Fatal(err)
	}
	want := []Refund{
		{AdjustmentID: "ADJ-1", OrderID: "O-1", SKU: "SKU-1", Kind: KindRefund, Source: SourceAPI, Currency: "EUR", Amount: 6050,
			Posted: time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC), SellerAccount: "eu", Marketplace: "Amazon.de"},
		{AdjustmentID: "ADJ-R", OrderID: "O-1", SKU: "SKU-1", Kind: KindReversal, Source: SourceAPI, Currency: "EUR", Amount: 6050,
			Posted: time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC), SellerAccount: "eu"},
		{AdjustmentID: "ADJ-2", OrderID: "O-2", SKU: "SKU-2", Kind: KindChargeback, Source: SourceAPI, Currency: "EUR", Amount: 2000,
			Posted: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), SellerAccount: "eu"},
	}
	if diff := cmp.Diff(want, got.Refunds, cmpopts.IgnoreFields(Refund{}, "Charges")); diff != "" {
		t.Errorf("refunds (-want +got):\n%s", diff)
	}
	if got.Events != 4 || got.NextToken != "n2" {
		t.Errorf("events %d, next token %q; want 4 and n2", got.Events, got.NextToken)
	}
	fees := 0
	for _, c := range got.Refunds[0].Charges {
		if c.AmountType == creditnote.ItemFees {
			fees++
			if c.Type != "Commission" || c.Minor != 818 {
				t.Errorf("fee %+v, want the commission of 8.18", c)
			}
		}
	}
	if fees != 1 {
		t.Errorf("%d fees among %+v, want the commission", fees, got.Refunds[0].Charges)
	}
}

func TestFromEventsRefusesGarbage(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{`, `{"payload":{"FinancialEvents":{"RefundEventList":{}}}}`} {
		if _, err := FromEvents([]byte(body), "eu"); !errors.Is(err, ErrInvalidPage) {
			t.Errorf("FromEvents(%s): %v, want ErrInvalidPage", body, err)
		}
	}
}

const flatV2 = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id\n" +
	"S-1\t2026-03-01 00:00:00 UTC\t2026-03-15 00:00:00 UTC\t2026-03-17 00:00:00 UTC\t-52.32\tEUR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n" +
	"S-1\t\t\t\t\t\tRefund\tO-1\t\tADJ-1\t\tAmazon.de\tItemPrice\tPrincipal\t-50.00\tMFN\t2026-03-02\t\t\t\t\tSKU-1\t\t\n" +
	"S-1\t\t\t\t\t\tRefund\tO-1\t\tADJ-1\t\tAmazon.de\tItemPrice\tTax\t-9.50\tMFN\t2026-03-02\t\t\t\t\tSKU-1\t\t\n" +
	"S-1\t\t\t\t\t\tRefund\tO-1\t\tADJ-1\t\tAmazon.de\tItemPrice\tShipping\t-1.00\tMFN\t2026-03-02\t\t\t\t\tSKU-1\t\t\n" +
	"S-1\t\t\t\t\t\tRefund\tO-1\t\tADJ-1\t\tAmazon.de\tItemFees\tCommission\t8.18\tMFN\t2026-03-02\t\t\t\t\tSKU-1\t\t\n"

func TestFromSettlement(t *testing.T) {
	t.Parallel()
	got, err := FromSettlement(strings.NewReader(flatV2), "eu")
	if err != nil {
		t.Fatal(err)
	}
	want := []Refund{{AdjustmentID: "ADJ-1", OrderID: "O-1", SKU: "SKU-1", Kind: KindRefund, Source: SourceSettlement, Currency: "EUR",
		Amount: 6050, Posted: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), SellerAccount: "eu", Marketplace: "Amazon.de"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Refund{}, "Charges")); diff != "" {
		t.Errorf("refunds (-want +got):\n%s", diff)
	}
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// TestSettlementAndAPIGiveTheSameCreditNote: the refund ADJ-1 seen in the
// Finances API and in the settlement report is decided into proto.Equal
// credit notes, and both have the key of the refund's settlement line
// that matching books (creditnote.ForRefund): the ledger books it once.
func TestSettlementAndAPIGiveTheSameCreditNote(t *testing.T) {
	t.Parallel()
	api, err := FromEvents([]byte(page), "eu")
	if err != nil {
		t.Fatal(err)
	}
	st, err := FromSettlement(strings.NewReader(flatV2), "eu")
	if err != nil {
		t.Fatal(err)
	}
	it := &Item{ID: "I-1", OrderID: "O-1", Debtor: "marketplace:amazon.de:EUR", Currency: "EUR", Amount: 11900,
		VAT: []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}}}
	a, err := Decide("t", api.Refunds[0], Situation{Item: it})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Decide("t", st[0], Situation{Item: it})
	if err != nil {
		t.Fatal(err)
	}
	if a.State != Booked || s.State != Booked {
		t.Fatalf("states %s and %s, want both booked", a.State, s.State)
	}
	if api.Refunds[0].Key() != st[0].Key() {
		t.Errorf("keys %q and %q differ", api.Refunds[0].Key(), st[0].Key())
	}
	if diff := cmp.Diff(a.Command, s.Command, protocmp.Transform()); diff != "" {
		t.Errorf("API and settlement credit notes differ (-api +settlement):\n%s", diff)
	}
	matching, err := creditnote.ForRefund("t", it.Debtor, "ADJ-1", 6050, creditnote.Item{ID: it.ID, Currency: "EUR", VAT: it.VAT},
		time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(matching, a.Command, protocmp.Transform()); diff != "" {
		t.Errorf("matching's credit note differs (-matching +import):\n%s", diff)
	}
}

func dateOf(y, m, d int32) *commonv1.Date { return &commonv1.Date{Year: y, Month: m, Day: d} }

// FuzzFromEvents: whatever a page holds, reading it ends in refunds that
// pass their checks or an ErrInvalidPage/ErrInvalidRefund, never a panic;
// every refund has a positive or zero amount and a key with its order.
func FuzzFromEvents(f *testing.F) {
	f.Add([]byte(page))
	f.Add([]byte(`{"payload":{"FinancialEvents":{}}}`))
	if entries, err := os.ReadDir("../../../../libs/formats/amazon/finances/testdata"); err == nil {
		for _, e := range entries {
			if b, err := os.ReadFile(filepath.Join("../../../../libs/formats/amazon/finances/testdata", e.Name())); err == nil && json.Valid(b) {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := FromEvents(body, "eu")
		if err != nil {
			if !errors.Is(err, ErrInvalidPage) && !errors.Is(err, ErrInvalidRefund) {
				t.Fatalf("error %v is neither ErrInvalidPage nor ErrInvalidRefund", err)
			}
			return
		}
		for _, r := range p.Refunds {
			if r.Amount < 0 || r.OrderID == "" || !strings.Contains(r.Key(), r.OrderID) {
				t.Fatalf("refund %+v", r)
			}
		}
	})
}

// FuzzFromSettlement: a settlement report reads into checked refunds or
// an ErrInvalidPage/ErrInvalidRefund, never a panic.
func FuzzFromSettlement(f *testing.F) {
	f.Add([]byte(flatV2))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := FromSettlement(bytes.NewReader(data), "eu")
		if err != nil {
			if !errors.Is(err, ErrInvalidPage) && !errors.Is(err, ErrInvalidRefund) {
				t.Fatalf("error %v is neither ErrInvalidPage nor ErrInvalidRefund", err)
			}
			return
		}
		for _, r := range rs {
			if r.Amount < 0 || r.OrderID == "" {
				t.Fatalf("refund %+v", r)
			}
		}
	})
}
