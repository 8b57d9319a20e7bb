-- migrate:up
-- SKUs are unique compared exactly: under utf8mb4_unicode_ci "AB-1", "ab-1" and "ab-1 " were
-- one SKU. A binary string compares bytes (100 characters are at most 400 bytes of UTF-8);
-- searches convert it back to text to match case-insensitively.
ALTER TABLE products MODIFY sku VARBINARY(400) NOT NULL;

-- migrate:down
ALTER TABLE products MODIFY sku VARCHAR(100) NOT NULL;
