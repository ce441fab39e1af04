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

GRANT SELECT, INSERT, UPDATE ON debtors TO ingestion_app;

-- +goose Down
DROP TABLE debtors;
