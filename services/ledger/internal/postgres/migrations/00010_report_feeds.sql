-- +goose Up
-- What other services tell the ledger about its items and debtors, kept for
-- the reports on both time axes: effective_date is when the fact holds (the
-- dunning decision's date, the block's set and lift dates, the collection
-- step's date, the day of the customer data's version), recorded_at when the
-- ledger learned it (the database's clock when the feed's message was
-- stored), so that a report "as we knew it then" leaves out what arrived
-- later. Rows are only ever inserted (a block's lift fills its two lift
-- columns once); each is keyed by the event it came from, so a redelivered
-- message stores nothing twice and keeps its first recorded_at. seq is the
-- message's sequence in its stream: it orders facts of one effective date.
-- None of these tables is projected from the ledger's own events; they are
-- fed by the consumers of dunning's, collections', matching's and
-- ingestion's streams.

-- Dunning levels: one row per item per dunning decision that listed it
-- (DunningDecisionRecorded.items[].level_after).
CREATE TABLE report_dunning_levels (
    tenant         text        NOT NULL,
    open_item_id   uuid        NOT NULL,
    event_id       uuid        NOT NULL,
    debtor_id      text        NOT NULL,
    level          int         NOT NULL,
    effective_date date        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    seq            bigint      NOT NULL,
    PRIMARY KEY (tenant, open_item_id, event_id)
);
CREATE INDEX report_dunning_levels_at ON report_dunning_levels (tenant, open_item_id, effective_date DESC, seq DESC);

-- Dunning blocks (BlockSet, BlockLifted) on a debtor (open_item_id NULL) or
-- one item.
CREATE TABLE report_dunning_blocks (
    tenant             text        NOT NULL,
    block_id           text        NOT NULL,
    debtor_id          text        NOT NULL,
    open_item_id       uuid,
    reason             text        NOT NULL,
    set_date           date        NOT NULL,
    expires            date,
    set_recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    lifted_on          date,
    lifted_recorded_at timestamptz,
    PRIMARY KEY (tenant, block_id)
);
CREATE INDEX report_dunning_blocks_debtor ON report_dunning_blocks (tenant, debtor_id);

-- The items of each collection case (CaseReleased), and each step of a case
-- as a status of its items.
CREATE TABLE report_collection_items (
    tenant       text NOT NULL,
    case_id      text NOT NULL,
    open_item_id uuid NOT NULL,
    PRIMARY KEY (tenant, case_id, open_item_id)
);
CREATE TABLE report_collection_statuses (
    tenant         text        NOT NULL,
    open_item_id   uuid        NOT NULL,
    event_id       uuid        NOT NULL,
    case_id        text        NOT NULL,
    status         text        NOT NULL,
    effective_date date        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    seq            bigint      NOT NULL,
    PRIMARY KEY (tenant, open_item_id, event_id)
);
CREATE INDEX report_collection_statuses_at ON report_collection_statuses (tenant, open_item_id, effective_date DESC, seq DESC);

-- Matching's decisions (PaymentDecided AUTO, PaymentMatched) by the journal
-- entry the ledger books the payment under (books.PaymentEntryID of the
-- ledger payment id): auto when no person decided.
CREATE TABLE report_payment_decisions (
    tenant      text        NOT NULL,
    entry_id    uuid        NOT NULL,
    event_id    uuid        NOT NULL,
    payment_id  text        NOT NULL,
    auto        boolean     NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant, entry_id, event_id)
);

-- Customer groups (ingestion's CustomerIngested): one row per version of a
-- debtor's data, effective on the day the shop changed it.
CREATE TABLE report_customer_groups (
    tenant         text        NOT NULL,
    debtor_id      text        NOT NULL,
    event_id       uuid        NOT NULL,
    customer_group text        NOT NULL,
    updated_at     timestamptz NOT NULL,
    effective_date date        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    seq            bigint      NOT NULL,
    PRIMARY KEY (tenant, debtor_id, event_id)
);
CREATE INDEX report_customer_groups_at ON report_customer_groups (tenant, debtor_id, effective_date DESC, updated_at DESC, seq DESC);

GRANT SELECT, INSERT ON report_dunning_levels, report_collection_items, report_collection_statuses,
    report_payment_decisions, report_customer_groups TO ledger_app;
GRANT SELECT, INSERT, UPDATE ON report_dunning_blocks TO ledger_app;

-- +goose Down
DROP TABLE report_customer_groups;
DROP TABLE report_payment_decisions;
DROP TABLE report_collection_statuses;
DROP TABLE report_collection_items;
DROP TABLE report_dunning_blocks;
DROP TABLE report_dunning_levels;
