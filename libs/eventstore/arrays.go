package eventstore

import (
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// The array parameters below are what a multi-row statement (unnest over
// one array per column) binds. pgx encodes a plain Go slice through
// pgtype.ArrayGetter.Index, which returns each element as an interface
// value, so every string, int64 above 255, time and byte slice is copied to
// the heap once per row and column: about fifteen allocations per event
// appended, as many per journal line a read model writes beside them.
// These types hand pgx a pointer to the element instead (a pointer in an
// interface is not copied) and the element type implements the codec's
// Valuer interface; pgx then writes the same binary array as for the plain
// slice.

// TextArray is a text[] parameter.
type TextArray []string

// UUIDArray is a uuid[] parameter.
type UUIDArray []uuid.UUID

// Int64Array is a bigint[] (or int[]) parameter.
type Int64Array []int64

// TimeArray is a timestamptz[] parameter.
type TimeArray []time.Time

// DateArray is a date[] parameter: each time's year, month and day as its
// location has them.
type DateArray []time.Time

// BytesArray is a bytea[] parameter; a nil element is NULL, as in a plain
// [][]byte.
type BytesArray [][]byte

type (
	textElem  string
	uuidElem  uuid.UUID
	int64Elem int64
	timeElem  time.Time
	dateElem  time.Time
	bytesElem []byte
)

func dims(n int) []pgtype.ArrayDimension {
	return []pgtype.ArrayDimension{{Length: int32(n), LowerBound: 1}}
}

// Dimensions implements pgtype.ArrayGetter.
func (a TextArray) Dimensions() []pgtype.ArrayDimension { return dims(len(a)) }

// Index implements pgtype.ArrayGetter.
func (a TextArray) Index(i int) any { return (*textElem)(&a[i]) }

// IndexType implements pgtype.ArrayGetter.
func (a TextArray) IndexType() any { return (*textElem)(nil) }

// Dimensions implements pgtype.ArrayGetter.
func (a UUIDArray) Dimensions() []pgtype.ArrayDimension { return dims(len(a)) }

// Index implements pgtype.ArrayGetter.
func (a UUIDArray) Index(i int) any { return (*uuidElem)(&a[i]) }

// IndexType implements pgtype.ArrayGetter.
func (a UUIDArray) IndexType() any { return (*uuidElem)(nil) }

// Dimensions implements pgtype.ArrayGetter.
func (a Int64Array) Dimensions() []pgtype.ArrayDimension { return dims(len(a)) }

// Index implements pgtype.ArrayGetter.
func (a Int64Array) Index(i int) any { return (*int64Elem)(&a[i]) }

// IndexType implements pgtype.ArrayGetter.
func (a Int64Array) IndexType() any { return (*int64Elem)(nil) }

// Dimensions implements pgtype.ArrayGetter.
func (a TimeArray) Dimensions() []pgtype.ArrayDimension { return dims(len(a)) }

// Index implements pgtype.ArrayGetter.
func (a TimeArray) Index(i int) any { return (*timeElem)(&a[i]) }

// IndexType implements pgtype.ArrayGetter.
func (a TimeArray) IndexType() any { return (*timeElem)(nil) }

// Dimensions implements pgtype.ArrayGetter.
func (a DateArray) Dimensions() []pgtype.ArrayDimension { return dims(len(a)) }

// Index implements pgtype.ArrayGetter.
func (a DateArray) Index(i int) any { return (*dateElem)(&a[i]) }

// IndexType implements pgtype.ArrayGetter.
func (a DateArray) IndexType() any { return (*dateElem)(nil) }

// Dimensions implements pgtype.ArrayGetter.
func (a BytesArray) Dimensions() []pgtype.ArrayDimension { return dims(len(a)) }

// Index implements pgtype.ArrayGetter.
func (a BytesArray) Index(i int) any { return (*bytesElem)(&a[i]) }

// IndexType implements pgtype.ArrayGetter.
func (a BytesArray) IndexType() any { return (*bytesElem)(nil) }

func (e *textElem) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: string(*e), Valid: true}, nil
}

func (e *uuidElem) UUIDValue() (pgtype.UUID, error) {
	return pgtype.UUID{Bytes: *e, Valid: true}, nil
}

func (e *int64Elem) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: int64(*e), Valid: true}, nil
}

func (e *timeElem) TimestamptzValue() (pgtype.Timestamptz, error) {
	return pgtype.Timestamptz{Time: time.Time(*e), Valid: true}, nil
}

func (e *dateElem) DateValue() (pgtype.Date, error) {
	return pgtype.Date{Time: time.Time(*e), Valid: true}, nil
}

func (e *bytesElem) BytesValue() ([]byte, error) {
	return *e, nil
}
