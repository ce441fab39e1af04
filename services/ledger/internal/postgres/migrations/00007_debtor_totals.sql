-- +goose Up
-- Running totals per debtor and currency for the runtime open-items
-- invariant (postgres.InvariantOpenItems): lines_minor is the sum of the
-- debtor's journal lines in entries of debtor streams (those command_routes
-- lists as kind 'entry'), open_minor the sum of the open amounts of the
-- debtor's open items. The invariant holds when the two are equal. Statement
-- triggers keep them current with every change of journal_lines and
-- open_items, whoever makes it, so that the check after each projection
-- batch reads one row per touched debtor instead of summing the debtor's
-- whole history. A route is recorded before its entry's lines are projected
-- (the commander writes it after its append, the projection in the same
-- transaction before the lines), so the totals count the lines the
-- invariant is about.
CREATE TABLE debtor_totals (
    tenant      text   NOT NULL,
    debtor_id   text   NOT NULL,
    currency    text   NOT NULL,
    lines_minor bigint NOT NULL DEFAULT 0,
    open_minor  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, debtor_id, currency)
);

INSERT INTO debtor_totals (tenant, debtor_id, currency, lines_minor, open_minor)
SELECT tenant, debtor_id, currency, sum(lines_minor), sum(open_minor)
FROM (
    SELECT l.tenant, l.debtor_id, l.currency, l.amount_minor AS lines_minor, 0 AS open_minor
    FROM journal_lines l
    JOIN command_routes r ON r.tenant = l.tenant AND r.kind = 'entry' AND r.ref = l.entry_id::text
    WHERE l.debtor_id <> ''
    UNION ALL
    SELECT tenant, debtor_id, currency, 0, open_minor FROM open_items
) t
GROUP BY tenant, debtor_id, currency;

