package offline

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// The input lines as the contract writes them. Unknown fields are
// ignored; amounts are integers in minor units, dates YYYY-MM-DD.

type itemLine struct {
	ID               string `json:"id"`
	Debtor           string `json:"debtor"`
	Kind             string `json:"kind"`
	DocumentNumber   string `json:"document_number"`
	OrderID          string `json:"order_id"`
	PaymentReference string `json:"payment_reference"`
	AmountMinor      *int64 `json:"amount_minor"`
	OpenMinor        *int64 `json:"open_minor"`
	Currency         string `json:"currency"`
	IssueDate        string `json:"issue_date"`
	DueDate          string `json:"due_date"`
	CashDiscount     *struct {
		Until     string `json:"until"`
		PercentBP int32  `json:"percent_bp"`
	} `json:"cash_discount"`
	Channel string `json:"channel"`
}

type debtorLine struct {
	Debtor         string   `json:"debtor"`
	Name           string   `json:"name"`
	IBANs          []string `json:"ibans"`
	MandateIDs     []string `json:"mandate_ids"`
	CustomerNumber string   `json:"customer_number"`
	// Business is an extension of the contract: true for a business
	// debtor (a return charge passed on to a consumer never exceeds the
	// bank's).
	Business bool `json:"business"`
}

type paymentLine struct {
	ID                 string   `json:"id"`
	AmountMinor        *int64   `json:"amount_minor"`
	Currency           string   `json:"currency"`
	BookingDate        string   `json:"booking_date"`
	ValueDate          string   `json:"value_date"`
	Remittance         string   `json:"remittance"`
	EndToEndID         string   `json:"end_to_end_id"`
	MandateID          string   `json:"mandate_id"`
	CreditorReferences []string `json:"creditor_references"`
	CounterpartyName   string   `json:"counterparty_name"`
	CounterpartyIBAN   string   `json:"counterparty_iban"`
	ReturnReason       string   `json:"return_reason"`
	BankTxCode         string   `json:"bank_tx_code"`
	ConfirmedDebtor    string   `json:"confirmed_debtor"`
}

// decodeJSON decodes one line, naming the field of a wrong type.
func decodeJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%s: %s where %s is expected", te.Field, te.Value, te.Type)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("not JSON (at byte %d): %v", se.Offset, err)
		}
		return err
	}
	return nil
}

// parseDate reads YYYY-MM-DD; empty is the zero time.
func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not a date YYYY-MM-DD", field, s)
	}
	return t, nil
}

func amount(field string, v *int64) (int64, error) {
	if v == nil {
		return 0, fmt.Errorf("%s: missing", field)
	}
	if !money.InBounds(*v) {
		return 0, fmt.Errorf("%s: %d is beyond ±%d", field, *v, money.MaxAbs)
	}
	return *v, nil
}

func currency(s string) error {
	if _, ok := money.Exponent(s); !ok {
		return fmt.Errorf("currency: %q is not an ISO 4217 currency", s)
	}
	return nil
}

func decodeItem(b []byte) (engine.OpenItem, error) {
	var l itemLine
	if err := decodeJSON(b, &l); err != nil {
		return engine.OpenItem{}, err
	}
	switch {
	case strings.TrimSpace(l.ID) == "":
		return engine.OpenItem{}, errors.New("id: missing")
	case strings.TrimSpace(l.Debtor) == "":
		return engine.OpenItem{}, errors.New("debtor: missing")
	}
	if err := currency(l.Currency); err != nil {
		return engine.OpenItem{}, err
	}
	open, err := amount("open_minor", l.OpenMinor)
	if err != nil {
		return engine.OpenItem{}, err
	}
	amt := open
	if l.AmountMinor != nil {
		if amt, err = amount("amount_minor", l.AmountMinor); err != nil {
			return engine.OpenItem{}, err
		}
	}
	it := engine.OpenItem{
		ID: l.ID, Debtor: l.Debtor, Kind: engine.ItemKind(l.Kind), DocumentNumber: l.DocumentNumber,
		OrderID: l.OrderID, PaymentReference: l.PaymentReference,
		Amount: money.Amount{Minor: amt, Currency: l.Currency}, Open: open, Channel: l.Channel,
	}
	switch it.Kind {
	case "", engine.ItemInvoice, engine.ItemFee, engine.ItemInterest, engine.ItemCredit:
	default:
		return engine.OpenItem{}, fmt.Errorf("kind: %q is not one of invoice, fee, interest, credit", l.Kind)
	}
	if it.IssueDate, err = parseDate("issue_date", l.IssueDate); err != nil {
		return engine.OpenItem{}, err
	}
	if it.DueDate, err = parseDate("due_date", l.DueDate); err != nil {
		return engine.OpenItem{}, err
	}
	if cd := l.CashDiscount; cd != nil {
		until, err := parseDate("cash_discount.until", cd.Until)
		if err != nil {
			return engine.OpenItem{}, err
		}
		if cd.PercentBP < 0 || cd.PercentBP > 10000 {
			return engine.OpenItem{}, fmt.Errorf("cash_discount.percent_bp: %d is not between 0 and 10000", cd.PercentBP)
		}
		it.CashDiscount = &engine.CashDiscount{Until: until, PercentBP: cd.PercentBP}
	}
	return it, nil
}

