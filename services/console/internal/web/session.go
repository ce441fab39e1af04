package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/o2c-platform/o2c/libs/identity"
)

// SessionCookie is the name of the session cookie. It holds only the
// session's random id; everything else stays on the server.
const SessionCookie = "o2c_console"

// flashCookie carries a one-line message from a POST to the page it
// redirects to.
const flashCookie = "o2c_flash"

// Session is a signed-in user.
type Session struct {
	// ID is the random id the cookie holds.
	ID string
	// CSRF is the token every form of the session carries.
	CSRF string
	// Principal is the user as the token describes it (actor, tenants,
	// roles), verified at sign-in.
	Principal identity.Principal
	// Token is the user's bearer token, forwarded on every backend call.
	Token string
	// Tenant is the tenant the user works for, one of Principal's.
	Tenant string
	// Locale is the user's choice of language ("de", "en"); empty follows
	// the browser's Accept-Language.
	Locale string
	// Expires is when the session ends: at the latest when the token
	// expires, and after DefaultSessionTTL without use.
	Expires time.Time
}

// ErrNoSession means the request has no live session: no cookie, an
// unknown id, or an expired session.
var ErrNoSession = errors.New("no session")

// Sessions keeps sessions on the server. Implementations are safe for
// concurrent use.
type Sessions interface {
	// Get returns the session id names; an error wrapping ErrNoSession
	// when there is none or it has expired at now.
	Get(ctx context.Context, id string, now time.Time) (*Session, error)
	// Put stores s under s.ID, replacing an earlier version.
	Put(ctx context.Context, s *Session) error
	// Delete removes the session id names; removing none is no error.
	Delete(ctx context.Context, id string) error
}

// MemorySessions keeps sessions in memory: for the demo and for a single
// console process (a restart signs everybody out).
type MemorySessions struct {
	mu       sync.Mutex
	sessions map[string]Session
}

// NewMemorySessions returns an empty MemorySessions.
func NewMemorySessions() *MemorySessions { return &MemorySessions{sessions: map[string]Session{}} }

// Get implements Sessions.
func (m *MemorySessions) Get(_ context.Context, id string, now time.Time) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[id]
	if !ok {
		return nil, ErrNoSession
	}
	if !now.Before(s.Expires) {
		delete(m.sessions, id)
		return nil, fmt.Errorf("%w: expired at %s", ErrNoSession, s.Expires.Format(time.RFC3339))
	}
	return &s, nil
}

// Put implements Sessions. It also drops the sessions that have expired
// by s's creation, so that the map does not grow without bound.
func (m *MemorySessions) Put(_ context.Context, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[s.ID] = *s
	if len(m.sessions)%64 == 0 {
		now := time.Now()
		for id, o := range m.sessions {
			if !now.Before(o.Expires) {
				delete(m.sessions, id)
			}
		}
	}
	return nil
}

// Delete implements Sessions.
func (m *MemorySessions) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, id)
	return nil
}

// randomID returns 32 random bytes, base64url: a session id or CSRF token.
func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b)
}

// session returns the live session of r's cookie, touching its idle
// expiry.
func (s *Server) session(r *http.Request) (*Session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, ErrNoSession
	}
	return s.opt.Sessions.Get(r.Context(), c.Value, s.opt.Now())
}

// startSession stores a new session for p with token (valid until
// tokenExpiry) and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, p identity.Principal, token string, tokenExpiry time.Time) error {
	exp := s.opt.Now().Add(s.opt.SessionTTL)
	if !tokenExpiry.IsZero() && tokenExpiry.Before(exp) {
		exp = tokenExpiry
	}
	sess := &Session{ID: randomID(), CSRF: randomID(), Principal: p, Token: token, Expires: exp}
	if len(p.Tenants) > 0 {
		sess.Tenant = p.Tenants[0]
	}
	if err := s.opt.Sessions.Put(r.Context(), sess); err != nil {
		return fmt.Errorf("store the session: %w", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: sess.ID, Path: "/", HttpOnly: true, Secure: s.opt.SecureCookies,
		SameSite: http.SameSiteLaxMode, Expires: exp,
	})
	return nil
}

// checkCSRF reports whether r's form carries sess's CSRF token.
func checkCSRF(r *http.Request, sess *Session) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// setFlash leaves msg for the next page the browser loads.
func setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

// takeFlash returns the message a POST left and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1})
	msg, err := url.QueryUnescape(c.Value)
	if err != nil {
		return ""
	}
	return msg
}

// urlQueryEscape escapes s for a query value.
func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// redirectAfterPost sends the browser to path with msg as the flash: the
// pattern every form follows (POST, redirect, GET).
func redirectAfterPost(w http.ResponseWriter, r *http.Request, path, msg string) {
	if msg != "" {
		setFlash(w, msg)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// switchTenant makes the session work for another of the user's tenants
// (any tenant for a platform admin, whose tenants are "*").
func (s *Server) switchTenant(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	t := strings.TrimSpace(r.PostFormValue("tenant"))
	if t == identity.AllTenants || !rc.Session.Principal.MayActFor(t) {
		return nil, fmt.Errorf("%w: %s does not act for tenant %q", errBadForm, rc.Session.Principal.Actor, t)
	}
	rc.Session.Tenant = t
	if err := s.opt.Sessions.Put(r.Context(), rc.Session); err != nil {
		return nil, err
	}
	redirectAfterPost(w, r, safeNext(r.PostFormValue("next")), "")
	return nil, nil
}
