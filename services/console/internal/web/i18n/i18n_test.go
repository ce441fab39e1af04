package i18n

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadFSRefusesIncompleteCatalogues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"key missing in English", fstest.MapFS{"a.de.json": {Data: []byte(`{"x": "X", "y": "Y"}`)}, "a.en.json": {Data: []byte(`{"x": "X"}`)}}, "en:y"},
		{"key defined twice", fstest.MapFS{"a.de.json": {Data: []byte(`{"x": "X"}`)}, "b.de.json": {Data: []byte(`{"x": "X2"}`)},
			"a.en.json": {Data: []byte(`{"x": "X"}`)}}, "already defined"},
		{"unknown language", fstest.MapFS{"a.fr.json": {Data: []byte(`{}`)}}, "want <area>.<lang>.json"},
		{"not JSON", fstest.MapFS{"a.de.json": {Data: []byte(`{`)}}, "a.de.json"},
	}
	for _, tt := range tests {
		if _, err := LoadFS(tt.files); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error naming %q", tt.name, err, tt.want)
		}
	}
}

func TestTextsAndLanguages(t *testing.T) {
	t.Parallel()
	c, err := LoadFS(fstest.MapFS{"a.de.json": {Data: []byte(`{"page": "Seite %d"}`)}, "a.en.json": {Data: []byte(`{"page": "Page %d"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, key, want string }{
		{"de", "page", "Seite 3"}, {"en", "page", "Page 3"}, {"fr", "page", "Seite 3"}, {"en", "nope", "[nope]"},
	} {
		if got := c.T(tt.lang, tt.key, 3); got != tt.want {
			t.Errorf("T(%s, %s) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
	for header, want := range map[string]string{
		"": "de", "en-GB,en;q=0.9,de;q=0.8": "en", "de-DE": "de", "fr-FR,en;q=0.5": "en", "en;q=0.2,de;q=0.9": "de", "es": "de",
	} {
		if got := Match(header); got != want {
			t.Errorf("Match(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestEmbeddedCataloguesLoad(t *testing.T) {
	t.Parallel()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Keys()) < 100 {
		t.Errorf("the embedded catalogues hold %d keys; the console's pages name more", len(c.Keys()))
	}
}
