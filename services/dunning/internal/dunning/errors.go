package dunning

import (
	"errors"
	"fmt"
)

// ErrInvalidConfig means the tenants file's dunning section is malformed or
// breaks a rule (a level out of order, an unknown fee kind, a fee the law
// does not allow). The wrapped *ConfigError names the element path.
var ErrInvalidConfig = errors.New("invalid dunning configuration")

// ConfigError says where in the tenants file a dunning setting is wrong and
// why; Path is the element path, e.g. "dunning.procedures[1].levels[0].fee.kind".
type ConfigError struct {
	Path   string
	Reason string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("%s: %s", e.Path, e.Reason) }

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// ErrInvalidInput means the input of a decision is malformed: an item of
// another debtor or currency, an open amount beyond its amount or negative,
// a date missing, a day count that is not known.
var ErrInvalidInput = errors.New("invalid dunning input")

// ErrNoProcedure means no procedure of the configuration is valid on the
// decision's date for the debtor's group.
var ErrNoProcedure = errors.New("no dunning procedure for the debtor's group on that date")

// ErrNoBaseRate means the base-rate table has no rate for a day an interest
// period covers (a day before the table starts).
var ErrNoBaseRate = errors.New("no base rate for the date")

// ErrOverflow means a sum or product of amounts does not fit into int64
// (it wraps money.ErrOverflow).
var ErrOverflow = errors.New("amount overflow")
