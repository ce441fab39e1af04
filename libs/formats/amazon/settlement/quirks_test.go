package settlement

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// settlementSummary is what the quirk table checks per settlement.
type settlementSummary struct {
	ID       string
	Currency string
	Total    int64
	Lines    int
	SumOK    bool
}

func summarize(rep report) []settlementSummary {
	var out []settlementSummary
	for _, s := range rep.settlements {
		out = append(out, settlementSummary{s.ID, s.Currency, s.Total, s.LineCount, s.SumOK()})
	}
	return out
}

func TestQuirkFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		format   Format
		want     []settlementSummary
		warnings []string // substrings, one per expected warning, in order
	}{
		{file: "v1_33_columns_no_orders.txt", format: FlatV1,
			want: []settlementSummary{{"22222222222", "CAD", -32169, 4, true}}},
		{file: "v1_trailing_spaces.txt", format: FlatV1,
			want: []settlementSummary{{"33333333333", "USD", 1954, 2, true}}},
		{file: "v1_blank_lines.txt", format: FlatV1,
			want: []settlementSummary{{"33333333334", "USD", 1954, 2, true}}},
		{file: "v1_zero_and_empty_amounts.txt", format: FlatV1,
			want: []settlementSummary{{"33333333335", "USD", -545, 2, true}}},
		{file: "v1_sum_mismatch.txt", format: FlatV1,
			want:     []settlementSummary{{"33333333336", "USD", 2000, 2, false}},
			warnings: []string{"total-amount 20.00 USD but its 2 lines sum to 19.54 USD (difference -0.46 USD)"}},
		{file: "v1_bom_crlf.txt", format: FlatV1,
			want: []settlementSummary{{"33333333337", "USD", 1954, 2, true}}},
		{file: "v1_windows1252.txt", format: FlatV1,
			want:     []settlementSummary{{"33333333338", "EUR", 1954, 2, true}},
			warnings: []string{"not valid UTF-8 (first at line 3); such bytes were read as Windows-1252"}},
		{file: "v1_broken_line.txt", format: FlatV1,
			want:     []settlementSummary{{"33333333339", "USD", 1954, 2, true}},
			warnings: []string{"line 3: row continues on line 4"}},
		{file: "v1_two_settlements.txt", format: FlatV1,
			want: []settlementSummary{{"44444444441", "USD", 1954, 2, true}, {"44444444442", "USD", -3999, 1, true}}},
		{file: "v2_date_forms.txt", format: FlatV2,
			want: []settlementSummary{{"60000000001", "USD", 1000, 4, true}}},
		{file: "v2_decimal_comma_and_dot.txt", format: FlatV2,
			want: []settlementSummary{{"60000000002", "EUR", 150, 3, true}}},
		{file: "v2_rounding.txt", format: FlatV2,
			want: []settlementSummary{{"60000000005", "EUR", 368, 2, true}},
			warnings: []string{"line 3: amount 1.005 has more decimals than EUR; rounded half-even",
				"line 4: amount 2,675 has more decimals than EUR; rounded half-even"}},
		{file: "v2_jpy_bhd.txt", format: FlatV2,
			want: []settlementSummary{{"60000000006", "JPY", 1500, 2, true}, {"60000000007", "BHD", 12345, 1, true}}},
		{file: "v2_two_settlements.txt", format: FlatV2,
			want: []settlementSummary{{"60000000008", "EUR", 850, 2, true}, {"60000000009", "GBP", 725, 2, true}}},
		{file: "v2_sum_mismatch.txt", format: FlatV2,
			want:     []settlementSummary{{"60000000010", "USD", 10000, 1, false}},
			warnings: []string{"settlement 60000000010: total-amount 100.00 USD but its 1 lines sum to 99.99 USD"}},
		{file: "xml_two_messages.xml", format: XML,
			want:     []settlementSummary{{"70000000001", "JPY", 1500, 2, true}, {"70000000002", "EUR", 1000, 1, false}},
			warnings: []string{"settlement 70000000002: total-amount 10.00 EUR but its 1 lines sum to -39.00 EUR"}},
		{file: "xml_windows1252.xml", format: XML,
			want:     []settlementSummary{{"70000000004", "EUR", 999, 1, true}},
			warnings: []string{"not valid UTF-8 (first at line 2)"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			rep := readTestdata(t, tt.file)
			if rep.err != nil {
				t.Fatal(rep.err)
			}
			if rep.format != tt.format {
				t.Errorf("format = %s, want %s", rep.format, tt.format)
			}
			if diff := cmp.Diff(tt.want, summarize(rep)); diff != "" {
				t.Errorf("settlements mismatch (-want +got):\n%s", diff)
			}
			if len(rep.warnings) != len(tt.warnings) {
				t.Fatalf("warnings = %q, want %d", rep.warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(rep.warnings[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, rep.warnings[i], w)
				}
			}
		})
	}
}

