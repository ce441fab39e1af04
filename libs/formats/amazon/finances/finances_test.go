package finances

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// parseFile parses testdata/name and returns the page and all events and
// groups.
func parseFile(t testing.TB, name string) (Page, []Event, []EventGroup, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return parseAll(t, f)
}

func parseString(t testing.TB, s string) (Page, []Event, []EventGroup, error) {
	t.Helper()
	return parseAll(t, strings.NewReader(s))
}

func parseAll(t testing.TB, r interface{ Read([]byte) (int, error) }) (Page, []Event, []EventGroup, error) {
	t.Helper()
	var events []Event
	var groups []EventGroup
	page, err := Parse(r, Handler{
		Event: func(e *Event) error { events = append(events, *e); return nil },
		Group: func(g *EventGroup) error { groups = append(groups, *g); return nil },
	})
	return page, events, groups, err
}

// summary is the part of an event the file-level tests compare.
type summary struct {
	List, Type, OrderID, AdjustmentID, Posted, Currency string
	Minor                                               int64
	Components                                          int
}

func summarize(events []Event) []summary {
	out := make([]summary, len(events))
	for i, e := range events {
		posted := ""
		if !e.Posted.IsZero() {
			posted = e.Posted.Format(time.RFC3339Nano)
		}
		out[i] = summary{e.List, e.Type, e.OrderID, e.AdjustmentID, posted, e.Currency, e.Minor, len(e.Components)}
	}
	return out
}

func TestParseFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		format   string
		next     string
		events   []summary
		groups   int
		warnings []string // substrings, one per warning, in order
	}{
		{
			file: "v0_events_page.json", format: FormatV0, next: "AAAAAAAAAAAsK2ZQ9mOp3Q1yvKF6Eg==",
			events: []summary{
				// 28.88 + 2.31 - 4.16 - 4.33 - 2.31 (tax withheld); zero charges, fees and promotions kept.
				{"ShipmentEventList", "Shipment", "113-1234567-1234567", "", "2024-01-01T00:19:17Z", "USD", 2039, 20},
				{"ShipmentEventList", "Shipment", "113-7654321-7654321", "", "2024-01-02T13:05:41Z", "USD", 1480, 6},
				// -28.88 - 2.31 + 4.33 - 0.86 + 2.31
				{"RefundEventList", "Refund", "113-1234567-1234567", "amzn1.oa.12345678", "2024-01-09T18:02:44Z", "USD", -2541, 6},
				{"ChargebackEventList", "Chargeback", "113-7654321-7654321", "amzn1.oa.67890123", "2024-01-20T09:00:00.5Z", "USD", -1275, 3},
				{"ProductAdsPaymentEventList", "ProductAdsPayment", "", "", "2024-01-03T00:00:00Z", "USD", -4567, 2},
				// ServiceFee events have no PostedDate in the model.
				{"ServiceFeeEventList", "ServiceFee", "113-1234567-1234567", "", "", "USD", -28, 1},
				{"ServiceFeeEventList", "ServiceFee", "", "", "", "USD", -50, 1},
				{"SellerDealPaymentEventList", "SellerDealPayment", "", "", "2024-01-04T08:30:00Z", "USD", -15000, 2},
				{"DebtRecoveryEventList", "DebtRecovery", "", "", "", "USD", 5533, 2},
				{"AdjustmentEventList", "Adjustment", "", "", "2024-01-05T11:11:11Z", "USD", 1234, 1},
				{"FBALiquidationEventList", "FBALiquidation", "LIQ-42", "", "2024-01-08T00:00:00Z", "USD", 1700, 2},
				{"CouponPaymentEventList", "CouponPayment", "", "", "2024-01-07T00:00:00Z", "USD", -720, 2},
				{"RemovalShipmentEventList", "RemovalShipment", "RMV-20240106-1", "", "2024-01-06T16:20:00Z", "USD", 630, 4},
			},
		},
		{file: "v0_empty_page.json", format: FormatV0},
		// A zero charge in another currency first says nothing of the
		// refund's currency: -10.00 + 1.50 - 0.50 USD.
		{file: "probe_refund_zero_charge_other_currency_first.json", format: FormatV0, events: []summary{
			{"RefundEventList", "Refund", "111-1111111-1111111", "oa1", "2024-01-09T18:02:44Z", "USD", -900, 5}}},
		// An adjustment id written as a number is the refund's id all the
		// same: refund import keys the credit note by it.
		{file: "probe_refund_numeric_adjustment_id.json", format: FormatV0, events: []summary{
			{"RefundEventList", "Refund", "111-1111111-1111111", "12345", "2024-01-09T18:02:44Z", "USD", -900, 4}}},
		// No totalAmount and no breakdowns: the items' totals, with a warning.
		{file: "probe_transaction_item_totals_only.json", format: Format20240619, events: []summary{
			{"transactions", "Refund", "111-1111111-1111111", "oa1", "2024-07-01T10:15:30Z", "USD", -900, 1}},
			warnings: []string{"no totalAmount and no breakdowns"}},
		{file: "v2024_empty_page.json", format: Format20240619},
		{file: "v0_groups_page.json", format: FormatV0, next: "GRP-NEXT-2", groups: 3},
		{file: "sandbox_v0_groups.json", format: FormatV0, next: "3493805734095308457308475", groups: 1},
		{
			file: "v0_unwrapped_lowercase.json", format: FormatV0,
			events: []summary{{"ServiceFeeEventList", "ServiceFee", "302-1111111-2222222", "", "", "EUR", -28, 1}},
		},
		{
			file: "v0_rounding_currencies.json", format: FormatV0,
			events: []summary{
				{"ShipmentEventList", "Shipment", "250-1234567-1234567", "", "2024-02-01T03:04:05Z", "JPY", 1980 - 297 - 318 - 20, 4},
				{"ShipmentEventList", "Shipment", "405-1234567-1234567", "", "2024-02-02T03:04:05Z", "BHD", 12345 - 1852, 2},
				{"ShipmentEventList", "Shipment", "113-2222222-3333333", "", "2024-02-03T03:04:05Z", "USD", 2888 - 434, 2},
				{"ShipmentEventList", "Shipment", "113-4444444-5555555", "", "2024-02-04T03:04:05Z", "USD", 1000 - 15, 2},
				{"ShipmentEventList", "Shipment", "702-6666666-7777777", "", "2024-02-05T03:04:05Z", "USD", 1000, 2},
			},
			warnings: []string{
				"ShipmentEventList[1].ShipmentItemList[0].ItemFeeList[0].FeeAmount.CurrencyAmount: -1.8515 BHD",
				"ShipmentEventList[2].ShipmentItemList[0].ItemChargeList[0].ChargeAmount.CurrencyAmount: 28.885 USD",
				"ShipmentEventList[2].ShipmentItemList[0].ItemFeeList[0].FeeAmount.CurrencyAmount: -4.335 USD",
				"ShipmentEventList[4]: components in USD and CAD",
			},
		},
		{
			file: "v2024_transactions_page.json", format: Format20240619, next: "TXN-NEXT-2",
			events: []summary{
				{"transactions", "Shipment", "113-1234567-1234567", "", "2024-07-01T10:15:30Z", "USD", 2039, 5},
				{"transactions", "Refund", "113-1234567-1234567", "amzn1.oa.12345678", "2024-07-09T18:02:44.25Z", "USD", -2541, 5},
				{"transactions", "ServiceFee", "", "", "2026-02-02T05:00:00Z", "USD", -28, 1},
				// +02:00 converted to UTC.
				{"transactions", "Shipment", "113-5555555-5555555", "", "2024-07-01T22:00:00Z", "USD", 999, 1},
			},
			warnings: []string{"transactions[3]: breakdown leaves sum to 999 USD but totalAmount is 1000"},
		},
		{
			file: "sandbox_v2024_transactions.json", format: Format20240619, next: "Next token value",
			// No breakdowns: the totalAmount is the one component.
			events: []summary{{"transactions", "Shipment", "8129762527551", "", "2020-07-14T03:35:13.214Z", "USD", 1000, 1}},
		},
		{
			// The sandbox repeats 25.37 everywhere, so parts never match totals.
			file: "sandbox_v0_events_by_order.json", format: FormatV0, next: "Next token value",
			events: []summary{
				{"RetrochargeEventList", "Retrocharge", "444-555-3343433", "", "2020-02-05T13:56:00.363Z", "USD", 3 * 2537, 3},
				{"RentalTransactionEventList", "RentalTransaction", "444-555-3343433", "", "2020-02-05T13:56:00.363Z", "USD", 4 * 2537, 4},
				{"ProductAdsPaymentEventList", "ProductAdsPayment", "", "", "2020-02-05T13:56:00.363Z", "USD", 2 * 2537, 2},
				{"ServiceFeeEventList", "ServiceFee", "444-555-3343433", "", "", "USD", 2537, 1},
			},
			warnings: []string{"ProductAdsPaymentEventList[0]: components sum to 5074 but transactionValue is 2537 USD"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			page, events, groups, err := parseFile(t, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if page.Format != tt.format || page.NextToken != tt.next {
				t.Errorf("format %q next %q, want %q %q", page.Format, page.NextToken, tt.format, tt.next)
			}
			if diff := cmp.Diff(tt.events, summarize(events), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if len(groups) != tt.groups || page.Groups != tt.groups || page.Events != len(events) {
				t.Errorf("got %d groups (page says %d), page counts %d events for %d", len(groups), page.Groups, page.Events, len(events))
			}
			if len(page.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings %q, want %d", page.Warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(page.Warnings[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, page.Warnings[i], w)
				}
			}
		})
	}
}

