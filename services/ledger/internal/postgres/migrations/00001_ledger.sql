-- +goose Up
-- Debtor personal accounts: assigned on first sight of a debtor, never
-- changed. The numbers are also written into the ledger's events, so a replay
-- does not depend on this table.
CREATE TABLE debtor_accounts (
    tenant     text   NOT NULL,
    debtor_id  text   NOT NULL,
    account_no bigint NOT NULL,
    PRIMARY KEY (tenant, debtor_id),
    UNIQUE (tenant, account_no)
);

-- Read model: journal lines, one row per leg (debit positive, credit negative).
CREATE TABLE journal_lines (
    tenant          text   NOT NULL,
    entry_id        uuid   NOT NULL,
    leg_no          int    NOT NULL,
    account         text   NOT NULL,
    debtor_id       text   NOT NULL DEFAULT '',
    currency        text   NOT NULL,
    amount_minor    bigint NOT NULL,
    effective_date  date   NOT NULL,
    document_number text   NOT NULL,
    tax_key         text   NOT NULL DEFAULT '',
    event_position  bigint NOT NULL,
    PRIMARY KEY (tenant, entry_id, leg_no)
);
CREATE INDEX journal_lines_account ON journal_lines (tenant, account, effective_date);

-- Read model: open items (Offene Posten).
CREATE TABLE open_items (
    tenant            text   NOT NULL,
    id                uuid   NOT NULL,
    debtor_id         text   NOT NULL,
    debtor_account    text   NOT NULL,
    kind              text   NOT NULL,
    document_number   text   NOT NULL,
    order_id          text   NOT NULL DEFAULT '',
    currency          text   NOT NULL,
    amount_minor      bigint NOT NULL,
    open_minor        bigint NOT NULL,
    document_date     date   NOT NULL,
    due_date          date   NOT NULL,
    payment_reference text   NOT NULL DEFAULT '',
    entry_id          uuid   NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX open_items_debtor ON open_items (tenant, debtor_id, due_date);

GRANT SELECT, INSERT ON debtor_accounts TO ledger_app;
GRANT SELECT, INSERT, UPDATE ON journal_lines, open_items TO ledger_app;

-- +goose Down
DROP TABLE open_items;
DROP TABLE journal_lines;
DROP TABLE debtor_accounts;
