// Package table prints what the operator CLI and the demo show: open items,
// rejections and ledger reports as aligned text tables, amounts in the
// currency's decimals, counts with their noun in the right number.
package table

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"

	"github.com/o2c-platform/o2c/libs/money"
)

// OpenItems writes a table of open items followed by the total per currency.
func OpenItems(w io.Writer, items []*ledgerv1.OpenItem) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEBTOR\tACCOUNT\tDOCUMENT\tORDER\tDATE\tDUE\tAMOUNT\tOPEN\tCUR")
	totals := map[string]int64{}
	var curs []string
	for _, it := range items {
		cur := it.GetOpenAmount().GetCurrency()
		if _, ok := totals[cur]; !ok {
			curs = append(curs, cur)
		}
		totals[cur] += it.GetOpenAmount().GetMinorUnits()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%12s\t%12s\t%s\n", it.GetDebtorId(), it.GetDebtorAccount(), it.GetDocumentNumber(),
			it.GetOrderId(), Date(it.GetDocumentDate()), Date(it.GetDueDate()),
			Money(it.GetAmount().GetMinorUnits(), cur), Money(it.GetOpenAmount().GetMinorUnits(), cur), cur)
	}
	tw.Flush()
	parts := make([]string, 0, len(curs))
	for _, c := range curs {
		parts = append(parts, Money(totals[c], c)+" "+c)
	}
	fmt.Fprint(w, Count(len(items), "open item"))
	if len(parts) > 0 {
		fmt.Fprintf(w, ", total %s", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
}

// Rejections writes a table of rejections.
func Rejections(w io.Writer, rs []*rejectionv1.Rejection) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSERVICE\tTENANT\tSTATE\tWHEN\tDOCUMENT\tCODE\tREASON")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.GetId(), r.GetService(), r.GetTenant(), StateName(r.GetState()),
			r.GetRejectedAt().AsTime().Format(time.RFC3339), r.GetDocument(), r.GetReasonCode(), Summary(r.GetReason()))
	}
	tw.Flush()
	fmt.Fprintln(w, Count(len(rs), "rejection"))
}

// Summary is the first line of a rejection's reason: what went wrong in a
// clerk's terms. Later lines carry ids and hashes for `o2c rejected show`.
func Summary(reason string) string {
	first, _, _ := strings.Cut(reason, "\n")
	return first
}

// StateName is the lowercase name of a rejection state ("open").
func StateName(s rejectionv1.RejectionState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "REJECTION_STATE_"))
}

type calendarDate interface {
	GetYear() int32
	GetMonth() int32
	GetDay() int32
}

// Date formats a calendar date as YYYY-MM-DD.
func Date(d calendarDate) string {
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

// Money formats minor units with the currency's decimals.
func Money(minor int64, cur string) string {
	exp, ok := money.Exponent(cur)
	if !ok {
		exp = 2
	}
	return money.FormatMinor(minor, exp)
}

// Count returns n followed by noun, in the plural unless n is 1: "1 open
// item", "2 open items", "0 entries". The plural is formed on the last word
// by the regular English rules (entry, entries; box, boxes; line, lines).
func Count(n int, noun string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %s", n, plural(noun))
}

func plural(noun string) string {
	switch {
	case noun == "":
		return noun
	case strings.HasSuffix(noun, "y") && len(noun) > 1 && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])):
		return noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	}
	return noun + "s"
}
