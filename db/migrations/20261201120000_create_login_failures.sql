-- migrate:up
-- Failed logins, shared by every customers-api replica: one row per limited key (a
-- (username, address) pair or an address), named by a SHA-256 of the key so that no username
-- or address is stored as typed. failures lists the key's recent failures, oldest first, as
-- Unix microseconds separated by commas (at most the key's limit of them). A login locks its
-- pair's and address's rows, checks and counts in one transaction, so replicas cannot both
-- pass a limit. expires_at is when the newest failure leaves the window: the purge deletes
-- rows from then on.
CREATE TABLE login_failures (
  limit_key BINARY(32) NOT NULL,
  failures VARCHAR(1024) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  PRIMARY KEY (limit_key),
  KEY idx_login_failures_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- migrate:down
DROP TABLE login_failures;
