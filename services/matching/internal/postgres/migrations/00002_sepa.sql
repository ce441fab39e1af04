-- +goose Up
-- SEPA direct debits and payouts (issue #18). Unlike matching's other
-- tables, sepa_mandates holds personal data (the account holder's name,
-- IBAN and address): the collection files need it, and ingestion's
-- profile does not carry the whole mandate.

-- Mandates by reference (unique per creditor). amend_* is the amendment
-- the next collection carries; last_collected and first_booked drive the
-- sequence type and the 36-month expiry.
CREATE TABLE sepa_mandates (
    tenant                   text        NOT NULL,
    reference                text        NOT NULL,
    debtor_id                text        NOT NULL,
    name                     text        NOT NULL,
    iban                     text        NOT NULL,
    bic                      text        NOT NULL DEFAULT '',
    country                  text        NOT NULL DEFAULT '',
    post_code                text        NOT NULL DEFAULT '',
    town                     text        NOT NULL DEFAULT '',
    street                   text        NOT NULL DEFAULT '',
    signed_on                date,
    scheme                   text        NOT NULL,
    one_off                  boolean     NOT NULL DEFAULT false,
    account                  text        NOT NULL DEFAULT '',
    source                   text        NOT NULL,
    first_booked             boolean     NOT NULL DEFAULT false,
    last_collected           date,
    amended                  boolean     NOT NULL DEFAULT false,
    amend_original_reference text        NOT NULL DEFAULT '',
    amend_original_creditor  text        NOT NULL DEFAULT '',
    amend_new_account        boolean     NOT NULL DEFAULT false,
    revoked_at               timestamptz,
    unusable                 text        NOT NULL DEFAULT '',
    note                     text        NOT NULL DEFAULT '',
    version                  bigint      NOT NULL DEFAULT 1,
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, reference)
);
CREATE INDEX sepa_mandates_debtor ON sepa_mandates (tenant, debtor_id);

-- How orders are paid (ingestion's OrderIngested) and which customers pay
-- by direct debit (CustomerIngested): an item is collected when its order
-- says direct debit, or, without a known order, its debtor does.
CREATE TABLE sepa_orders (
    tenant       text    NOT NULL,
    order_id     text    NOT NULL,
    direct_debit boolean NOT NULL,
    PRIMARY KEY (tenant, order_id)
);
CREATE TABLE sepa_customers (
    tenant       text    NOT NULL,
    debtor_id    text    NOT NULL,
    direct_debit boolean NOT NULL,
    PRIMARY KEY (tenant, debtor_id)
);

-- Dunning blocks (disputes among them) on a debtor or item (target):
-- nothing blocked is collected or paid out.
CREATE TABLE sepa_blocks (
    tenant   text NOT NULL,
    block_id text NOT NULL,
    target   text NOT NULL,
    reason   text NOT NULL,
    PRIMARY KEY (tenant, block_id)
);

-- Each collection of an item: pre-notified, submitted (in file), booked,
-- returned or cancelled. end_to_end_id is unique: the statement names the
-- collection and its return by it.
CREATE TABLE sepa_debits (
    tenant          text        NOT NULL,
    item_id         text        NOT NULL,
    attempt         integer     NOT NULL,
    end_to_end_id   text        NOT NULL,
    debtor_id       text        NOT NULL,
    document_number text        NOT NULL DEFAULT '',
    mandate         text        NOT NULL,
    amount_minor    bigint      NOT NULL,
    sequence        text        NOT NULL,
    scheme          text        NOT NULL,
    account         text        NOT NULL,
    collection_date date        NOT NULL,
    pre_notified    date        NOT NULL,
    state           text        NOT NULL,
    file            text        NOT NULL DEFAULT '',
    reason          text        NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, item_id, attempt),
    UNIQUE (tenant, end_to_end_id)
);
CREATE INDEX sepa_debits_state ON sepa_debits (tenant, state);

-- The files the runs wrote, with their content (GetFile; a rerun writes a
-- missing one again).
CREATE TABLE sepa_files (
    tenant         text        NOT NULL,
    name           text        NOT NULL,
    message_type   text        NOT NULL,
    message_id     text        NOT NULL,
    account        text        NOT NULL,
    scheme         text        NOT NULL DEFAULT '',
    file_date      date        NOT NULL,
    run_date       date        NOT NULL,
    tx_count       integer     NOT NULL,
    total_minor    bigint      NOT NULL,
    end_to_end_ids text[]      NOT NULL,
    path           text        NOT NULL,
    content        bytea       NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant, name),
    UNIQUE (tenant, message_id)
);
CREATE INDEX sepa_files_run ON sepa_files (tenant, message_type, run_date);

-- Credit balance items paid out, by the transfer (end_to_end_id) and file
-- from account; debited (on debited_on) once the statement showed the
-- transfer, booked once the PayOutCreditBalance commands were stored.
CREATE TABLE sepa_payouts (
    tenant        text        NOT NULL,
    item_id       text        NOT NULL,
    debtor_id     text        NOT NULL,
    end_to_end_id text        NOT NULL,
    amount_minor  bigint      NOT NULL,
    file          text        NOT NULL,
    account       text        NOT NULL DEFAULT '',
    debited       boolean     NOT NULL DEFAULT false,
    debited_on    date,
    booked        boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, item_id)
);
CREATE INDEX sepa_payouts_e2e ON sepa_payouts (tenant, end_to_end_id);

-- How far each tenant's payments were read for collections, returns and
-- payouts the statements showed.
CREATE TABLE sepa_sync (
    tenant     text        NOT NULL PRIMARY KEY,
    updated_at timestamptz NOT NULL,
    payment_id text        NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON sepa_mandates, sepa_orders, sepa_customers, sepa_blocks, sepa_debits, sepa_files,
    sepa_payouts, sepa_sync TO matching_app;

-- +goose Down
DROP TABLE sepa_sync;
DROP TABLE sepa_payouts;
DROP TABLE sepa_files;
DROP TABLE sepa_debits;
DROP TABLE sepa_blocks;
DROP TABLE sepa_customers;
DROP TABLE sepa_orders;
DROP TABLE sepa_mandates;
