package notice

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
)

// Render renders l as an e-mail subject, text and HTML bodies and a PDF.
// The language may be given as a tag ("de-DE", "en_GB"): its first part
// counts. It returns ErrInvalidLetter, naming the field, when l cannot be
// rendered: an unknown language, template or day count, a missing number,
// date, pay-by date, currency, merchant or debtor name, no lines, a
// negative amount, or a Total that is not the sum of the lines' open
// amounts, the interest and the fees. The interest is the sum of the
// InterestLines when there are any, else of the lines' Interest; when both
// are given they must agree. The result depends on l alone: rendering the
// same letter twice gives the same bytes.
func Render(l Letter) (Rendered, error) {
	v, err := newView(l)
	if err != nil {
		return Rendered{}, err
	}
	html, err := v.html()
	if err != nil {
		return Rendered{}, fmt.Errorf("render notice %s: %w", l.Number, err)
	}
	return Rendered{Subject: v.Subject, Text: v.text(), HTML: html, PDF: v.pdf()}, nil
}

// view is a letter with every text formatted in its language, the one
// source of the three renderings.
type view struct {
	Lang           string
	t              *texts
	Title, Subject string
	Merchant       string
	MerchantLines  []string // the merchant's address
	Debtor         string
	DebtorLines    []string // the debtor's address
	Info           []pair   // letter number, date, pay by
	Greeting       string
	Intro          string
	Head           []string // table headings
	Right          []bool   // which columns are right-aligned
	levelColumn    bool     // the table has a level column
	interestColumn bool     // the table has an interest column
	Rows           [][]string
	Sums           []pair // open amounts, interest, fees
	Total          pair
	InterestTitle  string
	InterestLines  []string
	DayCount       string
	NoVAT          string
	PayTo          string
	Payment        []pair // beneficiary, IBAN, BIC, bank, reference
	ReferenceNote  string
	Questions      string
	Regards        string
	Footer         []string // merchant's address and registration, for the PDF's footer
	created        time.Time
}

// pair is a label and its value.
type pair struct{ Label, Value string }

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidLetter, field, fmt.Sprintf(format, args...))
}

// languageOf returns "de" or "en" for a language tag, or "".
func languageOf(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if _, ok := catalog[tag]; ok {
		return tag
	}
	return ""
}

// sums checks l's amounts and returns the sum of the open amounts, the
// interest and the interest by document from the interest lines.
func sums(l Letter) (open, interest int64, byDoc map[string]int64, err error) {
	var lineInterest, linesInterest int64
	for i, ln := range l.Lines {
		f := "lines[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(ln.Document) == "" {
			return 0, 0, nil, invalid(f+".document", "missing")
		}
		if ln.Open < 0 || ln.Interest < 0 {
			return 0, 0, nil, invalid(f, "negative amount")
		}
		if open, err = money.Add(open, ln.Open); err != nil {
			return 0, 0, nil, invalid(f+".open", "%v", err)
		}
		if lineInterest, err = money.Add(lineInterest, ln.Interest); err != nil {
			return 0, 0, nil, invalid(f+".interest", "%v", err)
		}
	}
	byDoc = map[string]int64{}
	for i, il := range l.Interest {
		f := "interest[" + strconv.Itoa(i) + "]"
		if il.Amount < 0 || il.Principal < 0 || il.Days < 0 {
			return 0, 0, nil, invalid(f, "negative amount or days")
		}
		if il.To.Before(il.From) {
			return 0, 0, nil, invalid(f, "period ends %s before it starts %s", il.To.Format(time.DateOnly), il.From.Format(time.DateOnly))
		}
		if linesInterest, err = money.Add(linesInterest, il.Amount); err != nil {
			return 0, 0, nil, invalid(f+".amount", "%v", err)
		}
		byDoc[il.Document] += il.Amount
	}
	interest = lineInterest
	if len(l.Interest) > 0 {
		if lineInterest != 0 && lineInterest != linesInterest {
			return 0, 0, nil, invalid("interest", "the lines' interest %d is not the interest lines' sum %d", lineInterest, linesInterest)
		}
		interest = linesInterest
	}
	total, err := money.Add(open, interest)
	if err != nil {
		return 0, 0, nil, invalid("total", "%v", err)
	}
	for i, fl := range l.Fees {
		if fl.Amount < 0 {
			return 0, 0, nil, invalid("fees["+strconv.Itoa(i)+"].amount", "negative")
		}
		if total, err = money.Add(total, fl.Amount); err != nil {
			return 0, 0, nil, invalid("fees["+strconv.Itoa(i)+"].amount", "%v", err)
		}
	}
	if total != l.Total {
		return 0, 0, nil, invalid("total", "%d is not the sum %d of open amounts %d, interest %d and fees", l.Total, total, open, interest)
	}
	return open, interest, byDoc, nil
}

