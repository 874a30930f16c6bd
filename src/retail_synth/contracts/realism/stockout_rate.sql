-- check: stockout_rate
-- description: Share of product x location days that end with nothing available.
-- min_sample: 1000
SELECT avg(CASE WHEN is_stockout THEN 1.0 ELSE 0.0 END) AS value, count(*) AS sample FROM gold_inventory_fact;
