package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"path"
	"strconv"
	"strings"
)

const xsdNS = "http://www.w3.org/2001/XMLSchema"

// node is an element of a schema document.
type node struct {
	local string
	attrs map[string]string // unqualified attributes; others are ignored
	ns    map[string]string // prefixes in scope; "" is the default namespace
	kids  []*node
	line  int
	doc   *schemaDoc
}

type schemaDoc struct {
	file               string
	tns                string
	qualified          bool // elementFormDefault="qualified"
	attributeQualified bool // attributeFormDefault="qualified"
}

type loader struct {
	fsys      fs.FS
	loaded    map[string]bool
	simple    map[qname]*node
	complex   map[qname]*node
	elements  map[qname]*node
	types     map[qname]*typeDef
	resolving map[qname]bool
	globals   map[qname]*elemDecl
}

// Load reads the schema document name from fsys, together with the files
// its xs:include and xs:import elements name (relative to it, in fsys).
// It fails with ErrUnsupported when the schema uses a construct outside
// the supported subset (see the package comment) and with ErrSchema when
// the schema is broken.
func Load(fsys fs.FS, name string) (*Schema, error) {
	l := &loader{
		fsys: fsys, loaded: map[string]bool{},
		simple: map[qname]*node{}, complex: map[qname]*node{}, elements: map[qname]*node{},
		types: map[qname]*typeDef{}, resolving: map[qname]bool{}, globals: map[qname]*elemDecl{},
	}
	if err := l.file(name, nil); err != nil {
		return nil, err
	}
	s := &Schema{elements: map[qname]*elemDecl{}}
	for q := range l.elements {
		d, err := l.global(q)
		if err != nil {
			return nil, err
		}
		s.elements[q] = d
	}
	// Resolve every named type too, so that a broken or unsupported type
	// fails Load even when no element uses it.
	for q := range l.simple {
		if _, err := l.typ(q, nil); err != nil {
			return nil, err
		}
	}
	for q := range l.complex {
		if _, err := l.typ(q, nil); err != nil {
			return nil, err
		}
	}
	if len(s.elements) == 0 {
		return nil, fmt.Errorf("load %s: no global element: %w", name, ErrSchema)
	}
	return s, nil
}

func (n *node) errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%s:%d: xs:%s: %s: %w", n.doc.file, n.line, n.local, fmt.Sprintf(format, args...), kind)
}

// file parses one schema document and registers its components. expectNS
// is the namespace an xs:include requires (nil for the main document and
// imports, which bring their own).
func (l *loader) file(name string, expectNS *string) error {
	name = path.Clean(name)
	if l.loaded[name] {
		return nil
	}
	l.loaded[name] = true
	data, err := fs.ReadFile(l.fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("load %s: %v: %w", name, err, ErrSchema)
		}
		return fmt.Errorf("load %s: %w", name, err)
	}
	root, err := parseSchemaDoc(name, data)
	if err != nil {
		return err
	}
	if root.local != "schema" {
		return root.errorf(ErrSchema, "the document element is not xs:schema")
	}
	if err := root.only("targetNamespace", "elementFormDefault", "attributeFormDefault", "version", "id"); err != nil {
		return err
	}
	doc := root.doc
	doc.tns = root.attrs["targetNamespace"]
	for attr, dst := range map[string]*bool{"elementFormDefault": &doc.qualified, "attributeFormDefault": &doc.attributeQualified} {
		switch root.attrs[attr] {
		case "qualified":
			*dst = true
		case "", "unqualified":
		default:
			return root.errorf(ErrSchema, "%s=%q", attr, root.attrs[attr])
		}
	}
	if expectNS != nil && doc.tns != *expectNS {
		return root.errorf(ErrUnsupported, "included schema has target namespace %q, not %q (chameleon include)", doc.tns, *expectNS)
	}
	for _, k := range root.kids {
		q := qname{doc.tns, k.attrs["name"]}
		switch k.local {
		case "annotation":
		case "include", "import":
			if err := k.only("schemaLocation", "namespace", "id"); err != nil {
				return err
			}
			loc, ok := k.attrs["schemaLocation"]
			if !ok {
				return k.errorf(ErrUnsupported, "without schemaLocation")
			}
			if strings.Contains(loc, "://") {
				return k.errorf(ErrUnsupported, "schemaLocation %q is not a file beside the schema", loc)
			}
			var want *string
			if k.local == "include" {
				want = &doc.tns
			} else if ns, ok := k.attrs["namespace"]; ok {
				want = &ns
			}
			if err := l.file(path.Join(path.Dir(name), loc), want); err != nil {
				return err
			}
		case "element", "simpleType", "complexType":
			if q.local == "" {
				return k.errorf(ErrSchema, "global declaration without a name")
			}
			m := map[string]map[qname]*node{"element": l.elements, "simpleType": l.simple, "complexType": l.complex}[k.local]
			if k.local != "element" {
				if _, dup := l.simple[q]; dup {
					return k.errorf(ErrSchema, "type %s defined twice", q.local)
				}
				if _, dup := l.complex[q]; dup {
					return k.errorf(ErrSchema, "type %s defined twice", q.local)
				}
			} else if _, dup := m[q]; dup {
				return k.errorf(ErrSchema, "element %s declared twice", q.local)
			}
			m[q] = k
		default:
			return k.errorf(ErrUnsupported, "top-level xs:%s", k.local)
		}
	}
	return nil
}

