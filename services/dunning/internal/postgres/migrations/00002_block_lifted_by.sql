-- +goose Up
-- Who lifted a block (BlockLifted's actor), so that the console's audit of
-- a debtor shows it. Blocks lifted before this column existed keep ''.
ALTER TABLE blocks ADD COLUMN lifted_by text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE blocks DROP COLUMN lifted_by;
