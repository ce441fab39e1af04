package finances

import (
	"bytes"
	"fmt"
	"testing"
)

// largePage builds a v0 page of n shipment events, each with one item of
// four charges and three fees, written the way Amazon writes them.
func largePage(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"payload":{"NextToken":"x","FinancialEvents":{"ShipmentEventList":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"AmazonOrderId":"113-%07d-1234567","MarketplaceName":"Amazon.com","PostedDate":"2024-01-01T00:19:17Z","ShipmentItemList":[{"SellerSKU":"SKU-%d","OrderItemId":"%d","QuantityShipped":1,"ItemChargeList":[`, i, i, i)
		for j, k := range []string{"Principal", "Tax", "ShippingCharge", "GiftWrap"} {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"ChargeType":"%s","ChargeAmount":{"CurrencyCode":"USD","CurrencyAmount":%d.%02d}}`, k, i%100, j)
		}
		b.WriteString(`],"ItemFeeList":[`)
		for j, k := range []string{"Commission", "FBAPerUnitFulfillmentFee", "FixedClosingFee"} {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"FeeType":"%s","FeeAmount":{"CurrencyCode":"USD","CurrencyAmount":-%d.%02d}}`, k, j, i%100)
		}
		b.WriteString(`],"PromotionList":[]}]}`)
	}
	b.WriteString(`]}}}`)
	return b.Bytes()
}

// BenchmarkParse measures throughput on a generated 10,000-event page.
func BenchmarkParse(b *testing.B) {
	const events = 10000
	page := largePage(events)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := Parse(bytes.NewReader(page), Handler{Event: func(*Event) error { return nil }})
		if err != nil {
			b.Fatal(err)
		}
		if got.Events != events {
			b.Fatalf("got %d events", got.Events)
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
