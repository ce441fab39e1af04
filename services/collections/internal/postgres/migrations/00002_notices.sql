-- +goose Up
-- Dunning notices (dunning's NoticeIssued): their date and level, for the
-- dunning history a case shows its agency (the dates that prove default).
CREATE TABLE notices (
    tenant    text    NOT NULL,
    notice_id text    NOT NULL,
    debtor_id text    NOT NULL,
    day       date    NOT NULL,
    level     integer NOT NULL,
    PRIMARY KEY (tenant, notice_id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON notices TO collections_app;

-- +goose Down
DROP TABLE notices;
