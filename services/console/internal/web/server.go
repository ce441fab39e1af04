// Package web is the console's web UI: server-rendered HTML pages over the
// other services' gRPC APIs. It holds no data of its own beyond sessions:
// every page asks the backends, and every call carries the signed-in
// user's bearer token, so that each backend checks the user's own rights
// and records the user as the actor of what it changes.
//
// Pages are registered in one list (routes) with handle, which signs the
// user in first, checks the CSRF token of every POST, picks the locale
// and renders what the page returns inside the shared layout
// (templates/_layout.html). A page's template is templates/<page>.html
// defining "title" and "content"; the files starting with an underscore
// are shared by every page. Text comes from the message catalogues of
// package i18n through the template func t; money, dates and numbers are
// formatted for the user's locale (de-DE or en-GB).
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/console/internal/web/i18n"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Backends are the console's connections to the services it shows. Each
// is dialled with the console's own transport credentials (TLS, and a
// client certificate where the backends run mutual TLS); the user's
// bearer token is added to every call (see Request.Ctx). A nil connection
// makes the pages that need it answer 503 saying which service is not
// configured.
type Backends struct {
	Ingestion, Ledger, Matching, Dunning, Collections, RefundImport *grpc.ClientConn
}

// Options configure a Server.
type Options struct {
	// Backends are the services the pages call.
	Backends Backends
	// Sessions keeps the signed-in users (required).
	Sessions Sessions
	// Login signs users in: DevLogin for the demo, OIDCLogin for real
	// deployments (required).
	Login Login
	// SecureCookies marks the session cookie Secure (HTTPS only). Set it
	// whenever the console is reached over HTTPS.
	SecureCookies bool
	// SessionTTL is how long a session lives without use; zero means
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// Log receives one line per failed request.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultSessionTTL is the idle lifetime of a session.
const DefaultSessionTTL = 8 * time.Hour

// Server serves the console's pages. It is an http.Handler.
type Server struct {
	opt          Options
	mux          *http.ServeMux
	handler      http.Handler
	pages        *pages
	catalog      *i18n.Catalog
	ingest       ingestionv1grpc.IngestionServiceClient
	debtors      ingestionv1grpc.DebtorServiceClient
	profiles     ingestionv1grpc.DebtorProfileServiceClient
	ledger       ledgerv1grpc.LedgerServiceClient
	queries      ledgerv1grpc.LedgerQueryServiceClient
	reports      ledgerv1grpc.ReportServiceClient
	commands     ledgerv1grpc.LedgerCommandServiceClient
	matching     matchingv1grpc.MatchingServiceClient
	dunning      dunningv1grpc.DunningServiceClient
	cases        collectionsv1grpc.CollectionsServiceClient
	refundImport refundv1grpc.RefundServiceClient
	// rejections are the RejectionService of each backend, by service
	// name; missing for a backend that is not configured.
	rejections map[string]rejectionv1grpc.RejectionServiceClient
}

// New builds a Server: it parses every template and loads the message
// catalogues, so that a broken template or a missing translation stops the
// start.
func New(opt Options) (*Server, error) {
	if opt.Sessions == nil {
		return nil, errors.New("console: no session store")
	}
	if opt.Login == nil {
		return nil, errors.New("console: no login configured (the development login for the demo, or OIDC)")
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = DefaultSessionTTL
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, mux: http.NewServeMux(), catalog: cat, rejections: map[string]rejectionv1grpc.RejectionServiceClient{}}
	b := opt.Backends
	if b.Ingestion != nil {
		s.ingest = ingestionv1grpc.NewIngestionServiceClient(b.Ingestion)
		s.debtors = ingestionv1grpc.NewDebtorServiceClient(b.Ingestion)
		s.profiles = ingestionv1grpc.NewDebtorProfileServiceClient(b.Ingestion)
		s.rejections["ingestion"] = rejectionv1grpc.NewRejectionServiceClient(b.Ingestion)
	}
	if b.Ledger != nil {
		s.ledger = ledgerv1grpc.NewLedgerServiceClient(b.Ledger)
		s.queries = ledgerv1grpc.NewLedgerQueryServiceClient(b.Ledger)
		s.reports = ledgerv1grpc.NewReportServiceClient(b.Ledger)
		s.commands = ledgerv1grpc.NewLedgerCommandServiceClient(b.Ledger)
		s.rejections["ledger"] = rejectionv1grpc.NewRejectionServiceClient(b.Ledger)
	}
	if b.Matching != nil {
		s.matching = matchingv1grpc.NewMatchingServiceClient(b.Matching)
		s.rejections["matching"] = rejectionv1grpc.NewRejectionServiceClient(b.Matching)
	}
	if b.Dunning != nil {
		s.dunning = dunningv1grpc.NewDunningServiceClient(b.Dunning)
		s.rejections["dunning"] = rejectionv1grpc.NewRejectionServiceClient(b.Dunning)
	}
	if b.Collections != nil {
		s.cases = collectionsv1grpc.NewCollectionsServiceClient(b.Collections)
		s.rejections["collections"] = rejectionv1grpc.NewRejectionServiceClient(b.Collections)
	}
	if b.RefundImport != nil {
		s.refundImport = refundv1grpc.NewRefundServiceClient(b.RefundImport)
		s.rejections["refund-import"] = rejectionv1grpc.NewRejectionServiceClient(b.RefundImport)
	}
	if s.pages, err = parsePages(templateFiles, cat); err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.loginSubmit)
	s.mux.HandleFunc("GET /auth/callback", s.loginCallback)
	s.mux.HandleFunc("POST /logout", s.logout)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	s.routes()
	// Browsers say where a form was sent from; a cross-site POST is
	// refused before any session or CSRF token is looked at.
	s.handler = securityHeaders(http.NewCrossOriginProtection().Handler(s.mux))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Page is a page handler: it reads the request, calls the backends with
// rc.Ctx and either writes a response itself (a redirect after a POST, a
// file) and returns a nil View, or returns the View to render. An error
// is shown as an error page with the status the backend's gRPC code
// suggests (see statusOf).
type Page func(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error)

// View is what a page renders: its template (the file name under
// templates/) and the data the template reads as .Data.
type View struct {
	Template string
	Data     any
	// Status is the HTTP status; zero means 200.
	Status int
}

// Request is a signed-in user's request as the pages see it.
type Request struct {
	// Ctx is the request's context carrying the user's bearer token for
	// every backend call.
	Ctx context.Context
	// Session is the user's session.
	Session *Session
	// Locale is the user's locale ("de" or "en").
	Locale string
	// Tenant is the tenant the user works for: the session's choice among
	// the principal's tenants.
	Tenant string
	// Flash is the message the previous POST left for this page, if any.
	Flash string
	// Path is the request's path, for the navigation.
	Path string
}

// User is the signed-in principal.
func (rc *Request) User() identity.Principal { return rc.Session.Principal }

// Can reports whether the user holds one of roles: the pages show a
// control only to those the backend would let do it (the backend checks
// again).
func (rc *Request) Can(roles ...identity.Role) bool { return rc.Session.Principal.HasAny(roles...) }

// CSRF is the session's CSRF token, for the hidden field of every form.
func (rc *Request) CSRF() string { return rc.Session.CSRF }

// handle registers page at pattern ("GET /queue", "POST /debtors/{id}/blocks"):
// the user must be signed in (else the login page, then back), a POST
// must carry the session's CSRF token, and the page's View is rendered in
// the layout.
func (s *Server) handle(pattern string, page Page) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.session(r)
		if err != nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "signed out: sign in again", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && !checkCSRF(r, sess) {
			http.Error(w, "the form is out of date (CSRF token); reload the page and try again", http.StatusForbidden)
			return
		}
		rc := s.request(w, r, sess)
		v, err := page(w, r, rc)
		if err != nil {
			s.fail(w, rc, err)
			return
		}
		if v != nil {
			s.render(w, rc, v)
		}
	})
}

