package database

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/o2c-platform/o2c/libs/fault"
)

// Classify sorts PostgreSQL errors for a service's fault chain: what the
// server refuses because of the data itself — data exceptions (SQLSTATE
// class 22, e.g. a NUL byte in text), integrity violations (23) and program
// limits (54, e.g. an index row too large) — is Invalid, since the same
// message fails the same way every time; lost connections, resource
// shortages, operator intervention and serialization failures are
// Transient. Anything else is Unknown.
func Classify(err error) fault.Class {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "22"), strings.HasPrefix(pg.Code, "23"), strings.HasPrefix(pg.Code, "54"):
			return fault.Invalid
		case strings.HasPrefix(pg.Code, "08"), strings.HasPrefix(pg.Code, "53"), strings.HasPrefix(pg.Code, "57"),
			pg.Code == "40001", pg.Code == "40P01":
			return fault.Transient
		}
		return fault.Unknown
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return fault.Transient
	}
	return fault.Unknown
}
