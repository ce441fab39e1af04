package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/libs/formats/pain"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// sepaFlags are what every `o2c sepa` command shares: where matching (which
// serves SepaService) is, the tenant and the output form.
type sepaFlags struct{ serviceFlags }

func (f *sepaFlags) bind(cmd *cobra.Command) {
	f.serviceFlags = serviceFlags{name: "matching", flag: "matching", env: "O2C_MATCHING_ADDR", defaultAddr: defaultMatchingAddr,
		addrHelp: "matching gRPC address, which serves SEPA", tenantWhy: "mandates, collections and payouts are a tenant's"}
	f.serviceFlags.bind(cmd)
}

// call checks the shared flags, connects to matching and runs do with a
// deadline; a failed call is explained in the user's terms.
func (f *sepaFlags) call(cmd *cobra.Command, do func(context.Context, matchingv1grpc.SepaServiceClient) error) error {
	conn, err := f.dial(cmd)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
	defer cancel()
	return explain(f.svc(), do(ctx, matchingv1grpc.NewSepaServiceClient(conn)))
}

// newSepaCmd is `o2c sepa`: SEPA direct debits (mandates, collection runs
// writing pain.008) and payouts of credit balances (pain.001), which the
// matching service keeps.
func newSepaCmd() *cobra.Command {
	var f sepaFlags
	cmd := &cobra.Command{
		Use:   "sepa",
		Short: "SEPA direct debits and payouts: mandates, collection runs (pain.008), payouts of credit balances (pain.001)",
		Long: `sepa works with the SEPA part of the matching service. Mandates come from the shop's
customer master data or are entered here. A collection run pre-notifies the
direct-debit items that have a usable mandate and, in a later run once the
pre-notification period and the bank's lead time allow, submits them in pain.008
files, one per creditor account, scheme and collection date. Nothing is booked
when a file is written: the collection is booked when the bank statement shows
it, and matching clears the item by its end-to-end id. A payout run pays the
credit balances the tenant's rules release in a pain.001 file. The files and the
pre-notification texts are in the service's output directory, one directory per
tenant; the commands print their paths. The bank's status reports (pain.002) on
the files are imported with status-report: a collection or payout the bank
rejected before settlement never shows on a statement.`,
	}
	f.bind(cmd)
	cmd.AddCommand(newSepaCollectCmd(&f), newSepaPayoutsCmd(&f), newSepaMandatesCmd(&f), newSepaMandateCmd(&f),
		newSepaCollectionsCmd(&f), newSepaFileCmd(&f), newSepaStatusReportCmd(&f))
	return cmd
}

