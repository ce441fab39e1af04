package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement"
	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement/settlementgen"
	"github.com/o2c-platform/o2c/libs/formats/camt"
	"github.com/o2c-platform/o2c/libs/formats/camt/camtgen"
	"github.com/o2c-platform/o2c/libs/formats/mt940"
	"github.com/o2c-platform/o2c/libs/formats/mt940/mt940gen"
)

// The handlers write JSON with hand-written appenders (json.go). The
// emitters below write the same members through encoding/json and
// reflection, as the handlers did before; the tests require both to give
// the same bytes, the same result and the same error.

// jsonInputs returns every file the parsers are tested with, by format:
// the shared fixtures, the libraries' test data and small generated files.
func jsonInputs(tb testing.TB) map[string][][]byte {
	tb.Helper()
	root := filepath.Join("..", "..", "..", "..")
	globs := map[string][]string{
		"camt": {
			filepath.Join(root, "..", "shared", "fixtures", "camt", "*.xml"),
			filepath.Join(root, "libs", "formats", "camt", "testdata", "*.xml"),
		},
		"mt940": {
			filepath.Join(root, "..", "shared", "fixtures", "mt940", "*"),
			filepath.Join(root, "libs", "formats", "mt940", "testdata", "mt940_*"),
		},
		"amazon-settlement": {
			filepath.Join(root, "libs", "formats", "amazon", "settlement", "testdata", "*.*"),
		},
	}
	inputs := map[string][][]byte{}
	for format, gs := range globs {
		for _, g := range gs {
			names, err := filepath.Glob(g)
			if err != nil {
				tb.Fatal(err)
			}
			for _, n := range names {
				if strings.Contains(n, ".expected.") || strings.HasSuffix(n, ".md") {
					continue
				}
				b, err := os.ReadFile(n)
				if err != nil {
					tb.Fatal(err)
				}
				inputs[format] = append(inputs[format], b)
			}
		}
	}
	for format, n := range map[string]int{"camt": 20, "mt940": 10, "amazon-settlement": 5} {
		if len(inputs[format]) < n {
			tb.Fatalf("%s: %d test files, want at least %d", format, len(inputs[format]), n)
		}
	}
	gen := func(write func(io.Writer, int64) (int, error)) []byte {
		var b bytes.Buffer
		if _, err := write(&b, 64<<10); err != nil {
			tb.Fatal(err)
		}
		return b.Bytes()
	}
	inputs["camt"] = append(inputs["camt"], gen(camtgen.Write))
	inputs["mt940"] = append(inputs["mt940"], gen(mt940gen.Write))
	inputs["amazon-settlement"] = append(inputs["amazon-settlement"], gen(settlementgen.WriteV1), gen(settlementgen.WriteV2))
	return inputs
}

// emitted is everything one emitter produced for one input.
type emitted struct {
	JSON   string
	Result Result
	Err    string
}

func emitWith(emit func(io.Reader, Options, *Writer) (Result, error), data []byte, opt Options) emitted {
	var out bytes.Buffer
	w := NewWriter(&out)
	res, err := emit(bytes.NewReader(data), opt, w)
	if ferr := w.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	e := emitted{JSON: out.String(), Result: res}
	if err != nil {
		e.Err = err.Error()
	}
	return e
}

// referenceEmitters are the encoding/json versions of the handlers.
var referenceEmitters = map[string][2]func(io.Reader, Options, *Writer) (Result, error){
	"camt":              {emitCamt, emitCamtReference},
	"mt940":             {emitMT940, emitMT940Reference},
	"amazon-settlement": {emitSettlements, emitSettlementsReference},
}

// checkSameJSON fails when the handler and its encoding/json reference
// disagree on data.
func checkSameJSON(t *testing.T, format string, data []byte, opt Options) {
	t.Helper()
	em := referenceEmitters[format]
	got, want := emitWith(em[0], data, opt), emitWith(em[1], data, opt)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s %+v: handler differs from encoding/json (-want +got):\n%s", format, opt, diff)
	}
	if want.Err == "" && !json.Valid([]byte("{"+strings.TrimPrefix(got.JSON, ",")+"}")) {
		t.Errorf("%s: output is not valid JSON members: %.200s", format, got.JSON)
	}
}

