package datev

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// benchFile repeats the bookings of DATEV's sample n times under its header.
func benchFile(tb testing.TB, n int) ([]byte, int) {
	tb.Helper()
	sample := readFixture(tb, "EXTF_Buchungsstapel_v700-fv12_DATEV-sample.csv")
	lines := bytes.SplitAfter(sample, []byte("\r\n"))
	var buf bytes.Buffer
	buf.Write(lines[0])
	buf.Write(lines[1])
	bookings := 0
	for i := 0; i < n; i++ {
		for _, l := range lines[2:] {
			if len(l) > 0 {
				buf.Write(l)
				bookings++
			}
		}
	}
	return buf.Bytes(), bookings
}

func BenchmarkRead(b *testing.B) {
	data, bookings := benchFile(b, 200)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != bookings {
			b.Fatalf("read %d bookings, want %d", n, bookings)
		}
	}
	b.ReportMetric(float64(bookings)*float64(b.N)/b.Elapsed().Seconds(), "bookings/s")
}

func BenchmarkWrite(b *testing.B) {
	r, err := NewReader(bytes.NewReader(readFixture(b, "EXTF_Buchungsstapel_v700-fv12_DATEV-sample.csv")))
	if err != nil {
		b.Fatal(err)
	}
	h := r.Header()
	h.FormatVersion = 0
	var bs []Booking
	for {
		bk, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		bs = append(bs, bk)
	}
	b.ReportAllocs()
	for b.Loop() {
		w, err := NewWriter(io.Discard, h)
		if err != nil {
			b.Fatal(err)
		}
		for _, bk := range bs {
			if err := w.Write(bk); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(bs))*float64(b.N)/b.Elapsed().Seconds(), "bookings/s")
}