func newSepaCollectCmd(f *sepaFlags) *cobra.Command {
	var date string
	var dry bool
	cmd := &cobra.Command{
		Use:   "collect --tenant T --date D [--dry-run]",
		Short: "Run the tenant's direct-debit collection for a day: pre-notify, write pain.008 files",
		Long: `collect runs the collection of --date as the daily schedule does. Direct-debit items
with a usable mandate that were not pre-notified yet are pre-notified now (a text
per debtor and mandate for the mailer) for a collection date at least the
pre-notification period away; items pre-notified earlier whose collection date is
within the bank's submission lead time are submitted in pain.008.001.08 files, one
per creditor account, scheme and collection date. An item collected once is never
in a second file: running a day again gives the day's files back. --dry-run says
what it would do and stores and writes nothing. It prints the files with their
paths, counts and sums, the debits submitted and pre-notified, the
pre-notification texts written and the items left out with why.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := parseDunningDate("date", date)
			if err != nil {
				return err
			}
			if d == nil {
				return errors.New("--date is required: the day of the run, YYYY-MM-DD")
			}
			return f.call(cmd, func(ctx context.Context, c matchingv1grpc.SepaServiceClient) error {
				res, err := c.Collect(ctx, &matchingv1.CollectRequest{Tenant: f.tenant, Date: d, DryRun: dry})
				if err != nil {
					return err
				}
				if f.output == "json" {
					return writeJSONLine(cmd.OutOrStdout(), res)
				}
				writeCollect(cmd.OutOrStdout(), d, dry, res)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "day of the run, YYYY-MM-DD (required)")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "decide and print, store and write nothing")
	return cmd
}

// writeCollect prints a collection run's result for people.
func writeCollect(w io.Writer, day *commonv1.Date, dry bool, res *matchingv1.CollectResponse) {
	if dry {
		fmt.Fprintf(w, "collection run of %s (dry run: nothing stored, no file or text written)\n", dunningDate(day))
	} else {
		fmt.Fprintf(w, "collection run of %s\n", dunningDate(day))
	}
	if len(res.GetFiles()) > 0 {
		fmt.Fprintln(w, "\nfiles of the day (pain.008.001.08):")
		writeSepaFiles(w, res.GetFiles())
	}
	if len(res.GetSubmitted()) > 0 {
		fmt.Fprintln(w, "\nsubmitted now:")
		writeDebits(w, res.GetSubmitted())
	}
	if len(res.GetPreNotified()) > 0 {
		fmt.Fprintln(w, "\npre-notified now (a later run submits them):")
		writeDebits(w, res.GetPreNotified())
	}
	if len(res.GetCancelled()) > 0 {
		fmt.Fprintln(w, "\ncancelled (pre-notified, no longer collectable):")
		writeDebits(w, res.GetCancelled())
	}
	if len(res.GetHeld()) > 0 {
		fmt.Fprintln(w, "\nheld back (the file writer refused a field; fix the mandate and run again):")
		writeDebits(w, res.GetHeld())
	}
	if len(res.GetPreNotifications()) > 0 {
		fmt.Fprintln(w, "\npre-notifications written (for the mailer):")
		for _, p := range res.GetPreNotifications() {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	if len(res.GetSkipped()) > 0 {
		fmt.Fprintln(w, "\nleft out:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  ITEM\tDEBTOR\tWHY")
		for _, s := range res.GetSkipped() {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.GetOpenItemId(), s.GetDebtorId(), s.GetReason())
		}
		tw.Flush()
	}
	var sum int64
	for _, d := range res.GetSubmitted() {
		sum += d.GetAmount().GetMinorUnits()
	}
	fmt.Fprintf(w, "\n%s, %s submitted (%s EUR), %s pre-notified, %s cancelled, %s held back, %s left out\n",
		table.Count(len(res.GetFiles()), "file"), table.Count(len(res.GetSubmitted()), "debit"), table.Money(sum, "EUR"),
		table.Count(len(res.GetPreNotified()), "debit"), grouped(int64(len(res.GetCancelled()))), grouped(int64(len(res.GetHeld()))),
		table.Count(len(res.GetSkipped()), "item"))
}

// writeSepaFiles prints files with their paths, counts and sums.
func writeSepaFiles(w io.Writer, files []*matchingv1.SepaFile) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  FILE\tTYPE\tSCHEME\tACCOUNT\tDATE\tITEMS\tSUM\tMSGID")
	for _, file := range files {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", file.GetName(), file.GetMessageType(), orElse(file.GetScheme(), "-"), file.GetAccount(),
			dunningDate(file.GetDate()), file.GetCount(), dunningMoney(file.GetTotal()), file.GetMessageId())
	}
	tw.Flush()
	for _, file := range files {
		if file.GetPath() != "" {
			fmt.Fprintf(w, "  %s is %s\n", file.GetName(), file.GetPath())
		}
	}
}

// writeDebits prints debits, one line each.
func writeDebits(w io.Writer, ds []*matchingv1.Debit) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DEBTOR\tDOCUMENT\tAMOUNT\tMANDATE\tSEQ\tSCHEME\tCOLLECTION\tPRE-NOTIFIED\tEND-TO-END ID\tSTATE\tBANK\tFILE\tREASON")
	for _, d := range ds {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.GetDebtorId(), orElse(d.GetDocumentNumber(), d.GetOpenItemId()),
			dunningMoney(d.GetAmount()), d.GetMandate(), d.GetSequence(), d.GetScheme(), dunningDate(d.GetCollectionDate()),
			orElse(dunningDate(d.GetPreNotified()), "-"), d.GetEndToEndId(), d.GetState(), orElse(d.GetBankStatus(), "-"),
			orElse(d.GetFile(), "-"), orElse(d.GetReason(), "-"))
	}
	tw.Flush()
}

func newSepaPayoutsCmd(f *sepaFlags) *cobra.Command {
	var date string
	var dry bool
	cmd := &cobra.Command{
		Use:   "payouts --tenant T [--date D] [--dry-run]",
		Short: "List the credit balances due for payout and why, and write the released ones into a pain.001",
		Long: `payouts lists every debtor with a credit balance not yet paid out, whether the
tenant's payout rules (threshold, age, no open receivable, no block, an IBAN on
file) release it and why, and, unless --dry-run, writes the released ones into a
pain.001.001.09 credit transfer file for --date (default: today). The payout is
booked when the bank statement shows the transfer. Running a day again gives the
day's file back.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := parseDunningDate("date", date)
			if err != nil {
				return err
			}
			if d == nil {
				now := time.Now()
				d = &commonv1.Date{Year: int32(now.Year()), Month: int32(now.Month()), Day: int32(now.Day())}
			}
			return f.call(cmd, func(ctx context.Context, c matchingv1grpc.SepaServiceClient) error {
				res, err := c.Payouts(ctx, &matchingv1.PayoutsRequest{Tenant: f.tenant, Date: d, DryRun: dry})
				if err != nil {
					return err
				}
				if f.output == "json" {
					return writeJSONLine(cmd.OutOrStdout(), res)
				}
				writePayouts(cmd.OutOrStdout(), d, dry, res)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "day of the run, YYYY-MM-DD (default: today)")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "decide and print, write nothing")
	return cmd
}

