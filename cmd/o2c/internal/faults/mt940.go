package faults

import (
	"bytes"
	"fmt"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
)

// decimalComma writes cents with a decimal comma, as MT940 does.
func decimalComma(cents int64) string { return fmt.Sprintf("%d,%02d", cents/100, cents%100) }

// mt940 writes the statement id (sequence number seq) of the demo
// tenant's account for date as MT940, from opening (cents) with txs, with
// German structured :86: fields (EREF, SVWZ, the payer's name and IBAN),
// and returns it with its closing balance.
func mt940(id string, seq int, date *commonv1.Date, opening int64, txs []camtTx) ([]byte, int64) {
	ymd := fmt.Sprintf("%02d%02d%02d", date.GetYear()%100, date.GetMonth(), date.GetDay())
	md := ymd[2:]
	closing := opening
	for _, t := range txs {
		closing += t.amount
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, ":20:%s\r\n:25:%s\r\n:28C:%05d/001\r\n:60F:C%sEUR%s\r\n", id, demo.DemoIBAN, seq, ymd, decimalComma(opening))
	for i, t := range txs {
		fmt.Fprintf(&b, ":61:%s%sCR%sNTRFNONREF//%s-%d\r\n", ymd, md, decimalComma(t.amount), id, i+1)
		fmt.Fprintf(&b, ":86:166?00SEPA-GUTSCHRIFT?20EREF+%s?21SVWZ+%s?30BELADEBEXXX?31%s?32%s\r\n", t.e2e, t.remittance, t.iban, t.name)
	}
	fmt.Fprintf(&b, ":62F:C%sEUR%s\r\n-\r\n", ymd, decimalComma(closing))
	return b.Bytes(), closing
}
