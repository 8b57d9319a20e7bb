-- migrate:up
-- Reservations: a CREATED order holds its stock until expires_at (NULL: no hold, for orders
-- made with ORDER_HOLD_TTL=0 or before this migration), and a CANCELED order says why in
-- cancel_reason. The index serves the sweep (status = 'CREATED' AND expires_at <= now). One
-- ALTER TABLE statement, so the columns, their check and the index arrive together or not at
-- all.
ALTER TABLE orders
  ADD COLUMN expires_at DATETIME(6) NULL,
  ADD COLUMN cancel_reason VARCHAR(16) NULL,
  ADD KEY idx_orders_hold (status, expires_at),
  ADD CONSTRAINT chk_orders_cancel_reason CHECK (cancel_reason IN ('requested', 'expired'));

-- migrate:down
ALTER TABLE orders
  DROP CONSTRAINT chk_orders_cancel_reason,
  DROP KEY idx_orders_hold,
  DROP COLUMN cancel_reason,
  DROP COLUMN expires_at;
