-- check: lost_sales_reconciled
-- description: Stockout events whose lost sales do not reconcile: lost revenue is not the lost units at the product's list price, or lost attempts were counted on an episode without any recorded demand.
-- bound: value = 0
-- A lost attempt is a request that got nothing at the first location asked; it counts on the
-- episode of that position and day and enters the position's demand, so days_of_supply (NULL only
-- without recent demand) is set on that day. Which day is not in the tables, hence "any day of the
-- episode". Lost units are valued at gold_product_dim.base_price.
WITH horizon AS (
  SELECT max(date_key) AS last_key FROM gold_inventory_fact
),
episode_demand AS (
  SELECT e.stockout_id, bool_or(i.days_of_supply IS NOT NULL) AS had_demand
  FROM gold_stockout_events AS e
  CROSS JOIN horizon AS h
  LEFT JOIN gold_inventory_fact AS i
    ON i.product_key = e.product_key AND i.location_key = e.location_key
   AND i.date_key BETWEEN e.stockout_start_date_key AND coalesce(e.stockout_end_date_key, h.last_key)
  WHERE e.lost_sales_attempts > 0
  GROUP BY e.stockout_id
)
SELECT count_if(
         p.product_key IS NULL
         OR abs(e.lost_sales_revenue - e.lost_sales_quantity * p.base_price) >= 0.01
         OR (e.lost_sales_attempts > 0 AND d.had_demand IS DISTINCT FROM true)
       ) AS value
FROM gold_stockout_events AS e
LEFT JOIN gold_product_dim AS p ON p.product_key = e.product_key
LEFT JOIN episode_demand AS d ON d.stockout_id = e.stockout_id;
