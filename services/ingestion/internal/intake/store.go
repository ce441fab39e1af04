package intake

import (
	"context"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
)

// Store is what the import reads and writes: its records, the keys by
// which it deduplicates, the counterparties' master data, and the events
// (through the event store). Errors are storage failures, returned wrapped
// as they are; a failed Commit may have stored its events but not its
// rows, which the next attempt finds again by the events' ids.
type Store interface {
	// Lock holds the tenant's import lock until unlock is called: imports
	// of one tenant run one at a time (across processes), so that two of
	// them cannot both take the same booking for new.
	Lock(ctx context.Context, tenant string) (unlock func(), err error)
	// Imported returns the tenant's import of the file with sha256 that
	// ended IMPORTED, if any.
	Imported(ctx context.Context, tenant, sha256 string) (Record, bool, error)
	// SaveImport stores an import record.
	SaveImport(ctx context.Context, r Record) error
	// Imports lists the tenant's import records newest first, at most
	// limit, starting after the record at before when it is set.
	Imports(ctx context.Context, tenant string, limit int, before *ImportCursor) ([]Record, error)
	// Keys returns the transaction id stored under each of keys that is
	// stored.
	Keys(ctx context.Context, tenant string, keys []string) (map[string]string, error)
	// Occurrences returns, per fingerprint, how many booked transactions
	// with that fingerprint are stored for the account (missing means 0).
	Occurrences(ctx context.Context, tenant, account string, fingerprints []string) (map[string]int, error)
	// LinkTargets returns, per notification key (see linkKey), the
	// transaction id of the first stored booked entry (its first
	// transaction) it matches: a key with Ref by the entry's bank
	// reference, another by amount, booking date and entry reference.
	LinkTargets(ctx context.Context, tenant, account string, keys []LinkKey) (map[LinkKey]string, error)
	// WaitingNotices returns, per target key (see targetKeys), the ids of
	// the stored notification transactions linked to nothing yet whose own
	// key it is: a key with Ref matches notices with that bank reference,
	// another notices without one and with that amount, booking date and
	// entry reference.
	WaitingNotices(ctx context.Context, tenant, account string, keys []LinkKey) (map[LinkKey][]string, error)
	// SettlementKnown reports whether the settlement report was received
	// completely before.
	SettlementKnown(ctx context.Context, tenant, marketplace, id string) (bool, error)
	// Commit appends the batch's events to the event store, each once by
	// its id (an id stored with the same content is a replay, one stored
	// with other content is skipped and counted in Skipped; both are
	// listed in StoredBefore), then stores its rows in one transaction.
	Commit(ctx context.Context, b *Batch) (CommitResult, error)
	// Counterparties returns the master data of the ids that exist, in the
	// order asked.
	Counterparties(ctx context.Context, tenant string, ids []string) ([]Counterparty, error)
}

// ImportCursor is a position in a tenant's list of imports.
type ImportCursor struct {
	At time.Time
	ID string
}

// LinkKey is how a camt.054 notification entry finds the statement entry
// it details: by the bank's reference of the entry when it has one (Ref),
// else by the entry's signed amount, booking date and entry reference.
type LinkKey struct {
	Ref         string
	Amount      int64
	BookingDate string
	EntryRef    string
}

// linkKey returns the key by which the notification transaction t finds
// its statement entry: the entry's bank reference, else its amount,
// booking date and entry reference; false when t has neither (linking by
// less would risk linking the wrong entry).
func linkKey(t *Transaction) (LinkKey, bool) {
	if ref := t.EntryBankReference; !placeholder(ref) {
		return LinkKey{Ref: ref}, true
	}
	if t.EntryAmount != 0 && t.BookingDate != "" && !placeholder(t.EntryReference) {
		return LinkKey{Amount: t.EntryAmount, BookingDate: t.BookingDate, EntryRef: t.EntryReference}, true
	}
	return LinkKey{}, false
}

// placeholder reports reference values that identify nothing.
func placeholder(s string) bool {
	switch s {
	case "", "NOTPROVIDED", "NONREF", "NONE", "N/A":
		return true
	}
	return false
}

// Event is one event to append: its own stream, a deterministic id and
// the business time it occurred at.
type Event struct {
	Stream     es.StreamID
	ID         uuid.UUID
	OccurredAt time.Time
	// Actor is who imported the file; CorrelationID the file's SHA-256.
	Actor, CorrelationID string
	Payload              proto.Message
}

// StoredTransaction is the row the import keeps per transaction it
// emitted, for deduplication and linking.
type StoredTransaction struct {
	ID      string
	Account string
	// Fingerprint and Occurrence: a booked transaction is the
	// Occurrence-th booking with this fingerprint on the account; both
	// are zero for one that does not book.
	Fingerprint string
	Occurrence  int
	Books       bool
	// Notice is set for a camt.054 transaction, which gets linked to the
	// booked entry it details.
	Notice  bool
	TxIndex int
	// The entry's link fields: its bank reference and entry reference (""
	// for none or a placeholder), signed amount and booking date. A
	// booked entry's first transaction is a link target.
	LinkRef     string
	EntryAmount int64
	BookingDate string
	EntryRef    string
	// DetailOf is, for a notice, the booked transaction it details.
	DetailOf   string
	Statement  string
	FileSHA256 string
}

// Key is a position key (see positionKey) and the transaction id it was
// first stored under.
type Key struct {
	Key           string
	TransactionID string
}

// Link records that a notification transaction details a booked one.
type Link struct {
	Notice, DetailOf string
}

// Counterparty is one bank counterparty's master data: personal data,
// kept out of the events and erasable.
type Counterparty struct {
	ID        string
	Name      string
	IBAN      string
	BIC       string
	FirstSeen time.Time
	Erased    bool
}

// StoredSettlement records that a settlement report was received
// completely.
type StoredSettlement struct {
	Marketplace, ID string
	FileSHA256      string
	Lines           int
}

// Batch is what one Commit stores.
type Batch struct {
	Tenant         string
	Events         []Event
	Transactions   []StoredTransaction
	Keys           []Key
	Links          []Link
	Counterparties []Counterparty
	Settlement     *StoredSettlement
}

// empty reports whether the batch stores nothing.
func (b *Batch) empty() bool {
	return len(b.Events) == 0 && len(b.Transactions) == 0 && len(b.Keys) == 0 && len(b.Links) == 0 &&
		len(b.Counterparties) == 0 && b.Settlement == nil
}

// CommitResult says what a Commit did.
type CommitResult struct {
	// Skipped counts events whose id was stored already with other content
	// (an earlier, interrupted import of the same data by another actor or
	// from another file): they are not appended again.
	Skipped int
	// StoredBefore lists, in ascending order, the indexes in Batch.Events
	// of the events whose id was stored already, with the same content (a
	// replay: an interrupted import of the same file stored it and not its
	// rows) or with other content (counted in Skipped). Neither was
	// appended by this Commit.
	StoredBefore []int
}
