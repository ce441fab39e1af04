package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// defaultCollectionsAddr is collections' address in docker-compose.yml
// and `o2c demo` (service.DefaultAddr of services/collections).
const defaultCollectionsAddr = "127.0.0.1:9095"

// collectionsFlags are what every `o2c collections` command shares: where
// collections is, the tenant and the output form.
type collectionsFlags struct{ serviceFlags }

func (f *collectionsFlags) bind(cmd *cobra.Command) {
	f.serviceFlags = serviceFlags{name: "collections", flag: "collections", env: "O2C_COLLECTIONS_ADDR", defaultAddr: defaultCollectionsAddr,
		addrHelp: "collections' gRPC address", tenantWhy: "collections keeps each tenant's cases apart"}
	f.serviceFlags.bind(cmd)
}

// connect checks the shared flags and returns a client of collections and
// a function that closes its connection.
func (f *collectionsFlags) connect(cmd *cobra.Command) (collectionsv1grpc.CollectionsServiceClient, func(), error) {
	conn, err := f.dial(cmd)
	if err != nil {
		return nil, nil, err
	}
	return collectionsv1grpc.NewCollectionsServiceClient(conn), func() { conn.Close() }, nil
}

// newCollectionsCmd is `o2c collections`: the merchant's side of the
// collection agencies.
func newCollectionsCmd() *cobra.Command {
	var f collectionsFlags
	cmd := &cobra.Command{
		Use:   "collections",
		Short: "Follow, release, recall and answer collection cases; recovery rate and ageing per agency",
		Long: `collections works with the collections service, which hands what dunning could not
recover (its final level) or what an operator releases by hand to a collection
agency chosen by the tenant's rules (the collections section of the tenants
file). The items stay on the books "in collection", blocked for dunning, and are
never closed by a fake payment. Agencies report over their own API
(o2c.collections.v1.AgencyService, each seeing only its cases): acceptance,
progress, collected payments (booked: §367 BGB order, a receivable against the
agency, its commission with input VAT), questions and the closing, which writes
off what is left with the VAT correction (§17 UStG).`,
	}
	f.bind(cmd)
	cmd.AddCommand(newCollectionsCasesCmd(&f), newCollectionsCaseCmd(&f), newCollectionsReleaseCmd(&f),
		newCollectionsRecallCmd(&f), newCollectionsAnswerCmd(&f), newCollectionsReportCmd(&f))
	return cmd
}

// caseStatuses are the statuses `--status` takes, by their word.
var caseStatuses = map[string]collectionsv1.CaseStatus{
	"submitted": collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED,
	"accepted":  collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED,
	"rejected":  collectionsv1.CaseStatus_CASE_STATUS_REJECTED,
	"recalled":  collectionsv1.CaseStatus_CASE_STATUS_RECALLED,
	"closed":    collectionsv1.CaseStatus_CASE_STATUS_CLOSED,
}

// enumWord is an enum value's name without its prefix, in lower case with
// dashes ("CLOSING_CODE_PAID_IN_FULL" -> "paid-in-full"); "" for the
// unspecified value.
func enumWord(value fmt.Stringer, prefix string) string {
	w := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(value.String(), prefix)), "_", "-")
	if w == "unspecified" {
		return ""
	}
	return w
}

