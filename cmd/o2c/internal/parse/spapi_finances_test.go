package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runSPAPI writes each page to a file, runs `o2c parse` over them and returns
// the exit status and the decoded JSON lines.
func runSPAPI(t testing.TB, format string, pages ...string) (int, []map[string]any) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for i, p := range pages {
		name := filepath.Join(dir, "page"+string(rune('a'+i))+".json")
		if err := os.WriteFile(name, []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	var stdout, stderr bytes.Buffer
	status := Run(files, Options{Format: format}, &stdout, &stderr)
	var lines []map[string]any
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("output line is not JSON: %v\n%s", err, sc.Text())
		}
		lines = append(lines, m)
	}
	if len(lines) != len(pages) {
		t.Fatalf("%d output lines for %d files; stderr:\n%s", len(lines), len(pages), stderr.String())
	}
	return status, lines
}

const spapiRefundPage = `{"payload":{"NextToken":"tok-2","FinancialEvents":{"ShipmentEventList":[],
"RefundEventList":[{"AmazonOrderId":"113-1234567-1234567","PostedDate":"2024-01-09T19:02:44+01:00",
 "ShipmentItemAdjustmentList":[{"SellerSKU":"S","OrderAdjustmentItemId":"amzn1.oa.1",
  "ItemChargeAdjustmentList":[{"ChargeType":"Principal","ChargeAmount":{"CurrencyCode":"USD","CurrencyAmount":-28.88}},{"ChargeType":"Tax","ChargeAmount":{"CurrencyCode":"USD","CurrencyAmount":0.0}}],
  "ItemFeeAdjustmentList":[{"FeeType":"Commission","FeeAmount":{"CurrencyCode":"USD","CurrencyAmount":4.33}},{"FeeType":"RefundCommission","FeeAmount":{"CurrencyCode":"USD","CurrencyAmount":-0.865}}]}]}],
"ServiceFeeEventList":[{"AmazonOrderId":"302-1-2","FeeList":[{"FeeType":"FBADisposalFee","FeeAmount":{"CurrencyCode":"EUR","CurrencyAmount":-0.28}}]}]}}}`

func TestSPAPIEventsContract(t *testing.T) {
	t.Parallel()
	status, lines := runSPAPI(t, "auto", spapiRefundPage)
	if status != 0 {
		t.Fatalf("status %d: %v", status, lines[0]["error"])
	}
	got := lines[0]
	events := got["financial_events"].([]any)
	want := []map[string]any{
		{
			"list": "RefundEventList", "type": "Refund", "order_id": "113-1234567-1234567", "adjustment_id": "amzn1.oa.1",
			"posted": "2024-01-09T18:02:44Z", "currency": "USD", "amount_minor": json.Number("-2541"),
			"components": []any{
				map[string]any{"kind": "Principal", "amount_minor": json.Number("-2888")},
				map[string]any{"kind": "Tax", "amount_minor": json.Number("0")},
				map[string]any{"kind": "Commission", "amount_minor": json.Number("433")},
				// -0.865 rounds half-even to -0.86; the exact text is kept.
				map[string]any{"kind": "RefundCommission", "amount_minor": json.Number("-86"), "amount_exact": "-0.865"},
			},
		},
		{
			"list": "ServiceFeeEventList", "type": "ServiceFee", "order_id": "302-1-2", "adjustment_id": "",
			"posted": nil, "currency": "EUR", "amount_minor": json.Number("-28"),
			"components": []any{map[string]any{"kind": "FBADisposalFee", "amount_minor": json.Number("-28")}},
		},
	}
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d", len(events), len(want))
	}
	for i, w := range want {
		e := events[i].(map[string]any)
		for k, v := range w {
			if k == "components" {
				cs := e[k].([]any)
				wcs := v.([]any)
				if len(cs) != len(wcs) {
					t.Fatalf("event %d: %d components, want %d", i, len(cs), len(wcs))
				}
				for j, wc := range wcs {
					c := cs[j].(map[string]any)
					for ck, cv := range wc.(map[string]any) {
						if diff := cmp.Diff(cv, c[ck]); diff != "" {
							t.Errorf("event %d component %d %s (-want +got):\n%s", i, j, ck, diff)
						}
					}
				}
				continue
			}
			if diff := cmp.Diff(v, e[k]); diff != "" {
				t.Errorf("event %d %s (-want +got):\n%s", i, k, diff)
			}
		}
	}
	if diff := cmp.Diff([]any{}, got["event_groups"]); diff != "" {
		t.Errorf("event_groups (-want +got):\n%s", diff)
	}
	if got["format"] != "spapi-finances-v0" || got["next_token"] != "tok-2" {
		t.Errorf("format %v next_token %v", got["format"], got["next_token"])
	}
	if ws := got["warnings"].([]any); len(ws) != 1 || !strings.Contains(ws[0].(string), "-0.865") {
		t.Errorf("warnings %v, want one about -0.865", ws)
	}
}

