package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/agency-sim/agency"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/telemetry"
	collections "github.com/o2c-platform/o2c/services/collections/service"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// ReferenceAgency is the demo tenant's collection agency: the reference
// agency (cmd/agency-sim), the only agency of the tenant's collections
// section.
const ReferenceAgency = "agency-sim"

// OtherAgency is the demo tenant's second agency, for debtors in Austria
// (the demo has none): the agency whose credentials the security tests
// try on ReferenceAgency's cases.
const OtherAgency = "inkasso-nord"

// AgencyAccount is the ledger's clearing account of ReferenceAgency (the
// tenant's ledger.clearing): the receivable against the agency for what
// it collected and has not paid out yet.
const AgencyAccount = "1362"

// collectionsStarter is collections' entry of services().
func collectionsStarter() starter {
	return starter{collections.Name, collections.DefaultAddr, runCollections}
}

// runCollections starts collections with the demo's tenants (their
// collections section hands every case to ReferenceAgency), the demo's
// clock, and a connection to ingestion as itself (service:collections),
// from which it reads the debtors' names for the agency's cases.
func runCollections(ctx context.Context, cfg host.Config, p telemetry.Providers, log *slog.Logger, lis net.Listener, peers peers) error {
	ts, err := Tenants()
	if err != nil {
		return err
	}
	conn, err := peers.sec.dial(peers.addrs[ingestion.Name], ServicePrincipal(collections.Name), telemetry.GRPCDialOption(p))
	if err != nil {
		return err
	}
	defer conn.Close()
	return collections.Run(ctx, cfg, collections.Options{Tenants: ts, Ingestion: conn, Now: peers.clock.Now}, p, log, lis)
}

// AgencyPrincipal is who a collection agency is in its client
// certificate: the agency role for agency id of tenant, nothing else.
// Collections takes tenant and agency from it, never from a request.
func AgencyPrincipal(id, tenant string) identity.Principal {
	return identity.Principal{Actor: "agency:" + id, Tenants: []string{tenant}, Roles: []identity.Role{identity.Agency}, Agency: id}
}

// Agency returns the reference agency calling collections as p (its own
// client certificate from the run's CA), working with terms and dating
// its reports by today, and the function that closes its connection.
func (s *System) Agency(p identity.Principal, terms agency.Terms, today func() time.Time) (*agency.Agency, func() error, error) {
	conn, err := s.Dial(collections.Name, p)
	if err != nil {
		return nil, nil, err
	}
	tenant := ""
	if len(p.Tenants) > 0 {
		tenant = p.Tenants[0]
	}
	a, err := agency.New(collectionsv1grpc.NewAgencyServiceClient(conn), tenant, terms, today)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return a, conn.Close, nil
}

// The reference agency's client certificate and key in the run's
// credentials folder.
const (
	agencyCertFile = "agency-sim.pem"
	agencyKeyFile  = "agency-sim-key.pem"
)

// printAgencySim writes the reference agency's client certificate (agency
// role, agency ReferenceAgency of the demo tenant) into the run's
// credentials folder, removed with it, and prints how to run
// cmd/agency-sim against the system kept running.
func printAgencySim(out io.Writer, sys *System) error {
	cert, key, err := sys.secrets.ca.ClientCertificate(AgencyPrincipal(ReferenceAgency, Tenant))
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{agencyCertFile: cert, agencyKeyFile: key} {
		if err := os.WriteFile(filepath.Join(sys.secrets.dir, name), data, 0o600); err != nil {
			return err
		}
	}
	addr := ""
	for _, s := range sys.Services {
		if s.Name == collections.Name {
			addr = s.Addr
		}
	}
	fmt.Fprintf(out, "\nThe reference collection agency works the cases released to %s with its own certificate (agency role, agency %s):\n"+
		"  COLLECTIONS_ADDR=%s O2C_CLIENT_CERT=%s O2C_CLIENT_KEY=%s O2C_CLIENT_CA=%s go run ./cmd/agency-sim --tenant %s\n",
		ReferenceAgency, ReferenceAgency, addr, filepath.Join(sys.secrets.dir, agencyCertFile), filepath.Join(sys.secrets.dir, agencyKeyFile),
		filepath.Join(sys.secrets.dir, caFile), Tenant)
	return nil
}

// CollectionsOutcome is what the demo's collections step did, for its
// test.
type CollectionsOutcome struct {
	// Released is LateDebtor's case as dunning's release opened it.
	Released *collectionsv1.Case
	// Payments are the agency's instalments as collections answered them.
	Payments []*collectionsv1.ReportPaymentResponse
	// Closed is the case after the agency closed it.
	Closed *collectionsv1.Case
	// AgencyBalance is the balance of the agency's clearing account in
	// the ledger once everything is booked: what it collected less its
	// fees, commission and their VAT, owed to the merchant.
	AgencyBalance int64
	// DebtorOpenBefore and DebtorOpen are LateDebtor's open total in the
	// ledger before the agency worked the case and afterwards.
	DebtorOpenBefore, DebtorOpen int64
	// Report is the recovery report.
	Report *collectionsv1.ReportResponse
}

