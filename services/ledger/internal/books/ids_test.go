package books_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// TestDerivedIDsAreNameBasedUUIDs pins the derived ids to RFC 4122 version
// 5 UUIDs of their documented inputs, as uuid.NewSHA1 computes them: ids
// are stored in events for ever and must never change.
func TestDerivedIDsAreNameBasedUUIDs(t *testing.T) {
	t.Parallel()
	entryNamespace := uuid.MustParse("0f7a3c52-9d1e-5b84-a6c3-2e5d8f1b9a70")
	namespace := uuid.MustParse("6b1d8e0c-2f4a-5d3e-8c7b-0a9f1e2d3c4b")
	long := strings.Repeat("key-", 100) // longer than the stack buffer
	for _, tc := range []struct{ tenant, key string }{{"acme", "k-1"}, {"acme", ""}, {"", "k"}, {"acme", long}} {
		if got, want := books.JournalEntryID(tc.tenant, tc.key), uuid.NewSHA1(entryNamespace, []byte(tc.tenant+"\x00"+tc.key)); got != want {
			t.Errorf("JournalEntryID(%q, %.20q) = %s, want %s", tc.tenant, tc.key, got, want)
		}
	}
	source := uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	for _, kind := range []string{"journal-entry-posted", "", long} {
		if got, want := books.DerivedID(source, kind), uuid.NewSHA1(namespace, append(source[:], kind...)); got != want {
			t.Errorf("DerivedID(%s, %.20q) = %s, want %s", source, kind, got, want)
		}
	}
}