// writePayouts prints a payout run's result for people.
func writePayouts(w io.Writer, day *commonv1.Date, dry bool, res *matchingv1.PayoutsResponse) {
	if dry {
		fmt.Fprintf(w, "payouts of %s (dry run: no file written)\n", dunningDate(day))
	} else {
		fmt.Fprintf(w, "payouts of %s\n", dunningDate(day))
	}
	released, sum := 0, int64(0)
	if len(res.GetDue()) == 0 {
		fmt.Fprintln(w, "no credit balance to pay out")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "DEBTOR\tAMOUNT\tRELEASED\tWHY\tITEMS\tEND-TO-END ID")
		for _, p := range res.GetDue() {
			rel := "no"
			if p.GetReleased() {
				rel = "yes"
				released++
				sum += p.GetAmount().GetMinorUnits()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.GetDebtorId(), dunningMoney(p.GetAmount()), rel, p.GetWhy(),
				strings.Join(p.GetOpenItemIds(), " "), orElse(p.GetEndToEndId(), "-"))
		}
		tw.Flush()
	}
	if file := res.GetFile(); file != nil {
		fmt.Fprintln(w, "\nfile (pain.001.001.09):")
		writeSepaFiles(w, []*matchingv1.SepaFile{file})
	}
	fmt.Fprintf(w, "\n%s with a credit balance, %s released (%s EUR)\n", table.Count(len(res.GetDue()), "debtor"), grouped(int64(released)),
		table.Money(sum, "EUR"))
}

