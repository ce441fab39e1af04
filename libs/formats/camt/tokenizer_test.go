package camt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// stdTokens renders what encoding/xml yields as a list of strings:
// "<local attr=value …", "</local", and merged text "#…". Comments,
// processing instructions and directives are dropped, as the Tokenizer
// drops them.
func stdTokens(data []byte) ([]string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var out []string
	var text []byte
	flush := func() {
		if text != nil {
			out = append(out, "#"+string(text))
			text = nil
		}
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			flush()
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			flush()
			s := "<" + tk.Name.Local
			for _, a := range tk.Attr {
				s += " " + a.Name.Local + "=" + a.Value
			}
			out = append(out, s)
		case xml.EndElement:
			flush()
			out = append(out, "</"+tk.Name.Local)
		case xml.CharData:
			text = append(text, tk...)
			if text == nil {
				text = []byte{}
			}
		}
	}
}

func ourTokens(r io.Reader) ([]string, error) {
	tz := NewTokenizer(r)
	var out []string
	var text []byte
	flush := func() {
		if text != nil {
			out = append(out, "#"+string(text))
			text = nil
		}
	}
	for {
		tok, err := tz.Next()
		if errors.Is(err, io.EOF) {
			flush()
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch tok.Kind {
		case StartElement:
			flush()
			s := "<" + string(tok.Name)
			for _, a := range tok.Attrs {
				s += " " + string(a.Name) + "=" + string(a.Value)
			}
			out = append(out, s)
		case EndElement:
			flush()
			out = append(out, "</"+string(tok.Name))
		case CharData:
			text = append(text, tok.Text...)
			if text == nil {
				text = []byte{}
			}
		}
	}
}

// structuralError reports encoding/xml errors about nesting that the
// Tokenizer must reject too.
func structuralError(err error) bool {
	var se *xml.SyntaxError
	if !errors.As(err, &se) {
		return false
	}
	return strings.Contains(se.Msg, "closed by") || strings.Contains(se.Msg, "unexpected end element") ||
		strings.Contains(se.Msg, "unexpected EOF")
}

var tokenizerSeeds = []string{
	`<a x="1" y='2'>t&amp;&lt;&#65;&#x42;<b/>u<![CDATA[<c>]]></a>`,
	"<?xml version=\"1.0\"?>\r\n<!DOCTYPE a [<!ENTITY e \"x\">]><a>\r\nline\rline</a><!-- end -->",
	`<p:a xmlns:p="urn:x" p:k="v"><p:b>t</p:b></p:a>`,
	`<a><b></a>`,
	`<a>`,
	`</a>`,
	`<a b="<">`,
	`<a>&bogus;</a>`,
	`<a k="a&#10;b&#x9;c"
	   j="x	y"></a>`,
	`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>`,
}

func TestTokenizerMatchesEncodingXML(t *testing.T) {
	t.Parallel()
	for _, s := range tokenizerSeeds {
		checkTokenizer(t, []byte(s))
	}
}

func checkTokenizer(t *testing.T, data []byte) {
	t.Helper()
	want, stdErr := stdTokens(data)
	// One byte at a time exercises every buffer refill path.
	got, err := ourTokens(iotest.OneByteReader(bytes.NewReader(data)))
	got2, err2 := ourTokens(bytes.NewReader(data))
	if diff := cmp.Diff(got, got2); diff != "" || (err == nil) != (err2 == nil) {
		t.Fatalf("%q: results depend on read sizes: %v / %v\n%s", data, err, err2, diff)
	}
	if errors.Is(err, ErrTooDeep) {
		// encoding/xml has no depth limit: the one difference allowed is
		// that the Tokenizer stops where elements nest deeper than
		// MaxDepth, after yielding what encoding/xml yields up to there.
		if d := depthOf(want); d <= MaxDepth {
			if stdErr != nil && !structuralError(stdErr) {
				// encoding/xml stopped before that depth at something
				// the Tokenizer does not check (a name such as <0>, a
				// character): both reject the input, and what
				// encoding/xml yielded up to there the Tokenizer
				// yielded too.
				if len(want) > len(got) || !slices.Equal(want, got[:len(want)]) {
					t.Fatalf("%q: tokens before encoding/xml's error (%v) differ (-encoding/xml +tokenizer):\n%s", data, stdErr, cmp.Diff(want, got))
				}
				return
			}
			t.Fatalf("%q: tokenizer says %v, but encoding/xml nests only %d levels", data, err, d)
		}
		if len(got) > len(want) || cmp.Diff(want[:len(got)], got) != "" {
			t.Fatalf("%q: tokens before the depth error differ (-encoding/xml +tokenizer):\n%s", data, cmp.Diff(want, got))
		}
		return
	}
	if stdErr == nil {
		if err != nil {
			t.Fatalf("%q: encoding/xml accepts, tokenizer fails: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: tokens differ (-encoding/xml +tokenizer):\n%s", data, diff)
		}
		return
	}
	if structuralError(stdErr) && err == nil {
		t.Fatalf("%q: encoding/xml rejects (%v), tokenizer accepts", data, stdErr)
	}
}

// depthOf returns the deepest nesting in tokens as stdTokens renders them.
func depthOf(tokens []string) int {
	depth, deepest := 0, 0
	for _, s := range tokens {
		switch {
		case strings.HasPrefix(s, "</"):
			depth--
		case strings.HasPrefix(s, "<"):
			depth++
			deepest = max(deepest, depth)
		}
	}
	return deepest
}

// FuzzTokenizerMatchesEncodingXML shows that on every input encoding/xml
// accepts, the Tokenizer yields the same elements, attributes and text
// (up to MaxDepth levels of nesting, where it stops with ErrTooDeep), and
// that it rejects what encoding/xml rejects for broken nesting.
func FuzzTokenizerMatchesEncodingXML(f *testing.F) {
	for _, s := range tokenizerSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(versionDoc("053", 2)))
	f.Add([]byte(versionDoc("054", 8)))
	f.Add([]byte(nested(MaxDepth)))
	f.Add([]byte(nested(MaxDepth + 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkTokenizer(t, data)
	})
}

// nested returns n elements <a> nested in each other around "x".
func nested(n int) string {
	return strings.Repeat("<a>", n) + "x" + strings.Repeat("</a>", n)
}

func TestTokenizerDepthLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		doc      string
		wantLine int    // 0: no error
		wantMsg  string // part of the error message
	}{
		{"at the limit", nested(MaxDepth), 0, ""},
		{"self-closing at the limit", strings.Repeat("<a>", MaxDepth-1) + "<b/>" + strings.Repeat("</a>", MaxDepth-1), 0, ""},
		{"one too deep", nested(MaxDepth + 1), 1, "element <a> would be level 65: /a/a/a/a/a/…57 more…/a/a/a"},
		{"self-closing one too deep", strings.Repeat("<a>", MaxDepth) + "<b/>" + strings.Repeat("</a>", MaxDepth), 1, "element <b> would be level 65"},
		{"names the line and local names", "<p:Document xmlns:p=\"urn:x\">\n<p:Stmt>\n" + nested(MaxDepth) + "\n</p:Stmt></p:Document>", 3,
			"line 3: xml elements nested deeper than 64 levels: element <a> would be level 65: /Document/Stmt/a/a/a/…57 more…/a/a/a"},
		{"outermost element first", "<p:x>" + nested(MaxDepth) + "</p:x>", 1, "element <a> would be level 65: /x/a/a/a/a/…57 more…/a/a/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ourTokens(strings.NewReader(tt.doc))
			if tt.wantLine == 0 {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrTooDeep) {
				t.Fatalf("error %v, want a *SyntaxError wrapping ErrTooDeep", err)
			}
			if se.Line != tt.wantLine || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q at line %d, want line %d and %q", err, se.Line, tt.wantLine, tt.wantMsg)
			}
		})
	}
}

// deepReader yields "<a>" levels times without holding the document.
type deepReader struct {
	levels int // still to yield
	read   int64
}

func (d *deepReader) Read(p []byte) (int, error) {
	n := 0
	for d.levels > 0 && len(p)-n >= 3 {
		n += copy(p[n:], "<a>")
		d.levels--
	}
	d.read += int64(n)
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// TestTokenizerStopsEarlyOnDeepDocument feeds eight million nested start
// tags (24 MB) and checks that the tokenizer gives up at MaxDepth, having
// read no more than its first buffer fills instead of the whole document.
func TestTokenizerStopsEarlyOnDeepDocument(t *testing.T) {
	t.Parallel()
	d := &deepReader{levels: 8_000_000}
	_, err := ourTokens(d)
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("error %v, want ErrTooDeep", err)
	}
	if d.read > 1<<20 {
		t.Errorf("read %d bytes of a 24 MB document before giving up, want at most 1 MiB", d.read)
	}
}
