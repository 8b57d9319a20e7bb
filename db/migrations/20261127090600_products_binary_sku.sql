-- migrate:up
-- SKUs are unique compared exactly: under utf8mb4_unicode_ci "AB-1", "ab-1" and "ab-1 " were
-- one SKU. A binary string compares bytes (100 characters are at most 400 bytes of UTF-8);
-- searches convert it back to text to match case-insensitively.
--
-- The column is replaced step by step, instead of `MODIFY sku VARBINARY(400) NOT NULL`: TiDB
-- cannot change an indexed column from text to binary (Error 8200), and the table cannot be
-- rebuilt and swapped like idempotency_keys because order_items' foreign key would follow the
-- renamed table. The result is the same table on MySQL 8 and MariaDB as that MODIFY gave,
-- which earlier versions of this file ran: the new column takes the old one's place and the
-- unique key its name. One statement per step, as TiDB runs most changes one at a time.
ALTER TABLE products ADD COLUMN sku_binary VARBINARY(400) NULL AFTER sku;
UPDATE products SET sku_binary = sku;
ALTER TABLE products DROP INDEX uq_products_sku;
ALTER TABLE products DROP COLUMN sku;
ALTER TABLE products CHANGE sku_binary sku VARBINARY(400) NOT NULL;
ALTER TABLE products ADD UNIQUE KEY uq_products_sku (sku);

-- migrate:down
ALTER TABLE products ADD COLUMN sku_text VARCHAR(100) NULL AFTER sku;
UPDATE products SET sku_text = sku;
ALTER TABLE products DROP INDEX uq_products_sku;
ALTER TABLE products DROP COLUMN sku;
ALTER TABLE products CHANGE sku_text sku VARCHAR(100) NOT NULL;
ALTER TABLE products ADD UNIQUE KEY uq_products_sku (sku);
