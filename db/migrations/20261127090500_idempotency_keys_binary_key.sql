-- migrate:up
-- Idempotency keys are compared byte for byte: under ascii_bin (a PAD SPACE collation in both
-- MySQL 8 and MariaDB) "k1" and "k1 " were the same primary key, so two different keys
-- collided. A binary string has no padding rule.
ALTER TABLE idempotency_keys MODIFY idem_key VARBINARY(255) NOT NULL;

-- migrate:down
ALTER TABLE idempotency_keys MODIFY idem_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
