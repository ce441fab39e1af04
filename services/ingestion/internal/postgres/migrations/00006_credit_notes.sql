-- +goose Up
-- The credit notes people requested in the console (package credit), as
-- the CreditNoteService lists them: one row per request, kept by the
-- credit-notes projection from the request streams' events and from the
-- shop's credit notes that answer a request. view is the
-- ingestion.v1.CreditNote message (binary protobuf).
CREATE TABLE credit_notes (
    tenant         text        NOT NULL,
    request_id     text        NOT NULL,
    debtor_id      text        NOT NULL,
    state          text        NOT NULL,
    requested_at   timestamptz NOT NULL,
    view           bytea       NOT NULL,
    PRIMARY KEY (tenant, request_id)
);
CREATE INDEX credit_notes_newest ON credit_notes (tenant, requested_at DESC, request_id DESC);
CREATE INDEX credit_notes_debtor ON credit_notes (tenant, debtor_id, requested_at DESC, request_id DESC);

GRANT SELECT, INSERT, UPDATE ON credit_notes TO ingestion_app;

-- +goose Down
DROP TABLE credit_notes;