func newView(l Letter) (*view, error) {
	lang := languageOf(l.Language)
	if lang == "" {
		return nil, invalid("language", "%q is neither de nor en", l.Language)
	}
	t := catalog[lang]
	switch {
	case !KnownTemplate(l.Template):
		return nil, invalid("template", "unknown template %q", l.Template)
	case strings.TrimSpace(l.Number) == "":
		return nil, invalid("number", "missing")
	case l.Date.IsZero():
		return nil, invalid("date", "missing")
	case l.PayBy.IsZero():
		return nil, invalid("pay_by", "missing")
	case civil(l.PayBy).Before(civil(l.Date)):
		return nil, invalid("pay_by", "%s is before the letter's date %s", l.PayBy.Format(time.DateOnly), l.Date.Format(time.DateOnly))
	case strings.TrimSpace(l.Merchant.Name) == "":
		return nil, invalid("merchant.name", "missing")
	case strings.TrimSpace(l.Debtor.Name) == "":
		return nil, invalid("debtor.name", "missing")
	case len(l.Lines) == 0:
		return nil, invalid("lines", "a notice lists at least one item")
	}
	if _, ok := money.Exponent(l.Currency); !ok {
		return nil, invalid("currency", "%q is not an ISO 4217 currency", l.Currency)
	}
	if len(l.Interest) > 0 {
		if _, ok := t.dayCounts[l.DayCount]; !ok {
			return nil, invalid("day_count", "%q is not act/365, act/360 or 30/360", l.DayCount)
		}
	}
	open, interest, byDoc, err := sums(l)
	if err != nil {
		return nil, err
	}
	amount := func(minor int64) string { return formatAmount(lang, l.Currency, minor) }
	date := func(d time.Time) string { return formatDate(lang, d) }

	v := &view{Lang: lang, t: t, created: civil(l.Date)}
	v.Title = t.title[l.Template]
	v.Subject = v.Title + " " + l.Number + " – " + oneLine(l.Merchant.Name)
	v.Merchant = oneLine(l.Merchant.Name)
	v.MerchantLines = lines(l.Merchant.Address)
	v.Debtor = oneLine(l.Debtor.Name)
	v.DebtorLines = lines(l.Debtor.Address)
	v.Info = []pair{
		{t.number, oneLine(l.Number)},
		{t.date, formatLongDate(lang, l.Date)},
		{t.payBy, formatLongDate(lang, l.PayBy)},
	}
	v.Greeting = t.greeting + " " + v.Debtor + ","
	v.Intro = expand(t.intro[l.Template], "total", amount(l.Total), "payby", formatLongDate(lang, l.PayBy))

	showLevel, showInterest := false, interest != 0
	for _, ln := range l.Lines {
		showLevel = showLevel || ln.Level != 0
	}
	v.levelColumn, v.interestColumn = showLevel, showInterest
	v.Head = []string{t.document, t.docDate, t.due, t.overdue}
	v.Right = []bool{false, false, false, false}
	if showLevel {
		v.Head, v.Right = append(v.Head, t.level), append(v.Right, true)
	}
	v.Head, v.Right = append(v.Head, t.open), append(v.Right, true)
	if showInterest {
		v.Head, v.Right = append(v.Head, t.interest), append(v.Right, true)
	}
	useByDoc := len(l.Interest) > 0
	for _, ln := range l.Lines {
		if ln.Interest != 0 {
			useByDoc = false
		}
	}
	for _, ln := range l.Lines {
		row := []string{oneLine(ln.Document), optDate(lang, ln.DocumentDate), optDate(lang, ln.DueDate), t.overdueCell(ln.DaysOverdue)}
		if showLevel {
			row = append(row, strconv.Itoa(ln.Level))
		}
		row = append(row, amount(ln.Open))
		if showInterest {
			in := ln.Interest
			if useByDoc {
				in = byDoc[ln.Document]
				delete(byDoc, ln.Document) // a document listed twice carries its interest once
			}
			row = append(row, amount(in))
		}
		v.Rows = append(v.Rows, row)
	}

	v.Sums = []pair{{t.sumOpen, amount(open)}}
	if interest != 0 {
		v.Sums = append(v.Sums, pair{t.sumInterest, amount(interest)})
	}
	for _, f := range l.Fees {
		label := oneLine(f.Label)
		if label == "" {
			label = t.defaultFee
		}
		v.Sums = append(v.Sums, pair{label, amount(f.Amount)})
	}
	v.Total = pair{t.total, amount(l.Total)}

	if len(l.Interest) > 0 {
		v.InterestTitle = t.interestHeading
		for _, il := range l.Interest {
			v.InterestLines = append(v.InterestLines, expand(t.interestLine,
				"document", oneLine(il.Document), "days", strconv.Itoa(il.Days),
				"from", date(il.From), "to", date(il.To), "rate", formatRate(lang, il.RateBP),
				"principal", amount(il.Principal), "amount", amount(il.Amount)))
		}
		v.DayCount = t.dayCountLabel + ": " + t.dayCounts[l.DayCount]
	}
	if interest != 0 || len(l.Fees) > 0 {
		v.NoVAT = t.noVAT
	}

	v.PayTo = t.payTo
	add := func(label, value string) {
		if value = oneLine(value); value != "" {
			v.Payment = append(v.Payment, pair{label, value})
		}
	}
	add(t.recipient, l.Merchant.Name)
	add(t.iban, groupIBAN(l.Merchant.IBAN))
	add(t.bic, l.Merchant.BIC)
	add(t.bank, l.Merchant.Bank)
	add(t.reference, l.PaymentReference)
	if l.PaymentReference != "" {
		v.ReferenceNote = t.referenceNote
	}
	if e := oneLine(l.Merchant.Email); e != "" {
		v.Questions = expand(t.questions, "email", e)
	}
	v.Regards = t.regards

	v.Footer = []string{strings.Join(append([]string{v.Merchant}, v.MerchantLines...), " · ")}
	var reg []string
	if l.Merchant.IBAN != "" {
		reg = append(reg, t.iban+" "+groupIBAN(l.Merchant.IBAN))
	}
	if l.Merchant.BIC != "" {
		reg = append(reg, t.bic+" "+oneLine(l.Merchant.BIC))
	}
	if l.Merchant.VATID != "" {
		reg = append(reg, t.vatID+" "+oneLine(l.Merchant.VATID))
	}
	if l.Merchant.CreditorID != "" {
		reg = append(reg, t.creditorID+" "+oneLine(l.Merchant.CreditorID))
	}
	if len(reg) > 0 {
		v.Footer = append(v.Footer, strings.Join(reg, " · "))
	}
	return v, nil
}

// civil returns t's calendar date at midnight UTC.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func optDate(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatDate(lang, t)
}

// oneLine collapses s's white space (line breaks included) into single
// spaces, so that no field can break a letter's layout.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// lines returns the non-empty lines of an address, each on one line.
func lines(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = oneLine(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// groupIBAN writes an IBAN in groups of four, as it is printed.
func groupIBAN(iban string) string {
	s := strings.ToUpper(strings.Join(strings.Fields(iban), ""))
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
