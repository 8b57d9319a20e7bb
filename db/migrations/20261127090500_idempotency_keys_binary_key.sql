-- migrate:up
-- Idempotency keys are compared byte for byte: under ascii_bin (a PAD SPACE collation in both
-- MySQL 8 and MariaDB) "k1" and "k1 " were the same primary key, so two different keys
-- collided. A binary string has no padding rule.
--
-- The table is rebuilt under its final definition and swapped in, instead of
-- `MODIFY idem_key VARBINARY(255) NOT NULL`: TiDB cannot change the type of a primary key
-- column (Error 8200). The result is the same table on MySQL 8 and MariaDB as that MODIFY
-- gave, which earlier versions of this file ran. RENAME TABLE swaps both names at once.
CREATE TABLE idempotency_keys_binary (
  operation VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  idem_key VARBINARY(255) NOT NULL,
  target VARCHAR(64) NOT NULL,
  fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  response_status SMALLINT NOT NULL,
  response_body MEDIUMBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  PRIMARY KEY (operation, idem_key),
  KEY idx_idempotency_keys_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO idempotency_keys_binary
  (operation, idem_key, target, fingerprint, response_status, response_body, created_at, expires_at)
  SELECT operation, idem_key, target, fingerprint, response_status, response_body, created_at, expires_at
  FROM idempotency_keys;
RENAME TABLE idempotency_keys TO idempotency_keys_ascii, idempotency_keys_binary TO idempotency_keys;
DROP TABLE idempotency_keys_ascii;

-- migrate:down
CREATE TABLE idempotency_keys_ascii (
  operation VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  idem_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  target VARCHAR(64) NOT NULL,
  fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  response_status SMALLINT NOT NULL,
  response_body MEDIUMBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  PRIMARY KEY (operation, idem_key),
  KEY idx_idempotency_keys_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO idempotency_keys_ascii
  (operation, idem_key, target, fingerprint, response_status, response_body, created_at, expires_at)
  SELECT operation, idem_key, target, fingerprint, response_status, response_body, created_at, expires_at
  FROM idempotency_keys;
RENAME TABLE idempotency_keys TO idempotency_keys_binary, idempotency_keys_ascii TO idempotency_keys;
DROP TABLE idempotency_keys_binary;
