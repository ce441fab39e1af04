package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/identity"
)

// pageSize is the rows of a list per page.
const pageSize = 25

// Pager is a list's place: the page shown (from 1) and the links to the
// pages before and after it, empty at either end.
type Pager struct {
	Page       int
	Prev, Next string
}

// pageOf returns the page number the query key holds (1 when missing or
// bad).
func pageOf(r *http.Request, key string) int {
	n, err := strconv.Atoi(r.URL.Query().Get(key))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// withQuery returns r's URL with key set to value.
func withQuery(r *http.Request, key, value string) string {
	q := r.URL.Query()
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}

// slicePage returns the page of items page (from 1) shows and its Pager;
// key is the query parameter of the page number.
func slicePage[T any](r *http.Request, key string, items []T) ([]T, Pager) {
	page := pageOf(r, key)
	from := (page - 1) * pageSize
	if from >= len(items) {
		from = max(0, (len(items)-1)/pageSize*pageSize)
		page = from/pageSize + 1
	}
	to := min(from+pageSize, len(items))
	p := Pager{Page: page}
	if page > 1 {
		p.Prev = withQuery(r, key, strconv.Itoa(page-1))
	}
	if to < len(items) {
		p.Next = withQuery(r, key, strconv.Itoa(page+1))
	}
	return items[from:to], p
}

// AgingBucket is the open amount of a band of days past due.
type AgingBucket struct {
	// Key is the band's catalogue key.
	Key   string
	Total *commonv1.Money
}

// agingBands are the bands of days past due: not due, 1–30, 31–60,
// 61–90, over 90.
var agingBands = []struct {
	key     string
	maxDays int
}{{"aging.current", 0}, {"aging.1-30", 30}, {"aging.31-60", 60}, {"aging.61-90", 90}, {"aging.90+", 1 << 30}}

// aging sums the open amounts of items by the days they are past due on
// today, in the currency of the first item (a debtor's items share one;
// other currencies are left out of the chart and shown in the list).
func aging(items []*ledgerv1.OpenItem, today time.Time) []AgingBucket {
	if len(items) == 0 {
		return nil
	}
	cur := items[0].GetOpenAmount().GetCurrency()
	sums := make([]int64, len(agingBands))
	for _, it := range items {
		if it.GetOpenAmount().GetCurrency() != cur {
			continue
		}
		d := it.GetDueDate()
		due := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
		days := int(today.Sub(due).Hours() / 24)
		for i, b := range agingBands {
			if days <= b.maxDays {
				sums[i] += it.GetOpenAmount().GetMinorUnits()
				break
			}
		}
	}
	out := make([]AgingBucket, len(agingBands))
	for i, b := range agingBands {
		out[i] = AgingBucket{Key: b.key, Total: &commonv1.Money{MinorUnits: sums[i], Currency: cur}}
	}
	return out
}

// AuditEntry is one thing somebody did on the debtor's account, as the
// backend that did it recorded it.
type AuditEntry struct {
	When *commonv1.Date
	// Actor is who did it, as the backend recorded it.
	Actor string
	// What is the catalogue key of the action, Detail its object.
	What, Detail string
	// Before and After describe the state around it.
	Before, After string
}

// accountData is what the account view shows.
type accountData struct {
	Debtor    string
	Name      string
	Today     string
	OpenItems []*ledgerv1.OpenItem
	OpenPager Pager
	OpenTotal []*commonv1.Money
	Statement *ledgerv1.GetDebtorStatementResponse
	// StatementPager pages the statement by the ledger's page tokens.
	StatementPager Pager
	Aging          []AgingBucket
	AgingChart     template.HTML
	Level          int32
	LastNotice     *commonv1.Date
	Blocks         []*dunningv1.Block
	ActiveBlocks   int
	Notices        []*dunningv1.NoticeSummary
	Cases          []*collectionsv1.Case
	// Invoices are the debtor's invoices ingestion accepted, with the
	// shop's document links; Documents maps an invoice number to its link.
	Invoices     []*ingestionv1.InvoiceDocument
	InvoicePager Pager
	Documents    map[string]string
	Audit        []AuditEntry
	// The pagers of the blocks, notices and audit lists.
	BlockPager, NoticePager, AuditPager Pager
	// Unavailable are the sections a backend did not answer, with why.
	Unavailable map[string]string
	// CanBlock says whether the user may set and lift blocks (the
	// backend checks again).
	CanBlock bool
	Reasons  []string
}

// blockReasons are the reasons dunning takes for a block.
var blockReasons = []string{"dispute", "promise-to-pay", "customer-service", "marketplace-claim", "insolvency", "deceased"}

// blockRoles may set and lift blocks (dunning's policy).
var blockRoles = []identity.Role{identity.CustomerService, identity.Accountant, identity.Operator}

// account is a debtor's account view: open items with the aging, the
// statement with its running balance (settlements, payments, credit
// notes), dunning level, blocks and notices, collection cases, and who
// did what.
func (s *Server) account(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	debtor := r.PathValue("debtor")
	now := s.opt.Now().In(consoleZone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	d := &accountData{Debtor: debtor, Today: today.Format(time.DateOnly), Unavailable: map[string]string{},
		CanBlock: rc.Can(blockRoles...), Reasons: blockReasons}
	var mu sync.Mutex
	unavailable := func(section string, err error) {
		mu.Lock()
		defer mu.Unlock()
		d.Unavailable[section] = sectionError(err)
	}
	var wg sync.WaitGroup
	var open []*ledgerv1.OpenItem
	wg.Go(func() {
		if s.ledger == nil {
			unavailable("open", notConfigured("the ledger"))
			return
		}
		resp, err := s.ledger.ListOpenItems(rc.Ctx, &ledgerv1.ListOpenItemsRequest{Tenant: rc.Tenant, DebtorId: debtor})
		if err != nil {
			unavailable("open", err)
			return
		}
		open = resp.GetOpenItems()
	})
	wg.Go(func() {
		if s.queries == nil {
			unavailable("statement", notConfigured("the ledger"))
			return
		}
		tok := r.URL.Query().Get("st")
		resp, err := s.queries.GetDebtorStatement(rc.Ctx, &ledgerv1.GetDebtorStatementRequest{Tenant: rc.Tenant, DebtorId: debtor, PageSize: pageSize, PageToken: tok})
		if err != nil {
			unavailable("statement", err)
			return
		}
		d.Statement = resp
		d.StatementPager = tokenPager(r, "st", "stp", resp.GetNextPageToken())
	})
	var st *dunningv1.StatusResponse
	wg.Go(func() {
		if s.dunning == nil {
			unavailable("dunning", notConfigured("dunning"))
			return
		}
		var err error
		if st, err = s.dunning.Status(rc.Ctx, &dunningv1.StatusRequest{Tenant: rc.Tenant, DebtorId: debtor}); err != nil {
			unavailable("dunning", err)
			return
		}
		bl, err := s.dunning.ListBlocks(rc.Ctx, &dunningv1.ListBlocksRequest{Tenant: rc.Tenant, DebtorId: debtor, IncludeLifted: true})
		if err != nil {
			unavailable("dunning", err)
			return
		}
		d.Blocks = bl.GetBlocks()
		no, err := s.dunning.ListNotices(rc.Ctx, &dunningv1.ListNoticesRequest{Tenant: rc.Tenant, DebtorId: debtor})
		if err != nil {
			unavailable("dunning", err)
			return
		}
		d.Notices = no.GetNotices()
	})
	wg.Go(func() {
		if s.cases == nil {
			unavailable("collections", notConfigured("collections"))
			return
		}
		resp, err := s.cases.ListCases(rc.Ctx, &collectionsv1.ListCasesRequest{Tenant: rc.Tenant, PageSize: 1000})
		if err != nil {
			unavailable("collections", err)
			return
		}
		for _, c := range resp.GetCases() {
			if c.GetDebtor().GetDebtorId() == debtor {
				d.Cases = append(d.Cases, c)
			}
		}
	})
	wg.Go(func() {
		if s.debtors == nil {
			return
		}
		resp, err := s.debtors.ListInvoices(rc.Ctx, &ingestionv1.ListInvoicesRequest{Tenant: rc.Tenant, DebtorId: debtor})
		if err != nil {
			unavailable("invoices", err)
			return
		}
		d.Invoices = resp.GetInvoices()
	})
	wg.Go(func() {
		if s.debtors == nil {
			return
		}
		// The name is ingestion's master data; the account is shown
		// without it when it cannot be read.
		resp, err := s.debtors.SearchDebtors(rc.Ctx, &ingestionv1.SearchDebtorsRequest{Tenant: rc.Tenant, Query: debtor, PageSize: 5})
		if err != nil {
			return
		}
		for _, m := range resp.GetDebtors() {
			if m.GetDebtorId() == debtor {
				d.Name = m.GetName()
			}
		}
	})
	var credits []*ingestionv1.CreditNote
	wg.Go(func() {
		cn, err := s.creditNotes()
		if err != nil {
			return
		}
		// Who requested and who decided each credit note, for the audit;
		// a role that may not list them sees the rest of the account.
		resp, err := cn.ListCreditNotes(rc.Ctx, &ingestionv1.ListCreditNotesRequest{Tenant: rc.Tenant, DebtorId: debtor, PageSize: 100})
		if err != nil {
			return
		}
		credits = resp.GetCreditNotes()
	})
	wg.Wait()
	if len(d.Unavailable) >= 4 {
		// Nothing answered: say why once, as an error page.
		for _, sec := range []string{"open", "statement", "dunning", "collections"} {
			if strings.HasPrefix(d.Unavailable[sec], "!") {
				return nil, status.Error(codes.PermissionDenied, strings.TrimPrefix(d.Unavailable[sec], "!"))
			}
		}
	}
	d.Documents = map[string]string{}
	for _, inv := range d.Invoices {
		if inv.GetDocumentUrl() != "" {
			d.Documents[inv.GetInvoiceNumber()] = inv.GetDocumentUrl()
		}
	}
	d.Invoices, d.InvoicePager = slicePage(r, "ip", d.Invoices)
	d.OpenItems, d.OpenPager = slicePage(r, "op", open)
	d.OpenTotal = totals(open)
	d.Aging = aging(open, today)
	d.AgingChart = s.agingChart(rc.Locale, s.catalog.T(rc.Locale, "account.aging"), d.Aging)
	if st != nil {
		d.LastNotice = st.GetLastNotice()
		for _, it := range st.GetItems() {
			d.Level = max(d.Level, it.GetLevel())
		}
	}
	for _, b := range d.Blocks {
		if !b.GetLifted() {
			d.ActiveBlocks++
		}
	}
	d.Audit, d.AuditPager = slicePage(r, "ap", auditOf(d.Blocks, d.Notices, credits))
	d.Blocks, d.BlockPager = slicePage(r, "bp", d.Blocks)
	d.Notices, d.NoticePager = slicePage(r, "np", d.Notices)
	return &View{Template: "account.html", Data: d}, nil
}

// tokenPager pages a list the backend pages by tokens: key holds the
// current page's token, trailKey the tokens of the pages before it
// ("-" for the first page's empty one), so that Prev can go back.
func tokenPager(r *http.Request, key, trailKey, next string) Pager {
	q := r.URL.Query()
	tok := q.Get(key)
	var trail []string
	if v := q.Get(trailKey); v != "" {
		trail = strings.Split(v, ",")
	}
	p := Pager{Page: len(trail) + 1}
	link := func(token string, trail []string) string {
		q := r.URL.Query()
		q.Del(key)
		q.Del(trailKey)
		if token != "" && token != "-" {
			q.Set(key, token)
		}
		if len(trail) > 0 {
			q.Set(trailKey, strings.Join(trail, ","))
		}
		if len(q) == 0 {
			return r.URL.Path
		}
		return r.URL.Path + "?" + q.Encode()
	}
	if len(trail) > 0 {
		p.Prev = link(trail[len(trail)-1], trail[:len(trail)-1])
	}
	if next != "" {
		cur := tok
		if cur == "" {
			cur = "-"
		}
		p.Next = link(next, append(slices.Clone(trail), cur))
	}
	return p
}

// sectionError is what a section shows when its backend did not answer;
// a refusal starts with "!".
func sectionError(err error) string {
	if errors.Is(err, ErrNotConfigured) {
		return err.Error()
	}
	if st, ok := status.FromError(err); ok {
		if st.Code() == codes.PermissionDenied {
			return "!" + st.Message()
		}
		return st.Message()
	}
	return err.Error()
}

// totals sums the open amounts per currency.
func totals(items []*ledgerv1.OpenItem) []*commonv1.Money {
	var out []*commonv1.Money
	for _, it := range items {
		m := it.GetOpenAmount()
		i := slices.IndexFunc(out, func(o *commonv1.Money) bool { return o.GetCurrency() == m.GetCurrency() })
		if i < 0 {
			out = append(out, &commonv1.Money{Currency: m.GetCurrency()})
			i = len(out) - 1
		}
		out[i].MinorUnits += m.GetMinorUnits()
	}
	return out
}

// auditOf lists what was done on the account, newest first: blocks set
// and lifted (with the actor dunning recorded), notices sent (by the
// dunning run), and credit notes requested and decided (with the actors
// ingestion recorded).
func auditOf(blocks []*dunningv1.Block, notices []*dunningv1.NoticeSummary, credits []*ingestionv1.CreditNote) []AuditEntry {
	var out []AuditEntry
	for _, c := range credits {
		what := c.GetInvoiceNumber()
		if n := c.GetCreditNoteNumber(); n != "" {
			what = n + " · " + what
		}
		// A decided request waited for approval first; one within the
		// requester's limit went straight to its state.
		after := "audit.credit." + c.GetState().String()
		if c.GetDecidedBy() != "" {
			after = "audit.credit.CREDIT_NOTE_STATE_PENDING_APPROVAL"
		}
		out = append(out, AuditEntry{When: dayOf(c.GetRequestedAt()), Actor: c.GetRequestedBy(), What: "audit.credit-requested", Detail: what, After: after})
		if c.GetDecidedBy() != "" {
			out = append(out, AuditEntry{When: dayOf(c.GetDecidedAt()), Actor: c.GetDecidedBy(), What: "audit.credit-decided", Detail: what,
				Before: "audit.credit.CREDIT_NOTE_STATE_PENDING_APPROVAL", After: "audit.credit." + c.GetState().String()})
		}
	}
	for _, b := range blocks {
		what := b.GetReason()
		if b.GetOpenItemId() != "" {
			what += " · " + b.GetOpenItemId()
		}
		out = append(out, AuditEntry{When: b.GetSetDate(), Actor: b.GetSetBy(), What: "audit.block-set", Detail: what, Before: "audit.unblocked", After: "audit.blocked"})
		if b.GetLifted() {
			out = append(out, AuditEntry{When: b.GetLiftedOn(), Actor: liftedBy(b), What: "audit.block-lifted", Detail: what, Before: "audit.blocked", After: "audit.unblocked"})
		}
	}
	for _, n := range notices {
		out = append(out, AuditEntry{When: n.GetDate(), Actor: "dunning", What: "audit.notice", Detail: fmt.Sprintf("%s · %d", n.GetNoticeId(), n.GetLevel()),
			Before: "", After: ""})
	}
	slices.SortStableFunc(out, func(a, b AuditEntry) int { return -compareDates(a.When, b.When) })
	return out
}

// dayOf is an instant's calendar day in the console's time zone.
func dayOf(ts *timestamppb.Timestamp) *commonv1.Date {
	if ts == nil {
		return nil
	}
	t := ts.AsTime().In(consoleZone)
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// compareDates orders dates, unset first.
func compareDates(a, b *commonv1.Date) int {
	ka := int(a.GetYear())*10000 + int(a.GetMonth())*100 + int(a.GetDay())
	kb := int(b.GetYear())*10000 + int(b.GetMonth())*100 + int(b.GetDay())
	return ka - kb
}

// setBlock sets a dunning block with a reason, a source and an optional
// expiry, on the debtor or one of its items. Dunning checks the user's
// rights and records the user as the block's setter.
func (s *Server) setBlock(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.dunning == nil {
		return nil, notConfigured("dunning")
	}
	debtor := r.PathValue("debtor")
	req := &dunningv1.SetBlockRequest{Tenant: rc.Tenant, DebtorId: debtor, OpenItemId: r.PostFormValue("item"),
		Reason: r.PostFormValue("reason"), Source: strings.TrimSpace(r.PostFormValue("source"))}
	if v := r.PostFormValue("expires"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, fmt.Errorf("%w: expiry %.40q is not a date", errBadForm, v)
		}
		req.Expires = &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
	}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	resp, err := s.dunning.SetBlock(rc.Ctx, req)
	if err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, "/debtors/"+debtor, s.catalog.T(rc.Locale, "account.block-set", resp.GetBlock().GetBlockId()))
	return nil, nil
}

// liftBlock lifts a block; dunning records the user as the lifter.
func (s *Server) liftBlock(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.dunning == nil {
		return nil, notConfigured("dunning")
	}
	debtor := r.PathValue("debtor")
	req := &dunningv1.LiftBlockRequest{Tenant: rc.Tenant, DebtorId: debtor, BlockId: r.PathValue("block")}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	resp, err := s.dunning.LiftBlock(rc.Ctx, req)
	if err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, "/debtors/"+debtor, s.catalog.T(rc.Locale, "account.block-lifted", resp.GetBlock().GetBlockId()))
	return nil, nil
}

// noticeCopy serves a notice's PDF as dunning kept it.
func (s *Server) noticeCopy(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.dunning == nil {
		return nil, notConfigured("dunning")
	}
	resp, err := s.dunning.GetNotice(rc.Ctx, &dunningv1.GetNoticeRequest{Tenant: rc.Tenant, NoticeId: r.PathValue("notice")})
	if err != nil {
		return nil, err
	}
	servePDF(w, r.PathValue("notice")+".pdf", resp.GetPdf())
	return nil, nil
}

// servePDF writes a PDF inline under name.
func servePDF(w http.ResponseWriter, name string, pdf []byte) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", name))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(pdf)
}

// liftedBy is who lifted b, as dunning recorded it.
func liftedBy(b *dunningv1.Block) string { return b.GetLiftedBy() }