// TestJSONMatchesEncodingJSON runs every fixture through each handler and
// through encoding/json: the bytes, result and error must be the same.
func TestJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for format, inputs := range jsonInputs(t) {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			for _, data := range inputs {
				checkSameJSON(t, format, data, Options{})
				if format == "mt940" {
					checkSameJSON(t, format, data, Options{Encoding: "cp852"})
				}
			}
		})
	}
}

// TestJSONEscaping checks the appenders on strings that need escaping:
// control characters (\b and \f by name), quotes, invalid UTF-8 and the
// JavaScript line separators, in every handler's text fields.
func TestJSONEscaping(t *testing.T) {
	t.Parallel()
	odd := "q\"b\\ c\x01\b\f\n\r\t ü \xff \u2028\u2029 <&>"
	strs := []string{"plain", odd, "", "\x7f\x00"}
	// Every character that needs care at every position of a string that
	// appendString reads sixteen and eight bytes at a time, and at either
	// end of every short one.
	for _, c := range []string{"\"", "\\", "\x00", "\x1f", " ", "\x7f", "\u00e9", "\u20ac", "\U0001F600", "\u2028", "\xff", "\xc3"} {
		for at := 0; at <= 40; at++ {
			strs = append(strs, strings.Repeat("a", at)+c+strings.Repeat("b", 40-at))
		}
		for n := 0; n <= 17; n++ {
			strs = append(strs, strings.Repeat("a", n)+c, c+strings.Repeat("b", n))
		}
	}
	for _, s := range strs {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := string(appendString(nil, s)) + "\n"; got != want.String() {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want.String())
		}
	}
	settlementRow := "1\t\t\t\t\t\tOrder\t" + odd + "\t\t\t\tAmazon.de\tItemPrice\t" + odd + "\t1,00\tAFN\t15.03.2023\t\t\t\t\tSKU\t1\t\n"
	for format, data := range map[string]string{
		"amazon-settlement": settlementgen.V2Header + "1\t\t\t\t1,00\tEUR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n" + settlementRow,
		"camt": `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>` + odd +
			`</Id><Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><AddtlNtryInf>` + odd + `</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>`,
		"mt940": ":20:" + odd + "\n:25:X\n:60F:C200101EUR0,\n:61:200101C1,NTRF" + odd + "\n:86:" + odd + "\n:62F:C200101EUR1,\n",
	} {
		checkSameJSON(t, format, []byte(data), Options{})
	}
}

// FuzzJSONMatchesEncodingJSON feeds arbitrary bytes to every handler and
// its encoding/json reference, seeded with the fixtures.
func FuzzJSONMatchesEncodingJSON(f *testing.F) {
	for _, inputs := range jsonInputs(f) {
		for _, data := range inputs {
			if len(data) < 64<<10 {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for format := range referenceEmitters {
			checkSameJSON(t, format, data, Options{})
		}
	})
}

// emitMT940Reference is emitMT940 through encoding/json.
func emitMT940Reference(r io.Reader, opt Options, w *Writer) (Result, error) {
	rd := mt940.NewReader(r, mt940.Options{Encoding: opt.Encoding})
	w.WriteString(`,"statements":[`)
	statements, entries := 0, 0
	for {
		it, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Result{Format: rd.Format()}, fmt.Errorf("MT940 %w", err)
		}
		st := &it.Statement
		switch it.Kind {
		case mt940.KindStatementStart:
			if statements > 0 {
				w.WriteString(",")
			}
			statements++
			entries = 0
			w.WriteString(`{"id":`)
			w.Value(st.Reference)
			w.Member("sequence", st.Sequence)
			w.Member("account", st.Account)
			w.Member("account_currency", st.AccountCurrency)
			w.Member("related_reference", st.RelatedReference)
			w.Member("line", st.Line)
			w.WriteString(`,"entries":[`)
		case mt940.KindEntry:
			if entries > 0 {
				w.WriteString(",")
			}
			entries++
			w.Value(mt940EntryReference(it.Entry))
		case mt940.KindStatementEnd:
			balance := func(b *mt940.Balance) *int64 {
				if b == nil {
					return nil
				}
				return &b.Amount
			}
			w.WriteString("]")
			w.Member("currency", st.Currency)
			w.Member("opening_booked_minor", balance(st.Opening))
			w.Member("closing_booked_minor", balance(st.Closing))
			w.Member("closing_available_minor", balance(st.Available))
			w.Member("balance_check", st.BalanceCheck)
			w.Member("entry_count", st.Entries)
			w.Member("info", st.Info)
			if st.DateTime != "" || st.FloorLimit != "" || st.Debits != nil || st.Credits != nil {
				w.Member("date_time", st.DateTime)
				w.Member("floor_limit", st.FloorLimit)
				w.Member("debits", st.Debits)
				w.Member("credits", st.Credits)
			}
			w.WriteString("}")
		}
	}
	w.WriteString("]")
	return Result{Format: rd.Format(), Warnings: rd.Warnings()}, nil
}

