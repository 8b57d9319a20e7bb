-- migrate:up
CREATE TABLE idempotency_keys (
  operation VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  idem_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  target VARCHAR(64) NOT NULL,
  fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  response_status SMALLINT NOT NULL,
  response_body MEDIUMBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  -- The key is scoped by operation: the same key may confirm one order and create another.
  PRIMARY KEY (operation, idem_key),
  KEY idx_idempotency_keys_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- migrate:down
DROP TABLE idempotency_keys;
