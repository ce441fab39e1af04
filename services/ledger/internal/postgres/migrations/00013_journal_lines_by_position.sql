-- +goose Up
-- journal_lines were keyed by (tenant, entry_id, leg_no). Entry ids are
-- name-based UUIDs, so every projected line went into a random leaf of
-- that index: the most expensive of the line's index entries in CPU and
-- WAL. A line is just as well identified by the event that posted it:
-- each JournalEntryPosted is one entry at one position and one effective
-- date, with distinct leg numbers. The paging index already holds
-- (tenant, effective_date, event_position, leg_no); made unique, it is the
-- arbiter of the projection's ON CONFLICT DO NOTHING, and the key goes.
-- Finding an entry's lines by its id (the date of a reopening's entry)
-- uses an index of each entry's first line only.
CREATE UNIQUE INDEX journal_lines_line ON journal_lines (tenant, effective_date, event_position, leg_no);
DROP INDEX journal_lines_paging;
ALTER TABLE journal_lines DROP CONSTRAINT journal_lines_pkey;
CREATE INDEX journal_lines_entry ON journal_lines (tenant, entry_id) WHERE leg_no = 0;

-- +goose Down
DROP INDEX journal_lines_entry;
ALTER TABLE journal_lines ADD PRIMARY KEY (tenant, entry_id, leg_no);
CREATE INDEX journal_lines_paging ON journal_lines (tenant, effective_date, event_position, leg_no);
DROP INDEX journal_lines_line;
