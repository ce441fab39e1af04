// Package agency is the reference collection agency: a client of
// o2c.collections.v1.AgencyService that works the cases a merchant hands
// it the way a real agency (Inkasso) would, for tests and the demo. It
// accepts a case, reports that it contacted the debtor and agreed a
// payment plan, collects the plan's instalments (its collection costs
// charged to the debtor with the first, its commission on each), answers
// recalls and closes the case: paid in full when everything came in,
// otherwise uncollectable, which writes off the rest.
//
// The agency never names itself: collections takes tenant and agency from
// its credentials. Every write carries an idempotency key derived from
// the case and the step ("<case>/accept", "<case>/payment/2"), so running
// a case again, after a crash or on a second copy of the program, books
// nothing twice.
package agency

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/libs/money"
)

// Terms are how the agency collects and what it charges. Amounts are in
// the minor units of the case's currency; rates in basis points (1900 is
// 19 %).
type Terms struct {
	// Instalments is how many instalments the debtor pays; at least 1.
	Instalments int
	// ShareBP is the part of the case's open amount the debtor pays over
	// all instalments: 10000 collects everything, less leaves a rest that
	// closing writes off.
	ShareBP int32
	// CostsMinor are the agency's collection costs: charged to the debtor
	// with the first instalment (as damages, ReportPaymentRequest.new_costs)
	// and kept by the agency as its fees.
	CostsMinor int64
	// CommissionBP is the agency's commission on the principal, interest
	// and fees it collects (not on its own costs).
	CommissionBP int32
	// VATRateBP is the VAT the agency charges on its fees and commission:
	// the merchant's input VAT.
	VATRateBP int32
	// Reference is the prefix of the agency's file numbers.
	Reference string
}

// DefaultTerms are the reference agency's terms: three instalments
// collecting the whole case, 25.00 of collection costs, 15 % commission
// and 19 % VAT on fees and commission.
func DefaultTerms() Terms {
	return Terms{Instalments: 3, ShareBP: 10000, CostsMinor: 2500, CommissionBP: 1500, VATRateBP: 1900, Reference: "SIM"}
}

// Agency is the reference agency, acting for one tenant of its
// credentials.
type Agency struct {
	client collectionsv1grpc.AgencyServiceClient
	tenant string
	terms  Terms
	today  func() time.Time
}

// New returns the agency calling client for tenant with terms; today
// dates its reports (the debtor's payments, status changes, closing).
func New(client collectionsv1grpc.AgencyServiceClient, tenant string, terms Terms, today func() time.Time) (*Agency, error) {
	if tenant == "" {
		return nil, errors.New("agency: no tenant")
	}
	if terms.Instalments < 1 || terms.ShareBP < 0 || terms.ShareBP > 10000 || terms.CommissionBP < 0 || terms.VATRateBP < 0 || terms.CostsMinor < 0 {
		return nil, fmt.Errorf("agency: terms %+v: want at least one instalment, a share of 0 to 10000 bp and no negative rate or cost", terms)
	}
	if today == nil {
		today = time.Now
	}
	return &Agency{client: client, tenant: tenant, terms: terms, today: today}, nil
}

// Terms returns the agency's terms.
func (a *Agency) Terms() Terms { return a.terms }

// Cases lists the agency's cases in the given statuses (all for none).
func (a *Agency) Cases(ctx context.Context, statuses ...collectionsv1.CaseStatus) ([]*collectionsv1.Case, error) {
	resp, err := a.client.ListCases(ctx, &collectionsv1.AgencyServiceListCasesRequest{Tenant: a.tenant, Statuses: statuses, PageSize: 1000})
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return resp.GetCases(), nil
}

// Case reads one case.
func (a *Agency) Case(ctx context.Context, caseID string) (*collectionsv1.Case, error) {
	resp, err := a.client.GetCase(ctx, &collectionsv1.AgencyServiceGetCaseRequest{Tenant: a.tenant, CaseId: caseID})
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", caseID, err)
	}
	return resp.GetCase(), nil
}

