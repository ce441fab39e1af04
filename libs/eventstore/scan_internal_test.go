package eventstore

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// rawRows is one row of eventColumns as PostgreSQL sends it in binary
// formats, for rowScanner; Scan fails, so a fallback shows.
type rawRows struct {
	pgx.Rows
	formats []int16
	values  [][]byte
}

func (r rawRows) FieldDescriptions() []pgconn.FieldDescription {
	out := make([]pgconn.FieldDescription, len(r.formats))
	for i, f := range r.formats {
		out[i].Format = f
	}
	return out
}

func (r rawRows) RawValues() [][]byte { return r.values }

func (r rawRows) Scan(...any) error { return errors.New("fell back to Scan") }

// TestRowScannerDecodesBinaryColumns builds a row of the event columns in
// PostgreSQL's binary formats by hand and checks that rowScanner decodes
// every column itself, and that it falls back to Scan for a column in
// another format.
func TestRowScannerDecodesBinaryColumns(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	occurred := time.Date(2026, 11, 1, 12, 30, 45, 123456000, time.UTC)
	recorded := time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC) // before PostgreSQL's epoch
	i64 := func(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
	ts := func(t time.Time) []byte { return i64(t.UnixMicro() - 946684800*1e6) }
	content, chain := make([]byte, 32), make([]byte, 32)
	for i := range content {
		content[i], chain[i] = byte(i), byte(255-i)
	}
	row := func() rawRows {
		r := rawRows{values: [][]byte{
			id[:], []byte("o2c.ledger.v1.JournalEntryPosted"), []byte("acme"), []byte("entry"), []byte("E-1"), i64(3), ts(occurred), ts(recorded),
			[]byte("cause"), []byte(""), []byte("service:ledger"), []byte("00-tp"), []byte(""), i64(42), []byte("18446744073709551615"),
			[]byte("payload"), content, chain,
		}}
		for range r.values {
			r.formats = append(r.formats, pgx.BinaryFormatCode)
		}
		r.formats[1] = pgx.TextFormatCode // text arrives as either
		return r
	}
	want := Event{Envelope: Envelope{
		EventID: id, Type: "o2c.ledger.v1.JournalEntryPosted", Stream: StreamID{Tenant: "acme", Type: "entry", ID: "E-1"}, Version: 3,
		OccurredAt: occurred, RecordedAt: recorded, CausationID: "cause", Actor: "service:ledger", TraceParent: "00-tp",
		Position: 42, Cursor: Cursor{TxID: 18446744073709551615, Position: 42}, ContentHash: content, ChainHash: chain,
	}, Data: []byte("payload")}
	var sc rowScanner
	s := &Store{}
	got, err := sc.scan(s, row(), false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded event (-want +got):\n%s", diff)
	}
	// A second row shares the repeated strings and still decodes alike.
	if got, err = sc.scan(s, row(), false); err != nil || !cmp.Equal(want, got) {
		t.Errorf("second row: %+v, %v", got, err)
	}

	textVersion := row()
	textVersion.formats[5] = pgx.TextFormatCode
	if _, err := (&rowScanner{}).scan(s, textVersion, false); err == nil || err.Error() != "fell back to Scan" {
		t.Errorf("version in text format: %v, want the fallback to Scan", err)
	}
}