func newCollectionsCasesCmd(f *collectionsFlags) *cobra.Command {
	var agency string
	var statuses []string
	var limit int32
	cmd := &cobra.Command{
		Use:   "cases --tenant T [--agency A] [--status S]...",
		Short: "List the cases per agency and status",
		Long: `cases lists the tenant's collection cases by agency and release: the agency's
reference, status and last reported progress, the debtor, and the money handed
over, collected, paid directly, written off and still open.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &collectionsv1.ListCasesRequest{Tenant: f.tenant, Agency: agency, PageSize: limit}
			for _, s := range statuses {
				st, ok := caseStatuses[s]
				if !ok {
					return fmt.Errorf("--status %q: want one of %s", s, strings.Join(sortedKeys(caseStatuses), ", "))
				}
				req.Statuses = append(req.Statuses, st)
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			resp, err := client.ListCases(cmd.Context(), req)
			if err != nil {
				return explain(f.svc(), err)
			}
			out := cmd.OutOrStdout()
			if f.output == "json" {
				return writeJSONLines(out, resp.GetCases())
			}
			if len(resp.GetCases()) == 0 {
				fmt.Fprintln(out, "no cases")
				return nil
			}
			casesTable(out, resp.GetCases())
			return nil
		},
	}
	cmd.Flags().StringVar(&agency, "agency", "", "only this agency's cases")
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only cases in this status (repeat or separate with commas): "+strings.Join(sortedKeys(caseStatuses), ", "))
	cmd.Flags().Int32Var(&limit, "limit", 0, "most cases listed (default 100, at most 1000)")
	return cmd
}

// casesTable prints cases, one line each.
func casesTable(w io.Writer, cases []*collectionsv1.Case) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tAGENCY\tREFERENCE\tSTATUS\tPROGRESS\tDEBTOR\tRELEASED\tHANDED OVER\tCOLLECTED\tPAID DIRECTLY\tWRITTEN OFF\tOPEN")
	for _, c := range cases {
		t := c.GetTotals()
		st := enumWord(c.GetStatus(), "CASE_STATUS_")
		if code := enumWord(c.GetClosingCode(), "CLOSING_CODE_"); code != "" {
			st += " (" + code + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.GetCaseId(), c.GetAgency(), c.GetAgencyReference(), st,
			enumWord(c.GetProgress(), "PROGRESS_STATUS_"), c.GetDebtor().GetDebtorId(), dunningDate(c.GetReleasedOn()),
			dunningMoney(t.GetHandedOver()), dunningMoney(t.GetCollected()), dunningMoney(t.GetPaidDirectly()),
			dunningMoney(t.GetWrittenOff()), dunningMoney(t.GetOpen()))
	}
	tw.Flush()
}

func newCollectionsCaseCmd(f *collectionsFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "case ID --tenant T",
		Short: "Show a case: items, dunning history, questions, recalls, direct payments and its money",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			resp, err := client.GetCase(cmd.Context(), &collectionsv1.GetCaseRequest{Tenant: f.tenant, CaseId: args[0]})
			if err != nil {
				return explain(f.svc(), err)
			}
			if f.output == "json" {
				return writeJSONLine(cmd.OutOrStdout(), resp.GetCase())
			}
			caseDetail(cmd.OutOrStdout(), resp.GetCase())
			return nil
		},
	}
}

// caseDetail prints everything about a case.
func caseDetail(w io.Writer, c *collectionsv1.Case) {
	st := enumWord(c.GetStatus(), "CASE_STATUS_")
	if code := enumWord(c.GetClosingCode(), "CLOSING_CODE_"); code != "" {
		st += ", closed " + code
	}
	if r := enumWord(c.GetRejectReason(), "REJECT_REASON_"); r != "" {
		st += ", rejected: " + r
	}
	if p := enumWord(c.GetProgress(), "PROGRESS_STATUS_"); p != "" {
		st += "; progress: " + p
	}
	fmt.Fprintf(w, "case %s  agency %s", c.GetCaseId(), c.GetAgency())
	if c.GetAgencyReference() != "" {
		fmt.Fprintf(w, " (reference %s)", c.GetAgencyReference())
	}
	fmt.Fprintf(w, "  %s\n", st)
	d := c.GetDebtor()
	fmt.Fprintf(w, "debtor %s", d.GetDebtorId())
	for _, s := range []string{d.GetName(), d.GetKind(), d.GetGroup(), d.GetCountry()} {
		if s != "" {
			fmt.Fprintf(w, "  %s", s)
		}
	}
	fmt.Fprintf(w, "\nreleased %s: %s\n", dunningDate(c.GetReleasedOn()), c.GetReleaseReason())
	t := c.GetTotals()
	fmt.Fprintf(w, "handed over %s, collected %s, paid directly %s, recalled %s, written off %s, recovered %s, open %s; agency's commission and fees %s\n",
		dunningMoney(t.GetHandedOver()), dunningMoney(t.GetCollected()), dunningMoney(t.GetPaidDirectly()), dunningMoney(t.GetRecalled()),
		dunningMoney(t.GetWrittenOff()), dunningMoney(t.GetRecovered()), dunningMoney(t.GetOpen()), dunningMoney(t.GetCommission()))
	if len(c.GetItems()) > 0 {
		fmt.Fprintln(w, "\nitems:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  OPEN ITEM\tDOCUMENT\tCOMPONENT\tDUE\tIN DEFAULT SINCE\tVAT\tHANDED OVER\tOPEN\tWRITTEN OFF\t")
		for _, it := range c.GetItems() {
			rec := ""
			if it.GetRecalled() {
				rec = "recalled"
			}
			vat := ""
			if it.GetTaxRateBp() != 0 {
				vat = fmt.Sprintf("%d.%02d %%", it.GetTaxRateBp()/100, it.GetTaxRateBp()%100)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.GetOpenItemId(), it.GetDocumentNumber(), it.GetComponent(),
				dunningDate(it.GetDueDate()), dunningDate(it.GetDefaultDate()), vat, dunningMoney(it.GetHandedOver()), dunningMoney(it.GetOpen()),
				dunningMoney(it.GetWrittenOff()), rec)
		}
		tw.Flush()
	}
	if len(c.GetDunningHistory()) > 0 {
		fmt.Fprintln(w, "\ndunning history:")
		for _, s := range c.GetDunningHistory() {
			fmt.Fprintf(w, "  %s  level %d  %s\n", dunningDate(s.GetDate()), s.GetLevel(), s.GetNoticeId())
		}
	}
	if len(c.GetDirectPayments()) > 0 {
		fmt.Fprintln(w, "\npaid directly to the merchant (reported to the agency):")
		for _, p := range c.GetDirectPayments() {
			fmt.Fprintf(w, "  %s  %s  %s\n", dunningDate(p.GetDate()), p.GetOpenItemId(), dunningMoney(p.GetAmount()))
		}
	}
	if len(c.GetQuestions()) > 0 {
		fmt.Fprintln(w, "\nquestions:")
		for _, q := range c.GetQuestions() {
			fmt.Fprintf(w, "  %s  %s\n", q.GetQuestionId(), q.GetText())
			if q.GetAnswer() == "" {
				fmt.Fprintf(w, "    not answered yet (o2c collections answer %s --question %s --text ...)\n", c.GetCaseId(), q.GetQuestionId())
				continue
			}
			fmt.Fprintf(w, "    answered by %s: %s\n", q.GetAnsweredBy(), q.GetAnswer())
		}
	}
	if len(c.GetRecalls()) > 0 {
		fmt.Fprintln(w, "\nrecalls:")
		for _, r := range c.GetRecalls() {
			what := "the whole case"
			if len(r.GetOpenItemIds()) > 0 {
				what = strings.Join(r.GetOpenItemIds(), ", ")
			}
			state := "requested"
			if r.GetConfirmed() {
				state = "confirmed by the agency"
			}
			fmt.Fprintf(w, "  %s  %s: %s (%s)\n", r.GetRecallId(), what, r.GetReason(), state)
		}
	}
}

func newCollectionsReleaseCmd(f *collectionsFlags) *cobra.Command {
	var req collectionsv1.ReleaseItemsRequest
	var date string
	cmd := &cobra.Command{
		Use:   "release --tenant T --debtor D --reason TEXT [--item ID]... [--agency A] [--date D]",
		Short: "Hand a debtor's open items to a collection agency by hand",
		Long: `release opens a case for the debtor's open items (--item, or every open item of
the debtor) with the operator's reason. Only items above the tenant's minimum,
without a block or dispute and not time-barred are released; the agency is the
one the tenant's rules choose unless --agency names it. The items stay on the
books, in collection, and dunning leaves them alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.DebtorId == "" || req.Reason == "" {
				return errors.New("--debtor and --reason are required: a manual release says why")
			}
			d, err := parseDunningDate("date", date)
			if err != nil {
				return err
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			r := proto.Clone(&req).(*collectionsv1.ReleaseItemsRequest)
			r.Tenant, r.Date = f.tenant, d
			resp, err := client.ReleaseItems(cmd.Context(), r)
			if err != nil {
				return explain(f.svc(), err)
			}
			if f.output == "json" {
				return writeJSONLine(cmd.OutOrStdout(), resp.GetCase())
			}
			c := resp.GetCase()
			fmt.Fprintf(cmd.OutOrStdout(), "case %s: %s of debtor %s (%s) handed to %s\n", c.GetCaseId(), table.Count(len(c.GetItems()), "item"),
				req.DebtorId, dunningMoney(c.GetTotals().GetHandedOver()), c.GetAgency())
			return nil
		},
	}
	cmd.Flags().StringVar(&req.DebtorId, "debtor", "", "debtor id (required)")
	cmd.Flags().StringSliceVar(&req.OpenItemIds, "item", nil, "open item to release (repeat or separate with commas; default: every open item of the debtor)")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why (required)")
	cmd.Flags().StringVar(&req.Agency, "agency", "", "agency to hand the case to (default: the tenant's rules choose)")
	cmd.Flags().StringVar(&date, "date", "", "date of the release, YYYY-MM-DD (default: today)")
	return cmd
}