// parseSchemaDoc reads a schema document into nodes of the XML Schema
// namespace; text, comments and elements of other namespaces (inside
// xs:appinfo and xs:documentation) are dropped.
func parseSchemaDoc(file string, data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	doc := &schemaDoc{file: file}
	var stack []*node
	var root *node
	skip := 0
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v: %w", file, err, ErrSchema)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				continue
			}
			parentNS := map[string]string{"xml": "http://www.w3.org/XML/1998/namespace"}
			if len(stack) > 0 {
				parentNS = stack[len(stack)-1].ns
			}
			n := &node{local: t.Name.Local, attrs: map[string]string{}, ns: parentNS, line: line, doc: doc}
			copied := false
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
					if !copied {
						n.ns = make(map[string]string, len(parentNS)+1)
						for k, v := range parentNS {
							n.ns[k] = v
						}
						copied = true
					}
					if a.Name.Space == "xmlns" {
						n.ns[a.Name.Local] = a.Value
					} else {
						n.ns[""] = a.Value
					}
				case a.Name.Space == "":
					n.attrs[a.Name.Local] = a.Value
				}
			}
			if t.Name.Space != xsdNS {
				if len(stack) == 0 {
					return nil, fmt.Errorf("%s:%d: document element {%s}%s is not xs:schema: %w", file, line, t.Name.Space, t.Name.Local, ErrSchema)
				}
				return nil, n.errorf(ErrUnsupported, "element of namespace %q outside xs:appinfo", t.Name.Space)
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
			if n.local == "appinfo" || n.local == "documentation" {
				stack = stack[:len(stack)-1]
				skip = 1
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%s: no document element: %w", file, ErrSchema)
	}
	return root, nil
}

// only fails when n has an attribute outside names.
func (n *node) only(names ...string) error {
	for a := range n.attrs {
		ok := false
		for _, x := range names {
			if a == x {
				ok = true
				break
			}
		}
		if !ok {
			return n.errorf(ErrUnsupported, "attribute %s", a)
		}
	}
	return nil
}

func (n *node) qname(v string) (qname, error) {
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		prefix, local = "", v
	}
	ns, found := n.ns[prefix]
	if !found && prefix != "" {
		return qname{}, n.errorf(ErrSchema, "undeclared prefix in %q", v)
	}
	return qname{ns, local}, nil
}

// global returns the declaration of the global element q.
func (l *loader) global(q qname) (*elemDecl, error) {
	if d, ok := l.globals[q]; ok {
		return d, nil
	}
	n, ok := l.elements[q]
	if !ok {
		return nil, fmt.Errorf("no global element {%s}%s: %w", q.ns, q.local, ErrSchema)
	}
	if err := n.only("name", "type", "id"); err != nil {
		return nil, err
	}
	d := &elemDecl{name: q}
	l.globals[q] = d
	t, err := l.elementType(n)
	if err != nil {
		return nil, err
	}
	d.typ = t
	return d, nil
}

