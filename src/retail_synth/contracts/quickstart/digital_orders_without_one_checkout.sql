-- check: digital_orders_without_one_checkout
-- description: Digital orders of gold_sales_fact that do not have exactly one session ending in checkout complete (a purchase event whose event_label is the order's transaction_id).
-- bound: value = 0
WITH digital_orders AS (
  SELECT DISTINCT transaction_id FROM gold_sales_fact WHERE pos_terminal_id IS NULL
),
checkouts AS (
  SELECT event_label AS transaction_id, count(DISTINCT session_id) AS sessions
  FROM gold_customer_event_fact
  WHERE event_action = 'checkout_complete'
  GROUP BY event_label
)
SELECT count_if(c.sessions IS NULL OR c.sessions <> 1) AS value
FROM digital_orders AS o LEFT JOIN checkouts AS c ON c.transaction_id = o.transaction_id;
