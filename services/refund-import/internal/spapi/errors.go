package spapi

import "errors"

// ErrInvalidWindow means a posted window breaks SP-API's rules (empty or
// reversed, longer than 180 days, or ending less than two minutes before
// now); the client refuses it before sending anything.
var ErrInvalidWindow = errors.New("invalid posted window")

// ErrThrottled means SP-API kept answering 429 after the client's retries.
var ErrThrottled = errors.New("throttled by SP-API")

// ErrUnauthorized means Login with Amazon refused the credentials, or
// SP-API refused the access token even after a refresh (401, or a 403 that
// is not an expired token).
var ErrUnauthorized = errors.New("not authorized by SP-API")

// ErrUpstream means SP-API failed (5xx or a network error) after the
// client's retries, or answered something the client cannot read.
var ErrUpstream = errors.New("SP-API failed")

// ErrBadRequest means SP-API refused a request as invalid (400 or 404);
// the wrapped *APIError carries its error list.
var ErrBadRequest = errors.New("SP-API refused the request")

// ErrConfig means the client's configuration is incomplete: no endpoint
// for the region, or missing credentials.
var ErrConfig = errors.New("invalid SP-API client configuration")
