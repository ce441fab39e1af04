-- +goose Up
-- Both time axes on every journal line: effective_date (when it counts) and
-- recorded_at (when the ledger learned it, the event's recorded time), so
-- balances can be asked "as of 31 March, as we knew it on 5 April".
ALTER TABLE journal_lines ADD COLUMN recorded_at timestamptz;
UPDATE journal_lines l SET recorded_at = e.recorded_at FROM events e WHERE e.position = l.event_position;
UPDATE journal_lines SET recorded_at = now() WHERE recorded_at IS NULL;
ALTER TABLE journal_lines ALTER COLUMN recorded_at SET NOT NULL;
CREATE INDEX journal_lines_recorded ON journal_lines (tenant, account, recorded_at);
-- Stable paging of journal listings and statements: (effective_date, event_position, leg_no).
CREATE INDEX journal_lines_paging ON journal_lines (tenant, effective_date, event_position, leg_no);
CREATE INDEX journal_lines_debtor ON journal_lines (tenant, debtor_id, effective_date) WHERE debtor_id <> '';

-- Settlement records: which entry cleared (positive) or reopened (negative)
-- how much of which open item, when, and by whom or which rule.
CREATE TABLE settlements (
    tenant          text        NOT NULL,
    id              uuid        NOT NULL,
    open_item_id    uuid        NOT NULL,
    debtor_id       text        NOT NULL,
    entry_id        uuid,
    kind            text        NOT NULL,
    currency        text        NOT NULL,
    amount_minor    bigint      NOT NULL,
    effective_date  date        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    rule            text        NOT NULL DEFAULT '',
    actor           text        NOT NULL DEFAULT '',
    event_position  bigint      NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX settlements_item ON settlements (tenant, open_item_id, effective_date);

ALTER TABLE open_items ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE open_items ADD COLUMN part text NOT NULL DEFAULT 'principal';
ALTER TABLE open_items ADD COLUMN dunnable boolean NOT NULL DEFAULT true;
ALTER TABLE open_items ADD COLUMN marketplace text NOT NULL DEFAULT '';
ALTER TABLE open_items ADD COLUMN buyer_id text NOT NULL DEFAULT '';

GRANT SELECT, INSERT, UPDATE ON settlements TO ledger_app;

-- +goose Down
DROP TABLE settlements;
ALTER TABLE open_items DROP COLUMN buyer_id, DROP COLUMN marketplace, DROP COLUMN dunnable, DROP COLUMN part, DROP COLUMN recorded_at;
DROP INDEX journal_lines_debtor;
DROP INDEX journal_lines_paging;
DROP INDEX journal_lines_recorded;
ALTER TABLE journal_lines DROP COLUMN recorded_at;
