-- check: stockout_lost_revenue
-- description: Revenue at list price of the units lost to stockouts, summed over all stockout events.
-- bound: value > 0
SELECT coalesce(sum(lost_sales_revenue), 0) AS value
FROM gold_stockout_events;