func TestRefundComponents(t *testing.T) {
	t.Parallel()
	_, events, _, err := parseFile(t, "v0_events_page.json")
	if err != nil {
		t.Fatal(err)
	}
	var refund *Event
	for i := range events {
		if events[i].Type == "Refund" {
			refund = &events[i]
		}
	}
	if refund == nil {
		t.Fatal("no refund event")
	}
	usd := func(m int64) Money { return Money{Currency: "USD", Minor: m} }
	want := []Component{
		{"Principal", usd(-2888), "ShipmentItemAdjustmentList[0].ItemChargeAdjustmentList[0].ChargeAmount"},
		{"Tax", usd(-231), "ShipmentItemAdjustmentList[0].ItemChargeAdjustmentList[1].ChargeAmount"},
		{"ShippingCharge", usd(0), "ShipmentItemAdjustmentList[0].ItemChargeAdjustmentList[2].ChargeAmount"},
		{"Commission", usd(433), "ShipmentItemAdjustmentList[0].ItemFeeAdjustmentList[0].FeeAmount"},
		{"RefundCommission", usd(-86), "ShipmentItemAdjustmentList[0].ItemFeeAdjustmentList[1].FeeAmount"},
		{"MarketplaceFacilitatorTax-Principal", usd(231), "ShipmentItemAdjustmentList[0].ItemTaxWithheldList[0].TaxesWithheld[0].ChargeAmount"},
	}
	if diff := cmp.Diff(want, refund.Components); diff != "" {
		t.Errorf("refund components (-want +got):\n%s", diff)
	}
}

