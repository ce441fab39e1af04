package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/services/console/internal/web/i18n"
)

// pages are the parsed templates: each page file with the shared ones.
type pages struct {
	byName map[string]*template.Template
}

// placeholderFuncs are the template funcs known at parse time; the
// locale-bound ones are replaced per request (funcsFor).
func placeholderFuncs(cat *i18n.Catalog) template.FuncMap {
	return funcsFor(cat, i18n.Languages[0])
}

// funcsFor returns the template funcs for lang:
//
//	t KEY ARGS...        the catalogue's text
//	money MONEY          a *commonv1.Money in the locale ("1.234,56 €")
//	amount MINOR CUR     minor units of a currency
//	date X               a *commonv1.Date, time.Time or timestamp
//	datetime X           an instant with hours and minutes
//	int N                a count with digit grouping
//	days H               hundredths of a day as days ("12,34")
//	query K V ...        a URL query ("?page=2&q=x") of key/value pairs
//	neg MONEY            whether an amount is below zero
func funcsFor(cat *i18n.Catalog, lang string) template.FuncMap {
	return template.FuncMap{
		"t":        func(key string, args ...any) string { return cat.T(lang, key, args...) },
		"money":    func(m *commonv1.Money) string { return formatMoney(lang, m) },
		"amount":   func(minor int64, currency string) string { return formatAmount(lang, minor, currency) },
		"date":     func(v any) string { return formatDate(lang, v) },
		"datetime": func(v any) string { return formatDateTime(lang, v) },
		"int":      func(n any) string { return formatInt(lang, toInt64(n)) },
		"days":     func(hundredths int64) string { return formatHundredths(lang, hundredths) },
		"neg":      func(m *commonv1.Money) bool { return m.GetMinorUnits() < 0 },
		"query":    queryOf,
		"lang":     func() string { return lang },
	}
}

// toInt64 converts the integer kinds templates meet.
func toInt64(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int32:
		return int64(n)
	case int64:
		return n
	case uint32:
		return int64(n)
	case uint64:
		return int64(n)
	}
	return 0
}

// queryOf builds "?k=v&..." from pairs, leaving out empty values.
func queryOf(pairs ...any) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		v := fmt.Sprint(pairs[i+1])
		if v == "" || v == "0" {
			continue
		}
		parts = append(parts, urlQueryEscape(fmt.Sprint(pairs[i]))+"="+urlQueryEscape(v))
	}
	if len(parts) == 0 {
		return "?"
	}
	return "?" + strings.Join(parts, "&")
}

// parsePages parses every page of fsys's templates/: the files starting
// with "_" (the layout and partials) are shared by all, every other file is
// a page of its own.
func parsePages(fsys fs.FS, cat *i18n.Catalog) (*pages, error) {
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var shared, own []string
	for _, n := range names {
		if strings.HasPrefix(path.Base(n), "_") {
			shared = append(shared, n)
		} else {
			own = append(own, n)
		}
	}
	base, err := template.New("_layout.html").Funcs(placeholderFuncs(cat)).ParseFS(fsys, shared...)
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range own {
		t, err := template.Must(base.Clone()).ParseFS(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", n, err)
		}
		p.byName[path.Base(n)] = t
	}
	return p, nil
}

// page is what the layout reads: the request and the page's data.
type page struct {
	*Request
	Data any
	// Nav are the navigation's entries the user may see.
	Nav []navEntry
}

// navEntry is one link of the navigation.
type navEntry struct {
	Path, Key string
	Active    bool
}

// render executes v's template in the layout for rc's locale.
func (s *Server) render(w http.ResponseWriter, rc *Request, v *View) {
	s.execute(w, rc.Locale, v.Template, page{Request: rc, Data: v.Data, Nav: s.nav(rc)}, v.Status)
}

// renderAnonymous renders a page for a visitor who is not signed in (the
// login page).
func (s *Server) renderAnonymous(w http.ResponseWriter, r *http.Request, name string, data any, status int) {
	lang := s.locale(r, nil)
	s.execute(w, lang, name, page{Request: &Request{Locale: lang, Path: r.URL.Path, Session: &Session{}}, Data: data}, status)
}

// execute runs template name with data for lang and writes it.
func (s *Server) execute(w http.ResponseWriter, lang, name string, data page, status int) {
	t, ok := s.pages.byName[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	t, err := t.Clone()
	if err == nil {
		t = t.Funcs(funcsFor(s.catalog, lang))
		var buf bytes.Buffer
		if err = t.ExecuteTemplate(&buf, "_layout.html", data); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			if status == 0 {
				status = http.StatusOK
			}
			w.WriteHeader(status)
			_, _ = buf.WriteTo(w)
			return
		}
	}
	s.opt.Log.Error("console: rendering failed", "template", name, "err", err)
	http.Error(w, "the page could not be shown", http.StatusInternalServerError)
}

// locale is the session's chosen language, else the lang cookie, else
// the browser's Accept-Language.
func (s *Server) locale(r *http.Request, sess *Session) string {
	if sess != nil && sess.Locale != "" {
		return sess.Locale
	}
	if c, err := r.Cookie("o2c_lang"); err == nil {
		for _, l := range i18n.Languages {
			if c.Value == l {
				return l
			}
		}
	}
	return i18n.Match(r.Header.Get("Accept-Language"))
}