func newSepaMandatesCmd(f *sepaFlags) *cobra.Command {
	var debtor string
	cmd := &cobra.Command{
		Use:   "mandates --tenant T [--debtor D]",
		Short: "List the tenant's direct-debit mandates: next sequence, expiry, amendments, why one is unusable",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.call(cmd, func(ctx context.Context, c matchingv1grpc.SepaServiceClient) error {
				res, err := c.ListMandates(ctx, &matchingv1.ListMandatesRequest{Tenant: f.tenant, DebtorId: debtor})
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				if f.output == "json" {
					for _, m := range res.GetMandates() {
						if err := writeJSONLine(w, m); err != nil {
							return err
						}
					}
					return nil
				}
				writeMandates(w, res.GetMandates())
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&debtor, "debtor", "", "only this debtor's mandates")
	return cmd
}

// writeMandates prints mandates, one line each.
func writeMandates(w io.Writer, ms []*matchingv1.Mandate) {
	if len(ms) == 0 {
		fmt.Fprintln(w, "no mandate")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tDEBTOR\tNAME\tIBAN\tSCHEME\tNEXT\tSIGNED\tLAST COLLECTED\tEXPIRES\tSOURCE\tVERSION\tSTATUS")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", m.GetReference(), m.GetDebtorId(), m.GetName(), m.GetIban(),
			orElse(m.GetScheme(), "CORE"), m.GetNextSequence(), orElse(dunningDate(m.GetSignedOn()), "-"), orElse(dunningDate(m.GetLastCollected()), "-"),
			orElse(dunningDate(m.GetExpires()), "-"), m.GetSource(), m.GetVersion(), mandateStatus(m))
	}
	tw.Flush()
}

// mandateStatus says whether a collection can be made under m today and,
// when an amendment waits, what the next collection carries.
func mandateStatus(m *matchingv1.Mandate) string {
	var s []string
	switch {
	case m.GetRevokedAt() != nil:
		s = append(s, "revoked "+m.GetRevokedAt().AsTime().Format(time.DateOnly))
	case m.GetUnusableReason() != "":
		s = append(s, "unusable (return "+m.GetUnusableReason()+")")
	case m.GetNotUsable() != "":
		s = append(s, "not usable: "+m.GetNotUsable())
	default:
		s = append(s, "usable")
	}
	if a := m.GetAmendment(); a != nil {
		var what []string
		if a.GetOriginalReference() != "" {
			what = append(what, "reference was "+a.GetOriginalReference())
		}
		if a.GetNewAccount() {
			what = append(what, "new account (SMNDA)")
		}
		if len(what) > 0 {
			s = append(s, "amended: "+strings.Join(what, ", ")+", carried by the next collection")
		}
	}
	return strings.Join(s, "; ")
}

// newSepaMandateCmd is `o2c sepa mandate put|revoke`.
func newSepaMandateCmd(f *sepaFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mandate",
		Short: "Enter, amend or revoke a direct-debit mandate",
	}
	cmd.AddCommand(newSepaMandatePutCmd(f), newSepaMandateRevokeCmd(f))
	return cmd
}

