package notice

import (
	"strconv"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
)

// formatAmount writes minor units of currency the way lang writes money:
// German "1.234,56 €" (other currencies "1.234,56 USD"), English
// "EUR 1,234.56". It works on the digits of the integer; no amount passes
// through floating point.
func formatAmount(lang, currency string, minor int64) string {
	exp, _ := money.ExponentOrTwo(currency)
	s := money.FormatMinor(minor, exp)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	sep, dec := ",", "."
	if lang == "de" {
		sep, dec = ".", ","
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if lang != "de" {
		b.WriteString(currency)
		b.WriteByte(' ')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(dec)
		b.WriteString(frac)
	}
	if lang == "de" {
		b.WriteByte(' ')
		if currency == "EUR" {
			b.WriteString("€")
		} else {
			b.WriteString(currency)
		}
	}
	return b.String()
}

// formatRate writes a yearly rate in basis points as a percentage with two
// decimals: German "10,27 %", English "10.27%"; negative rates with a
// minus sign.
func formatRate(lang string, bp int) string {
	s := money.FormatMinor(int64(bp), 2)
	if lang == "de" {
		return strings.Replace(s, ".", ",", 1) + " %"
	}
	return s + "%"
}

var (
	monthsDE = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
	monthsEN = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// formatDate writes a calendar date the short way lang writes it in a
// table: German "07.12.2026", English "7 Dec 2026". Only the year, month
// and day of t count.
func formatDate(lang string, t time.Time) string {
	y, m, d := t.Date()
	if lang == "de" {
		return twoDigits(d) + "." + twoDigits(int(m)) + "." + strconv.Itoa(y)
	}
	return strconv.Itoa(d) + " " + monthsEN[m-1][:3] + " " + strconv.Itoa(y)
}

// formatLongDate writes a calendar date in words: German "7. Dezember
// 2026", English "7 December 2026".
func formatLongDate(lang string, t time.Time) string {
	y, m, d := t.Date()
	if lang == "de" {
		return strconv.Itoa(d) + ". " + monthsDE[m-1] + " " + strconv.Itoa(y)
	}
	return strconv.Itoa(d) + " " + monthsEN[m-1] + " " + strconv.Itoa(y)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
