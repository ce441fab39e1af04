package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/identity"
)

// The matching exception queue: the payments matching could not book
// alone, with the engine's ranked proposals and their explanations. A
// person confirms a proposal with one click (or Enter on the selected
// row), matches by hand, splits, parks or unmatches; matching checks the
// user's rights and records the user as the decision's actor.

// queueDeciders are the roles matching lets decide (its policy): the
// pages show the decision controls to them only.
var queueDeciders = []identity.Role{identity.Accountant, identity.Operator}

// queueStates are the queue's tabs: the query value and the states listed.
var queueStates = map[string][]matchingv1.ExceptionState{
	"open":    {matchingv1.ExceptionState_EXCEPTION_STATE_OPEN},
	"parked":  {matchingv1.ExceptionState_EXCEPTION_STATE_PARKED},
	"matched": {matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED},
}

// queueRow is a payment of the queue with the proposals shown beside it.
type queueRow struct {
	E *matchingv1.Exception
	// Proposals are the best three, ranked as the engine ranked them.
	Proposals []*matchingv1.Proposal
	// More is how many proposals are not shown in the list.
	More int
}

// queueData is what templates/queue.html shows.
type queueData struct {
	Tab       string
	Tabs      []string
	Rows      []queueRow
	Pager     Pager
	CanDecide bool
}

// queue lists the exception queue, oldest payment first, a page at a time.
func (s *Server) queue(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.matching == nil {
		return nil, notConfigured("matching")
	}
	tab := r.URL.Query().Get("state")
	if _, ok := queueStates[tab]; !ok {
		tab = "open"
	}
	resp, err := s.matching.ListExceptions(rc.Ctx, &matchingv1.ListExceptionsRequest{
		Tenant: rc.Tenant, States: queueStates[tab], PageSize: pageSize, PageToken: r.URL.Query().Get("t"),
	})
	if err != nil {
		return nil, err
	}
	d := queueData{Tab: tab, Tabs: []string{"open", "parked", "matched"}, CanDecide: rc.Can(queueDeciders...),
		Pager: tokenPager(r, "t", "tp", resp.GetNextPageToken())}
	for _, e := range resp.GetExceptions() {
		row := queueRow{E: e, Proposals: e.GetProposals()}
		if len(row.Proposals) > 3 {
			row.More, row.Proposals = len(row.Proposals)-3, row.Proposals[:3]
		}
		d.Rows = append(d.Rows, row)
	}
	return &View{Template: "queue.html", Data: d}, nil
}

// exceptionData is what templates/exception.html shows.
type exceptionData struct {
	E         *matchingv1.Exception
	CanDecide bool
	// DifferenceKinds are the kinds a manual match may name.
	DifferenceKinds []string
}

// exception shows one payment with every proposal, its payer and the
// forms to match it by hand, split, park or unmatch it.
func (s *Server) exception(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.matching == nil {
		return nil, notConfigured("matching")
	}
	resp, err := s.matching.GetException(rc.Ctx, &matchingv1.GetExceptionRequest{Tenant: rc.Tenant, PaymentId: r.PathValue("payment")})
	if err != nil {
		return nil, err
	}
	var kinds []string
	for i := int32(1); i < int32(len(matchingv1.DifferenceKind_name)); i++ {
		kinds = append(kinds, strings.TrimPrefix(matchingv1.DifferenceKind(i).String(), "DIFFERENCE_KIND_"))
	}
	return &View{Template: "exception.html", Data: exceptionData{E: resp.GetException(), CanDecide: rc.Can(queueDeciders...), DifferenceKinds: kinds}}, nil
}

// back is where a queue decision returns to: the list the form was sent
// from (its "back" field, a path of the queue), else the queue.
func queueBack(r *http.Request) string {
	b := r.PostFormValue("back")
	if strings.HasPrefix(b, "/queue") && !strings.HasPrefix(b, "//") {
		return b
	}
	return "/queue"
}

// version is the payment's version the form showed (0: none).
func formVersion(r *http.Request) int64 {
	v, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	return v
}

// confirmProposal books one of the payment's proposals.
func (s *Server) confirmProposal(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.matching == nil {
		return nil, notConfigured("matching")
	}
	idx, err := strconv.Atoi(r.PostFormValue("proposal"))
	if err != nil || idx < 0 || idx > 1000 {
		return nil, fmt.Errorf("%w: proposal %.40q", errBadForm, r.PostFormValue("proposal"))
	}
	id := r.PathValue("payment")
	req := &matchingv1.ConfirmProposalRequest{Tenant: rc.Tenant, PaymentId: id,
		ProposalIndex: int32(idx), Note: strings.TrimSpace(r.PostFormValue("note")), ExpectedVersion: formVersion(r)}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	resp, err := s.matching.ConfirmProposal(rc.Ctx, req)
	if err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, queueBack(r), s.catalog.T(rc.Locale, "queue.confirmed", id, resp.GetException().GetMatch().GetDebtorId()))
	return nil, nil
}

