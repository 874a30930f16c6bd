-- check: low_inventory_cart_share
-- description: Share of carts holding an item at or below the low-inventory threshold at the node that would ship it, abandoned and checked-out carts together.
-- min_sample: 1000
-- A checked-out cart is one digital order with a non-NULL cart_low_inventory_trigger; recovered orders are counted once, as their abandoned cart.
WITH carts AS (
  SELECT low_inventory_trigger AS low FROM gold_cart_abandonment_fact
  UNION ALL
  SELECT max(CASE WHEN cart_low_inventory_trigger THEN 1 ELSE 0 END) = 1 AS low
  FROM gold_sales_fact WHERE cart_low_inventory_trigger IS NOT NULL GROUP BY transaction_id
)
SELECT avg(CASE WHEN low THEN 1.0 ELSE 0.0 END) AS value, count(*) AS sample FROM carts;
