-- +goose Up
-- Issued reports (ReportService.IssueReport): what was asked (request, the
-- deterministic protobuf encoding of the IssueReportRequest with as_of and
-- known_at resolved), when and by whom, the SHA-256 of the figures and of
-- the file, and the file itself, kept for the statutory retention period.
-- The service's role may only insert and read: an issued report is never
-- changed or deleted by the ledger.
CREATE TABLE issued_reports (
    tenant       text        NOT NULL,
    id           uuid        NOT NULL,
    kind         int         NOT NULL,
    format       int         NOT NULL,
    request      bytea       NOT NULL,
    as_of        date        NOT NULL,
    known_at     timestamptz NOT NULL,
    issued_at    timestamptz NOT NULL,
    issued_by    text        NOT NULL,
    file_name    text        NOT NULL,
    content_hash bytea       NOT NULL,
    file_hash    bytea       NOT NULL,
    rows         bigint      NOT NULL,
    file         bytea       NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX issued_reports_recent ON issued_reports (tenant, issued_at DESC, id DESC);

-- Keyset paging of the open-item list per debtor at a key date.
CREATE INDEX open_items_report ON open_items (tenant, debtor_id, due_date, document_number, id);

GRANT SELECT, INSERT ON issued_reports TO ledger_app;

-- +goose Down
DROP INDEX open_items_report;
DROP TABLE issued_reports;
