package parse

import (
	"errors"
	"io"
)

// camtFormat is a placeholder until the camt parser lands.
var camtFormat = format{
	name:   "camt",
	detect: func([]byte) bool { return false },
	emit: func(io.Reader, Options, *Writer) (Result, error) {
		return Result{}, errors.New("camt: not implemented yet")
	},
}
