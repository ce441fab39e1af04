package table

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/tax"
)

// Balances writes an account's turnover and balance per currency, or
// that it has no lines.
func Balances(w io.Writer, account string, bs []*ledgerv1.AccountBalance) {
	if len(bs) == 0 {
		fmt.Fprintf(w, "account %s has no lines\n", account)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ACCOUNT\tCUR\tDEBIT\tCREDIT\tBALANCE\t")
	for _, b := range bs {
		cur := b.GetBalance().GetCurrency()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", b.GetAccount(), cur, Money(b.GetDebit().GetMinorUnits(), cur),
			Money(b.GetCredit().GetMinorUnits(), cur), Money(b.GetBalance().GetMinorUnits(), cur))
	}
	tw.Flush()
}

// Statement writes a debtor's account statement: the opening balance per
// currency, every line with its running balance, and the closing balance
// per currency.
func Statement(w io.Writer, debtor, account string, opening []*commonv1.Money, lines []*ledgerv1.StatementLine, closing []*commonv1.Money) {
	fmt.Fprintf(w, "Debtor %s, account %s\n", debtor, account)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tDOCUMENT\tTEXT\t       DEBIT\t      CREDIT\t     BALANCE\tCUR")
	for _, m := range opening {
		fmt.Fprintf(tw, "\t\tOpening balance\t\t\t%12s\t%s\n", Money(m.GetMinorUnits(), m.GetCurrency()), m.GetCurrency())
	}
	for _, l := range lines {
		cur := l.GetRunningBalance().GetCurrency()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%12s\t%12s\t%12s\t%s\n", Date(l.GetEffectiveDate()), l.GetDocumentNumber(), l.GetText(),
			blankZero(l.GetDebit()), blankZero(l.GetCredit()), Money(l.GetRunningBalance().GetMinorUnits(), cur), cur)
	}
	for _, m := range closing {
		fmt.Fprintf(tw, "\t\tClosing balance\t\t\t%12s\t%s\n", Money(m.GetMinorUnits(), m.GetCurrency()), m.GetCurrency())
	}
	tw.Flush()
	fmt.Fprintln(w, Count(len(lines), "line"))
}

func blankZero(m *commonv1.Money) string {
	if m.GetMinorUnits() == 0 {
		return ""
	}
	return Money(m.GetMinorUnits(), m.GetCurrency())
}

// TrialBalance writes a trial balance (Summen- und Saldenliste): the rows
// by account and currency, then the totals per currency.
func TrialBalance(w io.Writer, rows, totals []*ledgerv1.TrialBalanceRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tCUR\t     OPENING\t       DEBIT\t      CREDIT\t     CLOSING")
	row := func(account string, r *ledgerv1.TrialBalanceRow) {
		cur := r.GetClosing().GetCurrency()
		fmt.Fprintf(tw, "%s\t%s\t%12s\t%12s\t%12s\t%12s\n", account, cur, Money(r.GetOpening().GetMinorUnits(), cur),
			Money(r.GetDebit().GetMinorUnits(), cur), Money(r.GetCredit().GetMinorUnits(), cur), Money(r.GetClosing().GetMinorUnits(), cur))
	}
	for _, r := range rows {
		row(r.GetAccount(), r)
	}
	for _, r := range totals {
		row("Total", r)
	}
	tw.Flush()
	var off []string
	for _, r := range totals {
		if r.GetClosing().GetMinorUnits() != 0 {
			off = append(off, Money(r.GetClosing().GetMinorUnits(), r.GetClosing().GetCurrency())+" "+r.GetClosing().GetCurrency())
		}
	}
	if len(off) > 0 {
		fmt.Fprintf(w, "%s; DOES NOT BALANCE: %s\n", Count(len(rows), "row"), strings.Join(off, ", "))
		return
	}
	fmt.Fprintf(w, "%s; balances in every currency\n", Count(len(rows), "row"))
}

// Journal writes journal lines, debit and credit in their own columns, the
// DATEV tax key with its meaning on the line's date ("3 (19 % VAT)").
func Journal(w io.Writer, lines []*ledgerv1.JournalListingLine) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tDOCUMENT\tTEXT\tACCOUNT\tDEBTOR\tTAX\t       DEBIT\t      CREDIT\tCUR\tRECORDED")
	for _, l := range lines {
		a := l.GetAmount()
		debit, credit := "", ""
		if a.GetMinorUnits() > 0 {
			debit = Money(a.GetMinorUnits(), a.GetCurrency())
		} else {
			credit = Money(-a.GetMinorUnits(), a.GetCurrency())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%12s\t%12s\t%s\t%s\n", Date(l.GetEffectiveDate()), l.GetDocumentNumber(), l.GetText(),
			l.GetAccount(), l.GetDebtorId(), TaxKey(l.GetTaxKey(), l.GetEffectiveDate()), debit, credit, a.GetCurrency(),
			l.GetRecordedAt().AsTime().UTC().Format(time.RFC3339))
	}
	tw.Flush()
	fmt.Fprintln(w, Count(len(lines), "line"))
}

// TaxKey returns a DATEV tax key (BU-Schlüssel) with what it means on a
// booking dated d in the default tax table (libs/tax): "3 (19 % VAT)",
// "1 (tax-free intra-EU supply or export)". A key the default table does not
// give on that date (a tenant's own OSS keys) is returned bare, and an empty
// key stays empty.
func TaxKey(key string, d calendarDate) string {
	if key == "" {
		return ""
	}
	keys := tax.Default().KeysWithTaxKey(key, tax.Date{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())})
	if len(keys) == 0 {
		return key
	}
	var vat, free []string
	for _, k := range keys {
		switch k.Treatment {
		case tax.IntraEUSupply:
			free = append(free, "intra-EU supply")
		case tax.Export:
			free = append(free, "export")
		case tax.Exempt:
			free = append(free, "exempt supply")
		case tax.OSS:
			vat = append(vat, rate(k.RateBP)+" "+k.Country+" VAT (OSS)")
		default:
			vat = append(vat, rate(k.RateBP)+" VAT")
		}
	}
	meaning := strings.Join(vat, " or ")
	if len(free) > 0 {
		if meaning != "" {
			meaning += " or "
		}
		meaning += "tax-free " + strings.Join(free, " or ")
	}
	return key + " (" + meaning + ")"
}

// rate formats basis points as a percentage without trailing zeros:
// 1900 is "19 %", 550 "5.5 %".
func rate(bp int32) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	return s + " %"
}