func newSepaMandatePutCmd(f *sepaFlags) *cobra.Command {
	m := &matchingv1.Mandate{}
	var signed, original, note string
	var version int64
	cmd := &cobra.Command{
		Use:   "put --tenant T --reference R --debtor D --name N --iban IBAN --signed DATE [flags]",
		Short: "Create a mandate, or amend one (new IBAN, new reference: the next collection carries the amendment)",
		Long: `put stores the mandate --reference of --debtor as given: the mandate becomes what
the flags say, so an amendment names every field again (o2c sepa mandates shows
them). A mandate that exists is amended: a new --iban, or a new reference with --original-reference naming the old
one, is carried into the next collection as the rulebook requires (the file names
the original mandate id or says SMNDA for a new account). --signed is the date the
debtor signed; a mandate without it is not used. --scheme B2B for a business
mandate (default CORE), --one-off for a single collection. --expected-version
refuses the change when the mandate changed since you read it (o2c sepa mandates
shows the version). The debtor's address (--country, --post-code, --town,
--street) is required for an account outside the EEA.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if m.Reference == "" || m.DebtorId == "" || m.Name == "" || m.Iban == "" {
				return errors.New("--reference, --debtor, --name and --iban are required")
			}
			d, err := parseDunningDate("signed", signed)
			if err != nil {
				return err
			}
			m.SignedOn, m.Tenant = d, f.tenant
			m.Scheme = strings.ToUpper(m.Scheme)
			return f.call(cmd, func(ctx context.Context, c matchingv1grpc.SepaServiceClient) error {
				res, err := c.PutMandate(ctx, &matchingv1.PutMandateRequest{Mandate: m, OriginalReference: original, ExpectedVersion: version, Note: note})
				if err != nil {
					return err
				}
				if f.output == "json" {
					return writeJSONLine(cmd.OutOrStdout(), res.GetMandate())
				}
				got := res.GetMandate()
				fmt.Fprintf(cmd.OutOrStdout(), "mandate %s of %s stored (version %d), next collection %s: %s\n", got.GetReference(), got.GetDebtorId(),
					got.GetVersion(), orElse(got.GetNextSequence(), "-"), mandateStatus(got))
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&m.Reference, "reference", "", "mandate reference (Mandatsreferenz), at most 35 characters (required)")
	fl.StringVar(&m.DebtorId, "debtor", "", "debtor id, the shop's customer number (required)")
	fl.StringVar(&m.Name, "name", "", "account holder's name (required)")
	fl.StringVar(&m.Iban, "iban", "", "IBAN of the account debited (required)")
	fl.StringVar(&m.Bic, "bic", "", "BIC of the debtor's bank (optional: IBAN only)")
	fl.StringVar(&signed, "signed", "", "date the debtor signed, YYYY-MM-DD")
	fl.StringVar(&m.Scheme, "scheme", "", "CORE (default) or B2B")
	fl.BoolVar(&m.OneOff, "one-off", false, "a mandate for a single collection (OOFF)")
	fl.StringVar(&m.CreditorAccount, "creditor-account", "", "IBAN of the tenant's creditor account to collect to (default: the first of its sepa section)")
	fl.StringVar(&original, "original-reference", "", "the mandate's reference before this change, when the reference changes")
	fl.Int64Var(&version, "expected-version", 0, "refuse the change unless the mandate is at this version (0: no check)")
	fl.StringVar(&note, "note", "", "why, for the record")
	fl.StringVar(&m.Country, "country", "", "debtor's country (ISO 3166), required outside the EEA")
	fl.StringVar(&m.PostCode, "post-code", "", "debtor's post code")
	fl.StringVar(&m.Town, "town", "", "debtor's town")
	fl.StringVar(&m.Street, "street", "", "debtor's street and number")
	return cmd
}

func newSepaMandateRevokeCmd(f *sepaFlags) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "revoke --tenant T REFERENCE [--note WHY]",
		Short: "Revoke a mandate: nothing is collected under it again, its pre-notified debits are cancelled by the next run",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.call(cmd, func(ctx context.Context, c matchingv1grpc.SepaServiceClient) error {
				res, err := c.RevokeMandate(ctx, &matchingv1.RevokeMandateRequest{Tenant: f.tenant, Reference: args[0], Note: note})
				if err != nil {
					return err
				}
				if f.output == "json" {
					return writeJSONLine(cmd.OutOrStdout(), res.GetMandate())
				}
				fmt.Fprintf(cmd.OutOrStdout(), "mandate %s of %s revoked\n", res.GetMandate().GetReference(), res.GetMandate().GetDebtorId())
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why, for the record")
	return cmd
}

func newSepaCollectionsCmd(f *sepaFlags) *cobra.Command {
	var state, debtor string
	cmd := &cobra.Command{
		Use:   "collections --tenant T [--state S] [--debtor D]",
		Short: "List the tenant's debits (prenotified, submitted, booked, returned, rejected, cancelled) and files",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.call(cmd, func(ctx context.Context, c matchingv1grpc.SepaServiceClient) error {
				res, err := c.ListCollections(ctx, &matchingv1.ListCollectionsRequest{Tenant: f.tenant, State: state, DebtorId: debtor})
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				if f.output == "json" {
					return writeJSONLine(w, res)
				}
				if len(res.GetDebits()) == 0 {
					fmt.Fprintln(w, "no debit")
				} else {
					writeDebits(w, res.GetDebits())
				}
				if len(res.GetFiles()) > 0 {
					fmt.Fprintln(w, "\nfiles:")
					writeSepaFiles(w, res.GetFiles())
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only debits in this state: prenotified|submitted|booked|returned|rejected|cancelled")
	cmd.Flags().StringVar(&debtor, "debtor", "", "only this debtor's debits")
	return cmd
}

func newSepaFileCmd(f *sepaFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "file --tenant T NAME [--out FILE]",
		Short: "Write a copy of a pain file a run wrote (to standard output, or --out FILE)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.call(cmd, func(ctx context.Context, c matchingv1grpc.SepaServiceClient) error {
				res, err := c.GetFile(ctx, &matchingv1.GetFileRequest{Tenant: f.tenant, Name: args[0]})
				if err != nil {
					return err
				}
				if out == "" || out == "-" {
					_, err := cmd.OutOrStdout().Write(res.GetContent())
					return err
				}
				if err := os.WriteFile(out, res.GetContent(), 0o600); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s (%s, %s, %s) written to %s\n", args[0], res.GetFile().GetMessageType(),
					table.Count(int(res.GetFile().GetCount()), "transaction"), dunningMoney(res.GetFile().GetTotal()), out)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write the copy to (default: standard output)")
	return cmd
}

// newSepaStatusReportCmd is `o2c sepa status-report FILE`: a bank's
// pain.002 on a pain.008 or pain.001 file, applied by matching.
func newSepaStatusReportCmd(f *sepaFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status-report FILE --tenant T",
		Short: "Import the bank's status report (pain.002) on a collection or payout file",
		Long: `status-report hands matching a Customer Payment Status Report (pain.002.001.10, or
the .09 and .03 versions) the bank sent on a pain.008 or pain.001 file. A debit
the bank rejected (RJCT, for the whole file, a batch or the one transaction)
becomes rejected with the reason code and its item is collected again by the
next run under a new end-to-end id, unless the code says the account or mandate
is gone (AC01, AC04, AC06, MD01, MD07 ... as for a return): then the mandate is
unusable until it is amended. A rejected payout frees the credit balance for the
next payout run, or holds it when the account is gone. Acceptances (ACTC, ACCP,
ACSP, ACSC ...) are recorded on the debits (the BANK column of collections).
Nothing is booked: no money moved. Importing the same report again changes
nothing. It prints per transaction what the report said and what was done; a
message or end-to-end id that is none of the tenant's is listed as unknown.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			content, err := readStatusReport(args[0])
			if err != nil {
				return err
			}
			return f.call(cmd, func(ctx context.Context, c matchingv1grpc.SepaServiceClient) error {
				res, err := c.ImportStatusReport(ctx, &matchingv1.ImportStatusReportRequest{Tenant: f.tenant, Content: content,
					Name: filepath.Base(args[0])})
				if err != nil {
					return err
				}
				if f.output == "json" {
					return writeJSONLine(cmd.OutOrStdout(), res)
				}
				writeStatusReport(cmd.OutOrStdout(), res)
				return nil
			})
		},
	}
	return cmd
}

