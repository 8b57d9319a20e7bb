-- migrate:up
-- The id of the order a completed request created or confirmed, so that a replay can name
-- the order (Location) without reading the stored response, which stays opaque bytes. NULL:
-- no order (an orchestrator answer) or not completed yet.
ALTER TABLE idempotency_keys ADD COLUMN order_id BIGINT UNSIGNED NULL AFTER fingerprint;

-- migrate:down
ALTER TABLE idempotency_keys DROP COLUMN order_id;
