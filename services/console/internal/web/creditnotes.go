package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/identity"
)

// Credit notes from the console: a person requests one on an invoice of
// the account (full or partial, with a reason); ingestion's
// CreditNoteService checks the person's limit, issues it at once within
// the tenant's threshold and otherwise holds it for a second person's
// approval (the approvals list), numbers it from the tenant's range,
// books it through the ledger and renders its PDF. The pages show the
// controls only to the roles the service lets act; the service checks
// again.

// creditRequesters and creditApprovers are the roles ingestion's policy
// lets request and approve credit notes.
var (
	creditRequesters = []identity.Role{identity.CustomerService, identity.Accountant, identity.PlatformAdmin}
	creditApprovers  = []identity.Role{identity.Accountant, identity.PlatformAdmin}
)

// creditRates are the VAT rates the form offers for a partial credit
// note, in basis points; the service refuses one the invoice lacks.
var creditRates = []int32{1900, 700, 0}

// creditReasons are the reasons the form offers.
var creditReasons = []string{"GOODWILL", "RETURN", "PRICE_CORRECTION"}

// creditNotes is ingestion's CreditNoteService, or an error when the
// console has no connection to ingestion.
func (s *Server) creditNotes() (ingestionv1grpc.CreditNoteServiceClient, error) {
	if s.opt.Backends.Ingestion == nil {
		return nil, notConfigured("ingestion")
	}
	return ingestionv1grpc.NewCreditNoteServiceClient(s.opt.Backends.Ingestion), nil
}

// creditFormData is what templates/creditnote.html shows.
type creditFormData struct {
	Debtor    string
	Invoice   string
	RequestID string
	Rates     []rateOption
	Reasons   []string
	CanCredit bool
	Notes     []creditRow
	Pager     Pager
	// CanApprove and Actor, as on the approvals list: the table offers
	// approval to an approver for what someone else requested.
	CanApprove bool
	Actor      string
}

// creditNoteForm shows the credit note form of a debtor's invoice and the
// debtor's credit notes.
func (s *Server) creditNoteForm(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	cn, err := s.creditNotes()
	if err != nil {
		return nil, err
	}
	debtor := r.PathValue("debtor")
	resp, err := cn.ListCreditNotes(rc.Ctx, &ingestionv1.ListCreditNotesRequest{Tenant: rc.Tenant, DebtorId: debtor, PageSize: pageSize,
		PageToken: r.URL.Query().Get("t")})
	if err != nil {
		return nil, err
	}
	return &View{Template: "creditnote.html", Data: creditFormData{
		Debtor: debtor, Invoice: r.URL.Query().Get("invoice"), RequestID: newRequestID(), Rates: rateOptions(), Reasons: creditReasons,
		CanCredit: rc.Can(creditRequesters...), Notes: creditRows(resp.GetCreditNotes()), Pager: tokenPager(r, "t", "tp", resp.GetNextPageToken()),
		CanApprove: rc.Can(creditApprovers...), Actor: rc.User().RecordedActor(),
	}}, nil
}

// requestCreditNote sends the form to the CreditNoteService. The form's
// request id makes a resent form (a double click, a reload) answer the
// first request instead of crediting twice.
func (s *Server) requestCreditNote(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	cn, err := s.creditNotes()
	if err != nil {
		return nil, err
	}
	debtor := r.PathValue("debtor")
	reason, ok := shopv1.CreditNoteReason_value["CREDIT_NOTE_REASON_"+r.PostFormValue("reason")]
	if !ok {
		return nil, fmt.Errorf("%w: reason %.40q", errBadForm, r.PostFormValue("reason"))
	}
	req := &ingestionv1.RequestCreditNoteRequest{Tenant: rc.Tenant, RequestId: r.PostFormValue("request_id"), DebtorId: debtor,
		InvoiceNumber: strings.TrimSpace(r.PostFormValue("invoice")), Full: r.PostFormValue("kind") == "full",
		Reason: shopv1.CreditNoteReason(reason), Note: strings.TrimSpace(r.PostFormValue("note"))}
	if !req.Full {
		rate, err := strconv.ParseInt(r.PostFormValue("rate"), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: VAT rate %.40q", errBadForm, r.PostFormValue("rate"))
		}
		// The amount is read with two decimals (EUR); the service books
		// it in the invoice's currency.
		m, err := parseAmount(rc.Locale, r.PostFormValue("amount"), "EUR")
		if err != nil {
			return nil, fmt.Errorf("%w: amount: %v", errBadForm, err)
		}
		req.Amounts = []*ingestionv1.CreditAmount{{RateBp: int32(rate), Gross: m}}
	}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	resp, err := cn.RequestCreditNote(rc.Ctx, req)
	if err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, "/debtors/"+debtor+"/credit-notes", s.creditFlash(rc, resp.GetCreditNote()))
	return nil, nil
}

