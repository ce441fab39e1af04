package parse

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// settlementOut is the part of an `o2c parse` line this test decodes.
type settlementOut struct {
	File        string `json:"file"`
	Format      string `json:"format"`
	Error       string `json:"error"`
	Warnings    []string
	Settlements []struct {
		SettlementID string           `json:"settlement_id"`
		Currency     string           `json:"currency"`
		Start        *string          `json:"start"`
		End          *string          `json:"end"`
		DepositDate  *string          `json:"deposit_date"`
		TotalMinor   *int64           `json:"total_minor"`
		SumCheck     string           `json:"sum_check"`
		Lines        []map[string]any `json:"lines"`
	} `json:"settlements"`
}

func writeSettlementFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func runSettlementParse(tb testing.TB, opt Options, files ...string) ([]settlementOut, int) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(files, opt, &stdout, &stderr)
	var outs []settlementOut
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var o settlementOut
		if err := dec.Decode(&o); err != nil {
			tb.Fatalf("decode output: %v\n%s", err, stdout.String())
		}
		outs = append(outs, o)
	}
	return outs, code
}

const (
	v1Header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tposted-date\torder-item-code\tsku\tquantity-purchased\tprice-type\tprice-amount\titem-related-fee-type\titem-related-fee-amount\tother-amount\n"
	v2Header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id\n"
)

