package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// BenchmarkStart measures what a test process without withpostgres pays
// once: creating the data directory, server start-up and Stop. "cached"
// copies the data directory of an earlier initdb, "initdb" runs initdb
// every time (as the first Start on a machine does, which also fills the
// cache).
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	for _, cached := range []bool{true, false} {
		b.Run(map[bool]string{true: "cached", false: "initdb"}[cached], func(b *testing.B) {
			for b.Loop() {
				if !cached {
					removeInitdbCache(b)
				}
				c, err := Start(ctx, Options{})
				if err != nil {
					if skip, msg := unavailable(err, func(string) string { return "" }); skip {
						b.Skip(msg)
					}
					b.Fatal(err)
				}
				if err := c.Stop(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func removeInitdbCache(b *testing.B) {
	b.Helper()
	dirs, err := filepath.Glob(filepath.Join(defaultRoot(), initdbCachePrefix+"*"))
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateDatabase measures what NewDB pays per test: copying the
// template and dropping the copy, with each CREATE DATABASE strategy.
func BenchmarkCreateDatabase(b *testing.B) {
	c := sharedForTest(b)
	var runs atomic.Int32
	tmpl := itemsTemplate(b, &runs)
	dropTemplate(b, c, tmpl.Name)
	ctx := context.Background()
	if err := ensureTemplate(ctx, c, tmpl); err != nil {
		b.Fatal(err)
	}
	for _, fileCopy := range []bool{true, false} {
		name := map[bool]string{true: "file_copy", false: "wal_log"}[fileCopy]
		b.Run(name, func(b *testing.B) {
			if !c.fileCopy {
				b.Skip("cluster does not use FILE_COPY (PostgreSQL < 15 or fsync on)")
			}
			strategy := &Cluster{url: c.url, fileCopy: fileCopy}
			i := 0
			for b.Loop() {
				i++
				db := fmt.Sprintf("%s_b%d", tmpl.Name, i)
				if err := strategy.CreateDatabase(ctx, db, tmpl.Name); err != nil {
					b.Fatal(err)
				}
				if err := c.DropDatabase(ctx, db); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
