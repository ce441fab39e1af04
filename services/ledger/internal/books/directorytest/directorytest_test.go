package directorytest_test

import (
	"testing"

	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/books/directorytest"
)

func TestMemoryDirectory(t *testing.T) {
	t.Parallel()
	directorytest.Run(t, func(testing.TB) books.Directory { return books.NewMemoryDirectory() })
}
