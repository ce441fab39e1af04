package identity

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrNoPrincipal means a handler was reached without an authenticated
// caller: the server lacks its authentication interceptor.
var ErrNoPrincipal = errors.New("no authenticated caller")

// ErrForeignTenant means the caller names a tenant it does not act for.
var ErrForeignTenant = errors.New("tenant outside the caller's")

// ErrNoTenant means a caller that is not cross-tenant named no tenant
// (asked about all tenants, or about a record of no tenant).
var ErrNoTenant = errors.New("no tenant named")

// ErrInvalidPrincipal means credentials describe a principal that cannot
// exist (no actor, an unknown role, "*" for a role other than platform
// admin); the credentials are refused.
var ErrInvalidPrincipal = errors.New("invalid principal")

// ErrUnknownRole means a role name that is not one of Roles.
var ErrUnknownRole = errors.New("unknown role")

// Errors classifies the package's errors.
var Errors = fault.Table{
	{Err: ErrNoPrincipal, Class: fault.Forbidden},
	{Err: ErrForeignTenant, Class: fault.Forbidden},
	{Err: ErrNoTenant, Class: fault.Forbidden},
	{Err: ErrInvalidPrincipal, Class: fault.Invalid},
	{Err: ErrUnknownRole, Class: fault.Invalid},
}
