package parse

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/money"
)

// Outputs are the accepted values of --output: the JSON Lines of the
// contract, or tables for people.
var Outputs = []string{"json", "table"}

// tableWriter renders, as Run's stdout, the JSON Lines Run produces as
// tables for people: per file a header (file, format, SHA-256) and, by
// format, each statement with its entries, each settlement with its lines,
// the financial events and event groups, or the DATEV bookings, amounts in
// the currency's decimals; then the warnings or the error. It decodes one
// statement (settlement, DATEV batch) at a time, not the whole file.
type tableWriter struct {
	pw   *io.PipeWriter
	done chan error
}

func newTableWriter(w io.Writer) *tableWriter {
	pr, pw := io.Pipe()
	t := &tableWriter{pw: pw, done: make(chan error, 1)}
	go func() {
		err := renderTables(pr, w)
		// Drain what the JSON writer still sends, so it never blocks.
		_, _ = io.Copy(io.Discard, pr)
		t.done <- err
	}()
	return t
}

func (t *tableWriter) Write(p []byte) (int, error) { return t.pw.Write(p) }

// Close ends the JSON stream and returns the renderer's error.
func (t *tableWriter) Close() error {
	_ = t.pw.Close()
	return <-t.done
}

func renderTables(r io.Reader, w io.Writer) error {
	dec := json.NewDecoder(r)
	for {
		if _, err := dec.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("render table: %w", err)
		}
		if err := renderFile(dec, w); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
	}
}