// Accept accepts a submitted case under the agency's file number
// "<Reference>-<case>".
func (a *Agency) Accept(ctx context.Context, caseID string) (*collectionsv1.Case, error) {
	resp, err := a.client.AcceptCase(ctx, &collectionsv1.AcceptCaseRequest{
		Tenant: a.tenant, CaseId: caseID, IdempotencyKey: caseID + "/accept", AgencyReference: a.terms.Reference + "-" + caseID,
	})
	if err != nil {
		return nil, fmt.Errorf("accept case %s: %w", caseID, err)
	}
	return resp.GetCase(), nil
}

// Reject refuses a submitted case.
func (a *Agency) Reject(ctx context.Context, caseID string, reason collectionsv1.RejectReason, text string) (*collectionsv1.Case, error) {
	resp, err := a.client.RejectCase(ctx, &collectionsv1.RejectCaseRequest{
		Tenant: a.tenant, CaseId: caseID, IdempotencyKey: caseID + "/reject", Reason: reason, Text: text,
	})
	if err != nil {
		return nil, fmt.Errorf("reject case %s: %w", caseID, err)
	}
	return resp.GetCase(), nil
}

// Report reports progress on an accepted case; one report per status and
// case (the status is the idempotency key's last part).
func (a *Agency) Report(ctx context.Context, caseID string, status collectionsv1.ProgressStatus, note string) (*collectionsv1.Case, error) {
	resp, err := a.client.ReportStatus(ctx, &collectionsv1.ReportStatusRequest{
		Tenant: a.tenant, CaseId: caseID, IdempotencyKey: caseID + "/status/" + status.String(),
		Status: status, Date: date(a.today()), Note: note,
	})
	if err != nil {
		return nil, fmt.Errorf("report %s on case %s: %w", status, caseID, err)
	}
	return resp.GetCase(), nil
}

// Instalment is one payment of the debtor to the agency as the agency
// reports it. Collected includes NewCosts; Fees, Commission and InputVAT
// are what the agency keeps of it.
type Instalment struct {
	// N numbers the instalment in its case, from 1; it names the report's
	// idempotency key, so the same N is never booked twice.
	N                                               int
	Collected, NewCosts, Fees, Commission, InputVAT int64
	Currency                                        string
}

// Plan returns the instalments the agency's terms make of c: ShareBP of
// what was handed over, split into Instalments parts (the first carries
// the remainder of the split and the agency's costs), each with its
// commission and the VAT on fees and commission. The plan depends on the
// case's handed-over amount only, so it is the same whenever it is made.
func (a *Agency) Plan(c *collectionsv1.Case) ([]Instalment, error) {
	open := c.GetTotals().GetHandedOver()
	total, err := money.ApplyRateBP(open.GetMinorUnits(), a.terms.ShareBP)
	if err != nil {
		return nil, fmt.Errorf("plan case %s: %w", c.GetCaseId(), err)
	}
	n := int64(a.terms.Instalments)
	plan := make([]Instalment, a.terms.Instalments)
	for i := range plan {
		part := total / n
		var costs int64
		if i == 0 {
			part += total % n
			costs = a.terms.CostsMinor
		}
		in, err := a.instalment(i+1, part, costs, open.GetCurrency())
		if err != nil {
			return nil, fmt.Errorf("plan case %s: %w", c.GetCaseId(), err)
		}
		plan[i] = in
	}
	return plan, nil
}

// instalment returns the n-th instalment of a debtor paying claim (the
// case's own money) plus the agency's costs, with the agency's commission
// on claim and the VAT on fees and commission.
func (a *Agency) instalment(n int, claim, costs int64, currency string) (Instalment, error) {
	commission, err := money.ApplyRateBP(claim, a.terms.CommissionBP)
	if err != nil {
		return Instalment{}, err
	}
	vat, err := money.ApplyRateBP(costs+commission, a.terms.VATRateBP)
	if err != nil {
		return Instalment{}, err
	}
	return Instalment{N: n, Collected: claim + costs, NewCosts: costs, Fees: costs, Commission: commission, InputVAT: vat, Currency: currency}, nil
}

