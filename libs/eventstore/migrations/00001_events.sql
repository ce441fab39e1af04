-- +goose Up
-- Runs with search_path set to the service's schema (see Migrate).

-- events is the append-only log. tenant, stream_type and stream_id use the
-- "C" collation so that stream order is byte order in Go and SQL alike.
CREATE TABLE events (
    position       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id       uuid NOT NULL,
    event_type     text NOT NULL,
    tenant         text COLLATE "C" NOT NULL,
    stream_type    text COLLATE "C" NOT NULL,
    stream_id      text COLLATE "C" NOT NULL,
    version        bigint NOT NULL CHECK (version > 0),
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    causation_id   text NOT NULL DEFAULT '',
    correlation_id text NOT NULL DEFAULT '',
    actor          text NOT NULL DEFAULT '',
    traceparent    text NOT NULL DEFAULT '',
    tracestate     text NOT NULL DEFAULT '',
    payload        bytea NOT NULL,
    content_hash   bytea NOT NULL CHECK (length(content_hash) = 32),
    chain_hash     bytea NOT NULL CHECK (length(chain_hash) = 32),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (tenant, stream_type, stream_id, version)
);

-- The ordered read walks (tx_id, position) below the snapshot horizon.
CREATE INDEX events_log_idx ON events (tx_id, position);

-- checkpoints holds the cursor of each projection and relay.
CREATE TABLE checkpoints (
    name       text PRIMARY KEY,
    tx_id      xid8 NOT NULL,
    position   bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'eventstore: events are immutable, % on %.% rejected', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'OE001';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_reject_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_reject_change();

-- +goose Down
DROP TABLE checkpoints;
DROP TABLE events;
DROP FUNCTION events_reject_change();
