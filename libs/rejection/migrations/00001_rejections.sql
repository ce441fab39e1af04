-- +goose Up
-- Messages a service's consumers could not process, kept with the message
-- exactly as received and the reason until an operator replays or resolves
-- them. Every service has this table in its own schema.
CREATE TABLE rejections (
    id              uuid        PRIMARY KEY,
    service         text        NOT NULL,
    consumer        text        NOT NULL,
    tenant          text        NOT NULL DEFAULT '',
    subject         text        NOT NULL,
    content_type    text        NOT NULL DEFAULT '',
    msg_id          text        NOT NULL DEFAULT '',
    headers         jsonb       NOT NULL DEFAULT '{}',
    payload         bytea       NOT NULL,
    document        text        NOT NULL DEFAULT '',
    reason_code     text        NOT NULL,
    reason          text        NOT NULL,
    deliveries      integer     NOT NULL DEFAULT 1,
    delivery_errors jsonb       NOT NULL DEFAULT '[]',
    stream          text        NOT NULL DEFAULT '',
    stream_seq      bigint      NOT NULL DEFAULT 0,
    state           text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'replayed', 'resolved')),
    rejected_at     timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    closed_by       text        NOT NULL DEFAULT '',
    note            text        NOT NULL DEFAULT ''
);
CREATE INDEX rejections_tenant_state ON rejections (tenant, state, rejected_at DESC);
-- The same message rejected again for the same reason while the first
-- rejection is open (a redelivery, or the same body sent again) is recorded
-- once.
CREATE UNIQUE INDEX rejections_once ON rejections (consumer, subject, sha256(payload), reason_code) WHERE state = 'open';

-- +goose Down
DROP TABLE rejections;