type mt940EntryJSON struct {
	AmountMinor       int64                   `json:"amount_minor"`
	AmountExact       string                  `json:"amount_exact,omitempty"`
	Currency          string                  `json:"currency"`
	BookingDate       string                  `json:"booking_date"`
	ValueDate         string                  `json:"value_date"`
	Reversal          bool                    `json:"reversal"`
	Status            string                  `json:"status"`
	BankReference     string                  `json:"bank_reference"`
	BankTxCode        string                  `json:"bank_tx_code"`
	BookingText       string                  `json:"booking_text"`
	Transactions      [1]mt940TransactionJSON `json:"transactions"`
	Line              int                     `json:"line"`
	Mark              string                  `json:"mark"`
	FundsCode         string                  `json:"funds_code"`
	TypeCode          string                  `json:"type_code"`
	CustomerReference string                  `json:"customer_reference"`
	Supplementary     string                  `json:"supplementary_details"`
	GVC               string                  `json:"gvc"`
	Info              string                  `json:"info"`
}

type mt940TransactionJSON struct {
	AmountMinor          int64    `json:"amount_minor"`
	EndToEndID           string   `json:"end_to_end_id"`
	MandateID            string   `json:"mandate_id"`
	CreditorID           string   `json:"creditor_id"`
	Remittance           string   `json:"remittance"`
	CreditorReferences   []string `json:"creditor_references"`
	CounterpartyName     string   `json:"counterparty_name"`
	CounterpartyIBAN     string   `json:"counterparty_iban"`
	CounterpartyBIC      string   `json:"counterparty_bic"`
	ReturnReason         string   `json:"return_reason"`
	ChargesMinor         int64    `json:"charges_minor"`
	Fingerprint          string   `json:"fingerprint"`
	Purpose              string   `json:"purpose"`
	CustomerRef          string   `json:"customer_ref"`
	UltimateParty        string   `json:"ultimate_party"`
	CounterpartyAccount  string   `json:"counterparty_account"`
	CounterpartyBankCode string   `json:"counterparty_bank_code"`
	ReturnCode           string   `json:"return_code"`
}

func mt940EntryReference(e *mt940.Entry) mt940EntryJSON {
	d := &e.Details
	code := e.TypeCode
	if d.GVC != "" {
		code = d.GVC
	}
	refs := d.CreditorReferences
	if refs == nil {
		refs = []string{}
	}
	return mt940EntryJSON{
		AmountMinor: e.Amount, AmountExact: e.AmountExact, Currency: e.Currency,
		BookingDate: e.BookingDate.String(), ValueDate: e.ValueDate.String(), Reversal: e.Reversal, Status: "BOOK",
		BankReference: e.BankReference, BankTxCode: code, BookingText: d.BookingText,
		Transactions: [1]mt940TransactionJSON{{
			AmountMinor: e.Amount, EndToEndID: d.EndToEndID, MandateID: d.MandateID, CreditorID: d.CreditorID,
			Remittance: d.Remittance, CreditorReferences: refs, CounterpartyName: d.CounterpartyName,
			CounterpartyIBAN: d.CounterpartyIBAN, CounterpartyBIC: d.CounterpartyBIC, ReturnReason: d.ReturnReason,
			ChargesMinor: e.Charges, Fingerprint: e.Fingerprint(), Purpose: d.Purpose, CustomerRef: d.CustomerRef,
			UltimateParty: d.UltimateParty, CounterpartyAccount: d.CounterpartyAccount,
			CounterpartyBankCode: d.CounterpartyBankCode, ReturnCode: d.ReturnCode,
		}},
		Line: e.Line, Mark: e.Mark, FundsCode: e.FundsCode, TypeCode: e.TypeCode,
		CustomerReference: e.CustomerReference, Supplementary: e.Supplementary, GVC: d.GVC, Info: e.Info,
	}
}