func newCollectionsRecallCmd(f *collectionsFlags) *cobra.Command {
	var items []string
	var reason string
	cmd := &cobra.Command{
		Use:   "recall ID --tenant T --reason TEXT [--item ID]...",
		Short: "Ask the agency to give back a case, or some of its items",
		Long: `recall asks the case's agency to give back the whole case, or the items --item
names. The agency confirms the recall; until then the case stays with it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return errors.New("--reason is required: the agency is told why")
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			resp, err := client.RecallCase(cmd.Context(), &collectionsv1.RecallCaseRequest{Tenant: f.tenant, CaseId: args[0], OpenItemIds: items, Reason: reason})
			if err != nil {
				return explain(f.svc(), err)
			}
			if f.output == "json" {
				return writeJSONLine(cmd.OutOrStdout(), resp)
			}
			what := "the whole case"
			if len(items) > 0 {
				what = strings.Join(items, ", ")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "recall %s of %s requested from %s: %s; the agency confirms it\n", resp.GetRecall().GetRecallId(), what,
				resp.GetCase().GetAgency(), args[0])
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&items, "item", nil, "open item to recall (repeat or separate with commas; default: the whole case)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	return cmd
}

func newCollectionsAnswerCmd(f *collectionsFlags) *cobra.Command {
	var question, text string
	cmd := &cobra.Command{
		Use:   "answer ID --tenant T --question Q --text ANSWER",
		Short: "Answer an agency's question on a case",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if question == "" || text == "" {
				return errors.New("--question and --text are required (o2c collections case ID lists the questions)")
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			resp, err := client.AnswerQuestion(cmd.Context(), &collectionsv1.AnswerQuestionRequest{Tenant: f.tenant, CaseId: args[0], QuestionId: question, Answer: text})
			if err != nil {
				return explain(f.svc(), err)
			}
			if f.output == "json" {
				return writeJSONLine(cmd.OutOrStdout(), resp.GetQuestion())
			}
			fmt.Fprintf(cmd.OutOrStdout(), "question %s of case %s answered: %s\n", question, args[0], resp.GetQuestion().GetAnswer())
			return nil
		},
	}
	cmd.Flags().StringVar(&question, "question", "", "the question's id (required)")
	cmd.Flags().StringVar(&text, "text", "", "the answer (required)")
	return cmd
}

func newCollectionsReportCmd(f *collectionsFlags) *cobra.Command {
	var asOf string
	cmd := &cobra.Command{
		Use:   "report --tenant T [--as-of D]",
		Short: "Recovery rate and ageing per agency",
		Long: `report shows per agency its cases by status, what was handed over, collected,
paid directly, written off and recovered, the commission and fees it kept, its
recovery rate ((collected + recovered) / handed over) and what is still open by
age since release.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := parseDunningDate("as-of", asOf)
			if err != nil {
				return err
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			resp, err := client.Report(cmd.Context(), &collectionsv1.ReportRequest{Tenant: f.tenant, AsOf: d})
			if err != nil {
				return explain(f.svc(), err)
			}
			if f.output == "json" {
				return writeJSONLine(cmd.OutOrStdout(), resp)
			}
			reportTable(cmd.OutOrStdout(), resp)
			return nil
		},
	}
	cmd.Flags().StringVar(&asOf, "as-of", "", "date the ageing is counted to, YYYY-MM-DD (default: today)")
	return cmd
}

