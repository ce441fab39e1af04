-- +goose Up
-- Matching's read models. Personal data (payer and debtor names, IBANs,
-- mandate ids) is never stored here: it stays in ingestion's master data
-- and in the service's memory. The payments' own events (PaymentDecided,
-- PaymentMatched, ...) are in the event store; payments is their
-- projection, updated in the transaction that moves its checkpoint.

-- Open items as the ledger's events describe them (OpenItemOpened,
-- OpenItemClassified, OpenItemCleared, OpenItemReopened). open_minor is the
-- ledger's open amount; seq the ledger stream sequence of the last event
-- applied, so a redelivered older event does not undo a newer one.
-- cleared_at is when open_minor last became zero (fully cleared items are
-- kept for the returns window).
CREATE TABLE items (
    tenant            text        NOT NULL,
    item_id           text        NOT NULL,
    debtor_id         text        NOT NULL,
    kind              text        NOT NULL,
    component         integer     NOT NULL DEFAULT 0,
    document_number   text        NOT NULL DEFAULT '',
    order_id          text        NOT NULL DEFAULT '',
    payment_reference text        NOT NULL DEFAULT '',
    currency          text        NOT NULL,
    amount_minor      bigint      NOT NULL,
    open_minor        bigint      NOT NULL,
    document_date     date,
    due_date          date,
    marketplace       text        NOT NULL DEFAULT '',
    vat               bytea,
    seq               bigint      NOT NULL DEFAULT 0,
    cleared_at        timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, item_id)
);
CREATE INDEX items_order ON items (tenant, debtor_id, order_id) WHERE order_id <> '';
CREATE INDEX items_document ON items (tenant, document_number);

-- Cash discount terms of invoices (ingestion's InvoiceIngested payment
-- terms), by invoice number, the document number of the invoice's item.
CREATE TABLE invoice_terms (
    tenant         text    NOT NULL,
    invoice_number text    NOT NULL,
    discount_until date    NOT NULL,
    discount_bp    integer NOT NULL,
    PRIMARY KEY (tenant, invoice_number)
);

-- The ledger's settlements, by id: which document (payment id, credit note
-- number) cleared how much of which item, and whether it was undone since.
-- A settlement with the document of an allocation matching sent means the
-- ledger booked it; an undone one, that a return or unmatch did.
CREATE TABLE ledger_settlements (
    tenant        text    NOT NULL,
    settlement_id text    NOT NULL,
    item_id       text    NOT NULL,
    document      text    NOT NULL,
    entry_id      text    NOT NULL DEFAULT '',
    amount_minor  bigint  NOT NULL,
    kind          integer NOT NULL,
    undone        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant, settlement_id)
);
CREATE INDEX ledger_settlements_document ON ledger_settlements (tenant, document);

-- The ledger's journal entry of each booking matching sent, by ledger
-- payment id, once a settlement or credit balance of it was reported.
CREATE TABLE ledger_entries (
    tenant            text NOT NULL,
    ledger_payment_id text NOT NULL,
    entry_id          text NOT NULL,
    PRIMARY KEY (tenant, ledger_payment_id)
);

-- Allocations matching sent (projected from the commands stored with its
-- decisions): amount_minor clears (positive) or reopens (negative) item_id
-- under document. It is pending while the ledger has reported no
-- settlement of that document on the item (for a reopening: no undone
-- one).
CREATE TABLE sent_allocations (
    tenant       text        NOT NULL,
    document     text        NOT NULL,
    item_id      text        NOT NULL,
    amount_minor bigint      NOT NULL,
    sent_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, document, item_id, amount_minor)
);
CREATE INDEX sent_allocations_item ON sent_allocations (tenant, item_id);

-- The exception queue: every payment with its state, projected from its
-- stream. exception is the matching.v1.Exception the API shows (without
-- payer and entry id); the other columns are for filtering.
CREATE TABLE payments (
    tenant            text        NOT NULL,
    payment_id        text        NOT NULL,
    transaction_id    text        NOT NULL,
    state             text        NOT NULL,
    currency          text        NOT NULL,
    amount_minor      bigint      NOT NULL,
    debtor_ids        text[]      NOT NULL DEFAULT '{}',
    ledger_payment_id text        NOT NULL DEFAULT '',
    received_at       timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint      NOT NULL,
    remittance        text        NOT NULL DEFAULT '',
    exception         bytea       NOT NULL,
    PRIMARY KEY (tenant, payment_id)
);
CREATE INDEX payments_queue ON payments (tenant, state, received_at, payment_id);
CREATE INDEX payments_ledger ON payments (tenant, ledger_payment_id) WHERE ledger_payment_id <> '';

-- Returns booked, by the ledger payment id they undo.
CREATE TABLE returns (
    tenant            text NOT NULL,
    ledger_payment_id text NOT NULL,
    return_id         text NOT NULL,
    PRIMARY KEY (tenant, ledger_payment_id)
);

-- What the engine learned from people's decisions: payments from this
-- counterparty (ingestion's id) are the debtor's. The counterparty's name
-- and IBAN are resolved from ingestion at start.
CREATE TABLE learned_payers (
    tenant          text        NOT NULL,
    counterparty_id text        NOT NULL,
    debtor_id       text        NOT NULL,
    confirmations   integer     NOT NULL,
    last_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant, counterparty_id, debtor_id)
);

-- Marketplace settlement reports (ingestion's SettlementReportReceived and
-- its SettlementLinesReceived batches, kept as received). A report is
-- complete when all batch_count batches are there; paid_by is the payment
-- that paid it out, once one was matched to it.
CREATE TABLE settlement_reports (
    tenant        text    NOT NULL,
    settlement_id text    NOT NULL,
    report        bytea   NOT NULL,
    batch_count   integer NOT NULL,
    paid_by       text    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, settlement_id)
);
CREATE TABLE settlement_batches (
    tenant        text    NOT NULL,
    settlement_id text    NOT NULL,
    batch_index   integer NOT NULL,
    lines         bytea   NOT NULL,
    PRIMARY KEY (tenant, settlement_id, batch_index)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON items, invoice_terms, ledger_settlements, ledger_entries, sent_allocations,
    payments, returns, learned_payers, settlement_reports, settlement_batches TO matching_app;

-- +goose Down
DROP TABLE settlement_batches;
DROP TABLE settlement_reports;
DROP TABLE learned_payers;
DROP TABLE returns;
DROP TABLE payments;
DROP TABLE sent_allocations;
DROP TABLE ledger_entries;
DROP TABLE ledger_settlements;
DROP TABLE invoice_terms;
DROP TABLE items;
