package directorytest_test

import (
	"testing"
	"time"

	"github.com/o2c-platform/o2c/libs/eventstore/memstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/books/directorytest"
)

func TestMemoryDirectory(t *testing.T) {
	t.Parallel()
	directorytest.Run(t, func(testing.TB) books.Directory { return books.NewMemoryDirectory() })
}

func TestLogPostings(t *testing.T) {
	t.Parallel()
	directorytest.RunPostings(t, func(testing.TB) (books.EventStore, books.Postings) {
		events := memstore.New(time.Now)
		return events, books.LogPostings{Log: events}
	})
}
