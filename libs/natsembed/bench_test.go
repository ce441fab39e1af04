package natsembed_test

import (
	"testing"

	"github.com/o2c-platform/o2c/libs/natsembed"
)

// BenchmarkStart measures what each test using Test pays: start-up with a
// fresh store directory and Shutdown.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s, err := natsembed.Start(natsembed.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Shutdown()
	}
}
