package database

import "github.com/o2c-platform/o2c/libs/fault"

// Classify sorts PostgreSQL errors for a service's fault chain: what
// IsPermanent knows the server refuses for the data itself is Invalid,
// since the same message fails the same way every time; what IsTransient
// knows goes away by itself is Transient. Anything else is Unknown.
func Classify(err error) fault.Class {
	switch {
	case IsPermanent(err):
		return fault.Invalid
	case IsTransient(err):
		return fault.Transient
	}
	return fault.Unknown
}
