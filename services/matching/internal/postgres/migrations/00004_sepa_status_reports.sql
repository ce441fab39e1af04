-- +goose Up
-- The banks' status reports (pain.002) on the pain.008 and pain.001 files:
-- a rejection before settlement never shows on a statement, so the report
-- is what tells o2c. Each report is kept once per its own message id
-- (importing it again changes nothing) with what it did per transaction
-- (applied, JSON of sepa.Applied) and the file it answered ('' when the
-- message was none of the tenant's).
CREATE TABLE sepa_status_reports (
    tenant                text        NOT NULL,
    message_id            text        NOT NULL,
    name                  text        NOT NULL,
    original_message_id   text        NOT NULL,
    original_message_type text        NOT NULL,
    group_status          text        NOT NULL DEFAULT '',
    file                  text        NOT NULL DEFAULT '',
    content               bytea       NOT NULL,
    applied               jsonb       NOT NULL,
    received_at           timestamptz NOT NULL,
    PRIMARY KEY (tenant, message_id)
);

-- The latest status a report gave a debit (ACCP, ACSC, RJCT ...), and the
-- mandate amendment its file carried (carried_*, as sepa_mandates'
-- amend_*), which a rejection of the debit puts back on the mandate.
ALTER TABLE sepa_debits
    ADD COLUMN bank_status                text    NOT NULL DEFAULT '',
    ADD COLUMN carried_amended            boolean NOT NULL DEFAULT false,
    ADD COLUMN carried_original_reference text    NOT NULL DEFAULT '',
    ADD COLUMN carried_original_creditor  text    NOT NULL DEFAULT '',
    ADD COLUMN carried_new_account        boolean NOT NULL DEFAULT false;

-- A payout's transfer rejected by the bank: the row stays until the next
-- payout of the item replaces it; rejections counts them (the next
-- transfer's end-to-end id differs). mandate is the mandate whose account
-- was paid, made unusable when the reason says the account is gone.
ALTER TABLE sepa_payouts
    ADD COLUMN mandate         text    NOT NULL DEFAULT '',
    ADD COLUMN bank_status     text    NOT NULL DEFAULT '',
    ADD COLUMN rejected        boolean NOT NULL DEFAULT false,
    ADD COLUMN rejected_reason text    NOT NULL DEFAULT '',
    ADD COLUMN rejections      integer NOT NULL DEFAULT 0;
CREATE INDEX sepa_payouts_file ON sepa_payouts (tenant, file);

GRANT SELECT, INSERT, UPDATE, DELETE ON sepa_status_reports TO matching_app;

-- +goose Down
DROP INDEX sepa_payouts_file;
ALTER TABLE sepa_payouts DROP COLUMN rejections, DROP COLUMN rejected_reason, DROP COLUMN rejected, DROP COLUMN bank_status,
    DROP COLUMN mandate;
ALTER TABLE sepa_debits DROP COLUMN carried_new_account, DROP COLUMN carried_original_creditor,
    DROP COLUMN carried_original_reference, DROP COLUMN carried_amended, DROP COLUMN bank_status;
DROP TABLE sepa_status_reports;
