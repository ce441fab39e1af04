-- +goose Up
-- Master data: the personal data of debtors, kept apart from the events so it
-- can be erased or pseudonymised when its retention period ends. Events refer
-- to debtors by (tenant, debtor_id) only.
CREATE TABLE debtors (
    tenant      text        NOT NULL,
    debtor_id   text        NOT NULL,
    kind        text        NOT NULL,
    name        text        NOT NULL,
    vat_id      text        NOT NULL DEFAULT '',
    email       text        NOT NULL DEFAULT '',
    address     jsonb,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz,
    PRIMARY KEY (tenant, debtor_id)
);

-- Messages ingestion could not accept, kept with the reason until an
-- operator replays or resolves them. Nothing a shop sends is dropped.
CREATE TABLE rejections (
    id             uuid        PRIMARY KEY,
    tenant         text        NOT NULL,
    subject        text        NOT NULL,
    content_type   text        NOT NULL,
    msg_id         text        NOT NULL DEFAULT '',
    headers        jsonb       NOT NULL DEFAULT '{}',
    payload        bytea       NOT NULL,
    invoice_number text        NOT NULL DEFAULT '',
    reason_code    text        NOT NULL,
    reason         text        NOT NULL,
    state          text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'replayed', 'resolved')),
    rejected_at    timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz,
    closed_by      text        NOT NULL DEFAULT '',
    note           text        NOT NULL DEFAULT ''
);
CREATE INDEX rejections_tenant_state ON rejections (tenant, state, rejected_at DESC);
-- A redelivered message that fails again for the same reason is recorded once.
CREATE UNIQUE INDEX rejections_once ON rejections (tenant, subject, sha256(payload), reason_code) WHERE state = 'open';

GRANT SELECT, INSERT, UPDATE ON debtors, rejections TO ingestion_app;

-- +goose Down
DROP TABLE rejections;
DROP TABLE debtors;
