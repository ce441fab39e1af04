package web

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/o2c-platform/o2c/services/console/internal/web/i18n"
)

// literalKey finds the catalogue keys templates name literally:
// {{t "key"}} and the "empty" partial's {{template "empty" "key"}}.
var literalKey = regexp.MustCompile(`\{\{-?\s*(?:t|template "empty") "([^"]+)"`)

// TestTemplatesNameKnownKeys: every key a template names literally is in
// the catalogues (which have every key in every language), so no page
// shows a "[key]".
func TestTemplatesNameKnownKeys(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, n := range names {
		data, err := fs.ReadFile(templateFiles, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literalKey.FindAllStringSubmatch(string(data), -1) {
			found++
			if !cat.Has(m[1]) {
				t.Errorf("%s names key %q, which no catalogue has", n, m[1])
			}
		}
	}
	if found < 50 {
		t.Fatalf("found %d keys in the templates: the pattern no longer matches how they name keys", found)
	}
	for _, n := range navigation {
		if !cat.Has(n.Key) {
			t.Errorf("navigation entry %s names key %q, which no catalogue has", n.Path, n.Key)
		}
	}
}