// reportTable prints the recovery report: a line per agency, then its
// ageing.
func reportTable(w io.Writer, r *collectionsv1.ReportResponse) {
	fmt.Fprintf(w, "collections as of %s\n", dunningDate(r.GetAsOf()))
	if len(r.GetAgencies()) == 0 {
		fmt.Fprintln(w, "no cases")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AGENCY\tCASES\tHANDED OVER\tCOLLECTED\tPAID DIRECTLY\tWRITTEN OFF\tRECOVERED\tCOMMISSION\tRECOVERY RATE")
	for _, a := range r.GetAgencies() {
		var cases []string
		for _, s := range sortedKeys(a.GetCases()) {
			cases = append(cases, fmt.Sprintf("%d %s", a.GetCases()[s], s))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d.%02d %%\n", a.GetAgency(), strings.Join(cases, ", "), dunningMoney(a.GetHandedOver()),
			dunningMoney(a.GetCollected()), dunningMoney(a.GetPaidDirectly()), dunningMoney(a.GetWrittenOff()), dunningMoney(a.GetRecovered()),
			dunningMoney(a.GetCommission()), a.GetRecoveryRateBp()/100, a.GetRecoveryRateBp()%100)
	}
	tw.Flush()
	for _, a := range r.GetAgencies() {
		var bands []string
		for _, b := range a.GetAgeing() {
			if b.GetCases() == 0 {
				continue
			}
			bands = append(bands, fmt.Sprintf("%s days: %s in %s", b.GetBand(), dunningMoney(b.GetOpen()), table.Count(int(b.GetCases()), "case")))
		}
		if len(bands) == 0 {
			bands = []string{"nothing open"}
		}
		fmt.Fprintf(w, "open at %s by age since release: %s\n", a.GetAgency(), strings.Join(bands, "; "))
	}
}

// writeJSONLines writes each message as a line of JSON.
func writeJSONLines[M proto.Message](w io.Writer, ms []M) error {
	for _, m := range ms {
		if err := writeJSONLine(w, m); err != nil {
			return err
		}
	}
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