// request builds the page's view of r.
func (s *Server) request(w http.ResponseWriter, r *http.Request, sess *Session) *Request {
	rc := &Request{Session: sess, Locale: s.locale(r, sess), Tenant: sess.Tenant, Path: r.URL.Path}
	rc.Ctx = metadata.AppendToOutgoingContext(r.Context(), "authorization", "Bearer "+sess.Token)
	rc.Flash = takeFlash(w, r)
	return rc
}

// fail renders err as an error page.
func (s *Server) fail(w http.ResponseWriter, rc *Request, err error) {
	code := statusOf(err)
	if code >= 500 {
		s.opt.Log.Error("console page failed", "path", rc.Path, "actor", rc.Session.Principal.Actor, "err", err)
	}
	s.render(w, rc, &View{Template: "error.html", Status: code, Data: errorData{Status: code, Message: messageOf(err), Permission: code == http.StatusForbidden}})
}

// errorData is what the error page shows.
type errorData struct {
	Status     int
	Message    string
	Permission bool
}

// ErrNotConfigured means a page needs a backend the console has no
// connection to.
var ErrNotConfigured = errors.New("backend not configured")

// notConfigured returns an error wrapping ErrNotConfigured naming service.
func notConfigured(service string) error {
	return fmt.Errorf("%w: the console has no address for %s", ErrNotConfigured, service)
}

// statusOf maps a backend's gRPC code to the HTTP status of the page.
func statusOf(err error) int {
	if errors.Is(err, ErrNotConfigured) {
		return http.StatusServiceUnavailable
	}
	if errors.Is(err, errBadForm) {
		return http.StatusBadRequest
	}
	st, ok := status.FromError(err)
	if !ok {
		return http.StatusInternalServerError
	}
	switch st.Code() {
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.NotFound:
		return http.StatusNotFound
	case codes.InvalidArgument, codes.FailedPrecondition, codes.AlreadyExists, codes.OutOfRange:
		return http.StatusBadRequest
	case codes.Unavailable, codes.DeadlineExceeded:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// messageOf is the text the error page shows: a backend's status message
// (which says what was wrong), else the error.
func messageOf(err error) string {
	if st, ok := status.FromError(err); ok {
		return st.Message()
	}
	return err.Error()
}

// errBadForm marks a form field the page could not read.
var errBadForm = errors.New("bad form")

// securityHeaders sets the headers every response carries: no framing, no
// sniffing, and a content security policy that allows only the console's
// own scripts, styles and images (every asset is served by the console;
// inline SVG charts are markup, not images).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
