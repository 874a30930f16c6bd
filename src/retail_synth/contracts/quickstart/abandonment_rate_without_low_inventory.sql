-- check: abandonment_rate_without_low_inventory
-- description: Abandonment rate of carts without a low-inventory item: abandoned / (abandoned + checked out); the default base rate is 0.70.
-- bound: {carts.abandonment_base_rate} - 0.02 <= value <= {carts.abandonment_base_rate} + 0.02
-- min_sample: 5000
-- 5,000 carts give a standard error near 0.65 points, so 2 points is 3 standard errors.
-- Checked-out carts are the digital orders of gold_sales_fact that carry cart_low_inventory_trigger
-- (recovered orders carry NULL: their cart is already counted as abandoned).
WITH abandoned AS (
  SELECT count(*) AS carts FROM gold_cart_abandonment_fact WHERE NOT low_inventory_trigger
),
checked_out AS (
  SELECT count(DISTINCT transaction_id) AS carts FROM gold_sales_fact WHERE cart_low_inventory_trigger = false
)
SELECT a.carts / (a.carts + c.carts) AS value, a.carts + c.carts AS sample
FROM abandoned AS a CROSS JOIN checked_out AS c;
