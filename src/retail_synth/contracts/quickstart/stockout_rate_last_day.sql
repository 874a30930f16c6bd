-- check: stockout_rate_last_day
-- description: Share of inventory positions out of stock at the end of the last day of the horizon.
-- bound: {inventory.target_stockout_rate} - 0.025 <= value <= {inventory.target_stockout_rate} + 0.025
SELECT avg(CASE WHEN is_stockout THEN 1.0 ELSE 0.0 END) AS value
FROM gold_inventory_fact
WHERE date_key = (SELECT max(date_key) FROM gold_inventory_fact);