func TestDetailsAndTotals(t *testing.T) {
	t.Parallel()
	_, events, _, err := parseFile(t, "v0_events_page.json")
	if err != nil {
		t.Fatal(err)
	}
	kinds := func(cs []Component) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Kind)
		}
		return out
	}
	want := map[string][2][]string{ // type: components, details
		"Adjustment":        {{"FBAInventoryReimbursement"}, {"PerUnitAmount", "TotalAmount"}},
		"ProductAdsPayment": {{"baseValue", "taxValue"}, {"transactionValue"}},
		"SellerDealPayment": {{"RunLightningDealFee", "taxAmount"}, {"totalAmount"}},
		"DebtRecovery":      {{"RecoveryAmount", "OverPaymentCredit"}, {"RecoveryAmount", "OriginalAmount", "Amount"}},
		"CouponPayment":     {{"CouponRedemptionFee", "Tax"}, {"TotalAmount"}},
		"FBALiquidation":    {{"LiquidationProceedsAmount", "LiquidationFeeAmount"}, nil},
		"RemovalShipment":   {{"Revenue", "FeeAmount", "TaxAmount", "TaxWithheld"}, nil},
	}
	seen := 0
	for _, e := range events {
		w, ok := want[e.Type]
		if !ok {
			continue
		}
		seen++
		if diff := cmp.Diff(w, [2][]string{kinds(e.Components), kinds(e.Details)}, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", e.Type, diff)
		}
	}
	if seen != len(want) {
		t.Errorf("saw %d of %d event types", seen, len(want))
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	_, _, groups, err := parseFile(t, "v0_groups_page.json")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	want := []EventGroup{
		{
			ID: "FEG-US-0001", ProcessingStatus: "Closed", FundTransferStatus: "Succeeded",
			OriginalTotal: &Money{"USD", 123456, ""}, ConvertedTotal: &Money{"USD", 123456, ""}, BeginningBalance: &Money{"USD", 0, ""},
			FundTransferDate: at("2024-01-16T07:42:10Z"), Start: at("2024-01-02T07:42:10Z"), End: at("2024-01-16T07:42:10Z"),
			TraceID: "4TG2RZCDF8NBQA", AccountTail: "123", Path: "payload.FinancialEventGroupList[0]",
		},
		{
			ID: "FEG-UK-0002", ProcessingStatus: "Closed", FundTransferStatus: "Succeeded",
			OriginalTotal: &Money{"GBP", 50000, ""}, ConvertedTotal: &Money{"EUR", 58341, ""}, BeginningBalance: &Money{"GBP", 1250, ""},
			FundTransferDate: at("2024-01-17T06:00:00.123Z"), Start: at("2024-01-03T06:00:00Z"), End: at("2024-01-17T06:00:00Z"),
			TraceID: "5UH3SADEG9OCRB", AccountTail: "789", Path: "payload.FinancialEventGroupList[1]",
		},
		{
			ID: "FEG-US-0003", ProcessingStatus: "Open",
			OriginalTotal: &Money{"USD", -1234, ""}, BeginningBalance: &Money{"USD", 0, ""},
			Start: at("2024-01-16T07:42:10Z"), Path: "payload.FinancialEventGroupList[2]",
		},
	}
	if diff := cmp.Diff(want, groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}

func TestTransactionComponents(t *testing.T) {
	t.Parallel()
	_, events, _, err := parseFile(t, "v2024_transactions_page.json")
	if err != nil {
		t.Fatal(err)
	}
	usd := func(m int64) Money { return Money{Currency: "USD", Minor: m} }
	want := []Component{
		{"OurPricePrincipal", usd(2888), "breakdowns[0].breakdowns[0]"},
		{"OurPriceTax", usd(231), "breakdowns[0].breakdowns[1]"},
		{"Commission", usd(-433), "breakdowns[1].breakdowns[0].breakdowns[0]"},
		{"FBAPerUnitFulfillmentFee", usd(-416), "breakdowns[1].breakdowns[0].breakdowns[1]"},
		{"MarketplaceFacilitatorTax-Principal", usd(-231), "breakdowns[2].breakdowns[0]"},
	}
	if diff := cmp.Diff(want, events[0].Components); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	e := events[0]
	if e.TransactionID == "" || e.Status != "RELEASED" || e.Description != "Order Payment" || e.Marketplace != "Amazon.com" || e.GroupID != "FEG-US-0001" {
		t.Errorf("transaction fields: %+v", e)
	}
	if len(e.Details) == 0 || e.Details[0].Kind != "totalAmount" || e.Details[0].Amount != usd(2039) {
		t.Errorf("details[0] = %+v, want the totalAmount", e.Details)
	}
}

func TestDecimalToMinor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		exp     int
		want    int64
		inexact bool
		err     bool
	}{
		{"28.88", 2, 2888, false, false},
		{"-4.33", 2, -433, false, false},
		{"0.0", 2, 0, false, false},
		{"0.0", 0, 0, false, false},
		{"-0.0", 2, 0, false, false},
		{"10", 2, 1000, false, false},
		{"1980.0", 0, 1980, false, false},
		{"28.880", 2, 2888, false, false},
		{"12.345", 3, 12345, false, false},
		{"0.125", 2, 12, true, false},  // half to even: down
		{"0.135", 2, 14, true, false},  // half to even: up
		{"0.1251", 2, 13, true, false}, // above half
		{"-0.125", 2, -12, true, false},
		{"0.004", 2, 0, true, false},
		{"0.005", 2, 0, true, false},
		{"0.015", 2, 2, true, false},
		{"0.5", 0, 0, true, false},
		{"1.5", 0, 2, true, false},
		{"1E+1", 2, 1000, false, false},
		{"1e1", 2, 1000, false, false},
		{"2.5E-1", 2, 25, false, false},
		{"1.5e-3", 2, 0, true, false},
		{"92233720368547758.07", 2, 9223372036854775807, false, false},
		{"-92233720368547758.07", 2, -9223372036854775807, false, false},
		{"92233720368547758.08", 2, 0, false, true},
		{"1e400", 2, 0, false, true},
		{"1e401", 2, 0, false, true},
		{"0e999999", 2, 0, false, true},
		{"1.", 2, 0, false, true},
		{".5", 2, 0, false, true},
		{"abc", 2, 0, false, true},
		{"1e", 2, 0, false, true},
		{"", 2, 0, false, true},
		{"-", 2, 0, false, true},
		{"1.2.3", 2, 0, false, true},
		{"0x10", 2, 0, false, true},
	}
	for _, tt := range tests {
		got, inexact, err := decimalToMinor(tt.in, tt.exp)
		if (err != nil) != tt.err {
			t.Errorf("decimalToMinor(%q, %d) error = %v, want error %t", tt.in, tt.exp, err, tt.err)
			continue
		}
		if got != tt.want || inexact != tt.inexact {
			t.Errorf("decimalToMinor(%q, %d) = %d, %t; want %d, %t", tt.in, tt.exp, got, inexact, tt.want, tt.inexact)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		path     string // ParseError.Path
		msg      string // substring of the message
		format   string
	}{
		{"api error", `{"errors":[{"code":"InvalidInput","message":"Date range is invalid."}]}`, "errors[0]", "Amazon returned error InvalidInput: Date range is invalid.", ""},
		{"bad amount", `{"payload":{"FinancialEvents":{"ShipmentEventList":[{},{},{},{"ShipmentItemList":[{"ItemChargeList":[{},{"ChargeType":"Tax","ChargeAmount":{"CurrencyCode":"USD","CurrencyAmount":"1,5"}}]}]}]}}}`,
			"payload.FinancialEvents.ShipmentEventList[3].ShipmentItemList[0].ItemChargeList[1].ChargeAmount.CurrencyAmount", "not a decimal number", FormatV0},
		{"amount is bool", `{"payload":{"FinancialEvents":{"ServiceFeeEventList":[{"FeeList":[{"FeeType":"X","FeeAmount":{"CurrencyCode":"USD","CurrencyAmount":true}}]}]}}}`,
			"payload.FinancialEvents.ServiceFeeEventList[0].FeeList[0].FeeAmount.CurrencyAmount", "expected a decimal number", FormatV0},
		{"no currency", `{"payload":{"FinancialEvents":{"ServiceFeeEventList":[{"FeeList":[{"FeeType":"X","FeeAmount":{"CurrencyAmount":1}}]}]}}}`,
			"payload.FinancialEvents.ServiceFeeEventList[0].FeeList[0].FeeAmount.CurrencyCode", "currency code missing", FormatV0},
		{"bad currency", `{"payload":{"FinancialEvents":{"ServiceFeeEventList":[{"FeeList":[{"FeeType":"X","FeeAmount":{"CurrencyCode":"usd","CurrencyAmount":1}}]}]}}}`,
			"payload.FinancialEvents.ServiceFeeEventList[0].FeeList[0].FeeAmount.CurrencyCode", "not an ISO 4217", FormatV0},
		{"overflow", `{"payload":{"FinancialEvents":{"ServiceFeeEventList":[{"FeeList":[{"FeeType":"X","FeeAmount":{"CurrencyCode":"USD","CurrencyAmount":1e30}}]}]}}}`,
			"payload.FinancialEvents.ServiceFeeEventList[0].FeeList[0].FeeAmount.CurrencyAmount", "does not fit", FormatV0},
		{"bad date", `{"payload":{"FinancialEvents":{"AdjustmentEventList":[{"PostedDate":"05/01/2024"}]}}}`,
			"payload.FinancialEvents.AdjustmentEventList[0].PostedDate", "not an ISO 8601 date-time", FormatV0},
		{"list not array", `{"payload":{"FinancialEvents":{"ShipmentEventList":{}}}}`, "payload.FinancialEvents.ShipmentEventList", "expected an array", FormatV0},
		{"truncated", `{"payload":{"FinancialEvents":{"ShipmentEventList":[{"AmazonOrderId":"1"`, "payload.FinancialEvents.ShipmentEventList[0]", "truncated", FormatV0},
		{"syntax", `{"payload":{"transactions":[{"totalAmount":{"currencyCode":"USD",,}}]}}`, "payload.transactions[0]", "invalid JSON", Format20240619},
		{"not object", `[1,2]`, "", "expected a JSON object", ""},
		{"empty", ``, "", "empty input", ""},
		{"no payload", `{"foo":1}`, "", "no payload", ""},
		{"trailing", `{"payload":{"transactions":[]}} x`, "", "unexpected data after", Format20240619},
		{"two results", `{"payload":{"transactions":[],"FinancialEvents":{}}}`, "payload.FinancialEvents", "one result", Format20240619},
		{"deep", `{"payload":{"transactions":[` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `]}}`, "payload.transactions[0]", "nesting deeper", Format20240619},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page, _, _, err := parseString(t, tt.in)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *ParseError", err)
			}
			if pe.Path != tt.path || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("error at %q: %q; want at %q containing %q", pe.Path, pe.Msg, tt.path, tt.msg)
			}
			if page.Format != tt.format {
				t.Errorf("format %q, want %q", page.Format, tt.format)
			}
		})
	}
}

