package auth

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrNoAuth means a server's authentication is not configured, or not
// completely: O2C_AUTH is unset or unknown, or its mode lacks a setting.
var ErrNoAuth = errors.New("authentication not configured")

// ErrDevInProduction means development mode was asked for with
// O2C_ENV=production.
var ErrDevInProduction = errors.New("development mode refused in production")

// ErrBadConfig means a file or URL the configuration names cannot be used
// (unreadable, malformed, no usable key, a principal that cannot exist).
var ErrBadConfig = errors.New("unusable authentication configuration")

// ErrNoCredentials means a call presents no credentials the server
// accepts (no verified client certificate, no bearer token).
var ErrNoCredentials = errors.New("no credentials")

// ErrBadCredentials means a call's credentials are not valid: unknown
// token, bad signature, expired, wrong issuer or audience, or describing a
// principal that cannot exist.
var ErrBadCredentials = errors.New("invalid credentials")

// ErrRoleDenied means the caller holds none of the roles the method's
// rule names.
var ErrRoleDenied = errors.New("role may not call this method")

// ErrNoPolicy means the method has no rule in the server's policy: it is
// refused for everyone, and the server refuses to start with it.
var ErrNoPolicy = errors.New("method without an access policy")

// ErrBadPolicy means policy tables that cannot be merged: two give the
// same method a rule, or a rule names no role and is not public.
var ErrBadPolicy = errors.New("bad access policy")

// Errors classifies the package's errors. The Guard answers the
// authentication failures with UNAUTHENTICATED itself; the classes here
// serve everyone else.
var Errors = fault.Table{
	{Err: ErrNoAuth, Class: fault.Invalid},
	{Err: ErrDevInProduction, Class: fault.Invalid},
	{Err: ErrBadConfig, Class: fault.Invalid},
	{Err: ErrNoCredentials, Class: fault.Forbidden},
	{Err: ErrBadCredentials, Class: fault.Forbidden},
	{Err: ErrRoleDenied, Class: fault.Forbidden},
	{Err: ErrNoPolicy, Class: fault.Forbidden},
	{Err: ErrBadPolicy, Class: fault.Invalid},
}
