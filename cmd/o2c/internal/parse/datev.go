package parse

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/o2c-platform/o2c/libs/formats/datev"
	"github.com/o2c-platform/o2c/libs/formats/detect"
	"github.com/o2c-platform/o2c/libs/money"
)

// datevFormat reads DATEV EXTF files: Buchungsstapel bookings in full, other
// categories (master data, payment terms, …) as header plus record count.
var datevFormat = format{
	name:   "datev",
	detect: detect.IsDATEV,
	emit:   datevEmit,
}

// datevBooking is one booking as o2c parse prints it. Amounts are in the
// minor unit of their currency and positive as written; debit_credit gives
// the direction.
type datevBooking struct {
	Line            int     `json:"line"`
	AmountMinor     int64   `json:"amount_minor"`
	AmountExact     string  `json:"amount_exact,omitempty"`
	Currency        string  `json:"currency"`
	DebitCredit     string  `json:"debit_credit"`
	Account         string  `json:"account"`
	ContraAccount   string  `json:"contra_account"`
	TaxKey          string  `json:"tax_key"`
	DocumentDate    string  `json:"document_date"`
	DocumentField1  string  `json:"document_field_1"`
	DocumentField2  string  `json:"document_field_2"`
	Text            string  `json:"text"`
	ExchangeRate    *string `json:"exchange_rate"`
	BaseAmountMinor *int64  `json:"base_amount_minor"`
	BaseAmountExact string  `json:"base_amount_exact,omitempty"`
	BaseCurrency    string  `json:"base_currency"`
	DiscountMinor   *int64  `json:"discount_minor"`
	DiscountExact   string  `json:"discount_exact,omitempty"`
	CostCenter1     string  `json:"cost_center_1"`
	CostCenter2     string  `json:"cost_center_2"`
	ServiceDate     *string `json:"service_date"`
	DueDate         *string `json:"due_date"`
	SEPAMandate     string  `json:"sepa_mandate_reference"`
	GeneralReversal bool    `json:"general_reversal"`
}

// datevMaxWarnings bounds the handler's own warnings (the reader bounds its own).
const datevMaxWarnings = 50