func TestSPAPIGroupsAndTransactions(t *testing.T) {
	t.Parallel()
	groups := `{"payload":{"FinancialEventGroupList":[{"FinancialEventGroupId":"G1","ProcessingStatus":"Closed","FundTransferStatus":"Succeeded",
"OriginalTotal":{"CurrencyCode":"GBP","CurrencyAmount":500.00},"ConvertedTotal":{"CurrencyCode":"EUR","CurrencyAmount":583.41},
"FundTransferDate":"2024-01-17T06:00:00Z","FinancialEventGroupStart":"2024-01-03T06:00:00Z","FinancialEventGroupEnd":"2024-01-17T06:00:00Z"},
{"FinancialEventGroupId":"G2","ProcessingStatus":"Open","OriginalTotal":{"CurrencyCode":"JPY","CurrencyAmount":1200.0}}]}}`
	txns := `{"payload":{"nextToken":"n2","transactions":[{"transactionType":"Shipment","postedDate":"2024-07-01T10:15:30.250Z",
"relatedIdentifiers":[{"relatedIdentifierName":"ORDER_ID","relatedIdentifierValue":"113-1"}],
"totalAmount":{"currencyCode":"USD","currencyAmount":20.39},
"breakdowns":[{"breakdownType":"ProductCharges","breakdownAmount":{"currencyCode":"USD","currencyAmount":28.88},"breakdowns":[{"breakdownType":"OurPricePrincipal","breakdownAmount":{"currencyCode":"USD","currencyAmount":28.88}}]},
{"breakdownType":"AmazonFees","breakdownAmount":{"currencyCode":"USD","currencyAmount":-8.49},"breakdowns":[{"breakdownType":"Commission","breakdownAmount":{"currencyCode":"USD","currencyAmount":-4.33}},{"breakdownType":"FBAPerUnitFulfillmentFee","breakdownAmount":{"currencyCode":"USD","currencyAmount":-4.16}}]}]}]}}`
	status, lines := runSPAPI(t, "auto", groups, txns)
	if status != 0 {
		t.Fatalf("status %d: %v %v", status, lines[0]["error"], lines[1]["error"])
	}
	wantGroups := []any{
		map[string]any{"id": "G1", "status": "Closed", "fund_transfer_status": "Succeeded", "original_total_minor": json.Number("50000"),
			"converted_total_minor": json.Number("58341"), "currency": "GBP", "fund_transfer_date": "2024-01-17T06:00:00Z",
			"start": "2024-01-03T06:00:00Z", "end": "2024-01-17T06:00:00Z"},
		map[string]any{"id": "G2", "status": "Open", "fund_transfer_status": "", "original_total_minor": json.Number("1200"),
			"converted_total_minor": nil, "currency": "JPY", "fund_transfer_date": nil, "start": nil, "end": nil},
	}
	gotGroups := lines[0]["event_groups"].([]any)
	if len(gotGroups) != len(wantGroups) {
		t.Fatalf("%d groups", len(gotGroups))
	}
	for i, w := range wantGroups {
		for k, v := range w.(map[string]any) {
			if diff := cmp.Diff(v, gotGroups[i].(map[string]any)[k]); diff != "" {
				t.Errorf("group %d %s (-want +got):\n%s", i, k, diff)
			}
		}
	}
	if diff := cmp.Diff([]any{}, lines[0]["financial_events"]); diff != "" {
		t.Errorf("financial_events of a groups page (-want +got):\n%s", diff)
	}
	if lines[0]["next_token"] != "" {
		t.Errorf("next_token %v, want empty", lines[0]["next_token"])
	}

	tx := lines[1]
	if tx["format"] != "spapi-finances-2024-06-19" || tx["next_token"] != "n2" {
		t.Errorf("format %v next_token %v", tx["format"], tx["next_token"])
	}
	e := tx["financial_events"].([]any)[0].(map[string]any)
	for k, v := range map[string]any{"list": "transactions", "type": "Shipment", "order_id": "113-1", "posted": "2024-07-01T10:15:30.25Z",
		"currency": "USD", "amount_minor": json.Number("2039")} {
		if diff := cmp.Diff(v, e[k]); diff != "" {
			t.Errorf("transaction %s (-want +got):\n%s", k, diff)
		}
	}
	var kinds []string
	for _, c := range e["components"].([]any) {
		kinds = append(kinds, c.(map[string]any)["kind"].(string))
	}
	if diff := cmp.Diff([]string{"OurPricePrincipal", "Commission", "FBAPerUnitFulfillmentFee"}, kinds); diff != "" {
		t.Errorf("component kinds: leaves only (-want +got):\n%s", diff)
	}
}

func TestSPAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, page, format, want string
	}{
		{"amazon error", `{"errors":[{"code":"InvalidInput","message":"Date range is invalid."}]}`, "auto", "Amazon returned error InvalidInput"},
		{"bad amount", `{"payload":{"FinancialEvents":{"ShipmentEventList":[{"ShipmentItemList":[{"ItemChargeList":[{"ChargeType":"Tax","ChargeAmount":{"CurrencyCode":"USD","CurrencyAmount":"x"}}]}]}]}}}`,
			"auto", "payload.FinancialEvents.ShipmentEventList[0].ShipmentItemList[0].ItemChargeList[0].ChargeAmount.CurrencyAmount"},
		{"forced on other json", `{"balances":[]}`, "spapi-finances", "no payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, lines := runSPAPI(t, tt.format, tt.page)
			if status != 1 {
				t.Errorf("status %d, want 1", status)
			}
			msg, _ := lines[0]["error"].(string)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", msg, tt.want)
			}
			if _, ok := lines[0]["financial_events"]; ok {
				t.Error("an error line carries financial_events")
			}
		})
	}
}
