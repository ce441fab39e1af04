// Package loadtest holds the end-to-end load benchmark of o2c: shops
// publish invoices to NATS, ingestion normalizes and relays them, and the
// ledger books each as an open item, all in one process against a
// throwaway PostgreSQL cluster and an embedded NATS server.
//
// BenchmarkShopInvoices (in the package's test file) is what `make bench`
// runs with a small stream and `make bench-shop` with 200,000 invoices; it
// reports the sustained rate from the first publish until the ledger has
// booked the last invoice, the latency of each invoice from its publish to
// its open item, and where the time goes (see the benchmark's comment).
//
// BenchmarkDunningRun runs dunning's daily run over open items put straight
// into dunning's read model: `make bench` 20,000, `make bench-dunning`
// 1,000,000 of 200,000 debtors; it reports items per second and peak
// memory.
package loadtest
