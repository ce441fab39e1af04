-- +goose Up
-- Booked refunds whose order's item a shop credit note credited again
-- afterwards (refund.CreditedAgain): the order may be credited twice. Kept
-- up to date from the ledger's item events (Store.CreditedAgain); the
-- refund listing shows them.
CREATE TABLE credited_again (
    tenant             text        NOT NULL,
    item_id            text        NOT NULL,
    refund_key         text        NOT NULL,
    credit_note_number text        NOT NULL,
    flagged_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant, refund_key, credit_note_number)
);
CREATE INDEX credited_again_item ON credited_again (tenant, item_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON credited_again TO refund_import_app;

-- +goose Down
DROP TABLE credited_again;
