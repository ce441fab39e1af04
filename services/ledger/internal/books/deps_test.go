package books

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsNoTransport fails when the domain depends, even transitively,
// on a database driver, NATS or gRPC: the books and their command service
// run on any EventStore, the in-memory one included.
func TestImportsNoTransport(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/jackc/pgx", "github.com/nats-io/", "google.golang.org/grpc"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("books imports %s", dep)
			}
		}
	}
}
