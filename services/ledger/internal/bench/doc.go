// Package bench holds the ledger's write-path benchmark (bench_test.go),
// which `make bench` runs with the other Go benchmarks. It posts simple
// two-leg journal entries through the in-process write path (the Poster the
// gRPC handler calls) and through the public gRPC API, with 1, 4 and 20
// concurrent clients over 10, 50 and 10,000 accounts, against a throwaway
// PostgreSQL cluster with the default durability (fsync and
// synchronous_commit on) and an embedded NATS JetStream server that the
// ledger's outbox relay publishes to. The whole ledger service runs as in
// production: gRPC server, group committer, balance projection with its
// invariant checks, and relay.
//
// Each sub-benchmark reports, besides ns/op (one op is one entry):
//
//	entries/s      posted entries per second of wall time
//	p50-ms p99-ms max-ms   latency of one post as its client sees it
//	bytes/entry    size of events, journal lines and balance tables
//	               (pg_total_relation_size, indexes and TOAST included)
//	               divided by the number of stored entries
//	pool-conns     the size of the service's connection pool (its
//	               MaxConns); conns-used is how many it had open at the end
//	relay-lag-ms   from the last post's commit until the relay's checkpoint
//	               covered the last event (published and acknowledged by
//	               JetStream)
//	go-cpu-us/entry, pg-cpu-us/entry   CPU time of this process (client,
//	               service and NATS alike) and of the PostgreSQL server
//	               processes per entry
//
// Run it alone with
//
//	go test -run '^$' -bench . -benchtime 1s ./services/ledger/internal/bench/
package bench
