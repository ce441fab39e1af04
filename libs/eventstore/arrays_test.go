package eventstore_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// TestArraysEncodeAsPlainSlices sends each array parameter type and the
// plain slice it replaces through PostgreSQL and compares what the server
// received, as text: the same values, NULLs and order.
func TestArraysEncodeAsPlainSlices(t *testing.T) {
	t.Parallel()
	pool := newPool(t, newTestDB(t).appURL)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"", "a", "Müller \"GmbH\", {x}", "NULL", `back\slash`}
	ids := []uuid.UUID{uuid.Nil, uuid.MustParse("0b7a1c2e-8f3d-4e6a-9c1b-2d3e4f5a6b7c")}
	ints := []int64{0, 1, 255, 256, -1, math.MaxInt64, math.MinInt64}
	times := []time.Time{
		time.Date(2026, 12, 7, 3, 4, 5, 123456000, time.UTC),
		time.Date(2026, 3, 29, 2, 30, 0, 0, berlin),
		time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	dates := []time.Time{time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 23, 0, 0, 0, berlin)}
	bytes := [][]byte{nil, {}, {0, 1, 0xff}, []byte("payload")}

	tests := []struct {
		name        string
		cast        string
		plain, ours any
	}{
		{"text", "text[]", texts, eventstore.TextArray(texts)},
		{"empty text", "text[]", []string{}, eventstore.TextArray{}},
		{"uuid", "uuid[]", ids, eventstore.UUIDArray(ids)},
		{"bigint", "bigint[]", ints, eventstore.Int64Array(ints)},
		{"int", "int[]", []int32{0, 7, -3, math.MaxInt32}, eventstore.Int64Array{0, 7, -3, math.MaxInt32}},
		{"timestamptz", "timestamptz[]", times, eventstore.TimeArray(times)},
		{"date", "date[]", dates, eventstore.DateArray(dates)},
		{"bytea", "bytea[]", bytes, eventstore.BytesArray(bytes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			q := `SELECT $1::` + tt.cast + `::text, $2::` + tt.cast + `::text`
			var plain, ours string
			if err := pool.QueryRow(ctx, q, tt.plain, tt.ours).Scan(&plain, &ours); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(plain, ours); diff != "" {
				t.Errorf("as the server read them (-plain slice +array type):\n%s", diff)
			}
			if plain == "{}" && tt.name != "empty text" {
				t.Errorf("the plain slice arrived empty: %s", plain)
			}
		})
	}
}

// TestArraysAllocateNoElements checks that building the parameters of a
// multi-row statement with the array types does not copy each element to
// the heap: the allocations of an encode do not grow with the rows. It
// does not run in parallel: testing.AllocsPerRun counts the whole
// process's allocations.
func TestArraysAllocateNoElements(t *testing.T) {
	pool := newPool(t, newTestDB(t).appURL)
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	q := `SELECT cardinality($1::text[]) + cardinality($2::bigint[]) + cardinality($3::timestamptz[]) + cardinality($4::bytea[])`
	allocs := func(n int) float64 {
		texts := make(eventstore.TextArray, n)
		ints := make(eventstore.Int64Array, n)
		times := make(eventstore.TimeArray, n)
		bytes := make(eventstore.BytesArray, n)
		for i := range n {
			texts[i], ints[i], times[i], bytes[i] = "tenant", int64(1000+i), time.Unix(int64(i), 0), []byte("x")
		}
		return testing.AllocsPerRun(5, func() {
			var got int
			if err := conn.QueryRow(ctx, q, texts, ints, times, bytes).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != 4*n {
				t.Fatalf("server counted %d elements, want %d", got, 4*n)
			}
		})
	}
	few, many := allocs(10), allocs(1000)
	t.Logf("allocations per statement: %.0f with 10 rows, %.0f with 1,000", few, many)
	if many > few+100 {
		t.Errorf("allocations per statement: %.0f with 10 rows, %.0f with 1,000: elements are boxed", few, many)
	}
}
