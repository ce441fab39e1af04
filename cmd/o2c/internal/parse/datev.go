package parse

import (
	"errors"
	"io"
)

// datevFormat is a placeholder until the datev parser lands.
var datevFormat = format{
	name:   "datev",
	detect: func([]byte) bool { return false },
	emit: func(io.Reader, Options, *Writer) (Result, error) {
		return Result{}, errors.New("datev: not implemented yet")
	},
}