// emitSettlementsReference is emitSettlements through encoding/json.
func emitSettlementsReference(r io.Reader, _ Options, w *Writer) (Result, error) {
	rd, err := settlement.NewReader(r)
	if errors.Is(err, settlement.ErrNotSettlementReport) {
		return Result{}, fmt.Errorf("line 1: %w", err)
	}
	if err != nil {
		return Result{}, err
	}
	res := Result{Format: string(rd.Format())}
	fail := func(err error) (Result, error) {
		res.Warnings = rd.Warnings()
		return res, err
	}
	optional := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	instant := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.UTC().Format(time.RFC3339)
		return &s
	}
	w.WriteString(`,"settlements":[`)
	for n := 0; ; n++ {
		s, err := rd.NextSettlement()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		if n > 0 {
			w.WriteString(",")
		}
		w.WriteString(`{"settlement_id":`)
		w.Value(s.ID)
		w.Member("currency", s.Currency)
		w.Member("start", instant(s.Start))
		w.Member("end", instant(s.End))
		w.Member("deposit_date", optional(s.DepositDate))
		if s.HasTotal {
			w.Member("total_minor", s.Total)
		} else {
			w.Member("total_minor", nil)
		}
		if s.TotalExact != "" {
			w.Member("total_exact", s.TotalExact)
		}
		w.WriteString(`,"lines":[`)
		for i := 0; ; i++ {
			l, err := rd.NextLine()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fail(err)
			}
			if i > 0 {
				w.WriteString(",")
			}
			j := settlementLineJSON{
				TransactionType: l.TransactionType, OrderID: l.OrderID, MerchantOrderID: l.MerchantOrderID,
				AdjustmentID: l.AdjustmentID, ShipmentID: l.ShipmentID, Marketplace: l.Marketplace, SKU: l.SKU,
				AmountType: l.AmountType, AmountDescription: l.AmountDescription, AmountMinor: l.AmountMinor,
				AmountExact: l.AmountExact, Currency: l.Currency, PostedDate: optional(l.PostedDate),
			}
			if l.HasQuantity {
				q := l.Quantity
				j.Quantity = &q
			}
			w.Value(j)
		}
		w.WriteString("]")
		check := "mismatch"
		if s.SumOK() {
			check = "ok"
		}
		w.Member("sum_check", check)
		w.WriteString("}")
	}
	w.WriteString("]")
	res.Warnings = rd.Warnings()
	return res, w.Err()
}

type settlementLineJSON struct {
	TransactionType   string  `json:"transaction_type"`
	OrderID           string  `json:"order_id"`
	MerchantOrderID   string  `json:"merchant_order_id"`
	AdjustmentID      string  `json:"adjustment_id"`
	ShipmentID        string  `json:"shipment_id"`
	Marketplace       string  `json:"marketplace"`
	SKU               string  `json:"sku"`
	Quantity          *int64  `json:"quantity"`
	AmountType        string  `json:"amount_type"`
	AmountDescription string  `json:"amount_description"`
	AmountMinor       int64   `json:"amount_minor"`
	AmountExact       string  `json:"amount_exact,omitempty"`
	Currency          string  `json:"currency"`
	PostedDate        *string `json:"posted_date"`
}

