// Package purity keeps the services' domain packages free of transport and
// storage. A domain package is any services/<svc>/internal/<dir> except
// postgres, rpc and consumer (and the console's web and browsertest, an
// adapter and a test harness); it must not depend, even transitively, on
// PostgreSQL (github.com/jackc/pgx), NATS (github.com/nats-io) or gRPC
// (google.golang.org/grpc). The check is a test that runs `go list -deps`;
// this file only holds the graph search it uses.
package purity

import (
	"maps"
	"slices"
	"strings"
)

// isDomainDir reports whether dir, the last element of
// services/<svc>/internal/<dir>, holds a domain package: every directory
// there but the adapters to the outside world (postgres, rpc, consumer,
// and the console's web UI, whose pages are gRPC clients of the other
// services) and the console's browser-test harness.
func isDomainDir(dir string) bool {
	switch dir {
	case "postgres", "rpc", "consumer", "web", "browsertest":
		return false
	}
	return true
}

// forbiddenRoot returns the forbidden import path root that path is or lies
// below (PostgreSQL's driver, NATS or gRPC), or "" when a domain package may
// import it.
func forbiddenRoot(path string) string {
	for _, root := range [...]string{"github.com/jackc/pgx", "github.com/nats-io", "google.golang.org/grpc"} {
		if path == root || strings.HasPrefix(path, root+"/") {
			return root
		}
	}
	return ""
}

// chains returns, for each forbidden root that root reaches in the import
// graph (package -> its direct imports), one shortest import chain from
// root to a package under it, root first and ordered by forbidden root.
// It does not look past a forbidden package, so a chain ends at the first
// forbidden import on its way.
func chains(graph map[string][]string, root string) [][]string {
	parent := map[string]string{root: ""}
	queue := []string{root}
	first := map[string]string{} // forbidden root -> first package found under it
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if f := forbiddenRoot(p); f != "" && p != root {
			if _, ok := first[f]; !ok {
				first[f] = p
			}
			continue
		}
		for _, q := range graph[p] {
			if _, seen := parent[q]; !seen {
				parent[q] = p
				queue = append(queue, q)
			}
		}
	}
	out := make([][]string, 0, len(first))
	for _, f := range slices.Sorted(maps.Keys(first)) {
		var chain []string
		for p := first[f]; p != ""; p = parent[p] {
			chain = append(chain, p)
		}
		slices.Reverse(chain)
		out = append(out, chain)
	}
	return out
}