func TestAPIError(t *testing.T) {
	t.Parallel()
	_, _, _, err := parseFile(t, "sandbox_v2024_error.json")
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want an *APIError", err)
	}
	if diff := cmp.Diff(&APIError{Code: "InvalidInput", Message: "Start date cannot be null", Details: "Start date cannot be null"}, ae); diff != "" {
		t.Error(diff)
	}
}

func TestMixedCasing(t *testing.T) {
	t.Parallel()
	in := `{"Payload":{"nextToken":"n","financialEvents":{"productadspaymenteventlist":[
		{"PostedDate":"2024-01-03T00:00:00Z","TransactionType":"Charge","baseValue":{"currencyCode":"EUR","currencyAmount":-1.5},"TAXVALUE":{"CURRENCYCODE":"EUR","CURRENCYAMOUNT":-0.29}}]}}}`
	page, events, _, err := parseString(t, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []summary{{"ProductAdsPaymentEventList", "ProductAdsPayment", "", "", "2024-01-03T00:00:00Z", "EUR", -179, 2}}
	if diff := cmp.Diff(want, summarize(events)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if page.Format != FormatV0 || page.NextToken != "n" || events[0].Subtype != "Charge" {
		t.Errorf("page %+v subtype %q", page, events[0].Subtype)
	}
}

func TestUnknownListAndCurrency(t *testing.T) {
	t.Parallel()
	in := `{"payload":{"FinancialEvents":{"FutureThingEventList":[{"PostedDate":"2024-01-03T00:00:00Z","Deep":{"Amt":{"CurrencyCode":"XYZ","CurrencyAmount":1.23}}}]}}}`
	page, events, _, err := parseString(t, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []summary{{"FutureThingEventList", "FutureThing", "", "", "2024-01-03T00:00:00Z", "XYZ", 123, 1}}
	if diff := cmp.Diff(want, summarize(events)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(page.Warnings) != 2 || !strings.Contains(page.Warnings[0], "XYZ") || !strings.Contains(page.Warnings[1], "FutureThingEventList") {
		t.Errorf("warnings %q", page.Warnings)
	}
}

func TestHandlerErrorStops(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("testdata", "v0_events_page.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stop := errors.New("stop")
	calls := 0
	_, err = Parse(f, Handler{Event: func(*Event) error { calls++; return stop }})
	if !errors.Is(err, stop) || !errors.Is(err, ErrHandler) || calls != 1 {
		t.Errorf("err %v after %d calls; want the handler's error after 1", err, calls)
	}
}

func TestWarningsCapped(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"payload":{"FinancialEvents":{"ServiceFeeEventList":[`)
	for i := 0; i < 150; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"FeeList":[{"FeeType":"X","FeeAmount":{"CurrencyCode":"USD","CurrencyAmount":0.001}}]}`)
	}
	b.WriteString(`]}}}`)
	page, events, _, err := parseString(t, b.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 150 || len(page.Warnings) != maxWarnings+1 || !strings.Contains(page.Warnings[maxWarnings], "50 more warnings") {
		t.Errorf("%d events, %d warnings, last %q", len(events), len(page.Warnings), page.Warnings[len(page.Warnings)-1])
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	page := read("v0_events_page.json")
	tests := []struct {
		name string
		head []byte
		want bool
	}{
		{"v0 events", page, true},
		{"v0 events cut off", page[:200], true},
		{"groups", read("v0_groups_page.json"), true},
		{"transactions", read("v2024_transactions_page.json"), true},
		{"unwrapped", read("v0_unwrapped_lowercase.json"), true},
		{"api error", read("sandbox_v0_error.json"), true},
		{"bom", append([]byte("\xef\xbb\xbf"), page[:100]...), true},
		{"token first", []byte(`{"payload":{"nextToken":"x","transactions":[`), true},
		{"balances", []byte(`{"balances":[],"nextToken":"x"}`), false},
		{"other json", []byte(`{"payload":{"orders":[]}}`), false},
		{"errors of another shape", []byte(`{"errors":["x"]}`), false},
		{"empty errors before the payload", []byte(`{"errors":[],"payload":{"FinancialEvents":{"RefundEventList":[`), true},
		{"null errors before the payload", []byte(`{"errors":null,"payload":{"transactions":[`), true},
		{"empty errors alone", []byte(`{"errors":[]}`), false},
		{"xml", []byte(`<?xml version="1.0"?><Document>`), false},
		{"csv", []byte("settlement-id\tsettlement-start-date\n"), false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		if got := Detect(tt.head); got != tt.want {
			t.Errorf("%s: Detect = %t, want %t", tt.name, got, tt.want)
		}
	}
}

// TestUnknownMemberNotAList: a member of FinancialEvents the models do not
// know that is no list (a flag, an object) is skipped with a warning, as
// extra fields are; the events beside it are read.
func TestUnknownMemberNotAList(t *testing.T) {
	t.Parallel()
	in := `{"payload":{"FinancialEvents":{"SomeNewFlag":true,"SomeNewInfo":{"a":[1,{"b":2}],"c":{}},` +
		`"RefundEventList":[{"AmazonOrderId":"111-1111111-1111111","PostedDate":"2024-01-09T18:02:44Z",` +
		`"ShipmentItemAdjustmentList":[{"OrderAdjustmentItemId":"oa1","ItemChargeAdjustmentList":[{"ChargeType":"Principal",` +
		`"ChargeAmount":{"CurrencyCode":"USD","CurrencyAmount":-10.0}}]}]}],"LaterNote":"x"}}}`
	page, events, _, err := parseString(t, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []summary{{"RefundEventList", "Refund", "111-1111111-1111111", "oa1", "2024-01-09T18:02:44Z", "USD", -1000, 1}}
	if diff := cmp.Diff(want, summarize(events)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var skipped int
	for _, w := range page.Warnings {
		if strings.Contains(w, "not an event list; skipped") {
			skipped++
		}
	}
	if skipped != 3 {
		t.Errorf("warnings %q, want three members skipped", page.Warnings)
	}
}

// TestLowerCaseDateTime: RFC 3339 allows "t" and "z" in lower case.
func TestLowerCaseDateTime(t *testing.T) {
	t.Parallel()
	in := `{"payload":{"FinancialEvents":{"ServiceFeeEventList":[{"PostedDate":"2024-01-09t18:02:44.5z",` +
		`"FeeList":[{"FeeType":"Subscription","FeeAmount":{"CurrencyCode":"EUR","CurrencyAmount":-39.0}}]}]}}}`
	_, events, _, err := parseString(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Posted.Format(time.RFC3339Nano) != "2024-01-09T18:02:44.5Z" {
		t.Errorf("events %+v", summarize(events))
	}
}