// Collections tells the collections story: dunning's final level released
// LateDebtor's items (Dunning, run before), collections opened a case
// with ReferenceAgency, and the reference agency, with its own client
// certificate, accepts it, reports that it contacted Jan Schmidt and
// agreed a payment plan, collects three instalments with its costs and
// commission, and closes the case paid in full. The ledger books each
// instalment (the items cleared costs, interest, principal; a receivable
// against the agency; commission and input VAT) and the demo prints the
// agency's clearing account, the debtor's items and the recovery report.
func Collections(ctx context.Context, out io.Writer, sys *System) (CollectionsOutcome, error) {
	var res CollectionsOutcome
	merchant := collectionsv1grpc.NewCollectionsServiceClient(sys.Conn(collections.Name))
	c, err := WaitForCase(ctx, merchant, LateDebtor)
	if err != nil {
		return res, err
	}
	res.Released = c
	fmt.Fprintf(out, "\nCollections (the demo tenant's collections section: the reference agency %s, cmd/agency-sim, for every debtor; %s for debtors in Austria).\n",
		ReferenceAgency, OtherAgency)
	fmt.Fprintf(out, "Dunning's final level released Jan Schmidt's items on %s; collections opened case %s with %s (o2c collections cases --tenant demo):\n",
		table.Date(c.GetReleasedOn()), c.GetCaseId(), c.GetAgency())
	docs := map[string]string{}
	for _, it := range c.GetItems() {
		docs[it.GetOpenItemId()] = it.GetDocumentNumber()
		fmt.Fprintf(out, "  %-24s %-9s %10s EUR\n", firstOf(it.GetDocumentNumber(), it.GetOpenItemId()), it.GetComponent(), table.Money(it.GetHandedOver().GetMinorUnits(), "EUR"))
	}
	fmt.Fprintf(out, "  handed over %s EUR; the items stay on the books, in collection, and dunning leaves them alone.\n",
		table.Money(c.GetTotals().GetHandedOver().GetMinorUnits(), "EUR"))

	lc := ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name))
	openBefore, err := WaitForDebtorOpen(ctx, lc, LateDebtor, -1)
	if err != nil {
		return res, err
	}
	res.DebtorOpenBefore = openBefore
	terms := agency.DefaultTerms()
	a, closeAgency, err := sys.Agency(AgencyPrincipal(ReferenceAgency, Tenant), terms, time.Now)
	if err != nil {
		return res, err
	}
	defer closeAgency()
	fmt.Fprintf(out, "\nThe reference agency calls collections' AgencyService with its own client certificate (agency role, agency %s: it sees its own cases only):\n", ReferenceAgency)
	if c, err = a.Accept(ctx, c.GetCaseId()); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "  accepted as %s\n", c.GetAgencyReference())
	for _, s := range []collectionsv1.ProgressStatus{collectionsv1.ProgressStatus_PROGRESS_STATUS_CONTACTED, collectionsv1.ProgressStatus_PROGRESS_STATUS_PAYMENT_PLAN} {
		if c, err = a.Report(ctx, c.GetCaseId(), s, ""); err != nil {
			return res, err
		}
		fmt.Fprintf(out, "  reported %s\n", agency.Name(s.String(), "PROGRESS_STATUS_"))
	}
	plan, err := a.Plan(c)
	if err != nil {
		return res, err
	}
	for _, in := range plan {
		p, err := a.Collect(ctx, c.GetCaseId(), in)
		if err != nil {
			return res, err
		}
		res.Payments = append(res.Payments, p)
		c = p.GetCase()
		fmt.Fprintf(out, "  instalment %d: collected %s EUR", in.N, table.Money(in.Collected, "EUR"))
		if in.NewCosts > 0 {
			fmt.Fprintf(out, " (with its collection costs %s EUR, charged to the debtor)", table.Money(in.NewCosts, "EUR"))
		}
		fmt.Fprintf(out, "; keeps fees %s, commission %s (%s %%) and their VAT %s EUR\n", table.Money(in.Fees, "EUR"), table.Money(in.Commission, "EUR"),
			table.Money(int64(terms.CommissionBP), ""), table.Money(in.InputVAT, "EUR"))
		var parts []string
		for _, al := range p.GetAllocations() {
			parts = append(parts, fmt.Sprintf("%s %s %s EUR", al.GetComponent(), firstOf(docs[al.GetOpenItemId()], al.GetOpenItemId()),
				table.Money(al.GetAmount().GetMinorUnits(), "EUR")))
		}
		fmt.Fprintf(out, "      cleared (§367 BGB: costs, interest, principal): %s\n", strings.Join(parts, ", "))
	}
	code := collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL
	if c.GetTotals().GetOpen().GetMinorUnits() > 0 {
		code = collectionsv1.ClosingCode_CLOSING_CODE_UNCOLLECTABLE
	}
	if c, err = a.Close(ctx, c.GetCaseId(), code, ""); err != nil {
		return res, err
	}
	res.Closed = c
	fmt.Fprintf(out, "  closed: %s\n", agency.Name(c.GetClosingCode().String(), "CLOSING_CODE_"))

	// The ledger books what the agency reported from collections' stream.
	var collectedNet int64
	for _, in := range plan {
		collectedNet += in.Collected - in.Fees - in.Commission - in.InputVAT
	}
	if res.AgencyBalance, err = WaitForAccountBalance(ctx, lc, AgencyAccount, collectedNet); err != nil {
		return res, err
	}
	cleared := c.GetTotals().GetHandedOver().GetMinorUnits() - c.GetTotals().GetOpen().GetMinorUnits()
	if res.DebtorOpen, err = WaitForDebtorOpen(ctx, lc, LateDebtor, openBefore-cleared); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\nBooked by the ledger: %s (%s's clearing account, o2c ledger balances --tenant demo --account %s) %s EUR owed by the agency until its payout arrives; Jan Schmidt's open items %s EUR, %s EUR before (what is left is outside the case).\n",
		AgencyAccount, ReferenceAgency, AgencyAccount, table.Money(res.AgencyBalance, "EUR"), table.Money(res.DebtorOpen, "EUR"), table.Money(openBefore, "EUR"))
	if res.Report, err = merchant.Report(ctx, &collectionsv1.ReportRequest{Tenant: Tenant}); err != nil {
		return res, fmt.Errorf("collections report: %w", err)
	}
	fmt.Fprintln(out, "\nRecovery per agency (o2c collections report --tenant demo):")
	for _, r := range res.Report.GetAgencies() {
		fmt.Fprintf(out, "  %s: handed over %s, collected %s, written off %s, commission and fees %s EUR; recovery rate %s %%\n", r.GetAgency(),
			table.Money(r.GetHandedOver().GetMinorUnits(), "EUR"), table.Money(r.GetCollected().GetMinorUnits(), "EUR"),
			table.Money(r.GetWrittenOff().GetMinorUnits(), "EUR"), table.Money(r.GetCommission().GetMinorUnits(), "EUR"), table.Money(int64(r.GetRecoveryRateBp()), ""))
	}
	return res, nil
}

