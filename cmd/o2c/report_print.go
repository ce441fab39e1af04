package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// The print functions below write a report's rows as they stream in: each
// response's rows are aligned and flushed before the next is read, so a
// report of millions of rows is never held by the CLI (columns may shift
// by a few characters between batches of 1,000 rows).

// printHeader writes a report's resolved parameters.
func printHeader(w io.Writer, title string, h *ledgerv1.ReportHeader) {
	known := "-"
	if h.GetKnownAt() != nil {
		known = h.GetKnownAt().AsTime().UTC().Format(time.RFC3339Nano)
	}
	period := "as of " + dateWord(h.GetAsOf())
	if h.GetFrom() != nil {
		period = dateWord(h.GetFrom()) + " to " + dateWord(h.GetAsOf())
	}
	fmt.Fprintf(w, "%s of tenant %s, %s, as the ledger knew it at %s\n\n", title, h.GetTenant(), period, known)
}

// streamed reads a report stream to its end, calling each for every
// response.
func streamed[T any](recv func() (T, error), each func(T) error) error {
	for {
		r, err := recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := each(r); err != nil {
			return err
		}
	}
}

// batch is an aligned block of rows written at once.
type batch struct {
	tw *tabwriter.Writer
}

func newBatch(w io.Writer) batch {
	return batch{tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)}
}

func (b batch) row(cells ...string) { fmt.Fprintln(b.tw, strings.Join(cells, "\t")+"\t") }

func (b batch) flush() error { return b.tw.Flush() }

