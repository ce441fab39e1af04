package xsd_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/fault/faulttest"
	"github.com/o2c-platform/o2c/libs/xsd"
)

func TestErrorsClassifyEverySentinel(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", xsd.Errors)
}

// TestLoadISO20022 loads every ISO 20022 schema the project keeps.
func TestLoadISO20022(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(schemas, "*.xsd")
	if err != nil || len(names) != 16 {
		t.Fatalf("schemas: %v, %v", names, err)
	}
	for _, n := range names {
		if _, err := xsd.Load(schemas, n); err != nil {
			t.Errorf("Load(%s): %v", n, err)
		}
	}
}

// schema wraps declarations in a schema document of namespace urn:t.
func schema(decls string) string {
	return `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">
<xs:element name="Doc" type="Doc"/>
` + decls + `
</xs:schema>`
}

func loadString(doc string) (*xsd.Schema, error) {
	return xsd.Load(fstest.MapFS{"s.xsd": {Data: []byte(doc)}}, "s.xsd")
}

// TestLoadRefuses: what the package does not implement fails Load with
// ErrUnsupported, and a broken schema with ErrSchema, each saying where.
func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	str := func(facets string) string {
		return `<xs:complexType name="Doc"><xs:sequence><xs:element name="A" type="A"/></xs:sequence></xs:complexType>
<xs:simpleType name="A"><xs:restriction base="xs:string">` + facets + `</xs:restriction></xs:simpleType>`
	}
	tests := []struct {
		name string
		doc  string
		want error
		msg  string
	}{
		{"xs:all", schema(`<xs:complexType name="Doc"><xs:all><xs:element name="A" type="xs:string"/></xs:all></xs:complexType>`), xsd.ErrUnsupported, "s.xsd:4: xs:all: in complex type Doc"},
		{"complexContent", schema(`<xs:complexType name="Doc"><xs:complexContent><xs:extension base="Doc"/></xs:complexContent></xs:complexType>`), xsd.ErrUnsupported, "xs:complexContent"},
		{"union", schema(`<xs:complexType name="Doc"/><xs:simpleType name="U"><xs:union memberTypes="xs:date xs:string"/></xs:simpleType>`), xsd.ErrUnsupported, "simple type U by xs:union"},
		{"list", schema(`<xs:complexType name="Doc"/><xs:simpleType name="L"><xs:list itemType="xs:string"/></xs:simpleType>`), xsd.ErrUnsupported, "by xs:list"},
		{"group", schema(`<xs:complexType name="Doc"/><xs:group name="G"><xs:sequence/></xs:group>`), xsd.ErrUnsupported, "top-level xs:group"},
		{"anyAttribute", schema(`<xs:complexType name="Doc"><xs:anyAttribute/></xs:complexType>`), xsd.ErrUnsupported, "xs:anyAttribute"},
		{"default value", schema(`<xs:complexType name="Doc"><xs:sequence><xs:element name="A" type="xs:string" default="x"/></xs:sequence></xs:complexType>`), xsd.ErrUnsupported, "attribute default"},
		{"nillable", schema(`<xs:complexType name="Doc"><xs:sequence><xs:element name="A" type="xs:string" nillable="true"/></xs:sequence></xs:complexType>`), xsd.ErrUnsupported, "attribute nillable"},
		{"built-in type", schema(`<xs:complexType name="Doc"><xs:sequence><xs:element name="A" type="xs:duration"/></xs:sequence></xs:complexType>`), xsd.ErrUnsupported, "built-in type xs:duration"},
		{"element without type", schema(`<xs:complexType name="Doc"><xs:sequence><xs:element name="A"/></xs:sequence></xs:complexType>`), xsd.ErrUnsupported, "without a type (xs:anyType)"},
		{"Unicode block", schema(str(`<xs:pattern value="\p{IsBasicLatin}+"/>`)), xsd.ErrUnsupported, `Unicode block escape \p{IsBasicLatin}`},
		{"unassigned category", schema(str(`<xs:pattern value="\p{Cn}"/>`)), xsd.ErrUnsupported, `\p{Cn}`},
		{"huge repetition", schema(str(`<xs:pattern value="a{1,2000}"/>`)), xsd.ErrUnsupported, "repetition count above 1000"},
		{"bounds on dates", schema(`<xs:complexType name="Doc"/><xs:simpleType name="D"><xs:restriction base="xs:date"><xs:minInclusive value="2000-01-01"/></xs:restriction></xs:simpleType>`), xsd.ErrUnsupported, "xs:minInclusive on the non-numeric D"},
		{"identity constraint", schema(`<xs:complexType name="Doc"><xs:sequence><xs:element name="A" type="xs:string"><xs:unique name="u"><xs:selector xpath="."/><xs:field xpath="."/></xs:unique></xs:element></xs:sequence></xs:complexType>`), xsd.ErrUnsupported, "xs:unique: inside xs:element"},
		{"global attribute", schema(`<xs:complexType name="Doc"/><xs:attribute name="a" type="xs:string"/>`), xsd.ErrUnsupported, "top-level xs:attribute"},
		{"remote import", schema(`<xs:import namespace="urn:x" schemaLocation="http://example.com/x.xsd"/><xs:complexType name="Doc"/>`), xsd.ErrUnsupported, "not a file beside the schema"},

		{"undefined type", schema(`<xs:complexType name="Doc"><xs:sequence><xs:element name="A" type="Nope"/></xs:sequence></xs:complexType>`), xsd.ErrSchema, "type {urn:t}Nope is not defined"},
		{"undeclared prefix", schema(`<xs:complexType name="Doc"><xs:sequence><xs:element name="A" type="p:A"/></xs:sequence></xs:complexType>`), xsd.ErrSchema, `undeclared prefix in "p:A"`},
		{"missing include", schema(`<xs:include schemaLocation="other.xsd"/><xs:complexType name="Doc"/>`), xsd.ErrSchema, "other.xsd"},
		{"bad occurs", schema(`<xs:complexType name="Doc"><xs:sequence><xs:element name="A" type="xs:string" minOccurs="2" maxOccurs="1"/></xs:sequence></xs:complexType>`), xsd.ErrSchema, "maxOccurs 1 below minOccurs 2"},
		{"unbalanced pattern", schema(str(`<xs:pattern value="(a"/>`)), xsd.ErrSchema, "missing ')'"},
		{"Perl syntax in pattern", schema(str(`<xs:pattern value="(?i)a"/>`)), xsd.ErrSchema, "'(?' is not XML Schema syntax"},
		{"unknown escape", schema(str(`<xs:pattern value="\b"/>`)), xsd.ErrSchema, `unknown escape \b`},
		{"bad length", schema(str(`<xs:maxLength value="many"/>`)), xsd.ErrSchema, `value "many" is not a non-negative integer`},
		{"derived from itself", schema(`<xs:complexType name="Doc"/><xs:simpleType name="A"><xs:restriction base="B"/></xs:simpleType><xs:simpleType name="B"><xs:restriction base="A"/></xs:simpleType>`), xsd.ErrSchema, "derived from itself"},
		{"type defined twice", schema(`<xs:complexType name="Doc"/><xs:simpleType name="Doc"><xs:restriction base="xs:string"/></xs:simpleType>`), xsd.ErrSchema, "type Doc defined twice"},
		{"not a schema", `<schema/>`, xsd.ErrSchema, "is not xs:schema"},
		{"not XML", `<xs:schema`, xsd.ErrSchema, "s.xsd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := loadString(tt.doc)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Load = %v, %v; want %v", s, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

// TestIncludeImport: components come from an included file of the same
// namespace and an imported file of another, each beside the schema.
func TestIncludeImport(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"x/main.xsd": {Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="urn:t" xmlns:o="urn:o"
  targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:include schemaLocation="types.xsd"/>
  <xs:import namespace="urn:o" schemaLocation="sub/other.xsd"/>
  <xs:element name="Doc">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Code" type="Code" maxOccurs="2"/>
        <xs:element ref="o:Note" minOccurs="0"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>`)},
		"x/types.xsd": {Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">
  <xs:simpleType name="Code"><xs:restriction base="xs:token"><xs:enumeration value="A"/><xs:enumeration value="B"/></xs:restriction></xs:simpleType>
</xs:schema>`)},
		"x/sub/other.xsd": {Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:o">
  <xs:element name="Note">
    <xs:simpleType><xs:restriction base="xs:string"><xs:maxLength value="3"/></xs:restriction></xs:simpleType>
  </xs:element>
</xs:schema>`)},
	}
	s, err := xsd.Load(fsys, "x/main.xsd")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc  string
		want []xsd.Problem
	}{
		{`<Doc xmlns="urn:t"><Code> A </Code><Code>B</Code><Note xmlns="urn:o">abc</Note></Doc>`, nil},
		{`<Doc xmlns="urn:t"><Code>C</Code><Note xmlns="urn:o">abcd</Note></Doc>`, []xsd.Problem{
			{Line: 1, Path: "/Doc/Code[1]", Msg: "C is not one of the values of Code (A, B)"},
			{Line: 1, Path: "/Doc/{urn:o}Note", Msg: "abcd has 4 characters, at most 3"},
		}},
		{`<Doc xmlns="urn:t"><Code>A</Code><Code>A</Code><Code>A</Code></Doc>`, []xsd.Problem{
			{Line: 1, Path: "/Doc/Code", Msg: "too many Code elements: at most 2 times (expected here: {urn:o}Note)"},
		}},
		{`<Note xmlns="urn:o">abc</Note>`, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, validate(s, tt.doc)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.doc, diff)
		}
	}
}

// TestContentModels checks nested groups with occurrence bounds, which the
// ISO schemas barely use.
func TestContentModels(t *testing.T) {
	t.Parallel()
	s, err := loadString(schema(`<xs:complexType name="Doc">
  <xs:sequence>
    <xs:element name="Head" type="xs:string" minOccurs="0"/>
    <xs:choice minOccurs="1" maxOccurs="3">
      <xs:sequence>
        <xs:element name="K" type="xs:string"/>
        <xs:element name="V" type="xs:string" minOccurs="0"/>
      </xs:sequence>
      <xs:element name="X" type="xs:string" maxOccurs="2"/>
    </xs:choice>
    <xs:element name="Tail" type="xs:string"/>
    <xs:any namespace="##other" processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence>
  <xs:attribute name="v" type="xs:int"/>
</xs:complexType>`))
	if err != nil {
		t.Fatal(err)
	}
	doc := func(body string) string { return `<Doc xmlns="urn:t">` + body + `</Doc>` }
	tests := []struct {
		name string
		doc  string
		want []string // messages
	}{
		{"one pair", doc(`<K/><V/><Tail/>`), nil},
		{"three groups", doc(`<Head/><K/><X/><X/><K/><V/><Tail/>`), nil},
		{"wildcard of another namespace", doc(`<K/><Tail/><o:Z xmlns:o="urn:o"><anything/></o:Z><p:Y xmlns:p="urn:p"/>`), nil},
		{"wildcard refuses its own namespace", doc(`<K/><Tail/><Tail/>`), []string{"too many Tail elements: at most once (expected here: any element)"}},
		{"four groups", doc(`<K/><K/><K/><K/><Tail/>`), []string{"too many K elements: the group ((K, V) | X) occurs at most 3 times (expected here: V, Tail)"}},
		{"empty choice", doc(`<Tail/>`), []string{"missing required element one of ((K, V), X) before Tail"}},
		{"V without K", doc(`<V/><Tail/>`), []string{"missing required element K before V"}},
		{"nothing", doc(``), []string{"missing required element one of ((K, V), X)", "missing required element Tail"}},
		{"attribute of a built-in type", `<Doc xmlns="urn:t" v="3000000000"><K/><Tail/></Doc>`, []string{"attribute v: 3000000000 is greater than 2147483647"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, p := range validate(s, tt.doc) {
				got = append(got, p.Msg)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