// WaitForCase polls collections until debtor has a case and returns the
// newest.
func WaitForCase(ctx context.Context, client collectionsv1grpc.CollectionsServiceClient, debtor string) (*collectionsv1.Case, error) {
	var found *collectionsv1.Case
	err := poll(ctx, func() (bool, error) {
		r, err := client.ListCases(ctx, &collectionsv1.ListCasesRequest{Tenant: Tenant})
		if err != nil {
			return false, err
		}
		for _, c := range r.GetCases() {
			if c.GetDebtor().GetDebtorId() == debtor {
				found = c
			}
		}
		return found != nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for collections to open a case for %s: %w", debtor, err)
	}
	return found, nil
}

// WaitForAccountBalance polls the ledger until account's EUR balance is
// want and returns it.
func WaitForAccountBalance(ctx context.Context, client ledgerv1grpc.LedgerServiceClient, account string, want int64) (int64, error) {
	var have int64
	err := poll(ctx, func() (bool, error) {
		r, err := client.ListAccountBalances(ctx, &ledgerv1.ListAccountBalancesRequest{Tenant: Tenant, Account: account})
		if err != nil {
			return false, err
		}
		have = 0
		for _, b := range r.GetBalances() {
			if b.GetBalance().GetCurrency() == "EUR" {
				have = b.GetBalance().GetMinorUnits()
			}
		}
		return have == want, nil
	})
	if err != nil {
		return have, fmt.Errorf("waiting for the ledger's account %s to show %s EUR (has %s): %w", account, table.Money(want, "EUR"), table.Money(have, "EUR"), err)
	}
	return have, nil
}

// WaitForDebtorOpen polls the ledger until debtor's open items add up to
// want (any total for a negative want: the first answer) and returns the
// total.
func WaitForDebtorOpen(ctx context.Context, client ledgerv1grpc.LedgerServiceClient, debtor string, want int64) (int64, error) {
	var have int64
	err := poll(ctx, func() (bool, error) {
		r, err := client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: Tenant, DebtorId: debtor})
		if err != nil {
			return false, err
		}
		have = 0
		for _, it := range r.GetOpenItems() {
			have += it.GetOpenAmount().GetMinorUnits()
		}
		return want < 0 || have == want, nil
	})
	if err != nil {
		return have, fmt.Errorf("waiting for %s's open items to add up to %s EUR (they do to %s): %w", debtor, table.Money(want, "EUR"), table.Money(have, "EUR"), err)
	}
	return have, nil
}
