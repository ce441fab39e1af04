-- +goose Up
-- Who erased a debtor's personal data (the authenticated actor); erased_at
-- says when. An erased row keeps its (tenant, debtor_id) so that the events
-- naming the debtor still resolve, and nothing personal.
ALTER TABLE debtors ADD COLUMN erased_by text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE debtors DROP COLUMN erased_by;
