-- +goose Up
-- Customer data the shops publish (customer registered / updated) beside
-- the debtor of their invoices. iban and mandate_id are personal data like
-- name and e-mail: erasing a debtor clears them. source_updated_at is the
-- shop's updated_at of the version held: an older version is not applied.
ALTER TABLE debtors
    ADD COLUMN customer_group     text NOT NULL DEFAULT '',
    ADD COLUMN preferred_language text NOT NULL DEFAULT '',
    ADD COLUMN iban               text NOT NULL DEFAULT '',
    ADD COLUMN mandate_id         text NOT NULL DEFAULT '',
    ADD COLUMN mandate_signed_on  date,
    ADD COLUMN sequence_type      text NOT NULL DEFAULT '',
    ADD COLUMN source_updated_at  timestamptz;

-- +goose Down
ALTER TABLE debtors
    DROP COLUMN customer_group,
    DROP COLUMN preferred_language,
    DROP COLUMN iban,
    DROP COLUMN mandate_id,
    DROP COLUMN mandate_signed_on,
    DROP COLUMN sequence_type,
    DROP COLUMN source_updated_at;
