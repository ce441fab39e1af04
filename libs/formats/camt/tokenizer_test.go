package camt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
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

// FuzzTokenizerMatchesEncodingXML shows that on every input encoding/xml
// accepts, the Tokenizer yields the same elements, attributes and text,
// and that it rejects what encoding/xml rejects for broken nesting.
func FuzzTokenizerMatchesEncodingXML(f *testing.F) {
	for _, s := range tokenizerSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(versionDoc("053", 2)))
	f.Add([]byte(versionDoc("054", 8)))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkTokenizer(t, data)
	})
}
