-- check: abandonment_rate_low_inventory
-- description: Abandonment rate of carts holding a low-inventory item (available <= 5 at the shipping location); the default is the base rate plus 10 points, 0.80.
-- bound: {carts.abandonment_base_rate} + {carts.low_inventory_uplift_rate} - 0.02 <= value <= {carts.abandonment_base_rate} + {carts.low_inventory_uplift_rate} + 0.02
-- min_sample: 5000
-- 5,000 carts give a standard error near 0.65 points, so 2 points is 3 standard errors.
WITH abandoned AS (
  SELECT count(*) AS carts FROM gold_cart_abandonment_fact WHERE low_inventory_trigger
),
checked_out AS (
  SELECT count(DISTINCT transaction_id) AS carts FROM gold_sales_fact WHERE cart_low_inventory_trigger = true
)
SELECT a.carts / (a.carts + c.carts) AS value, a.carts + c.carts AS sample
FROM abandoned AS a CROSS JOIN checked_out AS c;
