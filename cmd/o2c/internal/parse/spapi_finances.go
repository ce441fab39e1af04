package parse

import (
	"errors"
	"io"
)

// spapiFormat is a placeholder until the spapi-finances parser lands.
var spapiFormat = format{
	name:   "spapi-finances",
	detect: func([]byte) bool { return false },
	emit: func(io.Reader, Options, *Writer) (Result, error) {
		return Result{}, errors.New("spapi-finances: not implemented yet")
	},
}