// elementType resolves the type of an element declaration: its type
// attribute or its anonymous type.
func (l *loader) elementType(n *node) (*typeDef, error) {
	var anon *node
	for _, k := range n.kids {
		switch k.local {
		case "annotation":
		case "simpleType", "complexType":
			if anon != nil {
				return nil, k.errorf(ErrSchema, "second anonymous type")
			}
			anon = k
		default:
			return nil, k.errorf(ErrUnsupported, "inside xs:element")
		}
	}
	tn, hasType := n.attrs["type"]
	switch {
	case hasType && anon != nil:
		return nil, n.errorf(ErrSchema, "both a type attribute and an anonymous type")
	case hasType:
		q, err := n.qname(tn)
		if err != nil {
			return nil, err
		}
		return l.typ(q, n)
	case anon != nil && anon.local == "simpleType":
		st, err := l.simpleType(anon, "anonymous type of "+n.attrs["name"])
		if err != nil {
			return nil, err
		}
		return &typeDef{name: st.name, simple: st, ready: true}, nil
	case anon != nil:
		t := &typeDef{name: "anonymous type of " + n.attrs["name"], complex: true}
		if err := l.complexType(anon, t); err != nil {
			return nil, err
		}
		return t, nil
	}
	return nil, n.errorf(ErrUnsupported, "element %s without a type (xs:anyType)", n.attrs["name"])
}

// typ resolves the named type q; from is the node that names it, for
// messages.
func (l *loader) typ(q qname, from *node) (*typeDef, error) {
	if t, ok := l.types[q]; ok {
		if !t.ready && !t.complex {
			if from == nil {
				return nil, fmt.Errorf("type %s is derived from itself: %w", q.local, ErrSchema)
			}
			return nil, from.errorf(ErrSchema, "type %s is derived from itself", q.local)
		}
		return t, nil
	}
	if q.ns == xsdNS {
		st := builtin(q.local)
		if st == nil {
			if from == nil {
				return nil, fmt.Errorf("built-in type xs:%s: %w", q.local, ErrUnsupported)
			}
			return nil, from.errorf(ErrUnsupported, "built-in type xs:%s", q.local)
		}
		t := &typeDef{name: "xs:" + q.local, simple: st, ready: true}
		l.types[q] = t
		return t, nil
	}
	if n, ok := l.simple[q]; ok {
		t := &typeDef{name: q.local}
		l.types[q] = t
		st, err := l.simpleType(n, q.local)
		if err != nil {
			return nil, err
		}
		t.simple, t.ready = st, true
		return t, nil
	}
	if n, ok := l.complex[q]; ok {
		t := &typeDef{name: q.local, complex: true}
		l.types[q] = t
		if err := l.complexType(n, t); err != nil {
			return nil, err
		}
		return t, nil
	}
	if from == nil {
		return nil, fmt.Errorf("type {%s}%s is not defined: %w", q.ns, q.local, ErrSchema)
	}
	return nil, from.errorf(ErrSchema, "type {%s}%s is not defined", q.ns, q.local)
}

