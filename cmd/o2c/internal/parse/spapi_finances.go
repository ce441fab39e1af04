package parse

import (
	"io"
	"time"

	"github.com/o2c-platform/o2c/libs/formats/amazon/finances"
)

// spapiFormat reads Amazon SP-API Finances pages (v0 financial events and
// event groups, 2024-06-19 transactions) with libs/formats/amazon/finances. Events
// and groups are written as they are read; next_token comes last.
var spapiFormat = format{
	name:   "spapi-finances",
	detect: finances.Detect,
	emit:   emitSPAPI,
}

// spapiComponent is one money component of an event in the output.
type spapiComponent struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	AmountExact string `json:"amount_exact,omitempty"`
	Source      string `json:"source"`
}

// spapiEvent is one element of "financial_events". Fields after Components
// are extras beyond the contract.
type spapiEvent struct {
	List          string           `json:"list"`
	Type          string           `json:"type"`
	OrderID       string           `json:"order_id"`
	AdjustmentID  string           `json:"adjustment_id"`
	Posted        *string          `json:"posted"`
	Currency      string           `json:"currency"`
	AmountMinor   int64            `json:"amount_minor"`
	Components    []spapiComponent `json:"components"`
	Subtype       string           `json:"subtype"`
	SellerOrderID string           `json:"seller_order_id"`
	TransactionID string           `json:"transaction_id"`
	Status        string           `json:"status"`
	Description   string           `json:"description"`
	Marketplace   string           `json:"marketplace"`
	GroupID       string           `json:"group_id"`
	Details       []spapiComponent `json:"details"`
}

// spapiGroup is one element of "event_groups". Currency is the currency of
// original_total_minor; converted_total_minor is in converted_currency.
type spapiGroup struct {
	ID                    string  `json:"id"`
	Status                string  `json:"status"`
	FundTransferStatus    string  `json:"fund_transfer_status"`
	OriginalTotalMinor    *int64  `json:"original_total_minor"`
	ConvertedTotalMinor   *int64  `json:"converted_total_minor"`
	Currency              string  `json:"currency"`
	FundTransferDate      *string `json:"fund_transfer_date"`
	Start                 *string `json:"start"`
	End                   *string `json:"end"`
	OriginalCurrency      string  `json:"original_currency"`
	ConvertedCurrency     string  `json:"converted_currency"`
	BeginningBalanceMinor *int64  `json:"beginning_balance_minor"`
	BeginningCurrency     string  `json:"beginning_balance_currency"`
	OriginalTotalExact    string  `json:"original_total_exact,omitempty"`
	ConvertedTotalExact   string  `json:"converted_total_exact,omitempty"`
	BeginningBalanceExact string  `json:"beginning_balance_exact,omitempty"`
	TraceID               string  `json:"trace_id"`
	AccountTail           string  `json:"account_tail"`
}

func emitSPAPI(r io.Reader, _ Options, w *Writer) (Result, error) {
	var open string // the array currently open: "", "events" or "groups"
	closeOpen := func() {
		if open != "" {
			w.WriteString("]")
		}
		open = ""
	}
	begin := func(which, member string) {
		if open == which {
			w.WriteString(",")
			return
		}
		closeOpen()
		w.WriteString(`,"` + member + `":[`)
		open = which
	}
	page, err := finances.Parse(r, finances.Handler{
		Event: func(e *finances.Event) error {
			begin("events", "financial_events")
			w.Value(toSPAPIEvent(e))
			return w.Err()
		},
		Group: func(g *finances.EventGroup) error {
			begin("groups", "event_groups")
			w.Value(toSPAPIGroup(g))
			return w.Err()
		},
	})
	res := Result{Format: page.Format, Warnings: page.Warnings}
	if err != nil {
		return res, err
	}
	closeOpen()
	if page.Events == 0 {
		w.WriteString(`,"financial_events":[]`)
	}
	if page.Groups == 0 {
		w.WriteString(`,"event_groups":[]`)
	}
	w.Member("next_token", page.NextToken)
	return res, w.Err()
}

func instantJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

func toSPAPIComponents(cs []finances.Component) []spapiComponent {
	out := make([]spapiComponent, len(cs))
	for i, c := range cs {
		out[i] = spapiComponent{Kind: c.Kind, AmountMinor: c.Amount.Minor, Currency: c.Amount.Currency, AmountExact: c.Amount.Exact, Source: c.Source}
	}
	return out
}

func toSPAPIEvent(e *finances.Event) spapiEvent {
	return spapiEvent{
		List: e.List, Type: e.Type, OrderID: e.OrderID, AdjustmentID: e.AdjustmentID,
		Posted: instantJSON(e.Posted), Currency: e.Currency, AmountMinor: e.Minor,
		Components: toSPAPIComponents(e.Components),
		Subtype:    e.Subtype, SellerOrderID: e.SellerOrderID, TransactionID: e.TransactionID,
		Status: e.Status, Description: e.Description, Marketplace: e.Marketplace, GroupID: e.GroupID,
		Details: toSPAPIComponents(e.Details),
	}
}

func toSPAPIGroup(g *finances.EventGroup) spapiGroup {
	out := spapiGroup{
		ID: g.ID, Status: g.ProcessingStatus, FundTransferStatus: g.FundTransferStatus,
		FundTransferDate: instantJSON(g.FundTransferDate), Start: instantJSON(g.Start), End: instantJSON(g.End),
		TraceID: g.TraceID, AccountTail: g.AccountTail,
	}
	if m := g.OriginalTotal; m != nil {
		out.OriginalTotalMinor, out.OriginalCurrency, out.OriginalTotalExact = &m.Minor, m.Currency, m.Exact
	}
	if m := g.ConvertedTotal; m != nil {
		out.ConvertedTotalMinor, out.ConvertedCurrency, out.ConvertedTotalExact = &m.Minor, m.Currency, m.Exact
	}
	if m := g.BeginningBalance; m != nil {
		out.BeginningBalanceMinor, out.BeginningCurrency, out.BeginningBalanceExact = &m.Minor, m.Currency, m.Exact
	}
	out.Currency = out.OriginalCurrency
	if out.Currency == "" {
		out.Currency = out.ConvertedCurrency
	}
	return out
}