func decodeDebtor(b []byte) (engine.Debtor, error) {
	var l debtorLine
	if err := decodeJSON(b, &l); err != nil {
		return engine.Debtor{}, err
	}
	if strings.TrimSpace(l.Debtor) == "" {
		return engine.Debtor{}, errors.New("debtor: missing")
	}
	return engine.Debtor{ID: l.Debtor, Name: l.Name, IBANs: l.IBANs, MandateIDs: l.MandateIDs,
		CustomerNumber: l.CustomerNumber, Business: l.Business}, nil
}

func decodePaymentLine(b []byte) (engine.Payment, paymentLine, error) {
	var l paymentLine
	if err := decodeJSON(b, &l); err != nil {
		return engine.Payment{}, l, err
	}
	if strings.TrimSpace(l.ID) == "" {
		return engine.Payment{}, l, errors.New("id: missing")
	}
	if err := currency(l.Currency); err != nil {
		return engine.Payment{}, l, err
	}
	amt, err := amount("amount_minor", l.AmountMinor)
	if err != nil {
		return engine.Payment{}, l, err
	}
	p := engine.Payment{
		ID: l.ID, Amount: money.Amount{Minor: amt, Currency: l.Currency}, Remittance: l.Remittance,
		EndToEndID: l.EndToEndID, MandateID: l.MandateID, CreditorReferences: l.CreditorReferences,
		CounterpartyName: l.CounterpartyName, CounterpartyIBAN: l.CounterpartyIBAN,
		ReturnReason: l.ReturnReason, BankTxCode: l.BankTxCode,
	}
	if p.BookingDate, err = parseDate("booking_date", l.BookingDate); err != nil {
		return engine.Payment{}, l, err
	}
	if p.ValueDate, err = parseDate("value_date", l.ValueDate); err != nil {
		return engine.Payment{}, l, err
	}
	return p, l, nil
}

func decodePayment(b []byte) (engine.Payment, error) {
	p, _, err := decodePaymentLine(b)
	return p, err
}

func decodeHistory(b []byte) (engine.Confirmation, error) {
	p, l, err := decodePaymentLine(b)
	if err != nil {
		return engine.Confirmation{}, err
	}
	if strings.TrimSpace(l.ConfirmedDebtor) == "" {
		return engine.Confirmation{}, errors.New("confirmed_debtor: missing")
	}
	return engine.Confirmation{Payment: p, Debtor: l.ConfirmedDebtor}, nil
}

// The output line of the contract.

type decisionLine struct {
	Payment      string         `json:"payment"`
	Decision     string         `json:"decision"`
	Score        int            `json:"score"`
	Debtor       *string        `json:"debtor"`
	Allocations  []allocLine    `json:"allocations"`
	Difference   *diffLine      `json:"difference"`
	Reverses     *string        `json:"reverses"`
	Alternatives []proposalLine `json:"alternatives"`
	Explanation  string         `json:"explanation"`
}

type allocLine struct {
	OpenItem    string `json:"open_item"`
	AmountMinor int64  `json:"amount_minor"`
}

type diffLine struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
}

type proposalLine struct {
	Score       int         `json:"score"`
	Debtor      *string     `json:"debtor"`
	Allocations []allocLine `json:"allocations"`
	Difference  *diffLine   `json:"difference"`
	Explanation string      `json:"explanation"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func allocLines(as []engine.Allocation) []allocLine {
	out := make([]allocLine, 0, len(as))
	for _, a := range as {
		out = append(out, allocLine{OpenItem: a.Item, AmountMinor: a.Amount})
	}
	return out
}

func diff(d *engine.Difference) *diffLine {
	if d == nil {
		return nil
	}
	return &diffLine{Kind: string(d.Kind), AmountMinor: d.Amount}
}

// oneLine keeps an explanation on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func toLine(d engine.Decision) decisionLine {
	l := decisionLine{
		Payment: d.Payment.ID, Decision: string(d.Kind), Score: d.Score, Debtor: optional(d.Debtor),
		Allocations: allocLines(d.Allocations), Difference: diff(d.Difference), Reverses: optional(d.Reverses),
		Alternatives: make([]proposalLine, 0, len(d.Alternatives)), Explanation: oneLine(d.Explanation),
	}
	for _, a := range d.Alternatives {
		l.Alternatives = append(l.Alternatives, proposalLine{Score: a.Score, Debtor: optional(a.Debtor),
			Allocations: allocLines(a.Allocations), Difference: diff(a.Difference), Explanation: oneLine(a.Explanation)})
	}
	return l
}