// emitCamtReference is emitCamt through encoding/json.
func emitCamtReference(r io.Reader, _ Options, w *Writer) (Result, error) {
	cr := camt.NewReader(r)
	var (
		res    Result
		inStmt bool
		first  bool
		stmts  int
	)
	minor := func(a *camt.Amount) *int64 {
		if a == nil {
			return nil
		}
		return &a.Minor
	}
	w.WriteString(`,"statements":[`)
	for {
		kind, err := cr.Next()
		res.Format = cr.Message()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.Warnings = cr.Warnings()
			return res, err
		}
		s := cr.Statement()
		switch kind {
		case camt.KindStatement:
			if stmts > 0 {
				w.WriteString(",")
			}
			stmts++
			w.WriteString(`{"id":`)
			w.Value(s.ID)
			w.Member("sequence", s.Sequence)
			w.Member("account", s.Account)
			w.Member("opening_booked_minor", minor(s.OpeningBooked))
			w.Member("closing_booked_minor", minor(s.ClosingBooked))
			w.WriteString(`,"entries":[`)
			inStmt, first = true, true
		case camt.KindEntry:
			if !first {
				w.WriteString(",")
			}
			first = false
			w.Value(camtEntryReference(cr.Entry()))
		case camt.KindStatementEnd:
			w.WriteString("]")
			w.Member("currency", s.Currency)
			w.Member("balance_check", s.BalanceCheck)
			w.Member("entry_count", s.Entries)
			w.WriteString("}")
			inStmt = false
		}
	}
	if inStmt {
		return res, errors.New("camt: statement not closed")
	}
	w.WriteString(`]`)
	res.Warnings = cr.Warnings()
	return res, w.Err()
}

type camtEntryJSON struct {
	AmountMinor   int64             `json:"amount_minor"`
	AmountExact   string            `json:"amount_exact,omitempty"`
	Currency      string            `json:"currency"`
	BookingDate   *string           `json:"booking_date"`
	ValueDate     *string           `json:"value_date"`
	Reversal      bool              `json:"reversal"`
	Status        string            `json:"status"`
	BankReference string            `json:"bank_reference"`
	BankTxCode    string            `json:"bank_tx_code"`
	BookingText   string            `json:"booking_text"`
	Fingerprint   string            `json:"fingerprint"`
	Transactions  []camtTransaction `json:"transactions"`
}

type camtTransaction struct {
	AmountMinor        int64    `json:"amount_minor"`
	AmountExact        string   `json:"amount_exact,omitempty"`
	EndToEndID         string   `json:"end_to_end_id"`
	MandateID          string   `json:"mandate_id"`
	CreditorID         string   `json:"creditor_id"`
	Remittance         string   `json:"remittance"`
	CreditorReferences []string `json:"creditor_references"`
	CounterpartyName   string   `json:"counterparty_name"`
	CounterpartyIBAN   string   `json:"counterparty_iban"`
	CounterpartyBIC    string   `json:"counterparty_bic"`
	ReturnReason       string   `json:"return_reason"`
	Fingerprint        string   `json:"fingerprint"`
	ChargesMinor       int64    `json:"charges_minor"`
}

func camtEntryReference(e *camt.Entry) camtEntryJSON {
	date := func(d string) *string {
		if d == "" {
			return nil
		}
		return &d
	}
	ref := e.AcctSvcrRef
	if ref == "" {
		ref = e.EntryRef
	}
	j := camtEntryJSON{
		AmountMinor: e.Amount.Minor, AmountExact: e.Amount.Exact, Currency: e.Amount.Currency,
		BookingDate: date(e.BookingDate), ValueDate: date(e.ValueDate), Reversal: e.Reversal, Status: e.Status,
		BankReference: ref, BankTxCode: e.BankTxCode, BookingText: e.BookingText, Fingerprint: e.Fingerprint(),
		Transactions: []camtTransaction{},
	}
	for i := range e.Transactions {
		tx := &e.Transactions[i]
		refs := tx.CreditorReferences
		if refs == nil {
			refs = []string{}
		}
		j.Transactions = append(j.Transactions, camtTransaction{
			AmountMinor: tx.Amount.Minor, AmountExact: tx.Amount.Exact, EndToEndID: tx.EndToEndID,
			MandateID: tx.MandateID, CreditorID: tx.CreditorID, Remittance: tx.Remittance, CreditorReferences: refs,
			CounterpartyName: tx.CounterpartyName, CounterpartyIBAN: tx.CounterpartyIBAN, CounterpartyBIC: tx.CounterpartyBIC,
			ReturnReason: tx.ReturnReason, Fingerprint: tx.Fingerprint(), ChargesMinor: tx.Charges,
		})
	}
	return j
}