// Collect reports instalment in on case caseID, dated today.
func (a *Agency) Collect(ctx context.Context, caseID string, in Instalment) (*collectionsv1.ReportPaymentResponse, error) {
	m := func(minor int64) *commonv1.Money {
		if minor == 0 {
			return nil
		}
		return &commonv1.Money{MinorUnits: minor, Currency: in.Currency}
	}
	resp, err := a.client.ReportPayment(ctx, &collectionsv1.ReportPaymentRequest{
		Tenant: a.tenant, CaseId: caseID, IdempotencyKey: fmt.Sprintf("%s/payment/%d", caseID, in.N),
		Collected: m(in.Collected), CollectedDate: date(a.today()),
		NewCosts: m(in.NewCosts), Fees: m(in.Fees), Commission: m(in.Commission), InputVat: m(in.InputVAT),
	})
	if err != nil {
		return nil, fmt.Errorf("report instalment %d on case %s: %w", in.N, caseID, err)
	}
	return resp, nil
}

// Ask asks the merchant a question; key is its idempotency key and the
// question's id.
func (a *Agency) Ask(ctx context.Context, caseID, key, text string) (*collectionsv1.Question, error) {
	resp, err := a.client.AskQuestion(ctx, &collectionsv1.AskQuestionRequest{Tenant: a.tenant, CaseId: caseID, IdempotencyKey: key, Text: text})
	if err != nil {
		return nil, fmt.Errorf("ask on case %s: %w", caseID, err)
	}
	return resp.GetQuestion(), nil
}

// Answers reads the case's questions with the merchant's answers.
func (a *Agency) Answers(ctx context.Context, caseID string) ([]*collectionsv1.Question, error) {
	resp, err := a.client.GetAnswers(ctx, &collectionsv1.GetAnswersRequest{Tenant: a.tenant, CaseId: caseID})
	if err != nil {
		return nil, fmt.Errorf("answers of case %s: %w", caseID, err)
	}
	return resp.GetQuestions(), nil
}

// ConfirmRecalls confirms every recall of the case not confirmed yet and
// returns the case after the last, or as it was when there was none.
func (a *Agency) ConfirmRecalls(ctx context.Context, c *collectionsv1.Case) (*collectionsv1.Case, error) {
	for _, r := range c.GetRecalls() {
		if r.GetConfirmed() {
			continue
		}
		resp, err := a.client.ConfirmRecall(ctx, &collectionsv1.ConfirmRecallRequest{
			Tenant: a.tenant, CaseId: c.GetCaseId(), IdempotencyKey: c.GetCaseId() + "/recall/" + r.GetRecallId(), RecallId: r.GetRecallId(),
		})
		if err != nil {
			return nil, fmt.Errorf("confirm recall %s of case %s: %w", r.GetRecallId(), c.GetCaseId(), err)
		}
		c = resp.GetCase()
	}
	return c, nil
}

// Close ends an accepted case with code.
func (a *Agency) Close(ctx context.Context, caseID string, code collectionsv1.ClosingCode, note string) (*collectionsv1.Case, error) {
	resp, err := a.client.CloseCase(ctx, &collectionsv1.CloseCaseRequest{
		Tenant: a.tenant, CaseId: caseID, IdempotencyKey: caseID + "/close", Code: code, Date: date(a.today()), Note: note,
	})
	if err != nil {
		return nil, fmt.Errorf("close case %s with %s: %w", caseID, code, err)
	}
	return resp.GetCase(), nil
}

