-- +goose Up
-- The debtors' names an issued report showed (layout 1), as ingestion's
-- master data gave them when it was issued: the issued file holds them too,
-- and both are kept with the report for its statutory period. A
-- reproduction renders these names, so that it compares byte for byte,
-- except for a debtor erased since, whom the file it returns names
-- "[erased]".
CREATE TABLE issued_report_names (
    tenant    text NOT NULL,
    report_id uuid NOT NULL,
    debtor_id text NOT NULL,
    name      text NOT NULL,
    PRIMARY KEY (tenant, report_id, debtor_id)
);

GRANT SELECT, INSERT ON issued_report_names TO ledger_app;

-- +goose Down
DROP TABLE issued_report_names;