func (l *loader) simpleType(n *node, name string) (*simpleType, error) {
	if err := n.only("name", "id"); err != nil {
		return nil, err
	}
	var r *node
	for _, k := range n.kids {
		switch k.local {
		case "annotation":
		case "restriction":
			r = k
		default:
			return nil, k.errorf(ErrUnsupported, "simple type %s by xs:%s", name, k.local)
		}
	}
	if r == nil {
		return nil, n.errorf(ErrSchema, "simple type %s without xs:restriction", name)
	}
	if err := r.only("base", "id"); err != nil {
		return nil, err
	}
	bq, err := r.qname(r.attrs["base"])
	if err != nil {
		return nil, err
	}
	if r.attrs["base"] == "" {
		return nil, r.errorf(ErrUnsupported, "restriction without a base attribute")
	}
	bt, err := l.typ(bq, r)
	if err != nil {
		return nil, err
	}
	if bt.simple == nil || bt.complex {
		return nil, r.errorf(ErrSchema, "simple type %s restricts the complex type %s", name, bt.name)
	}
	st := bt.simple.derive(name)
	var pats []pattern
	var enum []string
	for _, f := range r.kids {
		if f.local == "annotation" {
			continue
		}
		if err := f.only("value", "fixed", "id"); err != nil {
			return nil, err
		}
		v, ok := f.attrs["value"]
		if !ok {
			return nil, f.errorf(ErrSchema, "facet without a value")
		}
		if err := l.facet(st, f, v, &pats, &enum); err != nil {
			return nil, err
		}
	}
	if pats != nil {
		st.patterns = append(st.patterns, pats)
	}
	if enum != nil {
		st.enum = enum
	}
	return st, nil
}

func (l *loader) facet(st *simpleType, f *node, v string, pats *[]pattern, enum *[]string) error {
	count := func() (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, f.errorf(ErrSchema, "value %q is not a non-negative integer", v)
		}
		return n, nil
	}
	var err error
	switch f.local {
	case "pattern":
		re, cerr := compilePattern(v)
		if cerr != nil {
			return fmt.Errorf("%s:%d: %w", f.doc.file, f.line, cerr)
		}
		*pats = append(*pats, pattern{src: v, re: re})
	case "enumeration":
		if st.ws != wsPreserve {
			v = collapseSpace(v)
		}
		*enum = append(*enum, v)
	case "length", "minLength", "maxLength":
		if st.prim != primString {
			return f.errorf(ErrUnsupported, "xs:%s on %s", f.local, st.name)
		}
		dst := map[string]*int{"length": &st.length, "minLength": &st.minLen, "maxLength": &st.maxLen}[f.local]
		*dst, err = count()
	case "totalDigits", "fractionDigits":
		if !st.numeric() {
			return f.errorf(ErrSchema, "xs:%s on the non-numeric %s", f.local, st.name)
		}
		dst := map[string]*int{"totalDigits": &st.total, "fractionDigits": &st.fraction}[f.local]
		*dst, err = count()
	case "minInclusive", "maxInclusive", "minExclusive", "maxExclusive":
		if !st.numeric() {
			return f.errorf(ErrUnsupported, "xs:%s on the non-numeric %s", f.local, st.name)
		}
		if !isDecimal(v, false) {
			return f.errorf(ErrSchema, "bound %q is not a decimal number", v)
		}
		r, _ := new(big.Rat).SetString(strings.TrimPrefix(v, "+"))
		i := map[string]int{"minInclusive": 0, "maxInclusive": 1, "minExclusive": 2, "maxExclusive": 3}[f.local]
		*[]**big.Rat{&st.minIncl, &st.maxIncl, &st.minExcl, &st.maxExcl}[i] = r
		st.bounds[i] = v
	case "whiteSpace":
		switch v {
		case "preserve", "replace", "collapse":
			if st.prim != primString && v != "collapse" {
				return f.errorf(ErrSchema, "whiteSpace %s on %s", v, st.name)
			}
			st.ws = map[string]whiteSpace{"preserve": wsPreserve, "replace": wsReplace, "collapse": wsCollapse}[v]
		default:
			return f.errorf(ErrSchema, "whiteSpace %q", v)
		}
	default:
		return f.errorf(ErrUnsupported, "facet")
	}
	return err
}