// renderFile renders one file's object, whose opening brace is read.
func renderFile(dec *json.Decoder, w io.Writer) error {
	var (
		name, sum, format, fail string
		warnings                []string
		headerShown             bool
	)
	header := func() {
		if headerShown {
			return
		}
		headerShown = true
		fmt.Fprintf(w, "== %s", name)
		if format != "" {
			fmt.Fprintf(w, " (%s)", format)
		}
		fmt.Fprintln(w)
		if sum != "" {
			fmt.Fprintf(w, "sha256 %s\n", sum)
		}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch key {
		case "file":
			err = dec.Decode(&name)
		case "sha256":
			err = dec.Decode(&sum)
		case "format":
			err = dec.Decode(&format)
		case "error":
			err = dec.Decode(&fail)
		case "warnings":
			err = dec.Decode(&warnings)
		case "statements":
			header()
			err = eachElement(dec, func() error {
				var st statementJSON
				if err := dec.Decode(&st); err != nil {
					return err
				}
				st.render(w)
				return nil
			})
		case "settlements":
			header()
			err = eachElement(dec, func() error {
				var s settlementJSON
				if err := dec.Decode(&s); err != nil {
					return err
				}
				s.render(w)
				return nil
			})
		case "financial_events":
			header()
			err = renderEvents(dec, w)
		case "event_groups":
			header()
			var gs []eventGroupJSON
			if err = dec.Decode(&gs); err == nil {
				renderGroups(w, gs)
			}
		case "next_token":
			var next string
			if err = dec.Decode(&next); err == nil && next != "" {
				header()
				fmt.Fprintf(w, "next page token: %s\n", next)
			}
		case "datev":
			header()
			var d datevJSON
			if err = dec.Decode(&d); err == nil {
				d.render(w)
			}
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	header()
	for _, wn := range warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	if fail != "" {
		fmt.Fprintf(w, "ERROR: %s\n", fail)
	}
	fmt.Fprintln(w)
	return nil
}

// eachElement calls f for every element of the array that comes next; f
// decodes the element.
func eachElement(dec *json.Decoder, f func() error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errors.New("want an array")
	}
	for dec.More() {
		if err := f(); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}

// amount formats minor units in the currency's decimals with the currency:
// "-53.00 EUR".
func amount(minor int64, cur string) string {
	exp, ok := money.Exponent(cur)
	if !ok {
		exp = 2
	}
	s := money.FormatMinor(minor, exp)
	if cur != "" {
		s += " " + cur
	}
	return s
}

func optAmount(minor *int64, cur string) string {
	if minor == nil {
		return "none"
	}
	return amount(*minor, cur)
}

// cell makes text fit a table cell: one line, at most max runes.
func cell(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

type statementJSON struct {
	ID           string          `json:"id"`
	Sequence     string          `json:"sequence"`
	Account      string          `json:"account"`
	Currency     string          `json:"currency"`
	Opening      *int64          `json:"opening_booked_minor"`
	Closing      *int64          `json:"closing_booked_minor"`
	BalanceCheck string          `json:"balance_check"`
	Entries      []stmtEntryJSON `json:"entries"`
}

type stmtEntryJSON struct {
	Amount       int64        `json:"amount_minor"`
	Currency     string       `json:"currency"`
	BookingDate  string       `json:"booking_date"`
	ValueDate    string       `json:"value_date"`
	Reversal     bool         `json:"reversal"`
	Status       string       `json:"status"`
	BankRef      string       `json:"bank_reference"`
	BookingText  string       `json:"booking_text"`
	Transactions []stmtTxJSON `json:"transactions"`
}

type stmtTxJSON struct {
	Amount     int64    `json:"amount_minor"`
	EndToEndID string   `json:"end_to_end_id"`
	Remittance string   `json:"remittance"`
	CreditRefs []string `json:"creditor_references"`
	Name       string   `json:"counterparty_name"`
	IBAN       string   `json:"counterparty_iban"`
	Return     string   `json:"return_reason"`
}

// reference is what identifies a payment to a person: the structured
// creditor reference, else the remittance text, else the end-to-end id.
func (t stmtTxJSON) reference() string {
	ref := firstNonEmpty(strings.Join(t.CreditRefs, " "), t.Remittance)
	if ref == "" && t.EndToEndID != "NOTPROVIDED" {
		ref = t.EndToEndID
	}
	if t.Return != "" {
		ref = "return " + t.Return + " " + ref
	}
	return ref
}

func (t stmtTxJSON) counterparty() string {
	return strings.TrimSpace(t.Name + " " + t.IBAN)
}

func (st statementJSON) render(w io.Writer) {
	fmt.Fprintf(w, "\nStatement %s", st.ID)
	if st.Sequence != "" {
		fmt.Fprintf(w, " (sequence %s)", st.Sequence)
	}
	fmt.Fprintf(w, ", account %s", firstNonEmpty(st.Account, "unknown"))
	if st.Currency != "" {
		fmt.Fprintf(w, ", %s", st.Currency)
	}
	fmt.Fprintf(w, "\nopening %s, closing %s, balance check %s\n", optAmount(st.Opening, st.Currency), optAmount(st.Closing, st.Currency), st.BalanceCheck)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BOOKED\tVALUE\t      AMOUNT\tSTATUS\tCOUNTERPARTY\tREFERENCE")
	for _, e := range st.Entries {
		status := e.Status
		if e.Reversal {
			status += " reversal"
		}
		if len(e.Transactions) == 1 {
			t := e.Transactions[0]
			fmt.Fprintf(tw, "%s\t%s\t%12s\t%s\t%s\t%s\n", e.BookingDate, e.ValueDate, amount(e.Amount, e.Currency), status,
				cell(t.counterparty(), 40), cell(firstNonEmpty(t.reference(), e.BookingText), 60))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%12s\t%s\t%s\t%s\n", e.BookingDate, e.ValueDate, amount(e.Amount, e.Currency), status,
			table.Count(len(e.Transactions), "transaction"), cell(firstNonEmpty(e.BookingText, e.BankRef), 60))
		for _, t := range e.Transactions {
			fmt.Fprintf(tw, "\t\t%12s\t\t%s\t%s\n", amount(t.Amount, e.Currency), cell(t.counterparty(), 40), cell(t.reference(), 60))
		}
	}
	tw.Flush()
	fmt.Fprintln(w, table.Count(len(st.Entries), "entry"))
}

type settlementJSON struct {
	ID          string `json:"settlement_id"`
	Currency    string `json:"currency"`
	Start       string `json:"start"`
	End         string `json:"end"`
	DepositDate string `json:"deposit_date"`
	Total       *int64 `json:"total_minor"`
	SumCheck    string `json:"sum_check"`
	Lines       []struct {
		Type        string `json:"transaction_type"`
		OrderID     string `json:"order_id"`
		SKU         string `json:"sku"`
		AmountType  string `json:"amount_type"`
		Description string `json:"amount_description"`
		Amount      int64  `json:"amount_minor"`
		Currency    string `json:"currency"`
		Posted      string `json:"posted_date"`
	} `json:"lines"`
}

func (s settlementJSON) render(w io.Writer) {
	fmt.Fprintf(w, "\nSettlement %s, %s to %s, deposit %s\ntotal %s, sum check %s\n", s.ID, s.Start, s.End, firstNonEmpty(s.DepositDate, "none"),
		optAmount(s.Total, s.Currency), s.SumCheck)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POSTED\tTYPE\tORDER\tSKU\tAMOUNT TYPE\tDESCRIPTION\t      AMOUNT")
	for _, l := range s.Lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%12s\n", l.Posted, l.Type, l.OrderID, l.SKU, l.AmountType, cell(l.Description, 40),
			amount(l.Amount, firstNonEmpty(l.Currency, s.Currency)))
	}
	tw.Flush()
	fmt.Fprintln(w, table.Count(len(s.Lines), "line"))
}

type eventJSON struct {
	List     string `json:"list"`
	Type     string `json:"type"`
	OrderID  string `json:"order_id"`
	Posted   string `json:"posted"`
	Currency string `json:"currency"`
	Amount   int64  `json:"amount_minor"`
}

func renderEvents(dec *json.Decoder, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	n := 0
	err := eachElement(dec, func() error {
		var e eventJSON
		if err := dec.Decode(&e); err != nil {
			return err
		}
		if n == 0 {
			fmt.Fprintln(w, "\nFinancial events")
			fmt.Fprintln(tw, "POSTED\tTYPE\tLIST\tORDER\t      AMOUNT")
		}
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%12s\n", e.Posted, e.Type, e.List, e.OrderID, amount(e.Amount, e.Currency))
		return nil
	})
	if n > 0 {
		tw.Flush()
		fmt.Fprintln(w, table.Count(n, "financial event"))
	}
	return err
}

type eventGroupJSON struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	FundTransfer   string `json:"fund_transfer_status"`
	Original       *int64 `json:"original_total_minor"`
	Currency       string `json:"currency"`
	FundTransferAt string `json:"fund_transfer_date"`
	Start          string `json:"start"`
	End            string `json:"end"`
}

