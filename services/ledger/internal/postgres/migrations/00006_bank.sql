-- +goose Up
-- Read model: the closing balance of every bank statement the ledger
-- recorded (StatementBalanceRecorded), against which the bank account's
-- G/L account is reconciled: the sum of its journal lines in currency with
-- effective_date <= closing_date must equal closing_minor. opening_minor and
-- opening_date are the statement's opening balance when it had one;
-- opening_entry_id the entry that booked it (the first statement of an
-- account without earlier lines), else NULL.
CREATE TABLE bank_statements (
    tenant           text        NOT NULL,
    statement_key    text        NOT NULL,
    iban             text        NOT NULL,
    account          text        NOT NULL,
    currency         text        NOT NULL,
    closing_minor    bigint      NOT NULL,
    closing_date     date        NOT NULL,
    opening_minor    bigint,
    opening_date     date,
    statement_id     text        NOT NULL DEFAULT '',
    sequence         text        NOT NULL DEFAULT '',
    opening_entry_id uuid,
    recorded_at      timestamptz NOT NULL,
    event_position   bigint      NOT NULL,
    PRIMARY KEY (tenant, statement_key)
);
CREATE INDEX bank_statements_iban ON bank_statements (tenant, iban, closing_date);

GRANT SELECT, INSERT ON bank_statements TO ledger_app;

-- +goose Down
DROP TABLE bank_statements;
