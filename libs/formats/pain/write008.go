package pain

import (
	"errors"
	"io"
)

// WriteCollection writes c as a pain.008.001.08 message: counts and
// control sums computed, every field checked first, nothing written when
// a check fails.
func WriteCollection(w io.Writer, c Collection) error {
	return errors.New("pain: WriteCollection not implemented yet")
}
