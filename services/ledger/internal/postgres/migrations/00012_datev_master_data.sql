-- +goose Up
-- The debtor master data a closed period's DATEV export wrote (Debitoren/
-- Kreditoren), as ingestion's profiles gave it at the first export of the
-- period as closed at closed_at: a later export of the same closed period
-- writes these records again, so that it gives the same bytes. Once
-- ingestion reports a debtor erased, its rows (every period's) are
-- replaced by the pseudonymised profile {"erased": true}: the ledger then
-- keeps none of its personal data, and the next export writes "[erased]".
CREATE TABLE datev_master_data (
    tenant    text        NOT NULL,
    year      int         NOT NULL,
    month     int         NOT NULL,
    closed_at timestamptz NOT NULL,
    account   text        NOT NULL,
    debtor_id text        NOT NULL,
    profile   jsonb       NOT NULL,
    PRIMARY KEY (tenant, year, month, closed_at, account)
);

CREATE INDEX datev_master_data_debtor ON datev_master_data (tenant, debtor_id);

GRANT SELECT, INSERT, UPDATE ON datev_master_data TO ledger_app;

-- +goose Down
DROP TABLE datev_master_data;
