-- +goose Up
-- Refund import's decisions about marketplace refunds that keep matching
-- from crediting a refund with its payout (issue #16): linked to the
-- shop's own credit note, held for a person, or booked by refund import
-- itself. Keyed by the marketplace's adjustment id (one order item's
-- refund, the credit note's suffix); the latest decision wins. Other
-- decisions are not kept: matching credits those refunds under the key
-- both services share.
CREATE TABLE refund_decisions (
    tenant        text        NOT NULL,
    adjustment_id text        NOT NULL,
    state         text        NOT NULL CHECK (state IN ('linked', 'held', 'booked')),
    reason        text        NOT NULL DEFAULT '',
    credit_note   text        NOT NULL DEFAULT '',
    decided_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant, adjustment_id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON refund_decisions TO matching_app;

-- +goose Down
DROP TABLE refund_decisions;
