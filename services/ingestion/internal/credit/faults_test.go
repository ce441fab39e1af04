package credit

import (
	"testing"

	"github.com/o2c-platform/o2c/libs/fault/faulttest"
)

// TestErrorsClassifyEverySentinel fails when a sentinel error of the
// package has no class, and so no gRPC code.
func TestErrorsClassifyEverySentinel(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", Errors)
}
