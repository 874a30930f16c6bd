-- check: stockout_rate_all_days
-- description: Share of all inventory position-days that end out of stock.
-- bound: {inventory.target_stockout_rate} - 0.025 <= value <= {inventory.target_stockout_rate} + 0.025
SELECT avg(CASE WHEN is_stockout THEN 1.0 ELSE 0.0 END) AS value
FROM gold_inventory_fact;
