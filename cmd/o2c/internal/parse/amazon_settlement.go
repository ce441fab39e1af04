package parse

import (
	"errors"
	"io"
)

// settlementFormat is a placeholder until the amazon-settlement parser lands.
var settlementFormat = format{
	name:   "amazon-settlement",
	detect: func([]byte) bool { return false },
	emit: func(io.Reader, Options, *Writer) (Result, error) {
		return Result{}, errors.New("amazon-settlement: not implemented yet")
	},
}
