-- migrate:up
-- Reservations: a CREATED order holds its stock until expires_at (NULL: no hold, for orders
-- made with ORDER_HOLD_TTL=0 or before this migration), and a CANCELED order says why in
-- cancel_reason. The index serves the sweep (status = 'CREATED' AND expires_at <= now). Three
-- statements rather than one ALTER TABLE with every clause: TiDB refuses an index or a check on
-- a column added by the same statement (Error 1072). A rerun after a failure in between needs
-- the down migration first, as with any DDL on MySQL.
ALTER TABLE orders
  ADD COLUMN expires_at DATETIME(6) NULL,
  ADD COLUMN cancel_reason VARCHAR(16) NULL;
ALTER TABLE orders ADD KEY idx_orders_hold (status, expires_at);
ALTER TABLE orders ADD CONSTRAINT chk_orders_cancel_reason CHECK (cancel_reason IN ('requested', 'expired'));

-- migrate:down
ALTER TABLE orders DROP CONSTRAINT chk_orders_cancel_reason;
ALTER TABLE orders DROP KEY idx_orders_hold;
ALTER TABLE orders
  DROP COLUMN cancel_reason,
  DROP COLUMN expires_at;
