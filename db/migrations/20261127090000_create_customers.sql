-- migrate:up
CREATE TABLE customers (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARCHAR(255) NOT NULL,
  email VARCHAR(255) NOT NULL,
  phone VARCHAR(50) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  deleted_at DATETIME(6) NULL,
  -- Emails are unique among customers not deleted, ignoring case (the _ci collation): a
  -- deleted customer's address may be used again. NULLs never collide in a unique index.
  active_email VARCHAR(255) AS (IF(deleted_at IS NULL, email, NULL)) STORED,
  PRIMARY KEY (id),
  UNIQUE KEY uq_customers_active_email (active_email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- migrate:down
DROP TABLE customers;