// creditFlash says where a credit note stands after a request or an
// approval.
func (s *Server) creditFlash(rc *Request, c *ingestionv1.CreditNote) string {
	switch c.GetState() {
	case ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_ISSUED:
		return s.catalog.T(rc.Locale, "credit.flash.issued", c.GetCreditNoteNumber(), formatMoney(rc.Locale, c.GetGross()))
	case ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_PENDING_APPROVAL:
		return s.catalog.T(rc.Locale, "credit.flash.pending", formatMoney(rc.Locale, c.GetGross()))
	case ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_SENT_TO_SHOP:
		return s.catalog.T(rc.Locale, "credit.flash.shop", formatMoney(rc.Locale, c.GetGross()))
	case ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_REJECTED:
		return s.catalog.T(rc.Locale, "credit.flash.rejected", c.GetRequestId())
	}
	return ""
}

// creditListData is what templates/creditnotes.html shows.
type creditListData struct {
	Tab        string
	Tabs       []string
	Notes      []creditRow
	Pager      Pager
	CanApprove bool
	Actor      string
}

// creditTabs are the approvals page's tabs and the state each lists.
var creditTabs = map[string]ingestionv1.CreditNoteState{
	"pending": ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_PENDING_APPROVAL,
	"all":     ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_UNSPECIFIED,
}

// creditNoteList is the approvals list: the credit notes waiting for a
// second person (or all of them), newest first.
func (s *Server) creditNoteList(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	cn, err := s.creditNotes()
	if err != nil {
		return nil, err
	}
	tab := r.URL.Query().Get("state")
	if _, ok := creditTabs[tab]; !ok {
		tab = "pending"
	}
	resp, err := cn.ListCreditNotes(rc.Ctx, &ingestionv1.ListCreditNotesRequest{Tenant: rc.Tenant, State: creditTabs[tab], PageSize: pageSize,
		PageToken: r.URL.Query().Get("t")})
	if err != nil {
		return nil, err
	}
	return &View{Template: "creditnotes.html", Data: creditListData{Tab: tab, Tabs: []string{"pending", "all"}, Notes: creditRows(resp.GetCreditNotes()),
		Pager: tokenPager(r, "t", "tp", resp.GetNextPageToken()), CanApprove: rc.Can(creditApprovers...), Actor: rc.User().RecordedActor()}}, nil
}

// approveCreditNote approves a pending credit note as the second person.
func (s *Server) approveCreditNote(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	cn, err := s.creditNotes()
	if err != nil {
		return nil, err
	}
	req := &ingestionv1.ApproveCreditNoteRequest{Tenant: rc.Tenant, RequestId: r.PathValue("id")}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	resp, err := cn.ApproveCreditNote(rc.Ctx, req)
	if err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, "/credit-notes", s.creditFlash(rc, resp.GetCreditNote()))
	return nil, nil
}

// rejectCreditNote rejects a pending credit note with a reason.
func (s *Server) rejectCreditNote(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	cn, err := s.creditNotes()
	if err != nil {
		return nil, err
	}
	req := &ingestionv1.RejectCreditNoteRequest{Tenant: rc.Tenant, RequestId: r.PathValue("id"),
		Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	resp, err := cn.RejectCreditNote(rc.Ctx, req)
	if err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, "/credit-notes", s.creditFlash(rc, resp.GetCreditNote()))
	return nil, nil
}

// creditNotePDF serves an issued credit note's PDF.
func (s *Server) creditNotePDF(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	cn, err := s.creditNotes()
	if err != nil {
		return nil, err
	}
	resp, err := cn.GetCreditNoteDocument(rc.Ctx, &ingestionv1.GetCreditNoteDocumentRequest{Tenant: rc.Tenant, RequestId: r.PathValue("id")})
	if err != nil {
		return nil, err
	}
	servePDF(w, resp.GetFileName(), resp.GetPdf())
	return nil, nil
}

// creditRow is a credit note as the table shows it.
type creditRow struct {
	*ingestionv1.CreditNote
	// Reason is the reason's name ("GOODWILL"), Class the badge's class.
	Reason, Class string
}

func creditRows(cns []*ingestionv1.CreditNote) []creditRow {
	out := make([]creditRow, len(cns))
	for i, c := range cns {
		out[i] = creditRow{CreditNote: c, Reason: strings.TrimPrefix(c.GetReason().String(), "CREDIT_NOTE_REASON_")}
		switch c.GetState() {
		case ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_ISSUED, ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_ISSUED_BY_SHOP:
			out[i].Class = "good"
		case ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_PENDING_APPROVAL, ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_SENT_TO_SHOP:
			out[i].Class = "warn"
		case ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_REJECTED:
			out[i].Class = "bad"
		}
	}
	return out
}

// newRequestID is a fresh idempotency key for a credit note form.
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "cn-" + hex.EncodeToString(b[:])
}

// rateOption is a VAT rate of the form's list.
type rateOption struct {
	BP    int32
	Label string
}

func rateOptions() []rateOption {
	var out []rateOption
	for _, r := range creditRates {
		out = append(out, rateOption{BP: r, Label: rateLabel(r)})
	}
	return out
}

// rateLabel is a rate in basis points as the form shows it ("19 %").
func rateLabel(bp int32) string {
	if bp%100 == 0 {
		return strconv.Itoa(int(bp/100)) + " %"
	}
	return fmt.Sprintf("%d.%02d %%", bp/100, bp%100)
}
