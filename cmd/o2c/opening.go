package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/opening"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// whatToDo is the advice for a row that differs from what is booked under
// its key.
const whatToDo = "The ledger keeps what it booked first under a debtor and document number. " +
	"Correct each row to match what is booked; or, when the file is right, leave the row as booked " +
	"and book the difference as a separate document (a row with a new document number, e.g. RE-1001-D)."

func newLoadOpeningCmd(f *ledgerFlags) *cobra.Command {
	var bookingDate string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "load-opening FILE --tenant T --booking-date YYYY-MM-DD [--dry-run]",
		Short: "Load a merchant's open items from the previous system (CSV or JSON Lines)",
		Long: `load-opening reads the open items a merchant brings from its previous system and
books each as an opening balance on the debtor's personal account with its open item.

The file is CSV with a header row or JSON Lines, with the columns debtor_id,
document_number, document_date, due_date, currency, amount (negative for a credit
balance) and optionally payment_reference, vat_rate_bp and vat_amount. CSV columns
may be separated by commas, or by semicolons or tabs as German Excel writes them;
in those two an amount may have a decimal comma ("119,00"). Dates are YYYY-MM-DD
or DD.MM.YYYY. The text must be UTF-8 (in Excel: save as "CSV UTF-8").

Each row is booked under the idempotency key "opening:<debtor_id>:<document_number>",
so running the command again after an interruption books only what is missing.

Before anything is booked, the whole file is checked: every bad row is named by
line and column. Then it is compared with what the ledger has booked under the
same keys: a row booked before with another amount, booking date, document or due
date or payment reference cannot be booked again (the ledger keeps the first
content), so each such row is reported with the difference and nothing is booked.
The ledger's reports do not show the VAT split, so a row that differs only in
vat_rate_bp or vat_amount is found only when it is booked; the command then stops
there and says so. A document dated after --booking-date is warned about.

--dry-run does all of these checks and books nothing; it needs the ledger running.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			day, err := time.Parse(time.DateOnly, bookingDate)
			if err != nil {
				return fmt.Errorf("--booking-date %q: want YYYY-MM-DD", bookingDate)
			}
			if f.tenant == "" {
				return fmt.Errorf("--tenant is required")
			}
			name := args[0]
			file, err := os.Open(name)
			if err != nil {
				return err
			}
			defer file.Close()
			parsed, err := opening.Read(file, f.tenant, &commonv1.Date{Year: int32(day.Year()), Month: int32(day.Month()), Day: int32(day.Day())})
			if err != nil {
				return fmt.Errorf("%s: nothing was booked:\n%w", name, err)
			}
			stderr := cmd.ErrOrStderr()
			for _, w := range parsed.Warnings {
				fmt.Fprintf(stderr, "%s: warning: %s\n", name, w)
			}
			items := parsed.Items
			conn, err := dial(cmd, ledgerAt(f.addr))
			if err != nil {
				return err
			}
			defer conn.Close()
			lc := &ledgerCheck{
				svc: ledgerAt(f.addr), tenant: f.tenant, queries: ledgerv1grpc.NewLedgerQueryServiceClient(conn), ledger: ledgerv1grpc.NewLedgerServiceClient(conn),
			}
			check, err := lc.check(cmd.Context(), items, stderr)
			if err != nil {
				err = explain(ledgerAt(f.addr), err)
				if dryRun {
					return fmt.Errorf("%s: the file is valid (%s), but it could not be compared with what is booked: %w",
						name, table.Count(len(items), "opening item"), err)
				}
				return fmt.Errorf("%s: nothing was booked: comparing the file with what is booked: %w", name, err)
			}
			for _, n := range check.notes {
				fmt.Fprintf(stderr, "%s: warning: %s\n", name, n)
			}
			if len(check.conflicts) > 0 {
				nothing := "nothing was booked"
				if dryRun {
					nothing += " (--dry-run)"
				}
				return fmt.Errorf("%s: %s: %s from what the ledger booked under the same debtor and document number:\n  %s\n%s",
					name, nothing, rowsDiffer(len(check.conflicts)), strings.Join(check.conflicts, "\n  "), whatToDo)
			}
			out := cmd.OutOrStdout()
			if dryRun {
				fmt.Fprintf(out, "%s: %s valid: %d to book, %d already booked as in the file; nothing booked (--dry-run)\n",
					name, table.Count(len(items), "opening item")+isAre(len(items)), len(items)-check.booked, check.booked)
				return nil
			}
			client := ledgerv1grpc.NewLedgerCommandServiceClient(conn)
			booked, replayed := 0, 0
			for i, it := range items {
				ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
				resp, err := client.RecordOpeningBalance(ctx, &ledgerv1.RecordOpeningBalanceRequest{Command: it.Command})
				cancel()
				if err != nil {
					return lc.bookingFailed(cmd.Context(), name, it, f.addr, err, booked)
				}
				if resp.GetResult().GetReplayed() {
					replayed++
				} else {
					booked++
				}
				if (i+1)%500 == 0 {
					fmt.Fprintf(stderr, "%d of %d items\n", i+1, len(items))
				}
			}
			fmt.Fprintf(out, "%s: %s booked, %d %s already booked\n", name, table.Count(booked, "opening item"), replayed, wasWere(replayed))
			return nil
		},
	}
	cmd.Flags().StringVar(&bookingDate, "booking-date", "", "date the opening balances are booked on, usually the first day of the first period kept in o2c (required)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and compare it with what is booked; book nothing")
	_ = cmd.MarkFlagRequired("booking-date")
	return cmd
}

func rowsDiffer(n int) string {
	if n == 1 {
		return "1 row differs"
	}
	return fmt.Sprintf("%d rows differ", n)
}

func isAre(n int) string {
	if n == 1 {
		return " is"
	}
	return " are"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// bookingFailed says why booking item failed and what to do, with how many
// items were booked before it.
func (lc *ledgerCheck) bookingFailed(ctx context.Context, name string, it opening.Item, addr string, err error, bookedBefore int) error {
	before := fmt.Sprintf("%s booked before it", table.Count(bookedBefore, "item"))
	switch status.Code(err) {
	case codes.AlreadyExists:
		diffs := []string{"the difference is in the VAT (vat_rate_bp, vat_amount), which the ledger's reports do not show"}
		if b, found, qerr := lc.booked(ctx, it); qerr == nil && found {
			if d := opening.Differences(it.Command, b); len(d) > 0 {
				diffs = d
			}
		}
		return fmt.Errorf("%s: %s was booked before with other content: %s; %s.\n%s Then run the command again: rows already booked are skipped",
			name, it, strings.Join(diffs, "; "), before, whatToDo)
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted:
		return fmt.Errorf("%s: %s: %w; %s. Run the same command again to continue: rows already booked are skipped",
			name, it, explain(ledgerAt(addr), err), before)
	}
	return fmt.Errorf("%s: %s: %w; %s. Correct the row, then run the command again: rows already booked are skipped",
		name, it, explain(ledgerAt(addr), err), before)
}

// ledgerCheck compares a file's items with what the ledger has booked under
// their keys, through the ledger's read-only queries.
type ledgerCheck struct {
	svc     service
	tenant  string
	queries ledgerv1grpc.LedgerQueryServiceClient
	ledger  ledgerv1grpc.LedgerServiceClient
	// open caches a debtor's current open items; atDate a debtor's open
	// items at a key date ("debtor\x00YYYY-MM-DD").
	open, atDate map[string][]*ledgerv1.OpenItem
}

// checkResult is what the ledger has of a file.
type checkResult struct {
	// booked counts the items booked before as the file has them.
	booked int
	// conflicts names each item booked before with other content and how
	// it differs: "line 7 (debtor K-1, RE-1001): booked 119.00 EUR, …".
	conflicts []string
	// notes name items whose document number the ledger already has for
	// the debtor as something other than an opening balance.
	notes []string
}

// check asks the ledger about every item, reporting progress on a large
// file to progress.
func (lc *ledgerCheck) check(ctx context.Context, items []opening.Item, progress io.Writer) (checkResult, error) {
	var res checkResult
	for i, it := range items {
		b, found, err := lc.booked(ctx, it)
		if err != nil {
			return res, fmt.Errorf("%s: %w", it, explain(lc.svc, err))
		}
		switch {
		case found:
			if d := opening.Differences(it.Command, b); len(d) > 0 {
				res.conflicts = append(res.conflicts, it.String()+": "+strings.Join(d, "; "))
			} else {
				res.booked++
			}
		case b.Amount != nil: // the document is booked, but not as an opening balance
			res.notes = append(res.notes, fmt.Sprintf("%s: the ledger already has %s for this debtor as another document (%s on %s); this row would book it a second time, as an opening balance",
				it, it.Command.GetDocumentNumber(), table.Money(b.Amount.GetMinorUnits(), b.Amount.GetCurrency())+" "+b.Amount.GetCurrency(), table.Date(b.BookingDate)))
		}
		if (i+1)%500 == 0 {
			fmt.Fprintf(progress, "compared %d of %d items with the ledger\n", i+1, len(items))
		}
	}
	return res, nil
}

// booked returns what the ledger shows of the item's opening balance and whether
// it is booked. When it is not but the debtor has another booking with the
// same document number, the returned Booked holds that booking's amount and
// date.
func (lc *ledgerCheck) booked(ctx context.Context, it opening.Item) (opening.Booked, bool, error) {
	c := it.Command
	lines, err := lc.journal(ctx, &ledgerv1.ListJournalLinesRequest{Tenant: lc.tenant, DebtorId: c.GetDebtorId(), DocumentNumber: c.GetDocumentNumber(), PageSize: pageSize})
	if err != nil {
		return opening.Booked{}, false, err
	}
	var other opening.Booked
	for _, l := range lines {
		if l.GetText() != opening.EntryText+c.GetDocumentNumber() {
			if other.Amount == nil {
				other = opening.Booked{Amount: l.GetAmount(), BookingDate: l.GetEffectiveDate()}
			}
			continue
		}
		b := opening.Booked{Amount: l.GetAmount(), BookingDate: l.GetEffectiveDate()}
		b.Item, err = lc.openItem(ctx, c.GetDebtorId(), c.GetDocumentNumber(), l.GetAmount(), l.GetEffectiveDate())
		return b, true, err
	}
	return other, false, nil
}

func (lc *ledgerCheck) journal(ctx context.Context, req *ledgerv1.ListJournalLinesRequest) ([]*ledgerv1.JournalListingLine, error) {
	var all []*ledgerv1.JournalListingLine
	for range maxPages {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := lc.queries.ListJournalLines(cctx, req)
		cancel()
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetLines()...)
		if resp.GetNextPageToken() == "" {
			return all, nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return nil, fmt.Errorf("journal: more than %d pages", maxPages)
}

// openItem finds the open item of a booked opening balance: among the
// debtor's open items now, else among those open on its booking date (it
// may be settled since). Nil when neither lists it.
func (lc *ledgerCheck) openItem(ctx context.Context, debtor, doc string, amount *commonv1.Money, booked *commonv1.Date) (*ledgerv1.OpenItem, error) {
	find := func(items []*ledgerv1.OpenItem) *ledgerv1.OpenItem {
		for _, oi := range items {
			if oi.GetDocumentNumber() == doc && oi.GetAmount().GetMinorUnits() == amount.GetMinorUnits() && oi.GetAmount().GetCurrency() == amount.GetCurrency() {
				return oi
			}
		}
		return nil
	}
	if lc.open == nil {
		lc.open, lc.atDate = map[string][]*ledgerv1.OpenItem{}, map[string][]*ledgerv1.OpenItem{}
	}
	now, ok := lc.open[debtor]
	if !ok {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := lc.ledger.ListOpenItems(cctx, &ledgerv1.ListOpenItemsRequest{Tenant: lc.tenant, DebtorId: debtor})
		cancel()
		if err != nil {
			return nil, err
		}
		now = resp.GetOpenItems()
		lc.open[debtor] = now
	}
	if oi := find(now); oi != nil {
		return oi, nil
	}
	key := debtor + "\x00" + table.Date(booked)
	then, ok := lc.atDate[key]
	if !ok {
		req := &ledgerv1.ListOpenItemsAtKeyDateRequest{Tenant: lc.tenant, DebtorId: debtor, KeyDate: booked, PageSize: pageSize}
		for range maxPages {
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			resp, err := lc.queries.ListOpenItemsAtKeyDate(cctx, req)
			cancel()
			if err != nil {
				return nil, err
			}
			then = append(then, resp.GetOpenItems()...)
			if resp.GetNextPageToken() == "" {
				break
			}
			req.PageToken = resp.GetNextPageToken()
		}
		lc.atDate[key] = then
	}
	return find(then), nil
}
