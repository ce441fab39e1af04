-- +goose Up
-- Shop messages held until what they refer to arrives (a credit note
-- before its invoice, a chargeback before its capture, an invoice naming
-- only its customer before the customer's data). One row per tenant,
-- event type and document; held_at is when it was first held. message is
-- the protobuf encoding, taken through the consumer again on release.
CREATE TABLE pending (
    tenant     text        NOT NULL,
    event_type text        NOT NULL,
    document   text        NOT NULL,
    waits_kind text        NOT NULL,
    waits_key  text        NOT NULL,
    reason     text        NOT NULL,
    message    bytea       NOT NULL,
    held_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant, event_type, document)
);
CREATE INDEX pending_waits ON pending (tenant, waits_kind, waits_key);

GRANT SELECT, INSERT, UPDATE, DELETE ON pending TO ingestion_app;

-- +goose Down
DROP TABLE pending;
