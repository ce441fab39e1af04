package parse

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement"
)

// settlementFormat reads Amazon settlement reports (flat file V1, flat file
// V2 and XML) into the contract's "settlements" list. Lines are written as
// they are read; sum_check, known only after the last line, follows the
// "lines" array.
var settlementFormat = format{
	name: "amazon-settlement",
	detect: func(head []byte) bool {
		_, ok := settlement.Detect(head)
		return ok
	},
	emit: emitSettlements,
}

// settlementLineJSON is one element of a settlement's "lines".
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

func emitSettlements(r io.Reader, _ Options, w *Writer) (Result, error) {
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

// instant is t as RFC 3339 in UTC, or null when zero.
func instant(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// optional is s, or null when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
