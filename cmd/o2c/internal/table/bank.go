package table

import (
	"cmp"
	"fmt"
	"io"
	"text/tabwriter"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// BankReconciliations writes a table of bank reconciliations, one row
// per statement, and a line saying whether they all reconcile, which it
// reports.
func BankReconciliations(w io.Writer, recs []*ledgerv1.BankReconciliation) bool {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IBAN\tACCOUNT\tSTATEMENT\tSEQ\tCLOSING DATE\tBANK SAYS\tBOOKED\tDIFFERENCE\tCUR")
	off := 0
	for _, r := range recs {
		cur := r.GetExpected().GetCurrency()
		diff := Money(r.GetDifference().GetMinorUnits(), cur)
		if r.GetDifference().GetMinorUnits() != 0 {
			off++
			diff += " !"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%12s\t%12s\t%12s\t%s\n", r.GetIban(), r.GetAccount(), cmp.Or(r.GetStatementId(), r.GetStatementKey()),
			r.GetSequence(), Date(r.GetClosingDate()), Money(r.GetExpected().GetMinorUnits(), cur),
			Money(r.GetBooked().GetMinorUnits(), cur), diff, cur)
	}
	tw.Flush()
	switch {
	case len(recs) == 0:
		fmt.Fprintln(w, "no bank statement recorded")
	case off == 0:
		fmt.Fprintf(w, "%s, all reconciled: the books equal the bank's closing balances\n", Count(len(recs), "statement"))
	default:
		fmt.Fprintf(w, "%s, %d NOT RECONCILED (marked !): a transaction is missing or booked twice, or another booking touched the bank account\n",
			Count(len(recs), "statement"), off)
	}
	return off == 0
}
