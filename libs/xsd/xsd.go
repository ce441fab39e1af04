// Package xsd validates XML documents against a W3C XML Schema, in pure Go
// and as a stream: the document is read token by token with encoding/xml
// and a stack of content-model states, never held in memory as a tree.
//
// It implements the subset of XML Schema 1.0 that the ISO 20022 message
// schemas (camt, pain) use: one target namespace per schema document (with
// xs:include and xs:import of files beside it), named and anonymous complex
// types with nested xs:sequence and xs:choice and minOccurs/maxOccurs
// (including unbounded), xs:any, simpleContent extensions with attributes,
// and simple types restricting the built-in string, decimal, integer,
// boolean, date, dateTime, time, gYear and gYearMonth types by pattern,
// enumeration, length, minLength, maxLength, totalDigits, fractionDigits
// and the four bounds (on numbers). Load fails with ErrUnsupported on
// anything else rather than validating less than the schema says: among
// others xs:all, xs:group and xs:attributeGroup, complexContent
// derivations, xs:list and xs:union, substitution groups, default and
// fixed values, nillable, identity constraints (xs:key, xs:unique),
// attribute wildcards, global attributes, Unicode block escapes in
// patterns. In documents, xsi:type and xsi:nil are reported as problems;
// xsi:schemaLocation is ignored.
//
// Content models are matched greedily, one element at a time, which is
// exact for schemas that keep XML Schema's Unique Particle Attribution
// rule (as valid schemas must). An enumeration of a numeric type compares
// the whitespace-collapsed spelling, not the value.
package xsd

import (
	"fmt"
)

// MaxProblems is the number of problems after which Validate stops reading.
const MaxProblems = 100

// Problem is one way a document breaks its schema.
type Problem struct {
	// Line is the 1-based line of the document where the problem was
	// found: the start tag of the element that is misplaced or whose value
	// or attribute is wrong; for a required element missing before
	// another, that other's start tag; for one missing at the end, the
	// parent's end tag.
	Line int
	// Path names the element, e.g.
	// /Document/CstmrDrctDbtInitn/PmtInf[1]/DrctDbtTxInf[3]/InstdAmt (for
	// a missing child: its parent). An element the schema lets occur more
	// than once carries its 1-based position among its siblings of that
	// name; an element of a namespace other than the document element's
	// is written {namespace}name.
	Path string
	// Msg says what is wrong.
	Msg string
}

// String formats the problem as "line 42 /Document/...: msg".
func (p Problem) String() string {
	return fmt.Sprintf("line %d %s: %s", p.Line, p.Path, p.Msg)
}

// Schema is a loaded schema, safe for concurrent use by many Validate
// calls.
type Schema struct {
	elements map[qname]*elemDecl
}
