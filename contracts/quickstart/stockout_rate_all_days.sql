-- check: stockout_rate_all_days
-- description: Share of all inventory position-days that end out of stock.
-- bound: 0.05 <= value <= 0.10
SELECT avg(CASE WHEN is_stockout THEN 1.0 ELSE 0.0 END) AS value
FROM gold_inventory_fact;
