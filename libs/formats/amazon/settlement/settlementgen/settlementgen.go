// Package settlementgen writes synthetic but realistic Amazon settlement
// reports (flat file V1 and V2) of a chosen size, for benchmarks and load
// tests of the settlement parser and of `o2c parse`.
package settlementgen

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// V2Header is the header row of a flat file V2 report, as Amazon writes it.
const V2Header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id\n"

// V1Header is the header row of a flat file V1 report, as Amazon writes it.
const V1Header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tshipment-fee-type\tshipment-fee-amount\torder-fee-type\torder-fee-amount\tfulfillment-id\tposted-date\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tprice-type\tprice-amount\titem-related-fee-type\titem-related-fee-amount\tmisc-fee-amount\tother-fee-amount\tother-fee-reason-description\tpromotion-id\tpromotion-type\tpromotion-amount\tdirect-payment-type\tdirect-payment-amount\tother-amount\n"

// WriteV2 writes a flat file V2 report of at least size bytes to w: one
// EUR settlement of orders on Amazon.de, three amount rows per order item
// (principal, commission, fulfilment fee), mixing decimal commas and dots
// and the German, US and ISO date forms as German reports do. Its
// total-amount equals the sum of its rows. It returns the number of amount
// lines (one per row). The output depends only on size.
func WriteV2(w io.Writer, size int64) (lines int, err error) {
	return write(w, size, V2Header, v2Group, func(total int64) string {
		return "19482314502\t14.03.2023 07:49:55 UTC\t28.03.2023 07:49:55 UTC\t30.03.2023 07:49:55 UTC\t" + decimal(total, ',') + "\tEUR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n"
	})
}

// WriteV1 writes a flat file V1 report of at least size bytes to w: one
// EUR settlement of orders on Amazon.de, per order item a principal and a
// tax row (the principal row with the quantity), a commission and a
// fulfilment fee row, and for every fourth item a promotion row; ISO 8601
// dates with offsets and decimal points, as V1 reports have them. Its
// total-amount equals the sum of its amounts. It returns the number of
// amount lines (one per row). The output depends only on size.
func WriteV1(w io.Writer, size int64) (lines int, err error) {
	return write(w, size, V1Header, v1Group, func(total int64) string {
		return "19482314502\t2023-03-14T07:49:55+00:00\t2023-03-28T07:49:55+00:00\t2023-03-30T07:49:55+00:00\t" + decimal(total, '.') + "\tEUR" + tabs(30) + "\n"
	})
}

// group appends the rows of order item i to buf and returns them with
// their number and signed sum in cents.
type group func(buf []byte, i int) ([]byte, int, int64)

func write(w io.Writer, size int64, header string, g group, summary func(total int64) string) (int, error) {
	// Pass 1: how many groups fit and what they sum to, so the total can
	// go in the summary row that comes first.
	n := int64(len(header) + len(summary(0)))
	var (
		buf          []byte
		groups, rows int
		total        int64
	)
	for ; n < size; groups++ {
		var k int
		var sum int64
		buf, k, sum = g(buf[:0], groups)
		n += int64(len(buf))
		rows += k
		total += sum
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteString(header)
	bw.WriteString(summary(total))
	for i := 0; i < groups; i++ {
		buf, _, _ = g(buf[:0], i)
		if _, err := bw.Write(buf); err != nil {
			return 0, err
		}
	}
	return rows, bw.Flush()
}

func v2Group(buf []byte, i int) ([]byte, int, int64) {
	order := fmt.Sprintf("305-%07d-%07d", i, i*7%10000000)
	price := int64(999 + (i*7919)%20000)
	fee := -(price*15 + 50) / 100
	fba := -int64(149 + i%300)
	for _, r := range []struct {
		typ, desc, amount, date, qty string
	}{
		{"ItemPrice", "Principal", decimal(price, ','), "15.03.2023\t15.03.2023 10:00:00 UTC", "1"},
		{"ItemFees", "Commission", decimal(fee, '.'), "03/15/23\t2023-03-15 10:00:00 UTC", ""},
		{"ItemFees", "FBAPerUnitFulfillmentFee", decimal(fba, ','), "15.03.2023\t15.03.2023 10:00:00 UTC", ""},
	} {
		buf = fmt.Appendf(buf, "19482314502\t\t\t\t\t\tOrder\t%s\t\t\tD%08d\tAmazon.de\t%s\t%s\t%s\tAFN\t%s\t%014d\t\t\tSKU-%d\t%s\t\n",
			order, i, r.typ, r.desc, r.amount, r.date, i, i%500, r.qty)
	}
	return buf, 3, price + fee + fba
}

func v1Group(buf []byte, i int) ([]byte, int, int64) {
	order := fmt.Sprintf("305-%07d-%07d", i, i*7%10000000)
	price := int64(999 + (i*7919)%20000)
	tax := price * 19 / 100
	fee := -(price*15 + 50) / 100
	fba := -int64(149 + i%300)
	head := fmt.Sprintf("19482314502\t\t\t\t\t\tOrder\t%s\t\t\tD%08d\tAmazon.de\t\t\t\t\tAFN\t2023-03-%02dT10:00:00+00:00\t%014d\t\t\tSKU-%d\t", order, i, 1+i%28, i, i%500)
	// The cells after sku, in column order: quantity-purchased, price-type,
	// price-amount, item-related-fee-type, item-related-fee-amount,
	// misc-fee-amount, other-fee-amount, other-fee-reason-description,
	// promotion-id, promotion-type, promotion-amount, direct-payment-type,
	// direct-payment-amount, other-amount.
	row := func(cells ...string) {
		buf = append(buf, head...)
		for k := 0; k < 14; k++ {
			if k > 0 {
				buf = append(buf, '\t')
			}
			if k < len(cells) {
				buf = append(buf, cells[k]...)
			}
		}
		buf = append(buf, '\n')
	}
	row("1", "Principal", decimal(price, '.'))
	row("", "Tax", decimal(tax, '.'))
	row("", "", "", "Commission", decimal(fee, '.'))
	row("", "", "", "FBAPerUnitFulfillmentFee", decimal(fba, '.'))
	sum, rows := price+tax+fee+fba, 4
	if i%4 == 0 {
		promo := -int64(100 + i%400)
		row("", "", "", "", "", "", "", "", "PROMO-"+strconv.Itoa(i%50), "Principal", decimal(promo, '.'))
		sum += promo
		rows++
	}
	return buf, rows, sum
}

// decimal writes cents with two decimals and the given decimal mark.
func decimal(cents int64, mark byte) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d%c%02d", sign, cents/100, mark, cents%100)
}

func tabs(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '\t'
	}
	return string(b)
}
