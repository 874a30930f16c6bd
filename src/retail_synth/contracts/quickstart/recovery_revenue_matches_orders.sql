-- check: recovery_revenue_matches_orders
-- description: Recovered carts whose recovery_revenue differs from the net sales of the recovering order in gold_sales_fact.
-- bound: value = 0
-- The recovering order is ordered on recovery_date_key with order number
-- (days since abandonment) * 1000000 + the cart's order number (the last 7 digits of cart_id).
WITH recovered AS (
  SELECT a.cart_id, a.recovery_revenue,
         concat('TXN-', a.recovery_date_key, '-',
                lpad(cast(datediff(r.calendar_date, c.calendar_date) * 1000000
                          + cast(substring_index(a.cart_id, '-', -1) AS INT) AS STRING), 7, '0')) AS transaction_id
  FROM gold_cart_abandonment_fact AS a
  JOIN gold_date_dim AS c ON c.date_key = a.date_key
  JOIN gold_date_dim AS r ON r.date_key = a.recovery_date_key
  WHERE a.is_recovered
),
orders AS (
  SELECT transaction_id, sum(net_sales_amount) AS net_sales FROM gold_sales_fact GROUP BY transaction_id
)
SELECT count_if(o.net_sales IS NULL OR abs(o.net_sales - r.recovery_revenue) >= 0.01) AS value
FROM recovered AS r LEFT JOIN orders AS o ON o.transaction_id = r.transaction_id;
