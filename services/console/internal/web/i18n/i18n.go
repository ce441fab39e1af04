// Package i18n holds the console's message catalogues, German and
// English, and looks texts up by key. Each catalogue is a set of JSON
// files <area>.<lang>.json (core.de.json, queue.en.json, ...) mapping a
// key to its text, merged per language: every page's owner keeps the
// texts of its pages in files of its own. Every key must exist in every
// language (Load fails otherwise), and a key may be defined once.
//
// A text may hold fmt verbs (%s, %d) for the arguments of T.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

//go:embed *.json
var files embed.FS

// Languages are the console's languages; the first is the default.
var Languages = []string{"de", "en"}

// Catalog is the merged catalogues of every language.
type Catalog struct {
	texts map[string]map[string]string // language -> key -> text
}

// Load reads the embedded catalogues.
func Load() (*Catalog, error) { return LoadFS(files) }

// LoadFS reads the catalogues *.<lang>.json of fsys; it fails on a file of
// an unknown language, a key defined twice, or a key missing in a
// language.
func LoadFS(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{texts: map[string]map[string]string{}}
	for _, l := range Languages {
		c.texts[l] = map[string]string{}
	}
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	origin := map[string]string{} // lang/key -> file
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".json")
		dot := strings.LastIndexByte(base, '.')
		lang := base[dot+1:]
		if dot < 0 || c.texts[lang] == nil {
			return nil, fmt.Errorf("message catalogue %s: want <area>.<lang>.json with lang one of %s", name, strings.Join(Languages, ", "))
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var m map[string]string
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("message catalogue %s: %w", name, err)
		}
		for k, v := range m {
			if f, dup := origin[lang+"/"+k]; dup {
				return nil, fmt.Errorf("message catalogue %s: key %q already defined in %s", name, k, f)
			}
			origin[lang+"/"+k] = name
			c.texts[lang][k] = v
		}
	}
	var missing []string
	all := map[string]bool{}
	for _, l := range Languages {
		for k := range c.texts[l] {
			all[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(all)) {
		for _, l := range Languages {
			if _, ok := c.texts[l][k]; !ok {
				missing = append(missing, l+":"+k)
			}
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("message catalogues: keys without a text: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// Has reports whether key is in the catalogues.
func (c *Catalog) Has(key string) bool {
	_, ok := c.texts[Languages[0]][key]
	return ok
}

// Keys returns every key, sorted.
func (c *Catalog) Keys() []string { return slices.Sorted(maps.Keys(c.texts[Languages[0]])) }

// T returns key's text in lang (the default language for an unknown
// one) with args formatted into it; an unknown key comes back as
// "[key]" so that it shows on the page and in tests.
func (c *Catalog) T(lang, key string, args ...any) string {
	m, ok := c.texts[lang]
	if !ok {
		m = c.texts[Languages[0]]
	}
	s, ok := m[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Match returns the language of an Accept-Language header that the
// console speaks, by the header's order of preference (q values), else
// the default.
func Match(acceptLanguage string) string {
	best, bestQ := Languages[0], -1.0
	for i, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				continue
			}
		}
		q -= float64(i) * 1e-6 // earlier wins among equals
		lang := strings.ToLower(tag)
		if base, _, ok := strings.Cut(lang, "-"); ok {
			lang = base
		}
		if slices.Contains(Languages, lang) && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}