func printOpenItems(ctx context.Context, c ledgerv1grpc.ReportServiceClient, req *ledgerv1.OpenItemsRequest, w io.Writer) error {
	stream, err := c.OpenItems(ctx, req)
	if err != nil {
		return err
	}
	n := 0
	totals := map[string]int64{}
	var currencies []string
	err = streamed(stream.Recv, func(r *ledgerv1.OpenItemsResponse) error {
		b := newBatch(w)
		if r.GetHeader() != nil {
			printHeader(w, "Open items (Einzel-OP-Liste)", r.GetHeader())
			b.row("DEBTOR", "NAME", "ACCOUNT", "DOCUMENT", "KIND", "DATE", "DUE", "DAYS OVERDUE", "AMOUNT", "OPEN", "CHANNEL", "GROUP",
				"DUNNING LEVEL", "BLOCK", "COLLECTION")
		}
		for _, it := range r.GetRows() {
			b.row(it.GetDebtorId(), it.GetDebtorName(), it.GetDebtorAccount(), it.GetDocumentNumber(), it.GetItemKind(), dateWord(it.GetDocumentDate()),
				dateWord(it.GetDueDate()), fmt.Sprint(it.GetDaysOverdue()), amount(it.GetAmount()), amount(it.GetOpenAmount()),
				it.GetChannel(), it.GetCustomerGroup(), it.GetDunningLevel(), it.GetDunningBlock(), it.GetCollectionStatus())
			cur := it.GetOpenAmount().GetCurrency()
			if _, ok := totals[cur]; !ok {
				currencies = append(currencies, cur)
			}
			totals[cur] += it.GetOpenAmount().GetMinorUnits()
			n++
		}
		return b.flush()
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d open items", n)
	for _, cur := range currencies {
		fmt.Fprintf(w, "; open %s", amount(moneyOf(totals[cur], cur)))
	}
	fmt.Fprintln(w)
	return nil
}

func printAging(ctx context.Context, c ledgerv1grpc.ReportServiceClient, req *ledgerv1.AgingRequest, w io.Writer) error {
	stream, err := c.Aging(ctx, req)
	if err != nil {
		return err
	}
	var titles []string
	header := func(b batch) {
		cells := []string{"CHANNEL", "GROUP", "DUNNING LEVEL", "CURRENCY"}
		for _, t := range titles {
			cells = append(cells, strings.ToUpper(t))
		}
		b.row(append(cells, "TOTAL", "ITEMS")...)
	}
	line := func(b batch, r *ledgerv1.AgingRow, first string) {
		cells := []string{first, r.GetCustomerGroup(), r.GetDunningLevel(), r.GetCurrency()}
		for _, m := range r.GetBuckets() {
			cells = append(cells, amountOnly(m))
		}
		b.row(append(cells, amountOnly(r.GetTotal()), fmt.Sprint(r.GetItems()))...)
	}
	return streamed(stream.Recv, func(r *ledgerv1.AgingResponse) error {
		b := newBatch(w)
		if h := r.GetHeader(); h != nil {
			titles = h.GetBucketTitles()
			printHeader(w, "Aging of receivables", h)
			header(b)
		}
		for _, row := range r.GetRows() {
			line(b, row, row.GetChannel())
		}
		for _, t := range r.GetTotals() {
			line(b, t, "total")
		}
		return b.flush()
	})
}

func printTrialBalance(ctx context.Context, c ledgerv1grpc.ReportServiceClient, req *ledgerv1.TrialBalanceRequest, w io.Writer) error {
	stream, err := c.TrialBalance(ctx, req)
	if err != nil {
		return err
	}
	return streamed(stream.Recv, func(r *ledgerv1.TrialBalanceResponse) error {
		b := newBatch(w)
		if r.GetHeader() != nil {
			printHeader(w, "Trial balance (Summen- und Saldenliste)", r.GetHeader())
			b.row("ACCOUNT", "DEBTOR", "OPENING", "DEBIT", "CREDIT", "CLOSING")
		}
		for _, row := range r.GetRows() {
			b.row(row.GetAccount(), yes(row.GetDebtor()), amount(row.GetOpening()), amount(row.GetDebit()), amount(row.GetCredit()), amount(row.GetClosing()))
		}
		for _, t := range r.GetTotals() {
			b.row("total", "", amount(t.GetOpening()), amount(t.GetDebit()), amount(t.GetCredit()), amount(t.GetClosing()))
		}
		return b.flush()
	})
}

func printDebtorBalances(ctx context.Context, c ledgerv1grpc.ReportServiceClient, req *ledgerv1.DebtorBalancesRequest, w io.Writer) error {
	stream, err := c.DebtorBalances(ctx, req)
	if err != nil {
		return err
	}
	return streamed(stream.Recv, func(r *ledgerv1.DebtorBalancesResponse) error {
		b := newBatch(w)
		if r.GetHeader() != nil {
			printHeader(w, "Debtor balances (Debitorensaldenliste)", r.GetHeader())
			b.row("ACCOUNT", "DEBTOR", "NAME", "OPENING", "DEBIT", "CREDIT", "CLOSING")
		}
		for _, row := range r.GetRows() {
			b.row(row.GetDebtorAccount(), row.GetDebtorId(), row.GetDebtorName(), amount(row.GetOpening()), amount(row.GetDebit()), amount(row.GetCredit()), amount(row.GetClosing()))
		}
		for _, t := range r.GetTotals() {
			b.row("total", "", "", amount(t.GetOpening()), amount(t.GetDebit()), amount(t.GetCredit()), amount(t.GetClosing()))
		}
		return b.flush()
	})
}

func printDSO(ctx context.Context, c ledgerv1grpc.ReportServiceClient, req *ledgerv1.DSORequest, w io.Writer) error {
	stream, err := c.DSO(ctx, req)
	if err != nil {
		return err
	}
	err = streamed(stream.Recv, func(r *ledgerv1.DSOResponse) error {
		b := newBatch(w)
		if r.GetHeader() != nil {
			printHeader(w, "DSO (days sales outstanding), per month", r.GetHeader())
			b.row("KEY DATE", "CHANNEL", "GROUP", "RECEIVABLES", "NOT DUE", "SALES", "COUNT-BACK DSO", "DSO", "BEST DSO", "ADD",
				"CLEARED", "TIME TO CASH", "MATCH RATE")
		}
		for _, row := range r.GetRows() {
			match := "-"
			if row.GetHasMatchRate() {
				match = money2(row.GetMatchRateBasisPoints()) + " %"
			}
			b.row(dateWord(row.GetKeyDate()), row.GetChannel(), row.GetCustomerGroup(), amount(row.GetReceivables()), amount(row.GetCurrentReceivables()),
				amount(row.GetSales()), hundredths(row.GetCountBackDsoHundredths(), row.GetHasSales()), hundredths(row.GetDsoHundredths(), row.GetHasSales()),
				hundredths(row.GetBestPossibleDsoHundredths(), row.GetHasSales()), hundredths(row.GetAverageDaysDelinquentHundredths(), row.GetHasSales()),
				amount(row.GetCleared()), hundredths(row.GetTimeToCashHundredths(), row.GetHasPayments()), match)
		}
		return b.flush()
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nDays; ADD is the average days delinquent (DSO - best possible DSO); - where a month had no sales or payments.")
	fmt.Fprintln(w, "The match rate is the share of the cleared amount matching decided that it cleared without a person; - where no decision of matching reached the ledger.")
	return nil
}

// printStatement writes a debtor's statement.
func printStatement(w io.Writer, debtor string, st *ledgerv1.GetDebtorStatementResponse) {
	table.Statement(w, debtor, st.GetDebtorAccount(), st.GetOpeningBalances(), st.GetLines(), st.GetClosingBalances())
}

// yes marks a true flag.
func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// moneyOf is an amount in minor units of a currency.
func moneyOf(minor int64, currency string) *commonv1.Money {
	return &commonv1.Money{MinorUnits: minor, Currency: currency}
}

// amountOnly is an amount without its currency (the row names it).
func amountOnly(m interface {
	GetMinorUnits() int64
	GetCurrency() string
}) string {
	s := amount(moneyOf(m.GetMinorUnits(), m.GetCurrency()))
	return strings.TrimSuffix(s, " "+m.GetCurrency())
}

// money2 is a count in hundredths as a decimal.
func money2(n int64) string { return hundredths(n, true) }
