package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/identity"
)

// Login is how users sign in: the development login of the demo
// (DevLogin) or OIDC (OIDCLogin).
type Login interface {
	// Kind is "dev" or "oidc": which login form the page shows.
	Kind() string
	// Password signs in with a user name and password (the development
	// login); ErrBadLogin for a wrong pair, ErrUnsupported where the
	// login has no passwords.
	Password(ctx context.Context, user, password string) (Grant, error)
	// Start returns where to send the browser to sign in (the identity
	// provider's authorization URL) and the state to keep in a cookie
	// until the callback; ErrUnsupported where there is none.
	Start(ctx context.Context, callbackURL string) (redirect string, state LoginState, err error)
	// Finish completes a sign-in at the callback with the code and state
	// the identity provider returned and the state kept from Start.
	Finish(ctx context.Context, callbackURL string, kept LoginState, code, state string) (Grant, error)
}

// Grant is a signed-in user: who, with which token, until when.
type Grant struct {
	Principal identity.Principal
	// Token is the bearer token the backends verify (a JWT).
	Token string
	// Expires is when Token expires.
	Expires time.Time
}

// LoginState is what a login keeps between Start and Finish (OIDC's state
// and PKCE verifier), in a short-lived cookie.
type LoginState struct {
	State, Verifier, Nonce string
}

// ErrBadLogin means a wrong user name or password, or a sign-in the
// identity provider or the token verification refused.
var ErrBadLogin = errors.New("sign-in refused")

// ErrUnsupported means the configured login has no such way to sign in.
var ErrUnsupported = errors.New("not offered by this login")

// loginStateCookie keeps the LoginState during an OIDC sign-in.
const loginStateCookie = "o2c_login"

// loginData is what the login page shows.
type loginData struct {
	Kind  string
	Next  string
	Error string
	// User prefills the user field (the demo's login links, /login?user=cs).
	User string
	// Users are the demo users the development login offers.
	Users []DevUser
}

// loginPage shows the sign-in form (or the button to the identity
// provider).
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	d := loginData{Kind: s.opt.Login.Kind(), Next: safeNext(r.URL.Query().Get("next")), User: r.URL.Query().Get("user")}
	if dl, ok := s.opt.Login.(*DevLogin); ok {
		d.Users = dl.Users()
	}
	if r.URL.Query().Get("start") == "1" && d.Kind == "oidc" {
		s.startOIDC(w, r, d.Next)
		return
	}
	s.renderAnonymous(w, r, "login.html", d, http.StatusOK)
}

// loginSubmit signs in with the development login's user and password.
func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	g, err := s.opt.Login.Password(r.Context(), strings.TrimSpace(r.PostFormValue("user")), r.PostFormValue("password"))
	if err != nil {
		msg := "login.failed"
		if errors.Is(err, ErrUnsupported) {
			msg = "login.unsupported"
		}
		s.renderAnonymous(w, r, "login.html", loginData{Kind: s.opt.Login.Kind(), Next: next, Error: msg}, http.StatusUnauthorized)
		return
	}
	if err := s.startSession(w, r, g.Principal, g.Token, g.Expires); err != nil {
		s.opt.Log.Error("console sign-in failed", "err", err)
		http.Error(w, "signing in failed", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// startOIDC sends the browser to the identity provider.
func (s *Server) startOIDC(w http.ResponseWriter, r *http.Request, next string) {
	to, st, err := s.opt.Login.Start(r.Context(), s.callbackURL(r))
	if err != nil {
		s.opt.Log.Error("console: starting the OIDC sign-in failed", "err", err)
		http.Error(w, "the identity provider cannot be reached; try again later", http.StatusBadGateway)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: loginStateCookie, Value: encodeState(st, next), Path: "/auth/", HttpOnly: true, Secure: s.opt.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: 600,
	})
	http.Redirect(w, r, to, http.StatusFound)
}

// loginCallback finishes an OIDC sign-in.
func (s *Server) loginCallback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginStateCookie)
	if err != nil {
		http.Error(w, "the sign-in took too long or was started elsewhere; sign in again", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginStateCookie, Value: "", Path: "/auth/", MaxAge: -1})
	kept, next := decodeState(c.Value)
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		s.renderAnonymous(w, r, "login.html", loginData{Kind: s.opt.Login.Kind(), Next: next, Error: "login.failed"}, http.StatusUnauthorized)
		return
	}
	g, err := s.opt.Login.Finish(r.Context(), s.callbackURL(r), kept, q.Get("code"), q.Get("state"))
	if err != nil {
		s.opt.Log.Warn("console: OIDC sign-in refused", "err", err)
		s.renderAnonymous(w, r, "login.html", loginData{Kind: s.opt.Login.Kind(), Next: next, Error: "login.failed"}, http.StatusUnauthorized)
		return
	}
	if err := s.startSession(w, r, g.Principal, g.Token, g.Expires); err != nil {
		s.opt.Log.Error("console sign-in failed", "err", err)
		http.Error(w, "signing in failed", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// callbackURL is the OIDC redirect URI of this console.
func (s *Server) callbackURL(r *http.Request) string {
	if o, ok := s.opt.Login.(*OIDCLogin); ok && o.opt.RedirectURL != "" {
		return o.opt.RedirectURL
	}
	scheme := "http"
	if r.TLS != nil || s.opt.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/auth/callback"
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if sess, err := s.session(r); err == nil {
		if !checkCSRF(r, sess) {
			http.Error(w, "the form is out of date (CSRF token); reload the page and try again", http.StatusForbidden)
			return
		}
		_ = s.opt.Sessions.Delete(r.Context(), sess.ID)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext returns next when it is a path on this console, else "/": the
// sign-in never sends the browser elsewhere. Browsers drop tabs and line
// breaks from a URL and read a backslash as a slash, so "/\t/evil" and
// "/\\evil" would lead off the console: any control character or
// backslash is refused, as is anything with a scheme or host.
func safeNext(next string) string {
	if next == "" || strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	return next
}

// encodeState packs a LoginState and the page to return to into a cookie
// value.
func encodeState(st LoginState, next string) string {
	return strings.Join([]string{urlQueryEscape(st.State), urlQueryEscape(st.Verifier), urlQueryEscape(st.Nonce), urlQueryEscape(next)}, ".")
}

// decodeState unpacks encodeState's value; a damaged one yields an empty
// state, which Finish refuses.
func decodeState(v string) (LoginState, string) {
	parts := strings.Split(v, ".")
	if len(parts) != 4 {
		return LoginState{}, "/"
	}
	un := func(s string) string {
		u, err := urlUnescape(s)
		if err != nil {
			return ""
		}
		return u
	}
	return LoginState{State: un(parts[0]), Verifier: un(parts[1]), Nonce: un(parts[2])}, safeNext(un(parts[3]))
}