func TestSettlementParse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v1 := writeSettlementFile(t, dir, "a.tsv", v1Header+
		"111\t2025-08-01T22:07:18+00:00\t2025-08-15T22:07:18+00:00\t2025-08-17T22:07:18+00:00\t19.53\tCAD\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n"+
		"111\t\t\t\t\t\tOrder\t702-1\t\t\tS1\tAmazon.ca\t2025-08-03T10:11:12+00:00\tI1\tSKU-A\t1\t\t\t\t\t\n"+
		"111\t\t\t\t\t\tOrder\t702-1\t\t\tS1\tAmazon.ca\t2025-08-03T10:11:12+00:00\tI1\tSKU-A\t\tPrincipal\t24.99   \t\t\t\n"+
		"\n"+
		"111\t\t\t\t\t\tOrder\t702-1\t\t\tS1\tAmazon.ca\t2025-08-03T10:11:12+00:00\tI1\tSKU-A\t\t\t\tCommission\t-5.45\t\n"+
		"111\t\t\t\t\t\tMicro Deposit\t\t\t\t\t\t2025-08-04T00:00:00+00:00\t\t\t\t\t\t\t\t-0.01\n")
	v2 := writeSettlementFile(t, dir, "b.txt", v2Header+
		"222\t14.03.2023 07:49:55 UTC\t28.03.2023 07:49:55 UTC\t30.03.2023 07:49:55 UTC\t5,00\tEUR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n"+
		"222\t\t\t\t\t\tRefund\t305-9\tM-9\tamzn1:crow:x\t\tAmazon.de\tItemPrice\tPrincipal\t-1,005\tAFN\t03/20/23\t2023-03-20 08:30:00 UTC\t\t\t\t\t\t\n")
	xml := writeSettlementFile(t, dir, "c.xml", `<?xml version="1.0"?>
<AmazonEnvelope><MessageType>SettlementReport</MessageType><Message><SettlementReport>
<SettlementData><AmazonSettlementID>333</AmazonSettlementID><TotalAmount currency="JPY">1500</TotalAmount></SettlementData>
<Order><AmazonOrderID>503-1</AmazonOrderID><Fulfillment><PostedDate>2022-04-02T00:00:00+09:00</PostedDate><Item><SKU>JP</SKU><Quantity>2</Quantity>
<ItemPrice><Component><Type>Principal</Type><Amount currency="JPY">1500</Amount></Component></ItemPrice></Item></Fulfillment></Order>
</SettlementReport></Message></AmazonEnvelope>
`)
	bad := writeSettlementFile(t, dir, "d.txt", v2Header+"444\t\t\t\t1.00\tEUR\n444\t\t\t\t\t\tOrder\t1\t\t\t\t\tItemPrice\tPrincipal\t1.000,00\n")

	outs, code := runSettlementParse(t, Options{}, v1, v2, xml, bad)
	if code != 1 {
		t.Errorf("exit code = %d, want 1 (one file fails)", code)
	}
	if len(outs) != 4 {
		t.Fatalf("got %d output lines, want 4", len(outs))
	}

	// V1: the quantity row gives no line, its quantity goes to the first
	// amount; trailing spaces and the blank line are tolerated.
	o := outs[0]
	if o.Format != "amazon-settlement-flat-v1" || o.Error != "" || len(o.Settlements) != 1 {
		t.Fatalf("v1 output = %+v", o)
	}
	s := o.Settlements[0]
	if s.SettlementID != "111" || s.Currency != "CAD" || *s.Start != "2025-08-01T22:07:18Z" || *s.DepositDate != "2025-08-17" || *s.TotalMinor != 1953 || s.SumCheck != "ok" {
		t.Errorf("v1 settlement = %+v", s)
	}
	wantFirst := map[string]any{
		"transaction_type": "Order", "order_id": "702-1", "merchant_order_id": "", "adjustment_id": "", "shipment_id": "S1",
		"marketplace": "Amazon.ca", "sku": "SKU-A", "quantity": float64(1), "amount_type": "price", "amount_description": "Principal",
		"amount_minor": float64(2499), "currency": "CAD", "posted_date": "2025-08-03",
	}
	if diff := cmp.Diff(wantFirst, s.Lines[0]); diff != "" {
		t.Errorf("v1 first line mismatch (-want +got):\n%s", diff)
	}
	var amounts []any
	for _, l := range s.Lines {
		amounts = append(amounts, []any{l["amount_type"], l["amount_minor"], l["quantity"]})
	}
	wantAmounts := []any{[]any{"price", float64(2499), float64(1)}, []any{"item-related-fee", float64(-545), nil}, []any{"other", float64(-1), nil}}
	if diff := cmp.Diff(wantAmounts, amounts); diff != "" {
		t.Errorf("v1 amounts mismatch (-want +got):\n%s", diff)
	}

	// V2: decimal comma, German dates, rounding with amount_exact, mismatch.
	o = outs[1]
	if o.Format != "amazon-settlement-flat-v2" || len(o.Settlements) != 1 {
		t.Fatalf("v2 output = %+v", o)
	}
	s = o.Settlements[0]
	if *s.Start != "2023-03-14T07:49:55Z" || *s.End != "2023-03-28T07:49:55Z" || *s.TotalMinor != 500 || s.SumCheck != "mismatch" {
		t.Errorf("v2 settlement = %+v", s)
	}
	l := s.Lines[0]
	if l["amount_minor"] != float64(-100) || l["amount_exact"] != "-1,005" || l["posted_date"] != "2023-03-20" || l["quantity"] != nil || l["adjustment_id"] != "amzn1:crow:x" {
		t.Errorf("v2 line = %v", l)
	}
	if len(o.Warnings) != 2 || !strings.Contains(o.Warnings[0], "rounded half-even") || !strings.Contains(o.Warnings[1], "sum to -1.00 EUR") {
		t.Errorf("v2 warnings = %q", o.Warnings)
	}

	// XML: JPY has no decimals; absent dates are null.
	o = outs[2]
	if o.Format != "amazon-settlement-xml" || len(o.Settlements) != 1 {
		t.Fatalf("xml output = %+v", o)
	}
	s = o.Settlements[0]
	if s.Start != nil || s.End != nil || s.DepositDate != nil || *s.TotalMinor != 1500 || s.SumCheck != "ok" {
		t.Errorf("xml settlement = %+v", s)
	}
	if l := s.Lines[0]; l["amount_minor"] != float64(1500) || l["quantity"] != float64(2) || l["posted_date"] != "2022-04-02" || l["amount_type"] != "ItemPrice" {
		t.Errorf("xml line = %v", l)
	}

	// The bad file: only an error naming the line, nothing guessed.
	o = outs[3]
	if o.Format != "amazon-settlement-flat-v2" || o.Settlements != nil || !strings.HasPrefix(o.Error, "line 3: column amount:") {
		t.Errorf("error output = %+v", o)
	}
}

func TestSettlementForcedFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writeSettlementFile(t, dir, "x.txt", "hello\n")
	outs, code := runSettlementParse(t, Options{Format: "amazon-settlement"}, p)
	if code != 1 || len(outs) != 1 || !strings.HasPrefix(outs[0].Error, "line 1: not an Amazon settlement report") {
		t.Errorf("code %d, outputs %+v", code, outs)
	}
}

func TestSettlementDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		head string
		want bool
	}{
		{v1Header, true},
		{v2Header, true},
		{"<?xml version=\"1.0\"?><AmazonEnvelope><MessageType>SettlementReport</MessageType>", true},
		{"<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">", false},
		{":20:STARTUMSE\n:25:10020030/1234567\n", false},
		{`{"payload":{"FinancialEvents":{}}}`, false},
	}
	for _, tt := range tests {
		if got := settlementFormat.detect([]byte(tt.head)); got != tt.want {
			t.Errorf("detect(%.30q) = %v, want %v", tt.head, got, tt.want)
		}
	}
}