// readStatusReport reads a status report file, refusing one larger than
// matching takes before anything is sent.
func readStatusReport(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	content, err := io.ReadAll(io.LimitReader(fh, pain.MaxStatusReportSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(content) > pain.MaxStatusReportSize {
		return nil, fmt.Errorf("%s is larger than %d MiB, more than a status report can be: nothing was sent", path, pain.MaxStatusReportSize>>20)
	}
	if len(content) == 0 {
		return nil, fmt.Errorf("%s is empty: nothing was sent", path)
	}
	return content, nil
}

// writeStatusReport prints what an imported status report did.
func writeStatusReport(w io.Writer, res *matchingv1.ImportStatusReportResponse) {
	file := res.GetFile()
	if file == "" {
		file = "none of the tenant's files"
	}
	fmt.Fprintf(w, "status report %s on %s %s (file: %s), group status %s\n", res.GetMessageId(), res.GetOriginalMessageType(),
		res.GetOriginalMessageId(), file, orElse(res.GetGroupStatus(), "-"))
	if res.GetDuplicate() {
		fmt.Fprintln(w, "imported before: nothing changed now; this is what the first import did")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  END-TO-END ID\tKIND\tITEMS\tDEBTOR\tAMOUNT\tSTATUS\tREASON\tOUTCOME\tNOTE")
	count := map[string]int{}
	for _, a := range res.GetApplied() {
		count[a.GetOutcome()]++
		amount := "-"
		if a.GetAmount().GetMinorUnits() != 0 {
			amount = dunningMoney(a.GetAmount())
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", orElse(a.GetEndToEndId(), "-"), orElse(a.GetKind(), "-"),
			orElse(strings.Join(a.GetOpenItemIds(), ","), "-"), orElse(a.GetDebtorId(), "-"), amount, orElse(a.GetStatus(), "-"),
			orElse(a.GetReason(), "-"), a.GetOutcome(), a.GetNote())
	}
	tw.Flush()
	fmt.Fprintf(w, "%s: %d rejected, %d recorded, %d unchanged, %d unknown\n", table.Count(len(res.GetApplied()), "transaction"),
		count["rejected"], count["recorded"], count["unchanged"], count["unknown"])
}