func renderGroups(w io.Writer, gs []eventGroupJSON) {
	if len(gs) == 0 {
		return
	}
	fmt.Fprintln(w, "\nFinancial event groups")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tSTATUS\tTRANSFER\tTRANSFERRED AT\tSTART\tEND\t       TOTAL")
	for _, g := range gs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%12s\n", g.ID, g.Status, g.FundTransfer, g.FundTransferAt, g.Start, g.End, optAmount(g.Original, g.Currency))
	}
	tw.Flush()
	fmt.Fprintln(w, table.Count(len(gs), "event group"))
}

type datevJSON struct {
	Category   int    `json:"format_category"`
	Name       string `json:"format_name"`
	Consultant int    `json:"consultant"`
	Client     int    `json:"client"`
	From       string `json:"period_from"`
	To         string `json:"period_to"`
	Currency   string `json:"currency"`
	Records    *int   `json:"records"`
	Bookings   []struct {
		Amount   int64  `json:"amount_minor"`
		Currency string `json:"currency"`
		DC       string `json:"debit_credit"`
		Account  string `json:"account"`
		Contra   string `json:"contra_account"`
		TaxKey   string `json:"tax_key"`
		Date     string `json:"document_date"`
		Document string `json:"document_field_1"`
		Text     string `json:"text"`
	} `json:"bookings"`
}

func (d datevJSON) render(w io.Writer) {
	fmt.Fprintf(w, "\nDATEV %s (category %d), consultant %d, client %d", firstNonEmpty(d.Name, "EXTF"), d.Category, d.Consultant, d.Client)
	if d.From != "" || d.To != "" {
		fmt.Fprintf(w, ", period %s to %s", d.From, d.To)
	}
	if d.Currency != "" {
		fmt.Fprintf(w, ", %s", d.Currency)
	}
	fmt.Fprintln(w)
	if d.Records != nil && len(d.Bookings) == 0 {
		fmt.Fprintf(w, "%s, not bookings\n", table.Count(*d.Records, "record"))
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE (DDMM)\tACCOUNT\tCONTRA\tS/H\t      AMOUNT\tTAX\tDOCUMENT\tTEXT")
	for _, b := range d.Bookings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%12s\t%s\t%s\t%s\n", b.Date, b.Account, b.Contra, b.DC, amount(b.Amount, firstNonEmpty(b.Currency, d.Currency)),
			b.TaxKey, b.Document, cell(b.Text, 60))
	}
	tw.Flush()
	fmt.Fprintln(w, table.Count(len(d.Bookings), "booking"))
}
