-- Demo data that makes the contract's orchestrator example reproducible: customer 1 is ACME,
-- product 2 costs 129900 cents, so ordering 3 of product 2 totals 389700.
--
-- Load it into a migrated database: `make seed` (migrates first), or
--   mysql -h 127.0.0.1 -P 3307 -u backoffice -p backoffice < db/seed.sql
-- It can be loaded again: rows 1 and 2 are put back to these values (stock included, and a
-- deleted customer 1 is restored), other rows are left alone. Meant for a fresh demo
-- database: in one where another customer already holds ops@acme.com, loading fails on the
-- unique email instead of changing that customer.
-- MySQL 8 and MariaDB 10.11 both accept it (VALUES() in ON DUPLICATE KEY UPDATE is the form
-- both know; MySQL 8.0.20+ merely warns that it is deprecated).

INSERT INTO customers (id, name, email, phone, created_at, updated_at, deleted_at) VALUES
  (1, 'ACME', 'ops@acme.com', '+1-555-0100', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), NULL),
  (2, 'Globex', 'purchasing@globex.example', NULL, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), NULL)
ON DUPLICATE KEY UPDATE
  name = VALUES(name), email = VALUES(email), phone = VALUES(phone),
  deleted_at = NULL, updated_at = VALUES(updated_at);

INSERT INTO products (id, sku, name, price_cents, stock, created_at, updated_at) VALUES
  (1, 'SKU-MOUSE-01', 'Wireless Mouse', 2599, 500, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  (2, 'SKU-LAPTOP-14', 'Laptop Pro 14', 129900, 100, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  (3, 'SKU-DOCK-USB', 'USB-C Dock', 8900, 0, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
ON DUPLICATE KEY UPDATE
  sku = VALUES(sku), name = VALUES(name), price_cents = VALUES(price_cents),
  stock = VALUES(stock), updated_at = VALUES(updated_at);
