-- migrate:up
-- Records completed before order_id existed: a confirmation's target is its order id, and a
-- creation's stored answer is {"data":{"id":...}}, as orders-api encoded it.
-- (JSON_EXTRACT rather than JSON_VALUE, which TiDB lacks.)
UPDATE idempotency_keys SET order_id = CAST(target AS UNSIGNED)
  WHERE operation = 'confirm_order' AND response_status <> 0 AND order_id IS NULL;
UPDATE idempotency_keys
  SET order_id = CASE WHEN JSON_VALID(CONVERT(response_body USING utf8mb4))
    THEN CAST(JSON_UNQUOTE(JSON_EXTRACT(CONVERT(response_body USING utf8mb4), '$.data.id')) AS UNSIGNED) END
  WHERE operation = 'create_order' AND response_status <> 0 AND order_id IS NULL;

-- migrate:down
-- Nothing to undo: the column itself goes with the previous migration's down.
SELECT 1;
