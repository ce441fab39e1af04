-- +goose Up
-- Read model: account balances per (tenant, account, currency), projected
-- from journal entries in the same transaction as the projection's
-- checkpoint. Amounts are minor units: debit_minor and credit_minor are the
-- turnovers (both >= 0), balance_minor = debit_minor - credit_minor (debit
-- positive). debtor marks a debtor personal account (five digits, 10000 to
-- 69999, as postgres.DebtorAccountPattern), which rolls up into the
-- receivables control account.
CREATE TABLE account_balances (
    tenant        text    NOT NULL,
    account       text    NOT NULL,
    currency      text    NOT NULL,
    debtor        boolean NOT NULL DEFAULT false,
    debit_minor   bigint  NOT NULL DEFAULT 0,
    credit_minor  bigint  NOT NULL DEFAULT 0,
    balance_minor bigint  NOT NULL DEFAULT 0,
    lines         bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, account, currency)
);

-- Read model: the roll-up the receivables control account (1400) reports,
-- kept apart from account_balances so the trial balance does not count the
-- debtor postings twice. The runtime invariant compares it with the sum of
-- the debtor personal accounts.
CREATE TABLE control_balances (
    tenant        text   NOT NULL,
    account       text   NOT NULL,
    currency      text   NOT NULL,
    balance_minor bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, account, currency)
);

-- Backfill from the journal lines projected before this migration: they
-- share the projection's checkpoint, so later lines are added on top.
INSERT INTO account_balances (tenant, account, currency, debtor, debit_minor, credit_minor, balance_minor, lines)
SELECT tenant, account, currency, account ~ '^[1-6][0-9]{4}$',
       COALESCE(sum(amount_minor) FILTER (WHERE amount_minor > 0), 0),
       COALESCE(-sum(amount_minor) FILTER (WHERE amount_minor < 0), 0),
       sum(amount_minor), count(*)
FROM journal_lines GROUP BY tenant, account, currency;
INSERT INTO control_balances (tenant, account, currency, balance_minor)
SELECT tenant, '1400', currency, sum(amount_minor)
FROM journal_lines WHERE account ~ '^[1-6][0-9]{4}$' GROUP BY tenant, currency;

GRANT SELECT, INSERT, UPDATE ON account_balances, control_balances TO ledger_app;

-- +goose Down
DROP TABLE control_balances;
DROP TABLE account_balances;
