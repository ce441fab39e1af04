-- +goose Up
-- Bank files and settlement reports imported (package intake): one row per
-- Import call, rejected and duplicate files included. A file counts as
-- imported for the tenant once a row with status 'imported' has its
-- SHA-256.
CREATE TABLE imports (
    tenant          text        NOT NULL,
    import_id       text        NOT NULL,
    file_name       text        NOT NULL,
    sha256          text        NOT NULL,
    format          text        NOT NULL,
    size            bigint      NOT NULL,
    status          text        NOT NULL CHECK (status IN ('imported', 'duplicate_file', 'rejected')),
    new_count       integer     NOT NULL,
    duplicate_count integer     NOT NULL,
    rejected_count  integer     NOT NULL,
    statements      integer     NOT NULL,
    settlements     integer     NOT NULL,
    error           text        NOT NULL,
    warnings        text[]      NOT NULL,
    imported_at     timestamptz NOT NULL,
    actor           text        NOT NULL,
    PRIMARY KEY (tenant, import_id)
);
CREATE INDEX imports_imported ON imports (tenant, sha256) WHERE status = 'imported';
CREATE INDEX imports_newest ON imports (tenant, imported_at DESC, import_id DESC);

-- Every bank transaction the import emitted: the fingerprint counts of
-- booked ones (occurrence n is the n-th booking with that fingerprint on
-- the account) and the link fields of camt.054 notices and booked entries.
CREATE TABLE bank_transactions (
    tenant         text    NOT NULL,
    transaction_id text    NOT NULL,
    account        text    NOT NULL,
    fingerprint    text    NOT NULL,
    occurrence     integer NOT NULL,
    books          boolean NOT NULL,
    notice         boolean NOT NULL,
    tx_index       integer NOT NULL,
    link_ref       text    NOT NULL,
    entry_amount   bigint  NOT NULL,
    booking_date   text    NOT NULL,
    entry_ref      text    NOT NULL,
    detail_of      text    NOT NULL,
    statement_key  text    NOT NULL,
    file_sha256    text    NOT NULL,
    seq            bigint  GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (tenant, transaction_id)
);
CREATE UNIQUE INDEX bank_transactions_occurrence ON bank_transactions (tenant, account, fingerprint, occurrence) WHERE books;
CREATE INDEX bank_transactions_link_ref ON bank_transactions (tenant, account, link_ref) WHERE link_ref <> '';
CREATE INDEX bank_transactions_link_amount ON bank_transactions (tenant, account, entry_amount, booking_date, entry_ref) WHERE entry_ref <> '';

-- Position keys (statement, entry, transaction) of final statements and of
-- transactions that do not book, and the transaction id each was first
-- stored under.
CREATE TABLE bank_transaction_keys (
    tenant         text NOT NULL,
    key            text NOT NULL,
    transaction_id text NOT NULL,
    PRIMARY KEY (tenant, key)
);

-- Master data: bank counterparties' personal data, kept out of the events
-- (which carry counterparty_id only) so that it can be erased.
CREATE TABLE counterparties (
    tenant          text        NOT NULL,
    counterparty_id text        NOT NULL,
    name            text        NOT NULL,
    iban            text        NOT NULL,
    bic             text        NOT NULL,
    first_seen      timestamptz NOT NULL,
    erased_at       timestamptz,
    PRIMARY KEY (tenant, counterparty_id)
);

-- Settlement reports received completely, by settlement id.
CREATE TABLE settlement_reports (
    tenant        text        NOT NULL,
    marketplace   text        NOT NULL,
    settlement_id text        NOT NULL,
    file_sha256   text        NOT NULL,
    line_count    integer     NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, marketplace, settlement_id)
);

GRANT SELECT, INSERT ON imports, bank_transaction_keys, settlement_reports TO ingestion_app;
GRANT SELECT, INSERT, UPDATE ON bank_transactions, counterparties TO ingestion_app;

-- +goose Down
DROP TABLE settlement_reports;
DROP TABLE counterparties;
DROP TABLE bank_transaction_keys;
DROP TABLE bank_transactions;
DROP TABLE imports;