func (l *loader) complexType(n *node, t *typeDef) error {
	if err := n.only("name", "mixed", "id"); err != nil {
		return err
	}
	switch n.attrs["mixed"] {
	case "true", "1":
		t.mixed = true
	case "", "false", "0":
	default:
		return n.errorf(ErrSchema, "mixed=%q", n.attrs["mixed"])
	}
	for _, k := range n.kids {
		switch k.local {
		case "annotation":
		case "sequence", "choice":
			if t.content != nil || t.simple != nil {
				return k.errorf(ErrSchema, "second content model in %s", t.name)
			}
			p, err := l.particle(k)
			if err != nil {
				return err
			}
			t.content = p
		case "simpleContent":
			if t.content != nil || t.simple != nil {
				return k.errorf(ErrSchema, "second content model in %s", t.name)
			}
			if err := l.simpleContent(k, t); err != nil {
				return err
			}
		case "attribute":
			a, err := l.attribute(k)
			if err != nil {
				return err
			}
			if a != nil {
				t.attrs = append(t.attrs, a)
			}
		default:
			return k.errorf(ErrUnsupported, "in complex type %s", t.name)
		}
	}
	if t.content != nil {
		t.content.computeEmptiable()
		t.names = map[qname]*particle{}
		t.content.collectNames(t.names)
	}
	t.ready = true
	return nil
}

func (l *loader) simpleContent(n *node, t *typeDef) error {
	var ext *node
	for _, k := range n.kids {
		switch k.local {
		case "annotation":
		case "extension":
			ext = k
		default:
			return k.errorf(ErrUnsupported, "simple content by xs:%s", k.local)
		}
	}
	if ext == nil {
		return n.errorf(ErrSchema, "without xs:extension")
	}
	if err := ext.only("base", "id"); err != nil {
		return err
	}
	bq, err := ext.qname(ext.attrs["base"])
	if err != nil {
		return err
	}
	bt, err := l.typ(bq, ext)
	if err != nil {
		return err
	}
	if !bt.ready {
		return ext.errorf(ErrSchema, "base %s is derived from this type", bt.name)
	}
	if bt.simple == nil {
		return ext.errorf(ErrSchema, "base %s has no simple content", bt.name)
	}
	t.simple = bt.simple
	t.attrs = append(t.attrs, bt.attrs...)
	for _, k := range ext.kids {
		switch k.local {
		case "annotation":
		case "attribute":
			a, err := l.attribute(k)
			if err != nil {
				return err
			}
			if a != nil {
				t.attrs = append(t.attrs, a)
			}
		default:
			return k.errorf(ErrUnsupported, "in a simple content extension")
		}
	}
	return nil
}

// attribute returns a local attribute declaration, or nil for a
// prohibited one.
func (l *loader) attribute(n *node) (*attrDecl, error) {
	if err := n.only("name", "type", "use", "id"); err != nil {
		return nil, err
	}
	name := n.attrs["name"]
	if name == "" {
		return nil, n.errorf(ErrSchema, "attribute without a name")
	}
	a := &attrDecl{name: qname{"", name}}
	if n.doc.attributeQualified {
		a.name.ns = n.doc.tns
	}
	switch n.attrs["use"] {
	case "required":
		a.required = true
	case "", "optional":
	case "prohibited":
		return nil, nil
	default:
		return nil, n.errorf(ErrSchema, "use=%q", n.attrs["use"])
	}
	var anon *node
	for _, k := range n.kids {
		switch k.local {
		case "annotation":
		case "simpleType":
			anon = k
		default:
			return nil, k.errorf(ErrUnsupported, "inside xs:attribute")
		}
	}
	switch tn, ok := n.attrs["type"]; {
	case ok && anon != nil:
		return nil, n.errorf(ErrSchema, "both a type attribute and an anonymous type")
	case ok:
		q, err := n.qname(tn)
		if err != nil {
			return nil, err
		}
		t, err := l.typ(q, n)
		if err != nil {
			return nil, err
		}
		if t.complex {
			return nil, n.errorf(ErrSchema, "attribute %s of the complex type %s", name, t.name)
		}
		a.typ = t.simple
	case anon != nil:
		st, err := l.simpleType(anon, "anonymous type of attribute "+name)
		if err != nil {
			return nil, err
		}
		a.typ = st
	default:
		a.typ = builtin("anySimpleType")
	}
	return a, nil
}

