package settlement

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// largeV2 generates a flat file V2 report with rows amount rows, mixing
// decimal commas and dots and the German date forms.
func largeV2(rows int) []byte {
	var b bytes.Buffer
	b.WriteString("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id\n")
	// Each group of three rows sums to 24.00.
	fmt.Fprintf(&b, "19482314502\t14.03.2023 07:49:55 UTC\t28.03.2023 07:49:55 UTC\t30.03.2023 07:49:55 UTC\t%d,00\tEUR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n", rows/3*24)
	for i := 0; i < rows/3; i++ {
		order := fmt.Sprintf("305-%07d-%07d", i, i*7%10000000)
		fmt.Fprintf(&b, "19482314502\t\t\t\t\t\tOrder\t%s\t\t\tD%08d\tAmazon.de\tItemPrice\tPrincipal\t29,99\tAFN\t15.03.2023\t15.03.2023 10:00:00 UTC\t%014d\t\t\tSKU-%d\t1\t\n", order, i, i, i%500)
		fmt.Fprintf(&b, "19482314502\t\t\t\t\t\tOrder\t%s\t\t\tD%08d\tAmazon.de\tItemFees\tCommission\t-4.50\tAFN\t03/15/23\t2023-03-15 10:00:00 UTC\t%014d\t\t\tSKU-%d\t\t\n", order, i, i, i%500)
		fmt.Fprintf(&b, "19482314502\t\t\t\t\t\tOrder\t%s\t\t\tD%08d\tAmazon.de\tItemFees\tFBAPerUnitFulfillmentFee\t-1,49\tAFN\t15.03.2023\t15.03.2023 10:00:00 UTC\t%014d\t\t\tSKU-%d\t\t\n", order, i, i, i%500)
	}
	return b.Bytes()
}

func BenchmarkParseV2(b *testing.B) {
	data := largeV2(30000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	lines := 0
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for {
			s, err := rd.NextSettlement()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, err := rd.NextLine(); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				lines++
			}
			if !s.SumOK() {
				b.Fatalf("generated report does not add up: %d vs %d", s.Sum, s.Total)
			}
		}
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}
