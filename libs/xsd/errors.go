package xsd

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrUnsupported means the schema uses a construct of XML Schema 1.0 that
// this package does not implement (for example xs:all, xs:union, a
// complexContent derivation or a regular expression feature Go's regexp
// cannot express). Load refuses such a schema instead of validating less
// than the schema says.
var ErrUnsupported = errors.New("schema construct not supported")

// ErrSchema means the schema itself is broken: it is not well-formed XML,
// references a type or file that does not exist, or breaks a rule of XML
// Schema (a facet value that is not a number, a pattern that does not
// compile).
var ErrSchema = errors.New("invalid schema")

// Errors classifies the package's errors. Both are the schema author's to
// fix: sending the same schema again changes nothing.
var Errors = fault.Table{
	{Err: ErrUnsupported, Class: fault.Invalid},
	{Err: ErrSchema, Class: fault.Invalid},
}
