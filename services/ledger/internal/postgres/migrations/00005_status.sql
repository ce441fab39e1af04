-- +goose Up
-- Read model: the last status fact (o2c.status.v1) per invoice item and per
-- customer and currency, as published on the shops' status feed; the
-- StatusService answers from it. fact is the fact's deterministic protobuf
-- encoding; event_position the position of the event that wrote it, so an
-- older fact never overwrites a newer one. A debtor merge opens the
-- invoice again on the survivor (a new item, the same invoice number): the
-- row with the highest event_position per invoice number is the current one.
CREATE TABLE invoice_status (
    tenant         text   NOT NULL,
    open_item_id   text   NOT NULL,
    invoice_number text   NOT NULL,
    debtor_id      text   NOT NULL,
    status         text   NOT NULL,
    fact           bytea  NOT NULL,
    event_position bigint NOT NULL,
    PRIMARY KEY (tenant, open_item_id)
);
CREATE INDEX invoice_status_number ON invoice_status (tenant, invoice_number, event_position);
CREATE INDEX invoice_status_debtor ON invoice_status (tenant, debtor_id);

CREATE TABLE customer_status (
    tenant         text   NOT NULL,
    debtor_id      text   NOT NULL,
    currency       text   NOT NULL,
    fact           bytea  NOT NULL,
    event_position bigint NOT NULL,
    PRIMARY KEY (tenant, debtor_id, currency)
);

GRANT SELECT, INSERT, UPDATE ON invoice_status, customer_status TO ledger_app;

-- +goose Down
DROP TABLE customer_status;
DROP TABLE invoice_status;