// datevEmit writes `,"datev":{…}`, streaming the bookings.
func datevEmit(r io.Reader, _ Options, w *Writer) (Result, error) {
	res := Result{Format: "datev-extf"}
	rd, err := datev.NewReader(r)
	if err != nil {
		return res, err
	}
	h := rd.Header()
	var warnings []string
	dropped := 0
	warn := func(format string, a ...any) {
		if len(warnings) >= datevMaxWarnings {
			dropped++
			return
		}
		warnings = append(warnings, fmt.Sprintf(format, a...))
	}

	w.WriteString(`,"datev":{"header_version":`)
	w.Value(datevIntOrNull(h.Version))
	w.Member("format_category", datevIntOrNull(h.Category))
	w.Member("format_version", datevIntOrNull(h.FormatVersion))
	w.Member("format_name", h.FormatName)
	w.Member("marker", h.Marker)
	w.Member("consultant", datevIntOrNull(h.Consultant))
	w.Member("client", datevIntOrNull(h.Client))
	w.Member("fiscal_year_start", datevISODate(h.FiscalYearStart))
	w.Member("account_length", datevIntOrNull(h.AccountLength))
	w.Member("period_from", datevISODate(h.PeriodFrom))
	w.Member("period_to", datevISODate(h.PeriodTo))
	w.Member("currency", h.Currency)
	w.Member("description", h.Description)
	w.Member("origin", h.Origin)
	w.Member("exported_by", h.ExportedBy)
	w.Member("dictation", h.Dictation)
	w.Member("booking_type", datevIntOrNull(h.BookingType))
	w.Member("locked", h.Locked)
	w.Member("chart_of_accounts", h.ChartOfAccounts)
	w.Member("columns", len(rd.Columns()))
	w.WriteString(`,"bookings":[`)

	if h.Category == 21 {
		noCurrencyWarned := false
		for n := 0; ; n++ {
			b, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return res, err
			}
			line := rd.Line()
			cur := b.Currency
			if cur == "" {
				cur = h.Currency
			}
			if cur == "" && !noCurrencyWarned {
				noCurrencyWarned = true
				warn("line %d: neither the booking nor the header gives a currency; amounts are read with two decimals", line)
			}
			out := datevBooking{
				Line: line, Currency: cur, DebitCredit: b.DebitCredit,
				Account: b.Account, ContraAccount: b.ContraAccount, TaxKey: b.TaxKey,
				DocumentDate: b.DocumentDate, DocumentField1: b.DocumentField1, DocumentField2: b.DocumentField2,
				Text: b.Text, BaseCurrency: b.BaseCurrency, CostCenter1: b.CostCenter1, CostCenter2: b.CostCenter2,
				SEPAMandate: b.SEPAMandateReference, GeneralReversal: b.GeneralReversal,
			}
			var rounded bool
			out.AmountMinor, out.AmountExact, rounded = datevMinor(b.Amount, cur)
			if rounded {
				warn("line %d: amount %s has more decimals than %s allows; rounded half-even to %d", line, out.AmountExact, cur, out.AmountMinor)
			}
			if b.Rate != "" {
				rate := strings.Replace(b.Rate, ",", ".", 1)
				out.ExchangeRate = &rate
			}
			if b.BaseAmount != 0 {
				v, exact, rounded := datevMinor(b.BaseAmount, b.BaseCurrency)
				out.BaseAmountMinor = &v
				if rounded {
					out.BaseAmountExact = exact
					warn("line %d: Basis-Umsatz %s has more decimals than %s allows; rounded half-even to %d", line, exact, b.BaseCurrency, v)
				}
			}
			if b.Discount != 0 {
				v, exact, rounded := datevMinor(b.Discount, cur)
				out.DiscountMinor = &v
				if rounded {
					out.DiscountExact = exact
					warn("line %d: Skonto %s has more decimals than %s allows; rounded half-even to %d", line, exact, cur, v)
				}
			}
			for _, d := range []struct {
				name, v string
				dst     **string
			}{{"Leistungsdatum", b.ServiceDate, &out.ServiceDate}, {"Fälligkeit", b.DueDate, &out.DueDate}} {
				if d.v == "" {
					continue
				}
				iso, ok := datevISOFromDDMMYYYY(d.v)
				if !ok {
					warn("line %d: %s %q is not a date TTMMJJJJ; printed as null", line, d.name, d.v)
					continue
				}
				*d.dst = &iso
			}
			if n > 0 {
				w.WriteString(",")
			}
			w.Value(out)
		}
	} else {
		for {
			_, err := rd.NextRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return res, err
			}
		}
	}
	w.WriteString("]")
	w.Member("records", rd.Records())
	w.Member("encoding", string(rd.Encoding()))
	w.WriteString("}")

	res.Warnings = append(res.Warnings, rd.Warnings()...)
	res.Warnings = append(res.Warnings, warnings...)
	if dropped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d more warnings not shown", dropped))
	}
	return res, nil
}

// datevMinor converts hundredths (DATEV's fixed two decimals) to the minor
// unit of currency. For a currency without decimals a remainder is rounded
// half-even and the exact amount returned as text with a decimal point.
// Unknown or empty currencies are taken to have two decimals.
func datevMinor(hundredths int64, currency string) (minor int64, exact string, rounded bool) {
	switch datevExponent(currency) {
	case 0:
		q, rem := hundredths/100, hundredths%100
		if rem == 0 {
			return q, "", false
		}
		if rem > 50 || (rem == 50 && q%2 == 1) {
			q++
		}
		return q, fmt.Sprintf("%d.%02d", hundredths/100, rem), true
	case 3:
		return hundredths * 10, "", false
	}
	return hundredths, "", false
}

// datevExponent is the ISO 4217 minor-unit exponent of currency (2 for a
// code libs/money does not know); the DATEV library itself knows only
// hundredths.
func datevExponent(currency string) int {
	exp, _ := money.ExponentOrTwo(currency)
	return exp
}

// datevIntOrNull prints 0 (a header field the file leaves empty) as null.
func datevIntOrNull(v int) any {
	if v == 0 {
		return nil
	}
	return v
}

// datevISODate turns YYYYMMDD (already checked by the reader) into
// YYYY-MM-DD, and an empty field into null.
func datevISODate(s string) any {
	if len(s) != 8 {
		return nil
	}
	return s[:4] + "-" + s[4:6] + "-" + s[6:]
}

// datevISOFromDDMMYYYY turns a valid TTMMJJJJ date into YYYY-MM-DD.
func datevISOFromDDMMYYYY(s string) (string, bool) {
	if len(s) != 8 {
		return "", false
	}
	for i := 0; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	d, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[2]-'0')*10+int(s[3]-'0')
	y := 0
	for i := 4; i < 8; i++ {
		y = y*10 + int(s[i]-'0')
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days[2] = 29
	}
	if m < 1 || m > 12 || d < 1 || d > days[m] {
		return "", false
	}
	return s[4:] + "-" + s[2:4] + "-" + s[:2], true
}