func TestQuirkDetails(t *testing.T) {
	t.Parallel()
	t.Run("windows-1252 text decoded", func(t *testing.T) {
		t.Parallel()
		rep := readTestdata(t, "v1_windows1252.txt")
		if got := rep.settlements[0].Lines[0].SKU; got != "Größe-M-Café" {
			t.Errorf("SKU = %q, want Größe-M-Café", got)
		}
		rep = readTestdata(t, "xml_windows1252.xml")
		if got := rep.settlements[0].Lines[0].SKU; got != "Café-Crème-€" {
			t.Errorf("SKU = %q, want Café-Crème-€", got)
		}
	})
	t.Run("broken line joined", func(t *testing.T) {
		t.Parallel()
		rep := readTestdata(t, "v1_broken_line.txt")
		l := rep.settlements[0].Lines[0]
		if l.SKU != "SKU-BROKEN" || l.AmountMinor != 2499 || l.Line != 3 {
			t.Errorf("joined line = %+v, want SKU-BROKEN 2499 on line 3", l)
		}
		if l := rep.settlements[0].Lines[1]; l.Line != 5 {
			t.Errorf("line after the joined row is on line %d, want 5", l.Line)
		}
	})
	t.Run("zero amount is a line, empty is none", func(t *testing.T) {
		t.Parallel()
		rep := readTestdata(t, "v1_zero_and_empty_amounts.txt")
		got := amountKeys(rep.settlements[0].Lines)
		want := []amountKey{{"price", "Principal", 0}, {"item-related-fee", "Commission", -545}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("amounts mismatch (-want +got):\n%s", diff)
		}
		if l := rep.settlements[0].Lines[0]; !l.HasQuantity || l.Quantity != 1 {
			t.Errorf("zero Principal line has quantity %v/%d, want 1 from the quantity row", l.HasQuantity, l.Quantity)
		}
	})
	t.Run("date forms", func(t *testing.T) {
		t.Parallel()
		rep := readTestdata(t, "v2_date_forms.txt")
		s := rep.settlements[0]
		if s.Start != utc("2023-03-14T06:49:55Z") || s.End != utc("2023-03-28T07:49:55Z") || s.DepositDate != "2023-03-30" {
			t.Errorf("period = %s – %s, deposit %s", s.Start, s.End, s.DepositDate)
		}
		var got []string
		for _, l := range s.Lines {
			got = append(got, l.PostedDate)
		}
		want := []string{"2023-03-14", "2023-03-14", "2023-03-15", "2023-03-16"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("posted dates mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("rounded amounts keep the exact text", func(t *testing.T) {
		t.Parallel()
		rep := readTestdata(t, "v2_rounding.txt")
		var got [][2]any
		for _, l := range rep.settlements[0].Lines {
			got = append(got, [2]any{l.AmountMinor, l.AmountExact})
		}
		want := [][2]any{{int64(100), "1.005"}, {int64(268), "2,675"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("rounded amounts mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		wantLine int
		wantPath string
		wantMsg  string
	}{
		{file: "err_v1_detail_before_summary.txt", wantLine: 2, wantMsg: "transaction row before any summary row"},
		{file: "err_v2_two_separators.txt", wantLine: 3, wantMsg: `column amount: amount "1.234,56" has two separators`},
		{file: "err_v2_bad_date.txt", wantLine: 3, wantMsg: `column posted-date: date "31.11.2023" does not exist`},
		{file: "err_xml_bad_amount.xml", wantLine: 11,
			wantPath: "AmazonEnvelope/Message[1]/SettlementReport[1]/Order[1]/Fulfillment[1]/Item[2]/ItemPrice[1]/Component[2]/Amount[1]",
			wantMsg:  `amount "1.000,50" has two separators`},
		{file: "err_xml_truncated.xml", wantPath: "AmazonEnvelope/Message[1]/SettlementReport[1]/Order[1]", wantMsg: "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			rep := readTestdata(t, tt.file)
			var pe *ParseError
			if !errors.As(rep.err, &pe) {
				t.Fatalf("error = %v, want a *ParseError", rep.err)
			}
			if tt.wantLine != 0 && pe.Line != tt.wantLine {
				t.Errorf("line = %d, want %d (%v)", pe.Line, tt.wantLine, pe)
			}
			if pe.Path != tt.wantPath {
				t.Errorf("path = %q, want %q", pe.Path, tt.wantPath)
			}
			if !strings.Contains(pe.Error(), tt.wantMsg) {
				t.Errorf("error = %q, want it to contain %q", pe.Error(), tt.wantMsg)
			}
		})
	}
}

func TestInlineErrors(t *testing.T) {
	t.Parallel()
	v2 := "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tamount-type\tamount-description\tamount\n"
	tests := []struct {
		name, in, wantMsg string
	}{
		{"not a report", "hello\tworld\n", "not an Amazon settlement report"},
		{"bad currency", v2 + "1\t\t\t\t1.00\tEURO\n", `line 2: column currency: "EURO" is not an ISO 4217 currency code`},
		{"no currency column", "settlement-id\ttotal-amount\tamount-type\tamount\n1\t1.00\t\t\n", "line 1: header has no currency column"},
		{"other settlement inside", v2 + "1\t\t\t\t1.00\tEUR\n2\t\t\t\t\t\tOrder\tA\tItemPrice\tPrincipal\t1.00\n", `line 3: row of settlement "2" inside settlement "1"`},
		{"too many cells", v2 + "1\t\t\t\t1.00\tEUR\n1\t\t\t\t\t\tOrder\tA\tItemPrice\tPrincipal\t1.00\tx\n", "line 3: 12 cells where the header has 11"},
		{"header of the other version", v2 + "1\t\t\t\t1.00\tEUR\nsettlement-id\ttotal-amount\tcurrency\tprice-amount\n", "line 3: header of a amazon-settlement-flat-v1 report inside a amazon-settlement-flat-v2 report"},
		{"utf-16", "\xff\xfes\x00e\x00", "the file is UTF-16"},
		{"xml without settlement data", "<AmazonEnvelope><Message><SettlementReport></SettlementReport></Message></AmazonEnvelope>", "no Message/SettlementReport/SettlementData"},
		{"xml transaction first", "<AmazonEnvelope><Message><SettlementReport><Order/></SettlementReport></Message></AmazonEnvelope>", "transaction before SettlementData"},
		{"xml total without currency", "<AmazonEnvelope><Message><SettlementReport><SettlementData><AmazonSettlementID>1</AmazonSettlementID><TotalAmount>1.00</TotalAmount></SettlementData></SettlementReport></Message></AmazonEnvelope>",
			`AmazonEnvelope/Message[1]/SettlementReport[1]/SettlementData[1]/TotalAmount (line 1): currency attribute "" is not an ISO 4217 currency code`},
		{"xml unsupported encoding", "<?xml version=\"1.0\" encoding=\"shift_jis\"?><AmazonEnvelope><SettlementReport/></AmazonEnvelope>", "unsupported encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := readAll(t, strings.NewReader(tt.in))
			if rep.err == nil || !strings.Contains(rep.err.Error(), tt.wantMsg) {
				t.Errorf("error = %v, want it to contain %q", rep.err, tt.wantMsg)
			}
		})
	}
}

func TestXMLMixed(t *testing.T) {
	t.Parallel()
	rep := readTestdata(t, "xml_mixed.xml")
	if rep.err != nil {
		t.Fatal(rep.err)
	}
	if rep.format != XML || len(rep.settlements) != 1 {
		t.Fatalf("format %s with %d settlements", rep.format, len(rep.settlements))
	}
	s := rep.settlements[0]
	wantHeader := Settlement{
		ID: "12345678901", Currency: "EUR",
		Start: utc("2022-03-08T21:21:31Z"), End: utc("2022-03-22T21:21:31Z"), DepositDate: "2022-03-24",
		Total: 1133, HasTotal: true, Line: 11, LineCount: 15, Sum: 1133,
	}
	if diff := cmp.Diff(wantHeader, s.Settlement); diff != "" {
		t.Errorf("settlement mismatch (-want +got):\n%s", diff)
	}
	wantAmounts := []amountKey{
		{"ItemPrice", "Principal", 3998}, {"ItemPrice", "Tax", 760}, {"ItemFees", "Commission", -600},
		{"ItemFees", "FBAPerUnitFulfillmentFee", -510}, {"Promotion", "Principal", -200},
		{"ItemPrice", "Principal", 1000}, {"ItemFees", "Commission", -150},
		{"ItemPriceAdjustments", "Principal", -1000}, {"ItemFeeAdjustments", "Commission", 150}, {"ItemFeeAdjustments", "RefundCommission", -30},
		{"OtherTransaction", "Storage Fee", -345}, {"OtherTransaction", "Reversal", 500},
		{"AdvertisingTransactionDetails", "Advertising", -2380},
		{"BaseTax", "", -50}, {"ShippingTax", "", -10},
	}
	if diff := cmp.Diff(wantAmounts, amountKeys(s.Lines)); diff != "" {
		t.Errorf("amounts mismatch (-want +got):\n%s", diff)
	}
	first := Line{TransactionType: "Order", OrderID: "028-1111111-1111111", MerchantOrderID: "SHOP-1001", ShipmentID: "DkLmN0pQr",
		Marketplace: "Amazon.de", SKU: "SKU-X-1", Quantity: 2, HasQuantity: true, AmountType: "ItemPrice", AmountDescription: "Principal",
		Currency: "EUR", AmountMinor: 3998, PostedDate: "2022-03-10", Line: 18}
	if len(s.Lines) > 0 {
		if diff := cmp.Diff(first, s.Lines[0]); diff != "" {
			t.Errorf("first line mismatch (-want +got):\n%s", diff)
		}
	}
	if len(s.Lines) > 12 {
		if l := s.Lines[7]; l.TransactionType != "Refund" || l.AdjustmentID != "amzn1:crow:XyZ0123456789abcdefGHI" || l.SKU != "SKU-X-3" {
			t.Errorf("refund line = %+v", l)
		}
		if l := s.Lines[10]; l.TransactionType != "Storage Fee" || l.PostedDate != "2022-03-15" {
			t.Errorf("other transaction line = %+v", l)
		}
		if l := s.Lines[12]; l.TransactionType != "Advertising" {
			t.Errorf("advertising line = %+v", l)
		}
	}
}

func TestTextReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		badLine        int
	}{
		{"utf-8 passes", "a\nÄö€𝄞\n", "a\nÄö€𝄞\n", 0},
		{"bom dropped", "\xEF\xBB\xBFabc", "abc", 0},
		{"cp1252 repaired", "x\n\nGr\xf6\xdfe \x80 \x9d", "x\n\nGröße € \u009d", 3},
		{"mixed", "é\n\xe9", "é\né", 2},
		{"truncated sequence at end", "ab\xe2\x82", "abâ\u201a", 1},
		{"empty", "", "", 0},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tt.in)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			tr := newTextReader(r)
			got, err := io.ReadAll(tr)
			if err != nil {
				t.Errorf("%s (one byte %v): %v", tt.name, oneByte, err)
				continue
			}
			if string(got) != tt.want || tr.badLine != tt.badLine {
				t.Errorf("%s (one byte %v) = %q, bad line %d, want %q, %d", tt.name, oneByte, got, tr.badLine, tt.want, tt.badLine)
			}
		}
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		head   string
		want   Format
		wantOK bool
	}{
		{"v1", "settlement-id\tsettlement-start-date\ttotal-amount\tcurrency\tprice-type\tprice-amount\n", FlatV1, true},
		{"v2", "settlement-id\ttotal-amount\tcurrency\tamount-type\tamount-description\tamount\n", FlatV2, true},
		{"v2 with bom and crlf", "\xEF\xBB\xBFsettlement-id\ttotal-amount\tamount-type\tamount\r\n", FlatV2, true},
		{"only total-amount", "settlement-id\ttotal-amount\tcurrency\n", "", false},
		{"comma separated", "settlement-id,total-amount,amount-type,amount\n", "", false},
		{"xml", "<?xml version=\"1.0\"?>\n<!-- c --><AmazonEnvelope><MessageType>SettlementReport</MessageType>", XML, true},
		{"xml other message", "<AmazonEnvelope><MessageType>OrderReport</MessageType>", "", false},
		{"camt", "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><SettlementReport/>", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		got, ok := Detect([]byte(tt.head))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Detect(%s) = %q, %v, want %q, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestSkippingLines checks that NextSettlement skips unread lines and that
// reading byte by byte gives the same result.
func TestSkippingLines(t *testing.T) {
	t.Parallel()
	b := mustRead(t, "v2_two_settlements.txt")
	rd, err := NewReader(iotest.OneByteReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for {
		s, err := rd.NextSettlement()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}
	if diff := cmp.Diff([]string{"60000000008", "60000000009"}, ids); diff != "" {
		t.Errorf("ids mismatch (-want +got):\n%s", diff)
	}
}
