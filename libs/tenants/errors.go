package tenants

import (
	"errors"
	"fmt"
	"strings"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrUnknownTenant means a message or request names a well-formed tenant id
// that the tenants file does not list. Tenants exist only when configured,
// so a typo in a subject never starts new books. The wrapped
// *UnknownTenantError names the tenant.
var ErrUnknownTenant = errors.New("unknown tenant")

// ErrInvalidTenantID means a string that should name a tenant is not a
// tenant id at all (see package tenant).
var ErrInvalidTenantID = errors.New("not a tenant id")

// ErrInvalidFile means a tenants file cannot be used; the wrapped *FileError
// lists every problem with its file, tenant and field. A service refuses to
// start with it.
var ErrInvalidFile = errors.New("invalid tenants file")

// Errors classifies the package's sentinels. Services chain it into their
// fault chain, so an unknown tenant is a rejection a consumer records and
// an RPC answers with NOT_FOUND.
var Errors = fault.Table{
	{Err: ErrUnknownTenant, Class: fault.NotFound},
	{Err: ErrInvalidTenantID, Class: fault.Invalid},
	{Err: ErrInvalidFile, Class: fault.Invalid},
}

// UnknownTenantError is the typed form of ErrUnknownTenant.
type UnknownTenantError struct {
	Tenant string
}

func (e *UnknownTenantError) Error() string {
	return fmt.Sprintf("tenant %s does not exist (not in the tenants file)", e.Tenant)
}

// Is makes errors.Is(err, ErrUnknownTenant) true.
func (e *UnknownTenantError) Is(target error) bool { return target == ErrUnknownTenant }

// Problem is one thing wrong with a tenants file.
type Problem struct {
	// File is the file's path as it was given.
	File string
	// Line is the 1-based line the problem is on; 0 when it is not known
	// (a problem found after parsing, or a missing field).
	Line int
	// Tenant is the tenant id the problem is under; empty for the file's
	// top level and for defaults.
	Tenant string
	// Field is the path of the field inside the tenant (or the file, when
	// Tenant is empty), e.g. `ledger.tax[0].rate_bp` or
	// `ledger.banks["DE02120300000000202051"]`; empty for the tenant (or
	// file) as a whole.
	Field string
	// Message says what is wrong and what is wanted.
	Message string
}

// String formats p as "FILE[:LINE]: [tenant T: ][FIELD: ]MESSAGE".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Tenant != "" {
		fmt.Fprintf(&b, "tenant %s: ", p.Tenant)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// FileError lists every problem found in a tenants file, in the order of
// the file. errors.Is(err, ErrInvalidFile) is true.
type FileError struct {
	Problems []Problem
}

func (e *FileError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	if len(lines) == 1 {
		return "invalid tenants file: " + lines[0]
	}
	return fmt.Sprintf("invalid tenants file, %d problems:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// Is makes errors.Is(err, ErrInvalidFile) true.
func (e *FileError) Is(target error) bool { return target == ErrInvalidFile }
