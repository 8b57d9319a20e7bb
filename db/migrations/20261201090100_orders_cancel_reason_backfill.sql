-- migrate:up
-- Every order canceled before reservations existed was canceled by a client.
UPDATE orders SET cancel_reason = 'requested' WHERE status = 'CANCELED' AND cancel_reason IS NULL;

-- migrate:down
UPDATE orders SET cancel_reason = NULL WHERE status = 'CANCELED' AND cancel_reason = 'requested';
