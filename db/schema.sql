-- The schema that db/migrations produce, for reading and for loading a database in one step
-- (mysql DBNAME < db/schema.sql). It is not applied by the services: they run the migrations.
-- Loading it also fills schema_migrations, so a later migrate applies only newer files.
--
-- Kept in sync by tools/deploytest (TestSchemaMatchesMigrations): it migrates one fresh
-- database, loads this file into another, and compares SHOW CREATE TABLE of every table.
-- Written for both MySQL 8 and MariaDB 10.11. After adding a migration, add its table changes
-- and its version here.

CREATE TABLE `customers` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(255) NOT NULL,
  `email` varchar(255) NOT NULL,
  `phone` varchar(50) DEFAULT NULL,
  `created_at` datetime(6) NOT NULL,
  `updated_at` datetime(6) NOT NULL,
  `deleted_at` datetime(6) DEFAULT NULL,
  `active_email` varchar(255) GENERATED ALWAYS AS (if(`deleted_at` is null, `email`, NULL)) STORED,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_customers_active_email` (`active_email`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `products` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `sku` varbinary(400) NOT NULL,
  `name` varchar(255) NOT NULL,
  `price_cents` bigint NOT NULL,
  `stock` int NOT NULL,
  `created_at` datetime(6) NOT NULL,
  `updated_at` datetime(6) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_products_sku` (`sku`),
  CONSTRAINT `chk_products_price` CHECK (`price_cents` >= 0),
  CONSTRAINT `chk_products_stock` CHECK (`stock` >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `orders` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` bigint unsigned NOT NULL,
  `status` varchar(16) NOT NULL,
  `total_cents` bigint NOT NULL,
  `created_at` datetime(6) NOT NULL,
  `updated_at` datetime(6) NOT NULL,
  `confirmed_at` datetime(6) DEFAULT NULL,
  `canceled_at` datetime(6) DEFAULT NULL,
  `expires_at` datetime(6) DEFAULT NULL,
  `cancel_reason` varchar(16) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_orders_status` (`status`, `id`),
  KEY `idx_orders_customer` (`customer_id`, `id`),
  KEY `idx_orders_created` (`created_at`, `id`),
  KEY `idx_orders_hold` (`status`, `expires_at`),
  CONSTRAINT `fk_orders_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`),
  CONSTRAINT `chk_orders_status` CHECK (`status` in ('CREATED', 'CONFIRMED', 'CANCELED')),
  CONSTRAINT `chk_orders_total` CHECK (`total_cents` >= 0),
  CONSTRAINT `chk_orders_cancel_reason` CHECK (`cancel_reason` in ('requested', 'expired'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `order_items` (
  `order_id` bigint unsigned NOT NULL,
  `product_id` bigint unsigned NOT NULL,
  `sku` varchar(100) NOT NULL,
  `name` varchar(255) NOT NULL,
  `qty` int NOT NULL,
  `unit_price_cents` bigint NOT NULL,
  `subtotal_cents` bigint NOT NULL,
  PRIMARY KEY (`order_id`, `product_id`),
  KEY `idx_order_items_product` (`product_id`),
  CONSTRAINT `fk_order_items_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE,
  CONSTRAINT `fk_order_items_product` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`),
  CONSTRAINT `chk_order_items_qty` CHECK (`qty` >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `idempotency_keys` (
  `operation` varchar(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  `idem_key` varbinary(255) NOT NULL,
  `target` varchar(64) NOT NULL,
  `fingerprint` char(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  `order_id` bigint unsigned DEFAULT NULL,
  `response_status` smallint NOT NULL,
  `response_body` mediumblob NOT NULL,
  `created_at` datetime(6) NOT NULL,
  `expires_at` datetime(6) NOT NULL,
  PRIMARY KEY (`operation`, `idem_key`),
  KEY `idx_idempotency_keys_expires` (`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `login_failures` (
  `limit_key` binary(32) NOT NULL,
  `failures` varchar(1024) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  `expires_at` datetime(6) NOT NULL,
  PRIMARY KEY (`limit_key`),
  KEY `idx_login_failures_expires` (`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- dbmate's bookkeeping, created the way dbmate creates it (the database's default charset).
CREATE TABLE `schema_migrations` (
  `version` varchar(128) NOT NULL,
  PRIMARY KEY (`version`)
);

INSERT INTO `schema_migrations` (`version`) VALUES
  ('20261127090000'),
  ('20261127090100'),
  ('20261127090200'),
  ('20261127090300'),
  ('20261127090400'),
  ('20261127090500'),
  ('20261127090600'),
  ('20261201090000'),
  ('20261201090100'),
  ('20261201120000'),
  ('20261201230000'),
  ('20261201230100');
