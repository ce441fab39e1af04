-- +goose Up
-- Which debtor stream holds an entry or open item, so that commands naming
-- only an open item (WriteOff), an entry (ReverseEntry) or a payment
-- (ReturnPayment) find the one stream to decide on. Written after every
-- command and rebuilt by the projection from the debtor streams.
CREATE TABLE command_routes (
    tenant    text NOT NULL,
    kind      text NOT NULL, -- 'entry' or 'item'
    ref       text NOT NULL,
    debtor_id text NOT NULL,
    PRIMARY KEY (tenant, kind, ref)
);

-- Accounting periods (calendar months) that were ever closed: closed says
-- whether they are closed now, actor, reason and changed_at who changed
-- that last, when and why.
CREATE TABLE periods (
    tenant         text        NOT NULL,
    year           int         NOT NULL,
    month          int         NOT NULL,
    closed         boolean     NOT NULL,
    actor          text        NOT NULL,
    reason         text        NOT NULL,
    changed_at     timestamptz NOT NULL,
    event_position bigint      NOT NULL,
    PRIMARY KEY (tenant, year, month)
);

CREATE INDEX open_items_open ON open_items (tenant, debtor_id, currency) WHERE open_minor <> 0;

GRANT SELECT, INSERT ON command_routes TO ledger_app;
GRANT SELECT, INSERT, UPDATE ON periods TO ledger_app;

-- +goose Down
DROP INDEX open_items_open;
DROP TABLE periods;
DROP TABLE command_routes;
