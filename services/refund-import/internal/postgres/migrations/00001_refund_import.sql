-- +goose Up
-- Refund import's read models. The refunds' own events (RefundDecided,
-- with the ledger commands they send) are in the event store; refunds is
-- written in the same transaction as those events, so a decision, its
-- command and this row are stored together or not at all.

-- One row per refund (key = adjustment id | order id | item, reversals
-- prefixed "reversal:"), with what was decided; version is its stream's.
CREATE TABLE refunds (
    tenant                 text        NOT NULL,
    key                    text        NOT NULL,
    adjustment_id          text        NOT NULL,
    order_id               text        NOT NULL,
    item                   text        NOT NULL,
    reversal               boolean     NOT NULL,
    state                  smallint    NOT NULL,
    seller_account         text        NOT NULL,
    open_item_id           text        NOT NULL DEFAULT '',
    credit_note_number     text        NOT NULL DEFAULT '',
    posted                 timestamptz,
    version                bigint      NOT NULL,
    refund                 bytea       NOT NULL,
    decided_at             timestamptz NOT NULL,
    PRIMARY KEY (tenant, key),
    UNIQUE (tenant, adjustment_id, order_id, item, reversal)
);
CREATE INDEX refunds_order ON refunds (tenant, order_id);
CREATE INDEX refunds_credit_note ON refunds (tenant, credit_note_number) WHERE credit_note_number <> '';
CREATE INDEX refunds_listing ON refunds (tenant, posted DESC, key);

-- How far each seller account's import got: the PostedBefore of the last
-- window imported completely, and the creation time of the newest
-- settlement report fetched.
CREATE TABLE progress (
    tenant           text        NOT NULL,
    seller_account   text        NOT NULL,
    completed_before timestamptz,
    reports_since    timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, seller_account)
);

-- The ledger's open items of orders (OpenItemOpened, OpenItemClassified);
-- classified says the VAT lines are known, without which no credit note
-- is built.
CREATE TABLE items (
    tenant       text     NOT NULL,
    item_id      text     NOT NULL,
    order_id     text     NOT NULL,
    debtor_id    text     NOT NULL,
    currency     text     NOT NULL,
    amount_minor bigint   NOT NULL,
    marketplace  text     NOT NULL DEFAULT '',
    vat          bytea,
    classified   boolean  NOT NULL DEFAULT false,
    PRIMARY KEY (tenant, item_id)
);
CREATE INDEX items_order ON items (tenant, order_id);

-- Credit notes that cleared an item (OpenItemCleared settlements of kind
-- credit note), undone when an OpenItemReopened names them.
CREATE TABLE credit_notes (
    tenant        text    NOT NULL,
    settlement_id text    NOT NULL,
    item_id       text    NOT NULL,
    number        text    NOT NULL,
    amount_minor  bigint  NOT NULL,
    entry_id      text    NOT NULL,
    undone        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant, settlement_id)
);
CREATE INDEX credit_notes_item ON credit_notes (tenant, item_id);

-- The journal entry of every credit note the ledger reported (from its
-- settlements and from the credit balances it opened), by number: what a
-- reversal reverses.
CREATE TABLE ledger_entries (
    tenant   text NOT NULL,
    document text NOT NULL,
    entry_id text NOT NULL,
    PRIMARY KEY (tenant, document)
);

-- Every SP-API request and response, secrets redacted (spapi.Exchange).
CREATE TABLE exchanges (
    id               bigserial   PRIMARY KEY,
    tenant           text        NOT NULL,
    seller_account   text        NOT NULL,
    operation        text        NOT NULL,
    method           text        NOT NULL,
    url              text        NOT NULL,
    request_headers  jsonb       NOT NULL,
    status           integer     NOT NULL,
    response_body    bytea,
    started          timestamptz NOT NULL,
    duration_ms      bigint      NOT NULL,
    attempt          integer     NOT NULL
);
CREATE INDEX exchanges_account ON exchanges (tenant, seller_account, started);

-- Settlement reports fetched through the Reports API and handed to
-- ingestion (SettlementReportFetched).
CREATE TABLE settlement_fetches (
    tenant         text        NOT NULL,
    seller_account text        NOT NULL,
    report_id      text        NOT NULL,
    created        timestamptz NOT NULL,
    fetched        bytea       NOT NULL,
    PRIMARY KEY (tenant, seller_account, report_id)
);
CREATE INDEX settlement_fetches_listing ON settlement_fetches (tenant, created DESC, report_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON refunds, progress, items, credit_notes, ledger_entries, exchanges,
    settlement_fetches TO refund_import_app;
GRANT USAGE ON SEQUENCE exchanges_id_seq TO refund_import_app;

-- +goose Down
DROP TABLE settlement_fetches;
DROP TABLE exchanges;
DROP TABLE ledger_entries;
DROP TABLE credit_notes;
DROP TABLE items;
DROP TABLE progress;
DROP TABLE refunds;
