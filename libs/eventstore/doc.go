// Package eventstore is the append-only event store of an o2c service on
// PostgreSQL (pgx/v5). Package es holds the storage-free types (Event,
// StreamID, the errors, ...), which this package re-exports as aliases, so
// that domain code can depend on es alone; package memstore is the store's
// in-memory twin for domain tests; package storetest is the contract suite
// both pass; package relay publishes stored events to NATS JetStream.
//
// # Model
//
// An Event is an Envelope plus a protobuf payload. The envelope carries the
// event id (UUID), the type (the payload's protobuf full name), the stream
// (tenant, stream type, stream id), the 1-based version within the stream,
// occurred-at (business time, UTC, microseconds), recorded-at (set by the
// store), causation and correlation ids, the actor, the W3C trace context
// (traceparent, tracestate), the global position, the log cursor and the
// content and chain hashes. Payloads are stored as their deterministic
// protobuf encoding (Event.Data).
//
// # Schema per service
//
// Each service owns one PostgreSQL schema. Migrate (run as the owning
// role, e.g. at deploy or start-up; replicas may run it concurrently)
// creates the schema and its tables: events (the log) and checkpoints (of
// projections and relays), with goose's version table in the same schema.
// EnsureAppRole creates the role services connect as, "<schema>_app", with
// SELECT and INSERT on events, SELECT, INSERT and UPDATE on checkpoints and
// USAGE on the schema's sequences, nothing more. New opens a Store on a
// pool and a schema; the pool may connect as the app role.
//
// # Guarantees
//
//   - Optimistic concurrency: Append takes an expected stream version
//     (a number, NoStream or AnyVersion). (stream, version) is unique in the
//     database, so of concurrent appends at one version exactly one wins;
//     the others get a *ConflictError (errors.Is ErrVersionConflict) naming
//     the stream, the expected and the actual version. AnyVersion appends
//     retry internally; a retry takes a per-stream advisory lock so that
//     contending writers take turns.
//   - Idempotency: an append whose event ids are all stored with the same
//     content hash is a no-op returning the stored events; an id stored
//     with other content fails with a *ContentMismatchError naming the id
//     and both hashes; a batch that is only partly stored fails with
//     ErrPartialDuplicate. A batch is one transaction (a single multi-row
//     INSERT).
//   - Content hash: SHA-256 over one canonical form, the type, tenant,
//     stream type, stream id, occurred-at, causation id, correlation id,
//     actor and the deterministic protobuf encoding of the payload (see
//     ContentHash for the exact layout). The event id, version,
//     recorded-at, position and trace context are excluded. A message
//     decoded from protojson or from binary protobuf hashes the same.
//   - Hash chain: each event's chain hash is SHA-256 over the previous
//     event's chain hash (zeros for version 1), its content hash, its
//     stream and its version (see ChainHash). Verify recomputes every chain
//     from the stored columns and payload bytes (never from a re-encoding
//     of the decoded message, which another protobuf-go version may encode
//     differently) and reports the first broken link of each stream:
//     stream, version, event id, which field, expected and stored value. A
//     chain cannot show that its last events, or the whole stream, were
//     deleted: that takes anchors (below).
//   - Immutability is enforced by the database: row triggers reject UPDATE
//     and DELETE on events and a statement trigger rejects TRUNCATE, for
//     every role including the owner (SQLSTATE OE001). A superuser, or the
//     table owner, can still bypass triggers (SET session_replication_role
//     = replica, or ALTER TABLE ... DISABLE TRIGGER), so in production
//     services must connect as the app role, which owns nothing and holds
//     only the grants above, and the owner's credentials belong to the
//     migration job alone. The hash chains make such bypasses evident to
//     Verify, and anchors make deletions at the end of a stream evident to
//     VerifyAnchors.
//   - Ordered log: ReadAll returns events in (transaction id, position)
//     order, only from transactions below the snapshot horizon
//     pg_snapshot_xmin(pg_current_snapshot()). Every row stores its
//     writer's pg_current_xact_id() (xid8, no wraparound). Because every
//     transaction below the horizon has ended, an event that commits late
//     is never skipped: a reader that resumes at the returned Cursor sees
//     every committed event exactly once, and an open transaction holds
//     back events of later transactions until it ends. Within one stream
//     the log order is version order.
//   - Projections: CatchUp and RunProjection apply a Handler to the log
//     after a named checkpoint, one transaction per batch holding both the
//     read model's writes and the new checkpoint; a handler error rolls
//     back both. CatchUp returns once everything committed before the call
//     is applied; transaction ids are cluster-wide, so a long transaction
//     in any database of the server delays it (and delays ReadAll).
//   - Outbox: the store is the outbox. Package relay publishes the log to
//     JetStream with Nats-Msg-Id = event id and advances its checkpoint
//     only after JetStream acknowledged, so delivery is at least once and
//     effectively once with JetStream's duplicate window and consumers that
//     dedupe by event id.
//
// # Anchors
//
// A superuser can delete the last events of a stream, or a whole stream,
// and every remaining chain still verifies. An Anchorer therefore writes
// signed anchors (see Anchor) outside PostgreSQL, to an AnchorSink: a
// JetStream stream or an append-only file (package anchors). An anchor
// holds the heads (version and chain hash) of the streams that moved since
// the previous anchor, the number of events and streams up to its place in
// the log, a digest over all stream heads, the hash of the previous anchor
// and an Ed25519 signature by a key the database does not hold
// (AnchorKeyFromEnv: O2C_ANCHOR_KEY or O2C_ANCHOR_KEY_FILE). Run anchors
// every minute when the log moved. VerifyAnchors checks the signatures and
// the sequence of the anchors, then that every anchored head is still
// stored at its version with its chain hash and that the log up to the
// latest anchor holds the anchored number of events; it names the stream
// and the version of a deleted tail, a deleted stream or a rewritten
// event.
//
// Anchors cannot reveal:
//
//   - changes after the latest anchor (at most one interval of events);
//   - anything done by an attacker who holds the signing key: keep it out
//     of the database and away from the database's administrators;
//   - deletions by an attacker who also deletes the newest anchors, or
//     the whole anchor store: keep the store under other credentials, deny
//     deletes (the JetStream stream does), and copy it elsewhere.
//
// Anchors of a service belong to one database: a database restored or
// recreated from scratch needs a fresh anchor store (or subject), since
// its old anchors name events it no longer has.
//
// # Performance
//
// Append costs two round trips whatever the batch size: one pipelined
// batch reading the stream head and looking up the event ids, and one
// multi-row INSERT ... SELECT FROM unnest(...) that is its own
// transaction. Statements are prepared and cached by pgx. Append batches
// of events to one stream where the domain allows.
//
// AppendBatch is the group commit: it stores many independent AppendGroups
// (each atomic across its streams) with one multi-row INSERT, so one commit
// and one WAL flush serve every group, and decides each group on its own,
// so that a replay, a conflict or a bad group never fails the others.
// Batched projections (Projection, CatchUpProjection, RunBatchProjection)
// hand a whole batch to the read model, which can then write it with a few
// set-based statements, and call Committed after each commit for runtime
// checks of the read model.
package eventstore
