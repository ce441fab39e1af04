// Package deploy holds the deployment files (Dockerfile, collector and
// PostgreSQL configuration) and the test that keeps docker-compose.yml in
// step with the services under services/ and secure: every service with
// credentials (mutual TLS, its own NATS user), NATS with the users of
// deploy/nats, and no port published beyond 127.0.0.1 or without
// authentication. There is no Docker engine on the build machines, so the
// compose file is checked by loading it with compose-go rather than by
// starting it.
package deploy
