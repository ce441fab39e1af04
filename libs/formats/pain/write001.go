package pain

import (
	"errors"
	"io"
)

// WritePayout writes p as a pain.001.001.09 message with one payment
// information block: counts and control sums computed, every field checked
// first, nothing written when a check fails.
func WritePayout(w io.Writer, p Payout) error {
	return errors.New("pain: WritePayout not implemented yet")
}
