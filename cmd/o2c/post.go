package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/money"
)

// newLedgerPostCmd is `o2c ledger post`: a manual journal entry
// (Umbuchung) between G/L accounts through the ledger's PostJournalEntry.
func newLedgerPostCmd(f *ledgerFlags) *cobra.Command {
	var date, document, text, currency, key string
	var debits, credits []string
	cmd := &cobra.Command{
		Use:   "post --tenant T --date D --text TEXT --debit ACCOUNT=AMOUNT... --credit ACCOUNT=AMOUNT... [--document NO] [--currency EUR] [--key KEY]",
		Short: "Post a manual journal entry between G/L accounts (accountants)",
		Long: `post books a manual journal entry (Umbuchung) between G/L accounts: each --debit
and --credit is ACCOUNT=AMOUNT (1591=1234.56), the amounts positive and exact in
--currency, the debits summing to the credits. The entry is dated --date (an open
period) and carries --text and --document. It names no debtor: receivables are
booked by the commands that keep open items (credit notes, payments, write-offs).
An agency's payout is booked on its clearing account by the tenant's
bank.incoming_rules; one that arrived before the rule existed, and waits on
unidentified receipts, is moved there this way:

  o2c ledger post --tenant demo --date 2026-12-04 --document AG-2026-11 \
    --text "Auszahlung Inkasso November" --debit 1591=1234.56 --credit 1362=1234.56

The ledger takes each entry once per --key; without one the key is derived from
the entry itself, so running the same command again books nothing twice (give a
--key to post the same entry twice on purpose). Accountants only; the entry
records who posted it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.tenant == "" {
				return fmt.Errorf("--tenant is required")
			}
			if strings.TrimSpace(text) == "" {
				return fmt.Errorf("--text is required: say what the entry books")
			}
			d, err := parseDate("date", date)
			if err != nil {
				return err
			}
			if d == nil {
				return fmt.Errorf("--date is required (YYYY-MM-DD)")
			}
			legs, err := postLegs(currency, debits, credits)
			if err != nil {
				return err
			}
			req := &ledgerv1.PostJournalEntryRequest{Tenant: f.tenant, EffectiveDate: d, DocumentNumber: document,
				Text: strings.TrimSpace(text), Legs: legs, IdempotencyKey: key}
			if req.IdempotencyKey == "" {
				req.IdempotencyKey = postKey(req)
			}
			conn, err := dial(cmd, ledgerAt(f.addr))
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			resp, err := ledgerv1grpc.NewLedgerServiceClient(conn).PostJournalEntry(ctx, req)
			if err != nil {
				return explain(ledgerAt(f.addr), err)
			}
			printPosted(cmd.OutOrStdout(), req, resp)
			return nil
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "effective date YYYY-MM-DD (required)")
	cmd.Flags().StringVar(&text, "text", "", "posting text (Buchungstext, required)")
	cmd.Flags().StringVar(&document, "document", "", "document number (Belegnummer)")
	cmd.Flags().StringVar(&currency, "currency", "EUR", "ISO 4217 currency of every amount")
	cmd.Flags().StringArrayVar(&debits, "debit", nil, "ACCOUNT=AMOUNT to debit (repeatable)")
	cmd.Flags().StringArrayVar(&credits, "credit", nil, "ACCOUNT=AMOUNT to credit (repeatable)")
	cmd.Flags().StringVar(&key, "key", "", "idempotency key; default derived from the entry")
	return cmd
}

// postLegs reads the --debit and --credit values into legs (debits
// positive, credits negative) and checks that the debits sum to the
// credits, without overflow.
func postLegs(currency string, debits, credits []string) ([]*ledgerv1.JournalLeg, error) {
	if len(debits) == 0 || len(credits) == 0 {
		return nil, fmt.Errorf("an entry needs at least one --debit and one --credit")
	}
	var legs []*ledgerv1.JournalLeg
	var sums [2]int64
	for side, values := range [2][]string{debits, credits} {
		flag := [2]string{"--debit", "--credit"}[side]
		for _, v := range values {
			account, amount, ok := strings.Cut(v, "=")
			account = strings.TrimSpace(account)
			if !ok || account == "" || strings.ContainsAny(account, " \t") {
				return nil, fmt.Errorf("%s %q: want ACCOUNT=AMOUNT, such as 1591=1234.56", flag, v)
			}
			m, err := parseAmount(flag, strings.TrimSpace(amount), currency)
			if err != nil {
				return nil, err
			}
			if m <= 0 {
				return nil, fmt.Errorf("%s %s: the amount must be above zero (the side says debit or credit)", flag, v)
			}
			if sums[side], err = money.Add(sums[side], m); err != nil {
				return nil, fmt.Errorf("%s: the amounts sum beyond what an amount can hold", flag)
			}
			if side == 1 {
				m = -m
			}
			legs = append(legs, &ledgerv1.JournalLeg{Account: account, Amount: &commonv1.Money{MinorUnits: m, Currency: currency}})
		}
	}
	if sums[0] != sums[1] {
		return nil, fmt.Errorf("the debits sum to %s %s and the credits to %s %s: an entry balances", table.Money(sums[0], currency), currency,
			table.Money(sums[1], currency), currency)
	}
	return legs, nil
}

// postKey derives the idempotency key of an entry from its content, so
// that the same command run again is a replay.
func postKey(r *ledgerv1.PostJournalEntryRequest) string {
	h := sha256.New()
	d := r.GetEffectiveDate()
	fmt.Fprintf(h, "%s\x00%04d-%02d-%02d\x00%s\x00%s", r.GetTenant(), d.GetYear(), d.GetMonth(), d.GetDay(), r.GetDocumentNumber(), r.GetText())
	for _, l := range r.GetLegs() {
		fmt.Fprintf(h, "\x00%s\x00%d\x00%s", l.GetAccount(), l.GetAmount().GetMinorUnits(), l.GetAmount().GetCurrency())
	}
	return "cli-post:" + hex.EncodeToString(h.Sum(nil))[:32]
}

// printPosted says what was booked, or that the entry was booked before.
func printPosted(out io.Writer, req *ledgerv1.PostJournalEntryRequest, resp *ledgerv1.PostJournalEntryResponse) {
	verb := "posted"
	if resp.GetReplayed() {
		verb = "already posted (nothing booked again)"
	}
	d := req.GetEffectiveDate()
	fmt.Fprintf(out, "%s entry %s on %04d-%02d-%02d, key %s: %s\n", verb, resp.GetEntryId(), d.GetYear(), d.GetMonth(), d.GetDay(),
		req.GetIdempotencyKey(), req.GetText())
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ACCOUNT\tDEBIT\tCREDIT\t")
	for _, l := range req.GetLegs() {
		m, cur := l.GetAmount().GetMinorUnits(), l.GetAmount().GetCurrency()
		if m > 0 {
			fmt.Fprintf(tw, "%s\t%s %s\t\t\n", l.GetAccount(), table.Money(m, cur), cur)
		} else {
			fmt.Fprintf(tw, "%s\t\t%s %s\t\n", l.GetAccount(), table.Money(-m, cur), cur)
		}
	}
	tw.Flush()
}
