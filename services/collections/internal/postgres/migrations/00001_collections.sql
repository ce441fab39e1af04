-- +goose Up
-- Collections' read models. Personal data (names, addresses) is never
-- stored here: it stays in ingestion and is read when an agency asks for a
-- case. cases, case_items and changes are projections of collections' own
-- events (the case streams), written in the transaction that moves the
-- projection's checkpoint; items, blocks and debtors follow the ledger's,
-- dunning's and ingestion's events.

-- Each case as it stands: the columns the lists and the report filter and
-- sum by, and the case as the API shows it (o2c.collections.v1.Case,
-- without personal data). version is the case stream's version the row
-- was folded from, so an older fold never overwrites a newer one.
CREATE TABLE cases (
    tenant        text   NOT NULL,
    case_id       text   NOT NULL,
    agency        text   NOT NULL DEFAULT '',
    debtor_id     text   NOT NULL,
    status        text   NOT NULL,
    released_on   date   NOT NULL,
    currency      text   NOT NULL,
    handed_over   bigint NOT NULL DEFAULT 0,
    open_minor    bigint NOT NULL DEFAULT 0,
    collected     bigint NOT NULL DEFAULT 0,
    recovered     bigint NOT NULL DEFAULT 0,
    paid_directly bigint NOT NULL DEFAULT 0,
    written_off   bigint NOT NULL DEFAULT 0,
    commission    bigint NOT NULL DEFAULT 0,
    version       bigint NOT NULL,
    snapshot      bytea  NOT NULL,
    PRIMARY KEY (tenant, case_id)
);
CREATE INDEX cases_agency ON cases (tenant, agency, released_on);

-- The items of each case; active while the case is with its agency and
-- the item not recalled. An item is in collection while some row is
-- active: it is neither released again nor dunned.
CREATE TABLE case_items (
    tenant  text    NOT NULL,
    item_id text    NOT NULL,
    case_id text    NOT NULL,
    active  boolean NOT NULL,
    PRIMARY KEY (tenant, item_id, case_id)
);
CREATE INDEX case_items_active ON case_items (tenant, item_id) WHERE active;

-- The agencies' feed: one row per event of a case, in the order the
-- projection saw them; AgencyService.StreamCases resumes after a seq.
CREATE TABLE changes (
    seq     bigserial PRIMARY KEY,
    tenant  text   NOT NULL,
    agency  text   NOT NULL,
    case_id text   NOT NULL,
    version bigint NOT NULL,
    change  text   NOT NULL,
    UNIQUE (tenant, case_id, version)
);
CREATE INDEX changes_agency ON changes (tenant, agency, seq);

-- Open items as the ledger's events describe them, for manual releases.
-- seq is the ledger stream sequence of the last event applied.
CREATE TABLE items (
    tenant          text    NOT NULL,
    item_id         text    NOT NULL,
    debtor_id       text    NOT NULL,
    claim_id        text    NOT NULL DEFAULT '',
    component       text    NOT NULL DEFAULT 'principal',
    document_number text    NOT NULL DEFAULT '',
    currency        text    NOT NULL,
    amount_minor    bigint  NOT NULL,
    open_minor      bigint  NOT NULL,
    document_date   date,
    due_date        date,
    tax_rate_bp     integer NOT NULL DEFAULT 0,
    seq             bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, item_id)
);
CREATE INDEX items_debtor ON items (tenant, debtor_id);

-- Dunning blocks (dunning's BlockSet, BlockLifted): a block keeps an item
-- (or the whole debtor, item_id '') out of collections; reason 'dispute'
-- is a dispute.
CREATE TABLE blocks (
    tenant    text    NOT NULL,
    block_id  text    NOT NULL,
    debtor_id text    NOT NULL,
    item_id   text    NOT NULL DEFAULT '',
    reason    text    NOT NULL,
    lifted    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant, block_id)
);
CREATE INDEX blocks_debtor ON blocks (tenant, debtor_id) WHERE NOT lifted;

-- Debtors' kind and group from ingestion's CustomerIngested.
CREATE TABLE debtors (
    tenant    text NOT NULL,
    debtor_id text NOT NULL,
    kind      text NOT NULL DEFAULT 'b2c',
    grp       text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, debtor_id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON cases, case_items, changes, items, blocks, debtors TO collections_app;
GRANT USAGE ON SEQUENCE changes_seq_seq TO collections_app;

-- +goose Down
DROP TABLE debtors;
DROP TABLE blocks;
DROP TABLE items;
DROP TABLE changes;
DROP TABLE case_items;
DROP TABLE cases;