-- The functions add what a statement changed: the rows it inserted, the
-- new rows minus the old ones of an update, minus the rows it deleted (a
-- debtor and currency without a row has both totals zero). A
-- trigger with transition tables takes one event, and a function may name
-- only the transition tables of the trigger that runs it; PL/pgSQL parses
-- a statement when it first runs, so each branch names only its own. The
-- functions keep the migration's search_path (the ledger's schema), so
-- that they find their tables whoever changes the rows.
-- +goose StatementBegin
CREATE FUNCTION debtor_totals_lines() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO debtor_totals AS t (tenant, debtor_id, currency, lines_minor)
        SELECT c.tenant, c.debtor_id, c.currency, sum(c.amount_minor)
        FROM (SELECT tenant, debtor_id, currency, entry_id, amount_minor FROM new_lines) c
        JOIN command_routes r ON r.tenant = c.tenant AND r.kind = 'entry' AND r.ref = c.entry_id::text
        WHERE c.debtor_id <> ''
        GROUP BY c.tenant, c.debtor_id, c.currency HAVING sum(c.amount_minor) <> 0
        ON CONFLICT (tenant, debtor_id, currency) DO UPDATE SET lines_minor = t.lines_minor + EXCLUDED.lines_minor;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO debtor_totals AS t (tenant, debtor_id, currency, lines_minor)
        SELECT c.tenant, c.debtor_id, c.currency, sum(c.amount_minor)
        FROM (SELECT tenant, debtor_id, currency, entry_id, amount_minor FROM new_lines UNION ALL SELECT tenant, debtor_id, currency, entry_id, -amount_minor FROM old_lines) c
        JOIN command_routes r ON r.tenant = c.tenant AND r.kind = 'entry' AND r.ref = c.entry_id::text
        WHERE c.debtor_id <> ''
        GROUP BY c.tenant, c.debtor_id, c.currency HAVING sum(c.amount_minor) <> 0
        ON CONFLICT (tenant, debtor_id, currency) DO UPDATE SET lines_minor = t.lines_minor + EXCLUDED.lines_minor;
    ELSE
        INSERT INTO debtor_totals AS t (tenant, debtor_id, currency, lines_minor)
        SELECT c.tenant, c.debtor_id, c.currency, sum(c.amount_minor)
        FROM (SELECT tenant, debtor_id, currency, entry_id, -amount_minor FROM old_lines) c
        JOIN command_routes r ON r.tenant = c.tenant AND r.kind = 'entry' AND r.ref = c.entry_id::text
        WHERE c.debtor_id <> ''
        GROUP BY c.tenant, c.debtor_id, c.currency HAVING sum(c.amount_minor) <> 0
        ON CONFLICT (tenant, debtor_id, currency) DO UPDATE SET lines_minor = t.lines_minor + EXCLUDED.lines_minor;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION debtor_totals_items() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO debtor_totals AS t (tenant, debtor_id, currency, open_minor)
        SELECT c.tenant, c.debtor_id, c.currency, sum(c.open_minor)
        FROM (SELECT tenant, debtor_id, currency, open_minor FROM new_items) c
        GROUP BY c.tenant, c.debtor_id, c.currency HAVING sum(c.open_minor) <> 0
        ON CONFLICT (tenant, debtor_id, currency) DO UPDATE SET open_minor = t.open_minor + EXCLUDED.open_minor;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO debtor_totals AS t (tenant, debtor_id, currency, open_minor)
        SELECT c.tenant, c.debtor_id, c.currency, sum(c.open_minor)
        FROM (SELECT tenant, debtor_id, currency, open_minor FROM new_items UNION ALL SELECT tenant, debtor_id, currency, -open_minor FROM old_items) c
        GROUP BY c.tenant, c.debtor_id, c.currency HAVING sum(c.open_minor) <> 0
        ON CONFLICT (tenant, debtor_id, currency) DO UPDATE SET open_minor = t.open_minor + EXCLUDED.open_minor;
    ELSE
        INSERT INTO debtor_totals AS t (tenant, debtor_id, currency, open_minor)
        SELECT c.tenant, c.debtor_id, c.currency, sum(c.open_minor)
        FROM (SELECT tenant, debtor_id, currency, -open_minor FROM old_items) c
        GROUP BY c.tenant, c.debtor_id, c.currency HAVING sum(c.open_minor) <> 0
        ON CONFLICT (tenant, debtor_id, currency) DO UPDATE SET open_minor = t.open_minor + EXCLUDED.open_minor;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER debtor_totals_lines_insert AFTER INSERT ON journal_lines
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION debtor_totals_lines();
CREATE TRIGGER debtor_totals_lines_update AFTER UPDATE ON journal_lines
    REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION debtor_totals_lines();
CREATE TRIGGER debtor_totals_lines_delete AFTER DELETE ON journal_lines
    REFERENCING OLD TABLE AS old_lines FOR EACH STATEMENT EXECUTE FUNCTION debtor_totals_lines();
CREATE TRIGGER debtor_totals_items_insert AFTER INSERT ON open_items
    REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION debtor_totals_items();
CREATE TRIGGER debtor_totals_items_update AFTER UPDATE ON open_items
    REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION debtor_totals_items();
CREATE TRIGGER debtor_totals_items_delete AFTER DELETE ON open_items
    REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION debtor_totals_items();

GRANT SELECT, INSERT, UPDATE ON debtor_totals TO ledger_app;

-- +goose Down
DROP TRIGGER debtor_totals_items_delete ON open_items;
DROP TRIGGER debtor_totals_items_update ON open_items;
DROP TRIGGER debtor_totals_items_insert ON open_items;
DROP TRIGGER debtor_totals_lines_delete ON journal_lines;
DROP TRIGGER debtor_totals_lines_update ON journal_lines;
DROP TRIGGER debtor_totals_lines_insert ON journal_lines;
DROP FUNCTION debtor_totals_items();
DROP FUNCTION debtor_totals_lines();
DROP TABLE debtor_totals;
