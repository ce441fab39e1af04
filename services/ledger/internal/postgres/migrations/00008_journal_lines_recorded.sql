-- +goose Up
-- Every query of journal_lines that bounds recorded_at also names the
-- tenant's account and bounds effective_date (balances, statements) or
-- pages by (effective_date, event_position, leg_no) (the journal), which
-- journal_lines_account and journal_lines_paging serve; an index on
-- (tenant, account, recorded_at) only cost every projected line an index
-- insert and its WAL.
DROP INDEX journal_lines_recorded;

-- +goose Down
CREATE INDEX journal_lines_recorded ON journal_lines (tenant, account, recorded_at);