// Work works a case from where it stands to its end: accepts a submitted
// case, confirms the merchant's recalls, reports contacted and payment
// plan, collects the instalments of its Plan (none beyond what is still
// open: a payment that reached the merchant directly is not collected
// again) and closes it, paid in full when nothing is open, otherwise
// uncollectable. A case that has ended, or is recalled wholly, is
// returned as it is. Work may run again on the same case: it skips the
// instalments the case's collected total already holds, and every step
// it repeats is answered as before and booked once.
func (a *Agency) Work(ctx context.Context, c *collectionsv1.Case) (*collectionsv1.Case, error) {
	var err error
	if c.GetStatus() == collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED {
		if c, err = a.Accept(ctx, c.GetCaseId()); err != nil {
			return nil, err
		}
	}
	if c.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED {
		return c, nil
	}
	id := c.GetCaseId()
	if c, err = a.ConfirmRecalls(ctx, c); err != nil || c.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED {
		return c, err
	}
	for _, s := range []collectionsv1.ProgressStatus{collectionsv1.ProgressStatus_PROGRESS_STATUS_CONTACTED, collectionsv1.ProgressStatus_PROGRESS_STATUS_PAYMENT_PLAN} {
		if c, err = a.Report(ctx, id, s, ""); err != nil {
			return nil, err
		}
	}
	plan, err := a.Plan(c)
	if err != nil {
		return nil, err
	}
	var planned int64
	for _, in := range plan {
		planned += in.Collected
		open := c.GetTotals().GetOpen().GetMinorUnits()
		if in.Collected == 0 || c.GetTotals().GetCollected().GetMinorUnits() >= planned {
			continue
		}
		if open == 0 {
			break
		}
		if claim := in.Collected - in.NewCosts; claim > open {
			if in, err = a.instalment(in.N, open, in.NewCosts, in.Currency); err != nil {
				return nil, fmt.Errorf("instalment %d of case %s: %w", in.N, id, err)
			}
		}
		resp, err := a.Collect(ctx, id, in)
		if err != nil {
			return nil, err
		}
		c = resp.GetCase()
	}
	code := collectionsv1.ClosingCode_CLOSING_CODE_UNCOLLECTABLE
	if c.GetTotals().GetOpen().GetMinorUnits() == 0 {
		code = collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL
	}
	return a.Close(ctx, id, code, "")
}

// date is t's calendar date.
func date(t time.Time) *commonv1.Date {
	y, m, d := t.Date()
	return &commonv1.Date{Year: int32(y), Month: int32(m), Day: int32(d)}
}

// WorkAll works every case of the agency that is submitted or accepted
// (Work) and returns them as they ended up, oldest release first.
func (a *Agency) WorkAll(ctx context.Context) ([]*collectionsv1.Case, error) {
	cases, err := a.Cases(ctx, collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED, collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED)
	if err != nil {
		return nil, err
	}
	var done []*collectionsv1.Case
	for _, c := range cases {
		w, err := a.Work(ctx, c)
		if err != nil {
			return done, err
		}
		done = append(done, w)
	}
	return done, nil
}

// Run follows the agency's cases (StreamCases from the start) and works
// each one that is submitted or accepted as it arrives or changes (Work),
// handing every case it worked to worked, until ctx ends; it then returns
// nil. A failed step ends Run with its error: the caller restarts it (as
// RunReconnecting does), and Work's idempotency keys make the steps
// already taken harmless.
func (a *Agency) Run(ctx context.Context, worked func(*collectionsv1.Case)) error {
	return a.follow(ctx, worked, func() {})
}

// Backoff is how RunReconnecting waits for collections when it cannot be
// reached: First after the first failure, doubling up to Max, for at most
// Attempts consecutive failures (an attempt that receives a case from
// collections starts the count again).
type Backoff struct {
	First, Max time.Duration
	Attempts   int
}

// DefaultBackoff waits 200 ms, doubling up to 10 s, for 60 consecutive
// failures: about nine minutes without collections.
func DefaultBackoff() Backoff {
	return Backoff{First: 200 * time.Millisecond, Max: 10 * time.Second, Attempts: 60}
}