// matchManually books the payment to the items and amounts the user
// entered (one "item amount" pair a line, the item by its ledger id or
// its document number).
func (s *Server) matchManually(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.matching == nil {
		return nil, notConfigured("matching")
	}
	id := r.PathValue("payment")
	cur := r.PostFormValue("currency")
	req := &matchingv1.MatchManuallyRequest{Tenant: rc.Tenant, PaymentId: id, DebtorId: strings.TrimSpace(r.PostFormValue("debtor")),
		ReversesPaymentId: strings.TrimSpace(r.PostFormValue("reverses")), Note: strings.TrimSpace(r.PostFormValue("note")),
		ExpectedVersion: formVersion(r)}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	// People know items by their document numbers: a line may name one
	// of the debtor's open items by its number instead of its id.
	byNumber := map[string]string{}
	if s.ledger != nil && req.GetDebtorId() != "" {
		items, err := s.ledger.ListOpenItems(rc.Ctx, &ledgerv1.ListOpenItemsRequest{Tenant: rc.Tenant, DebtorId: req.GetDebtorId()})
		if err != nil {
			return nil, err
		}
		for _, it := range items.GetOpenItems() {
			byNumber[it.GetDocumentNumber()] = it.GetId()
		}
	}
	for i, line := range strings.Split(r.PostFormValue("allocations"), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("%w: allocation line %d: want an open item (id or document number) and an amount", errBadForm, i+1)
		}
		m, err := parseAmount(rc.Locale, f[1], cur)
		if err != nil {
			return nil, fmt.Errorf("%w: allocation line %d: %v", errBadForm, i+1, err)
		}
		item := f[0]
		if id, ok := byNumber[item]; ok {
			item = id
		}
		req.Allocations = append(req.Allocations, &matchingv1.ManualAllocation{OpenItemId: item, Amount: m})
	}
	if k := r.PostFormValue("difference"); k != "" {
		v, ok := matchingv1.DifferenceKind_value["DIFFERENCE_KIND_"+k]
		if !ok {
			return nil, fmt.Errorf("%w: difference %.40q", errBadForm, k)
		}
		req.DifferenceKind = matchingv1.DifferenceKind(v)
	}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	if _, err := s.matching.MatchManually(rc.Ctx, req); err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, queueBack(r), s.catalog.T(rc.Locale, "queue.matched", id))
	return nil, nil
}

// split splits the payment into the amounts entered (one a line or
// separated by spaces).
func (s *Server) split(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.matching == nil {
		return nil, notConfigured("matching")
	}
	id := r.PathValue("payment")
	cur := r.PostFormValue("currency")
	req := &matchingv1.SplitRequest{Tenant: rc.Tenant, PaymentId: id, Note: strings.TrimSpace(r.PostFormValue("note")), ExpectedVersion: formVersion(r)}
	for _, f := range strings.Fields(r.PostFormValue("amounts")) {
		m, err := parseAmount(rc.Locale, f, cur)
		if err != nil {
			return nil, fmt.Errorf("%w: split amount %d: %v", errBadForm, len(req.Amounts)+1, err)
		}
		req.Amounts = append(req.Amounts, m)
	}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	resp, err := s.matching.Split(rc.Ctx, req)
	if err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, queueBack(r), s.catalog.T(rc.Locale, "queue.split", id, len(resp.GetParts())))
	return nil, nil
}

// park sets the payment aside with a note.
func (s *Server) park(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.matching == nil {
		return nil, notConfigured("matching")
	}
	id := r.PathValue("payment")
	req := &matchingv1.ParkRequest{Tenant: rc.Tenant, PaymentId: id,
		Note: strings.TrimSpace(r.PostFormValue("note")), ExpectedVersion: formVersion(r)}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	if _, err := s.matching.Park(rc.Ctx, req); err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, queueBack(r), s.catalog.T(rc.Locale, "queue.parked", id))
	return nil, nil
}

// unmatch undoes a matched payment's booking.
func (s *Server) unmatch(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.matching == nil {
		return nil, notConfigured("matching")
	}
	id := r.PathValue("payment")
	req := &matchingv1.UnmatchRequest{Tenant: rc.Tenant, PaymentId: id,
		Reason: strings.TrimSpace(r.PostFormValue("reason")), ExpectedVersion: formVersion(r)}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	if _, err := s.matching.Unmatch(rc.Ctx, req); err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, queueBack(r), s.catalog.T(rc.Locale, "queue.unmatched", id))
	return nil, nil
}
