-- +goose Up
-- Dunning's read models. Personal data (names, addresses, e-mail) is never
-- stored here: it stays in ingestion's master data and is read when a
-- notice is rendered. The decisions, notices and blocks are projections of
-- dunning's own events (DunningDecisionRecorded, NoticeIssued, BlockSet,
-- BlockLifted), written in the transaction that moves the projection's
-- checkpoint; items, invoices and debtors follow the ledger's and
-- ingestion's events.

-- Open items as the ledger's events describe them (OpenItemOpened,
-- OpenItemClassified, OpenItemCleared, OpenItemReopened). seq is the
-- ledger stream sequence of the last event applied, so a redelivered
-- older event does not undo a newer one. part_payments are the dates of
-- payments that left part of the item open (§212 BGB); reopened_on the
-- date a settlement was last undone (a returned debit).
CREATE TABLE items (
    tenant          text    NOT NULL,
    item_id         text    NOT NULL,
    debtor_id       text    NOT NULL,
    kind            text    NOT NULL,
    claim_id        text    NOT NULL DEFAULT '',
    component       text    NOT NULL DEFAULT 'principal',
    document_number text    NOT NULL DEFAULT '',
    currency        text    NOT NULL,
    amount_minor    bigint  NOT NULL,
    open_minor      bigint  NOT NULL,
    document_date   date,
    due_date        date,
    marketplace     text    NOT NULL DEFAULT '',
    dunnable        boolean NOT NULL DEFAULT true,
    part_payments   date[]  NOT NULL DEFAULT '{}',
    reopened_on     date,
    seq             bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, item_id)
);
CREATE INDEX items_open ON items (tenant, debtor_id) WHERE open_minor > 0;

-- What ingestion's InvoiceIngested says that the ledger's item does not:
-- the §286 (3) BGB notice and the delivery date, by invoice number (the
-- document number of the invoice's item).
CREATE TABLE invoices (
    tenant                  text    NOT NULL,
    invoice_number          text    NOT NULL,
    consumer_default_notice boolean NOT NULL DEFAULT false,
    delivered_on            date,
    channel                 text    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, invoice_number)
);

-- Debtors' facts from ingestion's CustomerIngested (and InvoiceIngested's
-- debtor kind): kind "b2c" or "b2b", the shop's group, the language.
CREATE TABLE debtors (
    tenant    text NOT NULL,
    debtor_id text NOT NULL,
    kind      text NOT NULL DEFAULT 'b2c',
    grp       text NOT NULL DEFAULT '',
    language  text NOT NULL DEFAULT '',
    channel   text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, debtor_id)
);

-- Dunning blocks (BlockSet, BlockLifted).
CREATE TABLE blocks (
    tenant    text    NOT NULL,
    block_id  text    NOT NULL,
    debtor_id text    NOT NULL,
    item_id   text    NOT NULL DEFAULT '',
    reason    text    NOT NULL,
    set_by    text    NOT NULL DEFAULT '',
    source    text    NOT NULL DEFAULT '',
    set_date  date    NOT NULL,
    expires   date,
    lifted    boolean NOT NULL DEFAULT false,
    lifted_on date,
    PRIMARY KEY (tenant, block_id)
);
CREATE INDEX blocks_debtor ON blocks (tenant, debtor_id);

-- Decisions (DunningDecisionRecorded), one per tenant, debtor and date:
-- the run is idempotent for a date. decision is the stored event's
-- payload.
CREATE TABLE decisions (
    tenant    text    NOT NULL,
    debtor_id text    NOT NULL,
    day       date    NOT NULL,
    level     integer NOT NULL,
    notice_id text    NOT NULL DEFAULT '',
    released  boolean NOT NULL DEFAULT false,
    decision  bytea   NOT NULL,
    PRIMARY KEY (tenant, debtor_id, day)
);
CREATE INDEX decisions_day ON decisions (tenant, day);

-- Per-debtor state: the day of the debtor's latest decision and whether
-- the state it left keeps a procedure running (items on a level, not
-- ended), so a debtor whose items were all settled is decided once more
-- (ending the procedure) and then left alone.
CREATE TABLE debtor_state (
    tenant    text    NOT NULL,
    debtor_id text    NOT NULL,
    last_day  date    NOT NULL,
    active    boolean NOT NULL,
    PRIMARY KEY (tenant, debtor_id)
);
CREATE INDEX debtor_state_active ON debtor_state (tenant, debtor_id) WHERE active;

-- Notices issued (NoticeIssued); the files are in the outbox.
CREATE TABLE notices (
    tenant       text    NOT NULL,
    notice_id    text    NOT NULL,
    debtor_id    text    NOT NULL,
    day          date    NOT NULL,
    level        integer NOT NULL,
    total_minor  bigint  NOT NULL,
    currency     text    NOT NULL,
    item_count   integer NOT NULL,
    issued       bytea   NOT NULL,
    PRIMARY KEY (tenant, notice_id)
);
CREATE INDEX notices_debtor ON notices (tenant, debtor_id, day);

GRANT SELECT, INSERT, UPDATE, DELETE ON items, invoices, debtors, blocks, decisions, debtor_state, notices TO dunning_app;

-- +goose Down
DROP TABLE notices;
DROP TABLE debtor_state;
DROP TABLE decisions;
DROP TABLE blocks;
DROP TABLE debtors;
DROP TABLE invoices;
DROP TABLE items;