func (l *loader) occurs(n *node) (int, int, error) {
	lo, hi := 1, 1
	if v, ok := n.attrs["minOccurs"]; ok {
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			return 0, 0, n.errorf(ErrSchema, "minOccurs=%q", v)
		}
		lo = x
	}
	if v, ok := n.attrs["maxOccurs"]; ok {
		if v == "unbounded" {
			hi = -1
		} else {
			x, err := strconv.Atoi(v)
			if err != nil || x < 0 {
				return 0, 0, n.errorf(ErrSchema, "maxOccurs=%q", v)
			}
			hi = x
		}
	}
	if hi >= 0 && hi < lo {
		return 0, 0, n.errorf(ErrSchema, "maxOccurs %d below minOccurs %d", hi, lo)
	}
	return lo, hi, nil
}

func (l *loader) particle(n *node) (*particle, error) {
	p := &particle{}
	var err error
	switch n.local {
	case "element":
		p.kind = pElement
		if err := n.only("name", "type", "ref", "minOccurs", "maxOccurs", "form", "id"); err != nil {
			return nil, err
		}
		if p.min, p.max, err = l.occurs(n); err != nil {
			return nil, err
		}
		if ref, ok := n.attrs["ref"]; ok {
			if len(n.attrs) > 0 && (n.attrs["name"] != "" || n.attrs["type"] != "" || len(n.kids) > 0) {
				return nil, n.errorf(ErrSchema, "ref with a name, type or anonymous type")
			}
			q, err := n.qname(ref)
			if err != nil {
				return nil, err
			}
			if p.decl, err = l.global(q); err != nil {
				return nil, err
			}
		} else {
			name := n.attrs["name"]
			if name == "" {
				return nil, n.errorf(ErrSchema, "local element without a name")
			}
			d := &elemDecl{name: qname{"", name}}
			switch n.attrs["form"] {
			case "qualified":
				d.name.ns = n.doc.tns
			case "unqualified":
			case "":
				if n.doc.qualified {
					d.name.ns = n.doc.tns
				}
			default:
				return nil, n.errorf(ErrSchema, "form=%q", n.attrs["form"])
			}
			if d.typ, err = l.elementType(n); err != nil {
				return nil, err
			}
			p.decl = d
		}
		p.name = p.decl.name
	case "any":
		p.kind = pAny
		if err := n.only("namespace", "processContents", "minOccurs", "maxOccurs", "id"); err != nil {
			return nil, err
		}
		if p.min, p.max, err = l.occurs(n); err != nil {
			return nil, err
		}
		switch ns := strings.Fields(n.attrs["namespace"]); {
		case len(ns) == 0 || (len(ns) == 1 && ns[0] == "##any"):
			p.wildcard.any = true
		case len(ns) == 1 && ns[0] == "##other":
			p.wildcard.other = n.doc.tns
			if p.wildcard.other == "" {
				return nil, n.errorf(ErrUnsupported, "##other in a schema without a target namespace")
			}
		default:
			p.wildcard.list = []string{}
			for _, x := range ns {
				switch x {
				case "##targetNamespace":
					x = n.doc.tns
				case "##local":
					x = ""
				case "##any", "##other":
					return nil, n.errorf(ErrSchema, "%s in a list", x)
				}
				p.wildcard.list = append(p.wildcard.list, x)
			}
		}
		switch n.attrs["processContents"] {
		case "", "strict":
			p.process = processStrict
		case "lax":
			p.process = processLax
		case "skip":
			p.process = processSkip
		default:
			return nil, n.errorf(ErrSchema, "processContents=%q", n.attrs["processContents"])
		}
	case "sequence", "choice":
		p.kind = pSequence
		if n.local == "choice" {
			p.kind = pChoice
		}
		if err := n.only("minOccurs", "maxOccurs", "id"); err != nil {
			return nil, err
		}
		if p.min, p.max, err = l.occurs(n); err != nil {
			return nil, err
		}
		for _, k := range n.kids {
			switch k.local {
			case "annotation":
				continue
			case "element", "any", "sequence", "choice":
			default:
				return nil, k.errorf(ErrUnsupported, "inside xs:%s", n.local)
			}
			kp, err := l.particle(k)
			if err != nil {
				return nil, err
			}
			p.kids = append(p.kids, kp)
		}
	default:
		return nil, n.errorf(ErrUnsupported, "as a particle")
	}
	return p, nil
}