// Transient reports whether err means collections could not be reached,
// did not answer in time or ended the stream of cases (UNAVAILABLE,
// DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED, or the stream's end when
// collections shuts down), so that the same step may be tried again.
func Transient(err error) bool {
	if errors.Is(err, io.EOF) {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted:
		return true
	}
	return false
}

// RunReconnecting is Run that outlives collections' absences: when the
// stream or a step fails transiently (Transient), it tells logf what
// failed and how long it waits, waits as b says and runs again, the
// stream from the start and every case from where it stands. A step
// retried sends the same idempotency key ("<case>/payment/2") and, for a
// case that did not change, the same content, so a write whose answer
// was lost is answered as the first time and booked once. It returns nil
// when ctx ends, a permanent failure at once, and the last transient one
// after b.Attempts consecutive failures.
func (a *Agency) RunReconnecting(ctx context.Context, b Backoff, logf func(format string, args ...any), worked func(*collectionsv1.Case)) error {
	if b.First <= 0 || b.Max < b.First || b.Attempts < 1 {
		return fmt.Errorf("agency: backoff %+v: want a positive first wait, a maximum not below it and at least one attempt", b)
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	failures, wait := 0, b.First
	for {
		err := a.follow(ctx, worked, func() { failures, wait = 0, b.First })
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if !Transient(err) {
			return err
		}
		failures++
		if failures >= b.Attempts {
			return fmt.Errorf("collections unreachable after %d attempts: %w", failures, err)
		}
		logf("collections unreachable (attempt %d of %d): %v; trying again in %s", failures, b.Attempts, err, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, b.Max)
	}
}

// follow is Run; received is called for every case the stream delivers.
func (a *Agency) follow(ctx context.Context, worked func(*collectionsv1.Case), received func()) error {
	stream, err := a.client.StreamCases(ctx, &collectionsv1.StreamCasesRequest{Tenant: a.tenant})
	if err != nil {
		return fmt.Errorf("stream cases: %w", err)
	}
	for {
		u, err := stream.Recv()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("stream cases: %w", err)
		}
		received()
		switch u.GetCase().GetStatus() {
		case collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED, collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED:
		default:
			continue
		}
		c, err := a.Work(ctx, u.GetCase())
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if worked != nil {
			worked(c)
		}
	}
}

// Describe is one line on a case: id, agency reference, status, closing
// code and its money.
func Describe(c *collectionsv1.Case) string {
	t := c.GetTotals()
	cur := t.GetHandedOver().GetCurrency()
	exp, _ := money.ExponentOrTwo(cur)
	m := func(minor int64) string { return money.FormatMinor(minor, exp) }
	s := fmt.Sprintf("case %s (%s) %s", c.GetCaseId(), c.GetAgencyReference(), Name(c.GetStatus().String(), "CASE_STATUS_"))
	if c.GetClosingCode() != collectionsv1.ClosingCode_CLOSING_CODE_UNSPECIFIED {
		s += ", " + Name(c.GetClosingCode().String(), "CLOSING_CODE_")
	}
	return s + fmt.Sprintf(": handed over %s, collected %s, paid directly %s, written off %s, open %s %s; commission %s",
		m(t.GetHandedOver().GetMinorUnits()), m(t.GetCollected().GetMinorUnits()), m(t.GetPaidDirectly().GetMinorUnits()),
		m(t.GetWrittenOff().GetMinorUnits()), m(t.GetOpen().GetMinorUnits()), cur, m(t.GetCommission().GetMinorUnits()))
}

// Name is an enum value's name without its prefix, in lower case with
// dashes: Name("CLOSING_CODE_PAID_IN_FULL", "CLOSING_CODE_") is
// "paid-in-full".
func Name(value, prefix string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(value, prefix)), "_", "-")
}
