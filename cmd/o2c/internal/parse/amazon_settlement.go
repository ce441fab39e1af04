package parse

import (
	"errors"
	"fmt"
	"io"
	"strconv"

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
		if !w.discard {
			buf := w.buffer()
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = appendSettlementHeader(buf, s)
			buf = append(buf, `,"lines":[`...)
			w.commit(buf)
		}
		for i := 0; ; i++ {
			l, err := rd.NextLine()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fail(err)
			}
			if w.discard {
				continue
			}
			buf := w.buffer()
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendSettlementLine(buf, &l)
			w.commit(buf)
		}
		check := "mismatch"
		if s.SumOK() {
			check = "ok"
		}
		if !w.discard {
			buf := append(w.buffer(), ']')
			buf = appendMember(buf, "sum_check", check)
			w.commit(append(buf, '}'))
		}
	}
	w.WriteString("]")
	res.Warnings = rd.Warnings()
	return res, w.Err()
}

// appendSettlementHeader appends a settlement's members up to, not
// including, its lines.
func appendSettlementHeader(buf []byte, s *settlement.Settlement) []byte {
	buf = append(buf, `{"settlement_id":`...)
	buf = appendString(buf, s.ID)
	buf = appendMember(buf, "currency", s.Currency)
	buf = appendKey(buf, "start")
	buf = appendInstant(buf, s.Start)
	buf = appendKey(buf, "end")
	buf = appendInstant(buf, s.End)
	buf = appendKey(buf, "deposit_date")
	buf = appendStringOrNull(buf, s.DepositDate)
	buf = appendKey(buf, "total_minor")
	if s.HasTotal {
		buf = strconv.AppendInt(buf, s.Total, 10)
	} else {
		buf = append(buf, "null"...)
	}
	if s.TotalExact != "" {
		buf = appendMember(buf, "total_exact", s.TotalExact)
	}
	return buf
}

// appendSettlementLine appends one element of a settlement's "lines".
func appendSettlementLine(buf []byte, l *settlement.Line) []byte {
	buf = append(buf, `{"transaction_type":`...)
	buf = appendString(buf, l.TransactionType)
	buf = appendMember(buf, "order_id", l.OrderID)
	buf = appendMember(buf, "merchant_order_id", l.MerchantOrderID)
	buf = appendMember(buf, "adjustment_id", l.AdjustmentID)
	buf = appendMember(buf, "shipment_id", l.ShipmentID)
	buf = appendMember(buf, "marketplace", l.Marketplace)
	buf = appendMember(buf, "sku", l.SKU)
	buf = appendKey(buf, "quantity")
	if l.HasQuantity {
		buf = strconv.AppendInt(buf, l.Quantity, 10)
	} else {
		buf = append(buf, "null"...)
	}
	buf = appendMember(buf, "amount_type", l.AmountType)
	buf = appendMember(buf, "amount_description", l.AmountDescription)
	buf = appendKey(buf, "amount_minor")
	buf = strconv.AppendInt(buf, l.AmountMinor, 10)
	if l.AmountExact != "" {
		buf = appendMember(buf, "amount_exact", l.AmountExact)
	}
	buf = appendMember(buf, "currency", l.Currency)
	buf = appendKey(buf, "posted_date")
	buf = appendStringOrNull(buf, l.PostedDate)
	return append(buf, '}')
}
