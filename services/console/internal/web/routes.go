package web

import (
	"net/http"

	"github.com/o2c-platform/o2c/libs/identity"
)

// routes registers every page: one line per page, in one list. A page's
// handler lives in a file of its area (search.go, account.go, queue.go,
// ...), its template in templates/<page>.html, its texts in
// i18n/<area>.<lang>.json.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /lang", s.setLanguage)
	s.handle("POST /tenant", s.switchTenant)

	s.handle("GET /{$}", s.search)
	s.handle("GET /debtors/{debtor}", s.account)
	s.handle("POST /debtors/{debtor}/blocks", s.setBlock)
	s.handle("POST /debtors/{debtor}/blocks/{block}/lift", s.liftBlock)
	s.handle("GET /notices/{notice}", s.noticeCopy)
	s.handle("GET /debtors/{debtor}/statement.pdf", s.statementPDF)
	s.handle("GET /reports", s.reportsPage)
	s.handle("GET /reports/issued/{id}", s.issuedReport)
	s.handle("GET /rejected", s.rejected)
	s.handle("POST /rejected/{service}/{id}/replay", s.replay)
	s.handle("GET /held", s.held)
	s.handle("GET /queue", s.queue)
	s.handle("GET /queue/{payment}", s.exception)
	s.handle("POST /queue/{payment}/confirm", s.confirmProposal)
	s.handle("POST /queue/{payment}/match", s.matchManually)
	s.handle("POST /queue/{payment}/split", s.split)
	s.handle("POST /queue/{payment}/park", s.park)
	s.handle("POST /queue/{payment}/unmatch", s.unmatch)
	s.handle("GET /debtors/{debtor}/credit-notes", s.creditNoteForm)
	s.handle("POST /debtors/{debtor}/credit-notes", s.requestCreditNote)
	s.handle("GET /credit-notes", s.creditNoteList)
	s.handle("POST /credit-notes/{id}/approve", s.approveCreditNote)
	s.handle("POST /credit-notes/{id}/reject", s.rejectCreditNote)
	s.handle("GET /credit-notes/{id}/pdf", s.creditNotePDF)
	s.handle("GET /refunds", s.refunds)
	s.handle("POST /refunds/review", s.reviewRefund)
}

// navigation lists the entries of the navigation bar: the path, the
// catalogue key of its label, and the roles that see it (none: everyone
// signed in).
var navigation = []struct {
	Path, Key string
	Roles     []identity.Role
}{
	{"/", "nav.search", nil},
	{"/reports", "nav.reports", []identity.Role{identity.Accountant, identity.Operator, identity.Viewer, identity.CustomerService}},
	{"/rejected", "nav.rejected", []identity.Role{identity.Operator, identity.Accountant}},
	{"/held", "nav.held", []identity.Role{identity.Operator, identity.PlatformAdmin}},
	{"/queue", "nav.queue", []identity.Role{identity.Accountant, identity.Operator, identity.CustomerService, identity.Viewer}},
	{"/credit-notes", "nav.creditnotes", []identity.Role{identity.Accountant, identity.CustomerService, identity.PlatformAdmin, identity.Operator, identity.Viewer}},
	{"/refunds", "nav.refunds", refundReaders},
}

// nav returns the navigation entries rc's user may see.
func (s *Server) nav(rc *Request) []navEntry {
	var out []navEntry
	for _, n := range navigation {
		if len(n.Roles) > 0 && !rc.Can(n.Roles...) {
			continue
		}
		out = append(out, navEntry{Path: n.Path, Key: n.Key, Active: n.Path == rc.Path || (n.Path != "/" && len(rc.Path) > len(n.Path) && rc.Path[:len(n.Path)+1] == n.Path+"/")})
	}
	return out
}

// setLanguage switches the language (a cookie) and goes back.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("l")
	if l != "de" && l != "en" {
		http.Error(w, "unknown language", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "o2c_lang", Value: l, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600, Secure: s.opt.SecureCookies})
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}
