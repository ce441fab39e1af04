package parse

import (
	"errors"
	"io"
)

// mt940Format is a placeholder until the mt940 parser lands.
var mt940Format = format{
	name:   "mt940",
	detect: func([]byte) bool { return false },
	emit: func(io.Reader, Options, *Writer) (Result, error) {
		return Result{}, errors.New("mt940: not implemented yet")
	},
}
