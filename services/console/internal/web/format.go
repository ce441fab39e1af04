package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Berlin wherever the console runs

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/libs/money"
)

// locale is how one language writes numbers and dates.
type locale struct {
	decimal, group string
	// currencyAfter puts the currency after the amount ("1.234,56 €").
	currencyAfter  bool
	date, dateTime string // time layouts
}

// locales are the console's locales: de-DE and en-GB.
var locales = map[string]locale{
	"de": {decimal: ",", group: ".", currencyAfter: true, date: "02.01.2006", dateTime: "02.01.2006 15:04"},
	"en": {decimal: ".", group: ",", currencyAfter: false, date: "02/01/2006", dateTime: "02/01/2006 15:04"},
}

// currencySymbols are the symbols shown instead of the ISO code.
var currencySymbols = map[string]string{"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}

// formatAmount writes minor units of currency in lang: "1.234,56 €" (de),
// "€1,234.56" (en), "-12,00 €". The exponent is the currency's (two for
// an unknown code). Money never passes through floating point.
func formatAmount(lang string, minor int64, currency string) string {
	l, ok := locales[lang]
	if !ok {
		l = locales["de"]
	}
	exp, _ := money.ExponentOrTwo(currency)
	neg := minor < 0
	abs := strings.TrimPrefix(strconv.FormatInt(minor, 10), "-")
	for len(abs) <= exp {
		abs = "0" + abs
	}
	intPart, frac := abs[:len(abs)-exp], abs[len(abs)-exp:]
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(l.group)
		}
		b.WriteRune(c)
	}
	num := b.String()
	if exp > 0 {
		num += l.decimal + frac
	}
	sym, ok := currencySymbols[currency]
	if !ok {
		sym = currency
	}
	sign := ""
	if neg {
		sign = "-"
	}
	if l.currencyAfter {
		return sign + num + "\u00a0" + sym
	}
	if len(sym) > 1 && sym == currency {
		return sign + sym + "\u00a0" + num
	}
	return sign + sym + num
}

// formatMoney formats a Money message, or "–" for none.
func formatMoney(lang string, m *commonv1.Money) string {
	if m == nil || m.GetCurrency() == "" {
		return "–"
	}
	return formatAmount(lang, m.GetMinorUnits(), m.GetCurrency())
}

// formatDate writes a date in lang: a *commonv1.Date, a time.Time or a
// *timestamppb.Timestamp (as a calendar date in the console's time zone);
// "–" for none.
func formatDate(lang string, v any) string {
	l, ok := locales[lang]
	if !ok {
		l = locales["de"]
	}
	switch d := v.(type) {
	case *commonv1.Date:
		if d == nil || d.GetYear() == 0 {
			return "–"
		}
		return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC).Format(l.date)
	case time.Time:
		if d.IsZero() {
			return "–"
		}
		return d.Format(l.date)
	case *timestamppb.Timestamp:
		if d == nil {
			return "–"
		}
		return d.AsTime().In(consoleZone).Format(l.date)
	case nil:
		return "–"
	}
	return fmt.Sprint(v)
}

// formatDateTime writes an instant with the minute in lang.
func formatDateTime(lang string, v any) string {
	l, ok := locales[lang]
	if !ok {
		l = locales["de"]
	}
	switch d := v.(type) {
	case time.Time:
		if d.IsZero() {
			return "–"
		}
		return d.In(consoleZone).Format(l.dateTime)
	case *timestamppb.Timestamp:
		if d == nil {
			return "–"
		}
		return d.AsTime().In(consoleZone).Format(l.dateTime)
	}
	return formatDate(lang, v)
}

// formatInt writes n with the locale's digit grouping.
func formatInt(lang string, n int64) string {
	l, ok := locales[lang]
	if !ok {
		l = locales["de"]
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(l.group)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// consoleZone is the time zone instants are shown in: the merchants'
// (Europe/Berlin; the zone database is embedded).
var consoleZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// formatHundredths writes a figure in hundredths (days of DSO) with two
// decimals in lang.
func formatHundredths(lang string, h int64) string {
	l, ok := locales[lang]
	if !ok {
		l = locales["de"]
	}
	sign := ""
	if h < 0 {
		sign, h = "-", -h
	}
	return fmt.Sprintf("%s%s%s%02d", sign, formatInt(lang, h/100), l.decimal, h%100)
}
